"""Firmware image inspection: chip, kind, truncation, banner, camera family."""
from __future__ import annotations

import hashlib
import struct

import pytest

from thonnycontrib.esp32cam.core.image import ImageError, inspect_image, read_banner

CHIP_ID = {"esp32": 0, "esp32s3": 9}


def esp_image(chip: str, payload: bytes, app_desc: bool = False) -> bytes:
    """A real-format ESP image: header, extended header, 2 segments, checksum, SHA-256."""
    seg1 = (struct.pack("<I", 0xABCD5432) + bytes(252)) if app_desc else bytes(64)
    seg2 = payload + bytes(-len(payload) % 4)
    header = bytes([0xE9, 2, 2, 0x20]) + struct.pack("<I", 0x40080000)
    ext = bytes([0xEE, 0, 0, 0]) + struct.pack("<H", CHIP_ID[chip]) + bytes(9) + b"\x01"
    body = header + ext
    checksum = 0xEF
    for addr, seg in ((0x3FFB0000, seg1), (0x400D0000, seg2)):
        body += struct.pack("<II", addr, len(seg)) + seg
        for b in seg:
            checksum ^= b
    body += bytes(15 - len(body) % 16) + bytes([checksum])
    return body + hashlib.sha256(body).digest()


def combined(chip: str = "esp32", strings: bytes = b"", truncate: int = 0) -> bytes:
    base = 0x1000 if chip == "esp32" else 0
    image = bytearray(b"\xff" * (0x10000 - base))
    boot = esp_image(chip, b"bootloader")
    image[: len(boot)] = boot
    entry = b"\xaa\x50\x00\x00" + struct.pack("<II", 0x10000, 0x1F0000) + b"factory".ljust(16, b"\0") + bytes(4)
    image[0x8000 - base: 0x8000 - base + 32] = entry
    image += esp_image(chip, strings + bytes(3000), app_desc=True)
    return bytes(image[: len(image) - truncate])


# the names each family's camera module registers, as real images carry them (qstrs)
LEMARIVA = b"MicroPython v1.21.0 on 2023-10-13\0ESP32-cam module (i2s) with ESP32\0fb_location\0speffect\0whitebalance\0"
KAKI5 = b"MicroPython v1.20.0-206-g33b403dfb-kaki5 on 2023-12-25\0ESP32 AIT OV2640 (KAKI5) with ESP32\0speffect\0whitebalance\0aelevels\0agcgain\0"
CNADLER = b"MicroPython v1.27.0-dirty on 2026-01-12\0Generic ESP32 module with SPIRAM with ESP32\0PixelFormat\0FrameSize\0"
OFFICIAL = b"MicroPython v1.26.0 on 2025-08-09\0Generic ESP32 module with SPIRAM with ESP32\0"


@pytest.mark.parametrize("strings, family, banner", [
    (LEMARIVA, "lemariva", "MicroPython v1.21.0 on 2023-10-13; ESP32-cam module (i2s) with ESP32"),
    (KAKI5, "kaki5", "MicroPython v1.20.0-206-g33b403dfb-kaki5 on 2023-12-25; ESP32 AIT OV2640 (KAKI5) with ESP32"),
    (CNADLER, "cnadler86", "MicroPython v1.27.0-dirty on 2026-01-12; Generic ESP32 module with SPIRAM with ESP32"),
    (OFFICIAL, "none", "MicroPython v1.26.0 on 2025-08-09; Generic ESP32 module with SPIRAM with ESP32"),
])
def test_combined_image_banner_and_family(strings, family, banner):
    data = combined("esp32", strings)
    info = inspect_image(data, "esp32")
    assert (info.chip, info.kind, info.flash_mode, info.flash_size) == ("esp32", "combined", "dio", "4MB")
    assert info.banner == banner and info.family == family
    assert info.sha256 == hashlib.sha256(data).hexdigest() and info.sha256 in info.describe()


def test_s3_image_and_wrong_chip():
    s3 = combined("esp32s3", KAKI5.replace(b"with ESP32", b"with ESP32-S3"))
    assert inspect_image(s3, "esp32s3").chip == "esp32s3"
    with pytest.raises(ImageError, match=r"for ESP32-S3, but the board is ESP32\. Choose a build for ESP32"):
        inspect_image(s3, "esp32")
    with pytest.raises(ImageError, match="for ESP32, but the board is ESP32-S3"):
        inspect_image(combined("esp32", LEMARIVA), "esp32s3")


@pytest.mark.parametrize("data, message", [
    (b"<!DOCTYPE html>\n<html><head><title>404</title></head></html>" * 20, "HTML page"),
    (b"   <html><body>rate limited</body></html>", "HTML page"),
    (b"PK\x03\x04" + bytes(100), "ZIP archive"),
    (b"", "empty"),
    (bytes(5000), "not an ESP firmware image"),
])
def test_not_an_image(data, message):
    with pytest.raises(ImageError, match=message):
        inspect_image(data, "esp32")


@pytest.mark.parametrize("cut", [1, 100, 2000, 0x10000])
def test_truncated_image_is_refused(cut):
    data = combined("esp32", LEMARIVA)
    with pytest.raises(ImageError, match="truncated"):
        inspect_image(data[: len(data) - cut], "esp32")


def test_app_only_and_oversized_images():
    app = esp_image("esp32", LEMARIVA, app_desc=True)
    with pytest.raises(ImageError, match="application-only image"):
        inspect_image(app, "esp32")
    big = combined("esp32", LEMARIVA)
    with pytest.raises(ImageError, match="does not fit in 1 MB"):
        inspect_image(big + b"\xff" * (1024 * 1024), "esp32", flash_size=1024 * 1024)


def test_banner_reader_on_plain_strings():
    assert read_banner(b"junk\0" + OFFICIAL) == (
        "MicroPython v1.26.0 on 2025-08-09; Generic ESP32 module with SPIRAM with ESP32", "none")
    assert read_banner(b"\0" * 100) == (None, None)
