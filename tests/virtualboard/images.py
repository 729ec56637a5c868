"""Small synthetic firmware images that look like real ESP32-CAM MicroPython builds.

`synthetic_firmware(family)` returns a combined image (bootloader, partition
table, app) like the real downloads, only tens of KiB: the app carries the
MicroPython banner and the marker strings by which builds are told apart.
"""
from __future__ import annotations

import struct
from typing import Optional

from .esp_image import MICROPYTHON_4MB_TABLE, build_image, build_partition_table

FAMILIES = ("lemariva", "kaki5", "cnadler86", None)

# flash offset of the combined image, and where its parts sit inside it
LAYOUT = {
    "esp32": {"offset": 0x1000, "table": 0x7000, "app": 0xF000},
    "esp32s3": {"offset": 0x0, "table": 0x8000, "app": 0x10000},
}

DEFAULT_BANNERS = {
    "lemariva": "MicroPython v1.21.0 on 2023-10-13; ESP32-cam module (i2s) with ESP32",
    "kaki5": "MicroPython v1.20.0-206-g33b403dfb-kaki5 on 2023-12-25; ESP32 CAMERA module (KAKI5) with ESP32",
    "cnadler86": "MicroPython v1.27.0-dirty on 2026-01-12; AI-THINKER ESP32-CAM with ESP32",
    None: "MicroPython v1.26.0 on 2025-08-09; Generic ESP32 module with ESP32",
}

# The names each family's `camera` module registers, as the real images carry them
# (qstrs; see firmware_info.FAMILY_SIGNATURES for where they were read).
FAMILY_MARKERS = {
    "lemariva": [b"camera", b"Camera Init Failed", b"speffect", b"whitebalance", b"fb_location",
                 b"FRAME_VGA", b"XCLK_20MHz", b"EFFECT_NONE", b"WB_SUNNY"],
    "kaki5": [b"camera", b"conf", b"aelevels", b"aecvalue", b"agcgain", b"speffect", b"whitebalance"],
    "cnadler86": [b"camera", b"PixelFormat", b"FrameSize", b"GrabMode", b"GainCeiling",
                  b"reconfigure"],
    None: [],
}
# The filesystems MicroPython's `vfs` module can mount (extmod/vfs_lfs.c VfsLfs2, extmod/vfs_fat.c
# VfsFat): both qstrs are in every real ESP32/ESP32-S3 image the catalog pins
VFS_MARKERS = [b"VfsLfs2", b"VfsFat"]
PSRAM_MARKERS = [b"esp_spiram", b"SPIRAM", b"spiram: Found 64MBit SPI RAM device"]
# An S3 PSRAM build carries one PSRAM driver, named by its log tag (IDF v4.4: "opi psram"
# for octal, as in the real KAKI5 S3 images; IDF v5: "octal_psram" / "quad_psram")
S3_PSRAM_MARKERS = {"octal": [b"opi psram"], "quad": [b"quad_psram"]}


def default_banner(family: Optional[str], chip: str = "esp32", psram: bool = True) -> str:
    banner = DEFAULT_BANNERS[family]
    if family is None and psram:
        banner = banner.replace("Generic ESP32 module", "Generic ESP32 module with SPIRAM")
    if chip == "esp32s3":
        banner = banner.replace("with ESP32", "with ESP32S3")
    return banner


def _app_description(banner: str) -> bytes:
    """esp_app_desc_t: what `esptool image-info` and the IDF read from an app."""
    version = banner.split()[1] if banner.startswith("MicroPython v") else "v0.0"
    return struct.pack("<IIII32s32s16s16s32s32s20s", 0xABCD5432, 0, 0, 0, version.encode()[:31],
                       b"micropython", b"12:00:00", b"Jan  1 2024", b"v4.4.6", b"\0" * 32, b"\0" * 20)


def _bootloader(chip: str) -> bytes:
    filler = bytes(range(256)) * 2
    return build_image([(0x3FFF0030, filler), (0x40078000, filler), (0x40080400, filler)],
                       entry=0x400805CC, chip=chip)


def _app(family: Optional[str], banner: str, chip: str, psram: bool, psram_mode: str = "octal") -> bytes:
    strings = [banner.encode(), b'Type "help()" for more information.']
    strings += FAMILY_MARKERS[family] + VFS_MARKERS + (PSRAM_MARKERS if psram else [])
    if psram and chip == "esp32s3":
        strings += S3_PSRAM_MARKERS[psram_mode]
    rodata = _app_description(banner) + b"\0".join(strings) + b"\0"
    code = bytes((i * 37) & 0xFF for i in range(2048))
    return build_image([(0x3F400020, rodata), (0x400D0020, code), (0x3FFB0000, b"\0" * 256)],
                       entry=0x40081000, chip=chip)


def synthetic_firmware(family: Optional[str] = "lemariva", banner: Optional[str] = None,
                       chip: str = "esp32", psram: bool = True, psram_mode: str = "octal") -> bytes:
    """Combined image to write at `LAYOUT[chip]["offset"]` (0x1000 for an ESP32);
    `psram_mode` ("octal" | "quad") is the PSRAM driver of an ESP32-S3 build."""
    if family not in FAMILIES:
        raise ValueError(f"unknown camera family {family!r}; choose one of {FAMILIES}")
    if chip not in LAYOUT:
        raise ValueError(f"unknown chip {chip!r}; choose esp32 or esp32s3")
    layout = LAYOUT[chip]
    image = bytearray(_bootloader(chip))
    image = image.ljust(layout["table"], b"\xff") + build_partition_table(MICROPYTHON_4MB_TABLE)
    image = image.ljust(layout["app"], b"\xff")
    image += _app(family, banner or default_banner(family, chip, psram), chip, psram, psram_mode)
    return bytes(image)


def firmware_offset(chip: str = "esp32") -> int:
    return LAYOUT[chip]["offset"]
