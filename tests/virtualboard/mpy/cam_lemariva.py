# `camera` of lemariva/micropython-camera-driver (module functions), as in its v1.21.0 build.
# Like the real module it keeps no state of its own: esp32-camera's driver state (on the
# host) survives a soft reboot, so capture() still works then and a second init() fails.
import cam_common as _c

# the sensors this build's esp32-camera drives (the lemariva images carry the ov3660 and ov5640 drivers' log tags)
_DRIVES = ("OV2640", "OV3660", "OV5640")

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


def _setup(host, cfg):
    _c.setup(host)


def _check_size(size):
    if not 0 <= size < len(_c.OLD_SIZES):
        raise ValueError("Image framesize is not valid")
    return _c.size_settings(_c.OLD_SIZES[size][1], _c.OLD_SIZES[size][2])


def init(id=0, *, format=JPEG, framesize=FRAME_VGA, quality=12, d0=5, d1=18, d2=19, d3=21, d4=36, d5=39,
         d6=34, d7=35, vsync=25, href=23, pclk=22, pwdn=32, reset=-1, xclk=0, siod=26, sioc=27,
         xclk_freq=XCLK_10MHz, fb_size=1, fb_location=DRAM):
    if format not in _FORMATS:
        raise ValueError("Image format is not valid")
    size = _check_size(framesize)
    if xclk_freq not in (XCLK_10MHz, XCLK_20MHz):
        raise ValueError("xclk frequency is not valid")
    # modcamera.c (since e7d16f0, 2022-02-01): fb_count = fb_size, fb_location as given
    # (default CAMERA_FB_IN_DRAM), grab_mode always CAMERA_GRAB_WHEN_EMPTY
    if _c.sensor_init(_DRIVES, format=_FORMATS[format], quality=quality, vflip=False, hmirror=False,
                      fb_count=fb_size, fb_location="psram" if fb_location == PSRAM else "dram",
                      grab="when_empty", **size):
        _c.log_e("camera", "Camera Init Failed")
        raise OSError("Camera Init Failed")
    return True


def deinit():
    if not _c.sensor_deinit():
        _c.log_e("camera", "Camera deinit Failed")
        return False
    return True


def capture():
    frame = _c.capture()
    if frame is None:
        _c.log_e("camera", "Camera Capture Failed")
        return False
    return bytes(frame)


def _set(what, **settings):
    if not _c.sensor_set(**settings):
        _c.log_e("camera", what + " Failed")
        return False
    return None


def framesize(size):
    return _set("Framesize", **_check_size(size))


def quality(q):
    return _set("Quality", quality=max(0, min(63, q)))


def flip(direction):
    return _set("Flipping", vflip=bool(direction))


def mirror(direction):
    return _set("Mirroring", hmirror=bool(direction))


def _setting(what, name):
    def set_value(value):
        return _set(what, **{name: value})
    return set_value


contrast = _setting("Contrast", "contrast")
saturation = _setting("Saturation", "saturation")
brightness = _setting("Brightness", "brightness")
speffect = _setting("Special Effect", "speffect")
whitebalance = _setting("White Balance", "whitebalance")
del _i, _n, _w, _h
