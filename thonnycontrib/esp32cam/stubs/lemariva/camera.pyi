"""lemariva micropython-camera-driver: module functions (OV2640 and friends).

JPEG quality: 10 (best) .. 63 (smallest). Call deinit() before init() again:
a second init() without deinit() can reboot the board.
"""
from typing import Literal, Union

JPEG: int
YUV422: int
GRAYSCALE: int
RGB565: int
PSRAM: int
DRAM: int
XCLK_10MHz: int
XCLK_20MHz: int
FRAME_96X96: int
FRAME_QQVGA: int
FRAME_QCIF: int
FRAME_HQVGA: int
FRAME_240X240: int
FRAME_QVGA: int
FRAME_CIF: int
FRAME_HVGA: int
FRAME_VGA: int
FRAME_SVGA: int
FRAME_XGA: int
FRAME_HD: int
FRAME_SXGA: int
FRAME_UXGA: int
EFFECT_NONE: int
EFFECT_NEG: int
EFFECT_BW: int
EFFECT_RED: int
EFFECT_GREEN: int
EFFECT_BLUE: int
EFFECT_RETRO: int
WB_NONE: int
WB_SUNNY: int
WB_CLOUDY: int
WB_OFFICE: int
WB_HOME: int

def init(id: int = 0, *, format: int = ..., framesize: int = ..., quality: int = 12,
         fb_location: int = ..., xclk_freq: int = ..., d0: int = ..., d1: int = ..., d2: int = ...,
         d3: int = ..., d4: int = ..., d5: int = ..., d6: int = ..., d7: int = ..., vsync: int = ...,
         href: int = ..., pclk: int = ..., pwdn: int = ..., reset: int = ..., xclk: int = ...,
         siod: int = ..., sioc: int = ...) -> bool:
    """Start the camera (AI-Thinker pins by default). Raises OSError('Camera Init Failed')."""

def deinit() -> bool:
    """Stop the camera and free its frame buffers."""

def capture() -> Union[bytes, Literal[False]]:
    """Take a picture: JPEG bytes, or False when the camera delivered nothing."""

def framesize(size: int) -> None:
    """Change the frame size, e.g. camera.framesize(camera.FRAME_VGA)."""

def quality(value: int) -> None:
    """JPEG quality 10 (best) .. 63 (smallest file)."""

def flip(value: int) -> None:
    """1 = upside down."""

def mirror(value: int) -> None:
    """1 = mirrored left/right."""

def contrast(value: int) -> None:
    """-2 .. 2"""

def saturation(value: int) -> None:
    """-2 .. 2"""

def brightness(value: int) -> None:
    """-2 .. 2"""

def speffect(effect: int) -> None:
    """camera.EFFECT_NONE, EFFECT_NEG, EFFECT_BW, ..."""

def whitebalance(mode: int) -> None:
    """camera.WB_NONE, WB_SUNNY, ..."""
