# `esp` as on ESP32 MicroPython: flash queries read the board's real flash image.
_flash = None
_size = 4 * 1024 * 1024


def _setup(host, cfg):
    global _flash, _size
    _flash = open(cfg["flash"], "rb")
    _size = cfg.get("flash_size", _size)  # the board's flash chip (4 MB ESP32-CAM, 8/16 MB S3)


def flash_size():
    return _size


def flash_user_start():
    return 0x200000


def flash_read(offset, buf):
    if offset < 0 or offset + len(buf) > _size:
        raise OSError(22)
    _flash.seek(offset)
    _flash.readinto(buf)


def osdebug(level, *args):
    pass


LOG_NONE = 0
LOG_ERROR = 1
LOG_WARNING = 2
LOG_INFO = 3
LOG_DEBUG = 4
LOG_VERBOSE = 5
