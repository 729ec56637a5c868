# `camera` of the KAKI5 / shariltumin ESP32-CAM builds: module functions, integer config keys
# (1-based numbering). Pixel format and frame size must be conf()igured before init().
import cam_common as _c

_FORMATS = {1: "rgb565", 2: "yuv422", 3: "yuv420", 4: "grayscale", 5: "jpeg", 6: "rgb888", 7: "raw", 8: "rgb444", 9: "rgb555"}
_PIN_KEYS = range(0, 16)
XCLK_MHZ, PIXFORMAT, FRAMESIZE, JPEG_QUALITY, FB_COUNT = 16, 17, 18, 19, 20
_conf = {}
_state = {"init": False, "format": 5, "size": 10, "quality": 12, "vflip": 0, "hmirror": 0}


def _setup(host, cfg):
    _c.setup(host)


def conf(key, value):
    if not 0 <= key <= 20:
        raise ValueError("invalid key")
    _conf[key] = value


def init():
    if _state["init"]:
        return True
    if PIXFORMAT not in _conf or FRAMESIZE not in _conf:
        _c.log_e("camera", "Camera config failed with error 0x102")
        return False
    if _conf[PIXFORMAT] not in _FORMATS or not 1 <= _conf[FRAMESIZE] <= len(_c.OLD_SIZES):
        _c.log_e("camera", "Camera config failed with error 0x102")
        return False
    if _c.sensor_init():
        return False
    _state.update(init=True, format=_conf[PIXFORMAT], size=_conf[FRAMESIZE], quality=_conf.get(JPEG_QUALITY, 12))
    return True


def deinit():
    was = _state["init"]
    _state["init"] = False
    return _c.sensor_deinit() or was


def _grab(fmt):
    if not _state["init"]:
        return False
    _n, w, h = _c.OLD_SIZES[_state["size"] - 1]
    frame = _c.capture(w, h, fmt, _state["quality"], _state["vflip"], _state["hmirror"])
    return False if frame is None else bytes(frame)


def capture():
    return _grab(_FORMATS[_state["format"]])


def capture_jpg():
    return _grab("jpeg")


def capture_bmp():
    return _grab("bmp")


def framesize(size):
    if not 1 <= size <= len(_c.OLD_SIZES):
        raise ValueError("framesize must be 1..%d" % len(_c.OLD_SIZES))
    _state["size"] = size


def pixformat(fmt):
    if fmt not in _FORMATS:
        raise ValueError("pixformat must be 1..9")
    _state["format"] = fmt


def quality(q):
    if not 10 <= q <= 63:
        raise ValueError("quality must be 10..63")
    _state["quality"] = q


def flip(v):
    _state["vflip"] = 1 if v else 0


def mirror(v):
    _state["hmirror"] = 1 if v else 0


def _setting(name, lo, hi):
    def set_value(value):
        if not lo <= value <= hi:
            raise ValueError("%s must be %d..%d" % (name, lo, hi))
        _state[name] = value
    return set_value


brightness = _setting("brightness", -2, 2)
contrast = _setting("contrast", -2, 2)
saturation = _setting("saturation", -2, 2)
speffect = _setting("speffect", 0, 6)
whitebalance = _setting("whitebalance", 0, 4)
aecvalue = _setting("aecvalue", 0, 1200)
aelevels = _setting("aelevels", -2, 2)
agcgain = _setting("agcgain", 0, 30)
