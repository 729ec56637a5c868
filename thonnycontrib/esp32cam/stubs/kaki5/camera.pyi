"""KAKI5 / shariltumin esp32-cam-micropython camera module.

Configure with integer keys before init():
    camera.conf(17, 5)   # PIXFORMAT = JPEG
    camera.conf(18, 9)   # FRAMESIZE = VGA (1-based: 1=96x96, 2=QQVGA, 6=QVGA, 9=VGA, 10=SVGA, 14=UXGA)
    camera.conf(19, 12)  # JPEG_QUALITY: 10 (best) .. 63
Pin keys 0..15: PWDN, RESET, XCLK, SIOD, SIOC, D7..D0, VSYNC, HREF, PCLK;
16 = XCLK_MHZ, 20 = FB_COUNT. The camera stays initialised across a soft
reboot: call deinit() before init() again.
"""
from typing import Literal, Union

def conf(key: int, value: int) -> None:
    """Set configuration key (0..20) before init()."""

def init() -> bool:
    """Start the camera; False when the sensor did not answer."""

def deinit() -> bool:
    """Stop the camera."""

def capture() -> Union[bytes, Literal[False]]:
    """Take a picture in the configured pixel format (JPEG: bytes)."""

def capture_jpg() -> bytes:
    """Convert the sensor buffer to JPEG (when the pixel format is not JPEG)."""

def capture_bmp() -> bytes:
    """Convert the sensor buffer to BMP."""

def framesize(size: int) -> None:
    """1..18 (1-based numbering, see conf)."""

def pixformat(fmt: int) -> None:
    """1 RGB565, 2 YUV422, 3 YUV420, 4 GRAYSCALE, 5 JPEG, 6 RGB888, 7 RAW."""

def quality(value: int) -> None:
    """JPEG quality 10 (best) .. 63 (smallest file)."""

def flip(value: int) -> None:
    """Flip vertically."""

def mirror(value: int) -> None:
    """Mirror horizontally."""

def contrast(value: int) -> None:
    """-2 .. 2"""

def saturation(value: int) -> None:
    """-2 (grayscale) .. 2"""

def brightness(value: int) -> None:
    """-2 .. 2"""

def speffect(effect: int) -> None:
    """0 none, 1 negative, 2 black and white, 3 reddish, 4 greenish, 5 blueish, 6 retro."""

def whitebalance(mode: int) -> None:
    """0 none, 1 sunny, 2 cloudy, 3 office, 4 home."""

def aecvalue(value: int) -> None:
    """Automatic exposure control 0 .. 1200."""

def aelevels(value: int) -> None:
    """-2 .. 2"""

def agcgain(value: int) -> None:
    """0 .. 30"""
