"""cnadler86 micropython-camera-API: the Camera class (MicroPython >= 1.24).

JPEG quality: 0 .. 100, HIGHER is better. Frame buffers live in PSRAM; one
Camera object at a time; use it as a context manager or call deinit().
"""
from typing import Any, List, Optional

class PixelFormat:
    JPEG: int
    RGB565: int
    YUV422: int
    GRAYSCALE: int
    RGB888: int

class FrameSize:
    R96X96: int
    QQVGA: int
    QCIF: int
    HQVGA: int
    R240X240: int
    QVGA: int
    CIF: int
    HVGA: int
    VGA: int
    SVGA: int
    XGA: int
    HD: int
    SXGA: int
    UXGA: int

class GrabMode:
    WHEN_EMPTY: int
    LATEST: int

class GainCeiling:
    X2: int
    X4: int
    X8: int
    X16: int
    X32: int
    X64: int
    X128: int

class Camera:
    def __init__(self, *, data_pins: Optional[List[int]] = None, pclk_pin: int = ..., vsync_pin: int = ...,
                 href_pin: int = ..., sda_pin: int = ..., scl_pin: int = ..., xclk_pin: int = ...,
                 xclk_freq: int = ..., powerdown_pin: int = ..., reset_pin: int = ...,
                 pixel_format: int = PixelFormat.RGB565, frame_size: int = FrameSize.QQVGA,
                 jpeg_quality: int = 85, fb_count: int = 1, grab_mode: int = ...,
                 init: bool = True) -> None:
        """Board builds have the pins built in; generic builds need them."""
    def init(self) -> None: ...
    def deinit(self) -> None:
        """Stop the camera and free its frame buffers."""
    def capture(self) -> Optional[memoryview]:
        """A frame (memoryview into the frame buffer), None on failure; call free_buffer() after use."""
    def free_buffer(self) -> None: ...
    def frame_available(self) -> bool: ...
    def reconfigure(self, *, frame_size: int = ..., pixel_format: int = ..., grab_mode: int = ...,
                    fb_count: int = ...) -> None: ...
    def get_sensor_name(self) -> str: ...
    def __enter__(self) -> "Camera": ...
    def __exit__(self, *args: Any) -> None: ...
    frame_size: int
    pixel_format: int
    quality: int
    brightness: int
    contrast: int
    saturation: int
    sharpness: int
    vflip: bool
    hmirror: bool
    sensor_name: str
    pixel_width: int
    pixel_height: int
    max_frame_size: int
