"""Test-pattern frames for the virtual OV2640, made on the host with Pillow.

The pattern is deterministic so tests can check decoded pixels:

- top three quarters: eight vertical colour bars of equal width, left to right
  white, yellow, cyan, green, magenta, red, blue, black (`BAR_COLOURS`);
- bottom quarter, upper half: the frame number as 16 bits, most significant
  bit first, in 16 equal cells across the width: white = 1, black = 0
  (`decode_frame_number` reads it back);
- bottom quarter, lower half: the frame number in decimal, seven-segment
  digits drawn in white (for people looking at the preview).

`vflip`/`hmirror` flip the whole frame like the sensor does. JPEG quality
follows esp32-camera's scale (0..63, lower = better) and is mapped onto
Pillow's. Other pixel formats are raw bytes: GRAYSCALE (1 byte per pixel),
RGB565 (big-endian, as esp32-camera delivers it) and RGB888.
"""
from __future__ import annotations

import io
from typing import Dict, Tuple

from PIL import Image, ImageDraw, ImageOps

BAR_COLOURS = (
    (255, 255, 255),
    (255, 255, 0),
    (0, 255, 255),
    (0, 255, 0),
    (255, 0, 255),
    (255, 0, 0),
    (0, 0, 255),
    (0, 0, 0),
)
COUNTER_BITS = 16

# segments a..g of a seven-segment digit
_SEGMENTS = {
    "0": "abcdef", "1": "bc", "2": "abdeg", "3": "abcdg", "4": "bcfg",
    "5": "acdfg", "6": "acdefg", "7": "abc", "8": "abcdefg", "9": "abcdfg",
}


def bars_height(height: int) -> int:
    return height * 3 // 4


def counter_row(height: int) -> Tuple[int, int]:
    """Top and bottom (exclusive) pixel rows of the binary frame-number cells."""
    top = bars_height(height)
    return top, top + (height - top) // 2


def esp_to_pillow_quality(esp_quality: int) -> int:
    """esp32-camera jpeg_quality (0..63, lower = better) -> Pillow quality (5..95)."""
    q = max(0, min(63, int(esp_quality)))
    return max(5, min(95, round(100 - q * 95 / 63)))


class FrameRenderer:
    """Renders frames; the static part of each frame size is cached."""

    def __init__(self) -> None:
        self._base: Dict[Tuple[int, int], Image.Image] = {}

    def base(self, width: int, height: int) -> Image.Image:
        key = (width, height)
        if key not in self._base:
            img = Image.new("RGB", key, (0, 0, 0))
            draw = ImageDraw.Draw(img)
            bottom = bars_height(height)
            for i, colour in enumerate(BAR_COLOURS):
                x0 = i * width // len(BAR_COLOURS)
                x1 = (i + 1) * width // len(BAR_COLOURS)
                draw.rectangle((x0, 0, x1 - 1, bottom - 1), fill=colour)
            self._base[key] = img
        return self._base[key]

    def image(self, width: int, height: int, number: int, *, vflip: bool = False, hmirror: bool = False) -> Image.Image:
        img = self.base(width, height).copy()
        draw = ImageDraw.Draw(img)
        top, bottom = counter_row(height)
        value = number & ((1 << COUNTER_BITS) - 1)
        for bit in range(COUNTER_BITS):
            if value & (1 << (COUNTER_BITS - 1 - bit)):
                x0 = bit * width // COUNTER_BITS
                x1 = (bit + 1) * width // COUNTER_BITS
                draw.rectangle((x0, top, x1 - 1, bottom - 1), fill=(255, 255, 255))
        _draw_number(draw, str(number), 2, bottom + 1, height - bottom - 2)
        if vflip:
            img = ImageOps.flip(img)
        if hmirror:
            img = ImageOps.mirror(img)
        return img

    def render(
        self,
        width: int,
        height: int,
        number: int,
        *,
        fmt: str = "jpeg",
        esp_quality: int = 12,
        vflip: bool = False,
        hmirror: bool = False,
    ) -> bytes:
        img = self.image(width, height, number, vflip=vflip, hmirror=hmirror)
        fmt = fmt.lower()
        if fmt == "jpeg":
            out = io.BytesIO()
            img.save(out, "JPEG", quality=esp_to_pillow_quality(esp_quality))
            return out.getvalue()
        if fmt == "bmp":
            out = io.BytesIO()
            img.save(out, "BMP")
            return out.getvalue()
        if fmt == "grayscale":
            return img.convert("L").tobytes()
        if fmt == "rgb888":
            return img.tobytes()
        if fmt == "rgb565":
            rgb = img.tobytes()
            r, g, b = rgb[0::3], rgb[1::3], rgb[2::3]
            out = bytearray(len(r) * 2)
            out[0::2] = bytes((x & 0xF8) | (y >> 5) for x, y in zip(r, g))
            out[1::2] = bytes(((y << 3) & 0xE0) | (z >> 3) for y, z in zip(g, b))
            return bytes(out)
        raise ValueError(f"pixel format {fmt!r} is not simulated")


def _draw_number(draw: ImageDraw.ImageDraw, text: str, x: int, y: int, height: int) -> None:
    if height < 5:
        return
    w = max(3, height // 2)
    t = max(1, height // 8)
    half = height // 2
    for ch in text:
        segs = _SEGMENTS.get(ch, "")
        boxes = {
            "a": (x, y, x + w, y + t),
            "b": (x + w - t, y, x + w, y + half),
            "c": (x + w - t, y + half, x + w, y + height),
            "d": (x, y + height - t, x + w, y + height),
            "e": (x, y + half, x + t, y + height),
            "f": (x, y, x + t, y + half),
            "g": (x, y + half - t // 2, x + w, y + half + (t + 1) // 2),
        }
        for s in segs:
            draw.rectangle(boxes[s], fill=(255, 255, 255))
        x += w + t * 2 + 1


def decode_frame_number(img: Image.Image) -> int:
    """Read the binary frame number back from a decoded (upright) frame."""
    rgb = img.convert("L")
    width, height = rgb.size
    top, bottom = counter_row(height)
    y = (top + bottom) // 2
    value = 0
    for bit in range(COUNTER_BITS):
        x = (2 * bit + 1) * width // (2 * COUNTER_BITS)
        value = (value << 1) | (1 if rgb.getpixel((x, y)) > 127 else 0)
    return value


def bar_colour_at(img: Image.Image, index: int) -> Tuple[int, int, int]:
    """Decoded colour at the centre of bar `index` (0..7)."""
    width, height = img.size
    x = (2 * index + 1) * width // (2 * len(BAR_COLOURS))
    return img.convert("RGB").getpixel((x, bars_height(height) // 2))
