# `camera` of cnadler86/micropython-camera-API: a Camera class (one object at a time),
# PixelFormat/FrameSize/GrabMode/GainCeiling constants; AI-Thinker pins built in.
import cam_common as _c

# the sensors this build's esp32-camera drives (the cnadler86 image carries the ov2640, ov3660 and ov5640 drivers' log tags)
_DRIVES = ("OV2640", "OV3660", "OV5640")


class PixelFormat:
    RGB565 = 0
    YUV422 = 1
    YUV420 = 2
    GRAYSCALE = 3
    JPEG = 4
    RGB888 = 5
    RAW = 6
    RGB444 = 7
    RGB555 = 8


class FrameSize:
    pass


for _i, (_n, _w, _h) in enumerate(_c.SIZES):
    setattr(FrameSize, ("R" + _n) if _n[0].isdigit() else _n, _i)
FrameSize.R128x128 = FrameSize.R128X128


class GrabMode:
    WHEN_EMPTY = 0
    LATEST = 1


class GainCeiling:
    X2, X4, X8, X16, X32, X64, X128 = 0, 1, 2, 3, 4, 5, 6


_FORMATS = {0: "rgb565", 3: "grayscale", 4: "jpeg", 5: "rgb888"}
_MAX_SIZE = FrameSize.UXGA
_SENSOR = {
    "contrast": (-2, 2), "brightness": (-2, 2), "saturation": (-2, 2), "sharpness": (-2, 2),
    "denoise": (0, 8), "gainceiling": (0, 6), "colorbar": (0, 1), "whitebal": (0, 1),
    "gain_ctrl": (0, 1), "exposure_ctrl": (0, 1), "hmirror": (0, 1), "vflip": (0, 1),
    "aec2": (0, 1), "awb_gain": (0, 1), "agc_gain": (0, 30), "aec_value": (0, 1200),
    "special_effect": (0, 6), "wb_mode": (0, 4), "ae_level": (-2, 2), "dcw": (0, 1),
    "bpc": (0, 1), "wpc": (0, 1), "raw_gma": (0, 1), "lenc": (0, 1),
}
_BOOL = ("colorbar", "whitebal", "gain_ctrl", "exposure_ctrl", "hmirror", "vflip", "aec2", "awb_gain", "dcw", "bpc", "wpc", "raw_gma", "lenc")


def _setup(host, cfg):
    _c.setup(host)


def _check_err(code):
    # the ESP32 port's check_esp_err(): ESP_ERR_NO_MEM becomes ENOMEM, others the negated code
    if code:
        raise OSError(12 if code == 0x101 else -code, _c.err_name(code))


class Camera:
    def __init__(self, *, data_pins=None, pclk_pin=None, vsync_pin=None, href_pin=None, sda_pin=None,
                 scl_pin=None, xclk_pin=None, xclk_freq=20000000, powerdown_pin=-1, reset_pin=-1, i2c=None,
                 pixel_format=PixelFormat.RGB565, frame_size=FrameSize.QVGA, jpeg_quality=85, fb_count=1,
                 grab_mode=GrabMode.WHEN_EMPTY, init=True):
        if data_pins is not None and len(data_pins) != 8:
            raise ValueError("data_pins must be a list of 8 pins")
        if xclk_freq > 40000000:
            raise ValueError("xclk frequency cannot be grather than 40MHz")
        if not 0 <= pixel_format <= PixelFormat.RGB555:
            raise ValueError("Invalid pixel_format")
        if grab_mode not in (GrabMode.WHEN_EMPTY, GrabMode.LATEST):
            raise ValueError("Invalid grab_mode")
        self._format = pixel_format
        self._size = frame_size
        self._quality = jpeg_quality
        self._fb_count = 2 if fb_count > 2 else max(1, fb_count)
        self._grab_mode = grab_mode
        self._initialized = False
        self._sensor = {name: 0 for name in _SENSOR}
        self._sensor.update(whitebal=1, gain_ctrl=1, exposure_ctrl=1, awb_gain=1, bpc=0, wpc=1, raw_gma=1, lenc=1, dcw=1)
        self._buffer = None
        if init:
            self.init()

    def init(self):
        if self._initialized:
            return
        # modcamera.c: fb_count (1..2) and grab_mode go to esp_camera_init, fb_location is
        # always CAMERA_FB_IN_PSRAM
        _check_err(_c.sensor_init(_DRIVES, fb_count=self._fb_count, fb_location="psram",
                                  grab="latest" if self._grab_mode == GrabMode.LATEST else "when_empty",
                                  **self._settings()))
        self._initialized = True

    def deinit(self):
        if self._initialized:
            self._buffer = None
            _c.sensor_deinit()
            self._initialized = False

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.deinit()

    def _check_init(self):
        if not self._initialized:
            raise OSError(2)  # ENOENT, as check_init() in the driver

    def _settings(self):
        _n, w, h = _c.SIZES[self._size]
        settings = _c.size_settings(w, h)
        settings.update(format=_FORMATS.get(self._format, "jpeg"), quality=63 - self._quality * 63 // 100,
                        vflip=bool(self._sensor["vflip"]), hmirror=bool(self._sensor["hmirror"]))
        return settings

    def frame_available(self):
        return self._initialized

    def capture(self):
        self._check_init()
        self._buffer = None  # esp_camera_fb_return of the previous frame (the host does it)
        # the driver keeps this frame's buffer until the next capture(), free_buffer() or deinit()
        frame = _c.capture(hold=True, **self._settings()) if self._format in _FORMATS else None
        if frame is None:
            _c.log_e("MPY_CAMERA", "Failed to capture image")
            return None
        self._buffer = frame
        return memoryview(frame)

    def free_buffer(self):
        if self._buffer is not None:
            _c.give()
        self._buffer = None

    def reconfigure(self, *, frame_size=None, pixel_format=None, grab_mode=None, fb_count=None):
        self._check_init()
        if frame_size is not None:
            if frame_size > _MAX_SIZE:
                print("Warning: Frame size will be scaled down to maximal frame size supported by the camera sensor")
                frame_size = _MAX_SIZE
            self._size = frame_size
        if pixel_format is not None:
            if not 0 <= pixel_format <= PixelFormat.RGB555:
                raise ValueError("Invalid pixel_format")
            self._format = pixel_format
        if grab_mode is not None:
            self._grab_mode = grab_mode
        if fb_count is not None:
            self._fb_count = 2 if fb_count > 2 else max(1, fb_count)
        self._buffer = None
        # mp_camera_hal_reconfigure: esp_camera_deinit(), then esp_camera_init() anew
        _c.sensor_deinit()
        self._initialized = False
        self.init()

    # read-only properties
    @property
    def pixel_format(self):
        return self._format

    @property
    def grab_mode(self):
        return self._grab_mode

    @property
    def fb_count(self):
        return self._fb_count

    @property
    def pixel_width(self):
        self._check_init()
        return _c.clamp_size(_c.SIZES[self._size][1], _c.SIZES[self._size][2])[0]

    @property
    def pixel_height(self):
        self._check_init()
        return _c.clamp_size(_c.SIZES[self._size][1], _c.SIZES[self._size][2])[1]

    @property
    def max_frame_size(self):
        return _MAX_SIZE

    @property
    def sensor_name(self):
        self._check_init()
        return _c.sensor_name

    @property
    def frame_size(self):
        self._check_init()
        return self._size

    @frame_size.setter
    def frame_size(self, value):
        self._check_init()
        if not 0 <= value <= _MAX_SIZE:
            raise ValueError("Invalid setting for frame_size")
        if self._buffer is not None:  # esp_camera_return_all()
            _c.give()
        self._buffer = None
        self._size = value

    @property
    def quality(self):
        self._check_init()
        return self._quality

    @quality.setter
    def quality(self, value):
        self._check_init()
        if not 0 <= value <= 100:
            raise ValueError("Invalid setting for quality")
        self._quality = value

    def _get(self, name):
        self._check_init()
        value = self._sensor[name]
        return bool(value) if name in _BOOL else value

    def _set(self, name, value):
        self._check_init()
        lo, hi = _SENSOR[name]
        value = int(value)
        if not lo <= value <= hi:
            raise ValueError("Invalid setting for " + name)
        self._sensor[name] = value

    def __getattr__(self, attr):
        # deprecated get_x()/set_x(v) methods
        # (defs, not lambdas: vb_boot compiles defs to native code, see _native_source)
        name = attr[4:]
        if attr.startswith("get_"):
            def get():
                return getattr(self, name)
            return get
        if attr.startswith("set_"):
            def set_(value):
                setattr(self, name, value)
            return set_
        raise AttributeError(attr)


def _make_property(name):
    def get(self):
        return self._get(name)

    def set_(self, value):
        self._set(name, value)

    return property(get, set_)


for _name in _SENSOR:
    setattr(Camera, _name, _make_property(_name))
del _i, _n, _w, _h, _name
