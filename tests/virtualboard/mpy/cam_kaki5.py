# `camera` of the KAKI5 / shariltumin ESP32-CAM builds: module functions, integer config keys
# (1-based numbering). Pixel format and frame size must be conf()igured before init().
# The driver state (on the host) persists across soft reboots, as the KAKI5 docs say.
import cam_common as _c

# the sensors this build's esp32-camera drives (KAKI5 images carry none of the sensor drivers' own log tags (ov3660, ov5640, gc2145...): OV2640 only)
_DRIVES = ("OV2640",)

_FORMATS = {1: "rgb565", 2: "yuv422", 3: "yuv420", 4: "grayscale", 5: "jpeg", 6: "rgb888", 7: "raw", 8: "rgb444", 9: "rgb555"}
XCLK_MHZ, PIXFORMAT, FRAMESIZE, JPEG_QUALITY, FB_COUNT = 16, 17, 18, 19, 20
_conf = {}


def _setup(host, cfg):
    _c.setup(host)


def _size(n):
    return _c.size_settings(_c.OLD_SIZES[n - 1][1], _c.OLD_SIZES[n - 1][2])


def conf(key, value):
    if not 0 <= key <= 20:
        raise ValueError("invalid key")
    _conf[key] = value


def init():
    if PIXFORMAT not in _conf or FRAMESIZE not in _conf:
        _c.log_e("camera", "Camera config failed with error 0x102")
        return False
    if _conf[PIXFORMAT] not in _FORMATS or not 1 <= _conf[FRAMESIZE] <= len(_c.OLD_SIZES):
        _c.log_e("camera", "Camera config failed with error 0x102")
        return False
    settings = _size(_conf[FRAMESIZE])
    settings.update(format=_FORMATS[_conf[PIXFORMAT]], quality=_conf.get(JPEG_QUALITY, 12), vflip=False, hmirror=False)
    # FB_COUNT: "framebuffer count > 1 continuous mode (JPEG only)" (the builds' cam_config.py);
    # the C source is not published: the twin assumes PSRAM buffers and CAMERA_GRAB_WHEN_EMPTY
    settings.update(fb_count=_conf.get(FB_COUNT, 1), fb_location="psram", grab="when_empty")
    return _c.sensor_init(_DRIVES, **settings) == 0


def deinit():
    return _c.sensor_deinit()


def _set(**settings):
    return None if _c.sensor_set(**settings) else False


def _grab(**overrides):
    frame = _c.capture(**overrides)
    return False if frame is None else bytes(frame)


def capture():
    return _grab()


def capture_jpg():
    return _grab(format="jpeg")


def capture_bmp():
    return _grab(format="bmp")


def framesize(size):
    if not 1 <= size <= len(_c.OLD_SIZES):
        raise ValueError("framesize must be 1..%d" % len(_c.OLD_SIZES))
    return _set(**_size(size))


def pixformat(fmt):
    if fmt not in _FORMATS:
        raise ValueError("pixformat must be 1..9")
    return _set(format=_FORMATS[fmt])


def quality(q):
    if not 10 <= q <= 63:
        raise ValueError("quality must be 10..63")
    return _set(quality=q)


def flip(v):
    return _set(vflip=bool(v))


def mirror(v):
    return _set(hmirror=bool(v))


def _setting(name, lo, hi):
    def set_value(value):
        if not lo <= value <= hi:
            raise ValueError("%s must be %d..%d" % (name, lo, hi))
        return _set(**{name: value})
    return set_value


brightness = _setting("brightness", -2, 2)
contrast = _setting("contrast", -2, 2)
saturation = _setting("saturation", -2, 2)
speffect = _setting("speffect", 0, 6)
whitebalance = _setting("whitebalance", 0, 4)
aecvalue = _setting("aecvalue", 0, 1200)
aelevels = _setting("aelevels", -2, 2)
agcgain = _setting("agcgain", 0, 30)
