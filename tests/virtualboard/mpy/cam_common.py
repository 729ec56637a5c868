# Shared part of the simulated camera drivers: the OV2640 sensor lives on the host
# (its state survives soft reboots like the real driver's); frames come over the channel.
import time as _time

# esp32-camera framesize_t, newest numbering (cnadler86); older drivers lack 128X128/320X320
SIZES = (
    ("96X96", 96, 96), ("QQVGA", 160, 120), ("128X128", 128, 128), ("QCIF", 176, 144),
    ("HQVGA", 240, 176), ("240X240", 240, 240), ("QVGA", 320, 240), ("320X320", 320, 320),
    ("CIF", 400, 296), ("HVGA", 480, 320), ("VGA", 640, 480), ("SVGA", 800, 600),
    ("XGA", 1024, 768), ("HD", 1280, 720), ("SXGA", 1280, 1024), ("UXGA", 1600, 1200),
    ("FHD", 1920, 1080), ("P_HD", 720, 1280), ("P_3MP", 864, 1536), ("QXGA", 2048, 1536),
    ("QHD", 2560, 1440), ("WQXGA", 2560, 1600), ("P_FHD", 1080, 1920), ("QSXGA", 2560, 1920),
)
OLD_SIZES = tuple(s for s in SIZES if s[0] not in ("128X128", "320X320"))
OV2640_MAX = (1600, 1200)
_ERR_NAMES = {0x101: "ESP_ERR_NO_MEM", 0x102: "ESP_ERR_INVALID_ARG", 0x103: "ESP_ERR_INVALID_STATE", 0x105: "ESP_ERR_NOT_FOUND",
              0x106: "ESP_ERR_NOT_SUPPORTED"}
_boot_ticks = _time.ticks_ms()
BOOT_LOG_MS = 480  # time the ROM, bootloader and IDF start-up take before MicroPython starts

host = None


def setup(h):
    global host
    host = h


def log_e(tag, msg):
    ms = BOOT_LOG_MS + _time.ticks_diff(_time.ticks_ms(), _boot_ticks)
    print("E (%d) %s: %s" % (ms, tag, msg))


sensor_name = None  # what the driver detected at the last successful init


def sensor_init(drives, **settings):
    """esp_camera_init(): on failure print esp32-camera's error lines and return the esp_err code.
    ``drives``: the sensors whose detect()/init() the build compiled in (CONFIG_*_SUPPORT)."""
    global sensor_name
    r = host.call("cam_init", drives=list(drives), **settings)
    if r.get("ok"):
        sensor_name = r.get("sensor")
        return 0
    code = r.get("code", 0x105)
    if code == 0x101:  # no PSRAM for the frame buffers
        log_e("cam_hal", "cam_dma_config(301): frame buffer malloc failed")
        log_e("cam_hal", "cam_config(385): cam_dma_config failed")
        log_e("camera", "Camera config failed with error 0x%x" % code)
        return code
    if code == 0x106:  # esp_camera.c camera_probe: an SCCB device answered, no compiled-in driver claims it
        log_e("camera", "Detected camera not supported.")
    log_e("camera", "Camera probe failed with error 0x%x(%s)" % (code, _ERR_NAMES.get(code, "ESP_FAIL")))
    return code


def err_name(code):
    return _ERR_NAMES.get(code, "ESP_FAIL")


def sensor_deinit():
    return host.call("cam_deinit").get("ok", False)


def sensor_set(**settings):
    """Change sensor settings; False when the driver is not initialised."""
    return host.call("cam_set", **settings).get("ok", False)


def clamp_size(w, h):
    if w * h > OV2640_MAX[0] * OV2640_MAX[1]:
        return OV2640_MAX
    return w, h


def size_settings(w, h):
    w, h = clamp_size(w, h)
    return {"width": w, "height": h}


def give():
    """esp_camera_fb_return() of the buffer a driver kept from its last capture."""
    host.call("cam_give")


def capture(**overrides):
    """Frame bytes (bytearray) with the sensor's settings, or None when the driver
    is not initialised (or cannot produce the pixel format)."""
    r, payload = host.call_with_payload("cam_capture", **overrides)
    return payload if r.get("ok") else None
