# `camera` of lemariva/micropython-camera-driver (module functions), as in its v1.21.0 build.
import cam_common as _c

JPEG = 4
YUV422 = 1
GRAYSCALE = 3
RGB565 = 0
_FORMATS = {JPEG: "jpeg", YUV422: "yuv422", GRAYSCALE: "grayscale", RGB565: "rgb565"}
for _i, (_n, _w, _h) in enumerate(_c.OLD_SIZES):
    globals()["FRAME_" + _n] = _i
WB_NONE, WB_SUNNY, WB_CLOUDY, WB_OFFICE, WB_HOME = 0, 1, 2, 3, 4
EFFECT_NONE, EFFECT_NEG, EFFECT_BW, EFFECT_RED, EFFECT_GREEN, EFFECT_BLUE, EFFECT_RETRO = 0, 1, 2, 3, 4, 5, 6
XCLK_10MHz = 10000000
XCLK_20MHz = 20000000
PSRAM = 0
DRAM = 1

_state = {"init": False, "format": JPEG, "size": FRAME_VGA, "quality": 12, "vflip": 0, "hmirror": 0}


def _setup(host, cfg):
    _c.setup(host)


def init(id=0, *, format=JPEG, framesize=FRAME_VGA, quality=12, d0=5, d1=18, d2=19, d3=21, d4=36, d5=39,
         d6=34, d7=35, vsync=25, href=23, pclk=22, pwdn=32, reset=-1, xclk=0, siod=26, sioc=27,
         xclk_freq=XCLK_10MHz, fb_size=1, fb_location=DRAM):
    if format not in _FORMATS:
        raise ValueError("Image format is not valid")
    if not 0 <= framesize < len(_c.OLD_SIZES):
        raise ValueError("Image framesize is not valid")
    if xclk_freq not in (XCLK_10MHz, XCLK_20MHz):
        raise ValueError("xclk frequency is not valid")
    if _c.sensor_init():
        _c.log_e("camera", "Camera Init Failed")
        raise OSError("Camera Init Failed")
    _state.update(init=True, format=format, size=framesize, quality=quality, vflip=0, hmirror=0)
    return True


def deinit():
    _state["init"] = False
    if not _c.sensor_deinit():
        _c.log_e("camera", "Camera deinit Failed")
        return False
    return True


def capture():
    if not _state["init"]:
        _c.log_e("camera", "Camera Capture Failed")
        return False
    _n, w, h = _c.OLD_SIZES[_state["size"]]
    frame = _c.capture(w, h, _FORMATS[_state["format"]], _state["quality"], _state["vflip"], _state["hmirror"])
    if frame is None:
        _c.log_e("camera", "Camera Capture Failed")
        return False
    return bytes(frame)


def framesize(size):
    if not 0 <= size < len(_c.OLD_SIZES):
        raise ValueError("Image framesize is not valid")
    _state["size"] = size


def quality(q):
    _state["quality"] = max(0, min(63, q))


def flip(direction):
    _state["vflip"] = 1 if direction else 0


def mirror(direction):
    _state["hmirror"] = 1 if direction else 0


def _setting(name, lo, hi):
    def set_value(value):
        _state[name] = max(lo, min(hi, value))
    return set_value


contrast = _setting("contrast", -2, 2)
saturation = _setting("saturation", -2, 2)
brightness = _setting("brightness", -2, 2)
speffect = _setting("speffect", 0, 6)
whitebalance = _setting("whitebalance", 0, 4)
del _i, _n, _w, _h
