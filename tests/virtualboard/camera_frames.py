"""Test-pattern frames for the virtual OV2640, made on the host with Pillow.

The pattern is deterministic so tests can check decoded pixels:

- top three quarters: eight vertical colour bars of equal width, left to right
  white, yellow, cyan, green, magenta, red, blue, black (`BAR_COLOURS`);
- bottom quarter, upper half: the frame number as 16 bits, most significant
  bit first, in 16 equal cells across the width: white = 1, black = 0
  (`decode_frame_number` reads it back);
- bottom quarter, lower half: the frame number in decimal, seven-segment
  digits drawn in white (for people looking at the preview).

Sensor noise: a fixed pseudo-random texture of ±12 levels (two per frame size,
alternating with the frame number) lies over the picture, as a real sensor's
noise does. It is what makes JPEG sizes realistic: flat bars compress to a few
KB whatever the size or quality, real OV2640 frames do not. Measured on real
boards: SVGA at esp32-camera quality 20 gave 15 to 49 KB per frame depending on
the scene, quality 30 39 KB where 20 gave 49 (espressif/esp32-camera issue
#179); an empirical fit over real photos is ``w*h / (2 * q**0.75)`` bytes
(adafruit/Adafruit_CircuitPython_OV5640 issue #2); QQVGA at quality 16 often
exceeds 3840 bytes (espressif/esp32-camera issue #663). With this texture: QQVGA
q16 ≈ 3.2 KB, QVGA q12 ≈ 8.6 KB, VGA q12 ≈ 25 KB, SVGA q20 ≈ 27 KB, and the size
falls with quality as on the sensor (tests/test_virtualboard_camera.py keeps it so).

`vflip`/`hmirror` flip the whole frame like the sensor does. JPEG quality
follows esp32-camera's scale (0..63, lower = better) and is mapped onto
Pillow's. Other pixel formats are raw bytes: GRAYSCALE (1 byte per pixel),
RGB565 (big-endian, as esp32-camera delivers it) and RGB888.
"""
from __future__ import annotations

import io
import random
from typing import Dict, Tuple

from PIL import Image, ImageChops, ImageDraw, ImageOps

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
NOISE_LEVELS = 12  # the texture's amplitude, ± grey levels on each channel

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

    def __init__(self, noise: int = NOISE_LEVELS) -> None:
        self._base: Dict[Tuple[int, int], Image.Image] = {}
        self._noise: Dict[Tuple[int, int, int], Tuple[Image.Image, Image.Image]] = {}
        self.noise = noise

    def _texture(self, width: int, height: int, phase: int) -> Tuple[Image.Image, Image.Image]:
        """(add, subtract) images: noise above and below mid-grey, so ImageChops needs no offset."""
        key = (width, height, phase)
        if key not in self._noise:
            rnd = random.Random(width * 7919 + height * 31 + phase)
            levels = 2 * self.noise + 1
            table = bytes(rnd.randrange(levels) for _ in range(4096))
            raw = (table * (width * height * 3 // len(table) + 1))[phase * 97:][: width * height * 3]
            grain = Image.frombytes("RGB", (width, height), raw)
            up = grain.point(lambda v: max(0, v - self.noise))
            down = grain.point(lambda v: max(0, self.noise - v))
            self._noise[key] = (up, down)
        return self._noise[key]

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
        if self.noise:
            up, down = self._texture(width, height, number & 1)
            img = ImageChops.subtract(ImageChops.add(img, up), down)
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
