# `esp32` as on ESP32 MicroPython (the parts a program on an ESP32-CAM asks about).
HEAP_DATA = 4
HEAP_EXEC = 1
WAKEUP_ALL_LOW = False
WAKEUP_ANY_HIGH = True
_psram = True
_psram_size = 4 * 1024 * 1024


def _setup(host, cfg):
    global _psram, _psram_size
    _psram = bool(cfg["psram"])
    _psram_size = cfg.get("psram_size", _psram_size)


def raw_temperature():
    return 128


def idf_heap_info(capabilities):
    # (total, free, largest free block, minimum free seen) per heap region
    heaps = [(7280, 4096, 4096, 4096), (16648, 14756, 14336, 14428), (94608, 40028, 28672, 30000)]
    if _psram and capabilities == HEAP_DATA:
        # the SPIRAM region: all of it but a few bytes of heap bookkeeping (4 MB: 4194252)
        total = _psram_size - 52
        heaps.append((total, total - 18688, total - 65484, total - 24252))
    return heaps


def wake_on_ext0(pin, level):
    pass


def wake_on_ext1(pins, level):
    pass
