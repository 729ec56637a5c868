"""What the chip would find in its flash: is there a bootable MicroPython,
which banner, which camera driver family, is it a PSRAM build."""
from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Optional

from .esp_image import CHIP_IDS, parse_image, parse_partition_table, verify_image
from .flash import Flash

BOOTLOADER_OFFSET = 0x1000  # ESP32
BOOTLOADER_OFFSETS = {"esp32": 0x1000, "esp32s3": 0x0}  # where each chip's ROM loads the 2nd stage
PARTITION_TABLE_OFFSET = 0x8000
BANNER = re.compile(rb"MicroPython v[\x20-\x7e]{1,200}")
# MicroPython >= 1.20 (shared/runtime/pyexec.c, pyexec_friendly_repl) prints the banner in
# two writes, MICROPY_BANNER_NAME_AND_VERSION then "; " MICROPY_BANNER_MACHINE, so the
# image holds the machine part as its own string, separator included. 1.14-1.19
# (lib/utils/pyexec.c) print one literal: "MicroPython " tag " on " date "; " board " with " mcu.
BANNER_MACHINE = re.compile(rb"\0; ([\x20-\x7e]{1,120} with ESP32[\x20-\x7e]{0,8})\0")
PSRAM = re.compile(rb"spiram|psram", re.IGNORECASE)
# The S3 PSRAM driver an image carries, by its log tag (a NUL-terminated string in the
# image): IDF v4.4 opi_psram.c "opi psram" (octal), IDF v5 esp_psram_impl_octal.c
# "octal_psram" and esp_psram_impl_quad.c "quad_psram". The 12 real KAKI5 S3 images carry
# "opi psram" only (aligned in .rodata: what precedes it may be a pointer's bytes, so only
# the terminating NUL is matched).
S3_PSRAM_DRIVERS = {"octal": re.compile(rb"(?:opi psram|octal_psram)\0"), "quad": re.compile(rb"quad_psram\0")}
APP_DESC_IDF_VER = 24 + 8 + 48 + 64  # image header + 1st segment header, then esp_app_desc_t.idf_ver


@dataclass(frozen=True)
class FirmwareInfo:
    valid: bool
    banner: Optional[str] = None
    camera_family: Optional[str] = None  # "lemariva" | "kaki5" | "cnadler86" | None
    psram_build: bool = False
    has_bootloader: bool = False
    problem: str = ""
    app_error: Optional[str] = None  # the IDF bootloader's esp_image error for a damaged app
    chip: str = "esp32"
    psram_mode: Optional[str] = None  # S3 builds: "octal" | "quad", the PSRAM driver compiled in
    idf_major: int = 4


# Which `camera` module the flashed firmware has. On the chip this is decided by
# what was compiled in; in the image it shows as the names the module registers
# (MicroPython keeps identifiers as NUL-terminated qstrs in the image's string pool).
# Each family's signature below was read off the real published images (all 33
# pinned builds of ../shared/reference/firmware-builds.tsv: every name is in every
# image of its family and in none of the others) and matches the drivers' sources:
# cnadler86/micropython-camera-API src/modcamera_api.c (PixelFormat, FrameSize,
# GrabMode, GainCeiling classes, Camera.reconfigure); shariltumin's KAKI5 modcamera.c
# (aelevels/aecvalue/agcgain exposure functions); lemariva/micropython-camera-driver
# src/modcamera.c (module constants XCLK_20MHz, EFFECT_NONE, WB_SUNNY).
# The build's name is not used: KAKI5's Christmas-2023 edition never says "KAKI5".
FAMILY_SIGNATURES = {
    "cnadler86": (b"PixelFormat", b"FrameSize", b"GrabMode", b"GainCeiling", b"reconfigure"),
    "kaki5": (b"aelevels", b"aecvalue", b"agcgain", b"speffect", b"whitebalance"),
    "lemariva": (b"XCLK_20MHz", b"EFFECT_NONE", b"WB_SUNNY", b"speffect", b"whitebalance"),
}


def camera_family(app: bytes, banner: str = "") -> Optional[str]:
    for family, names in FAMILY_SIGNATURES.items():
        if all(name + b"\0" in app for name in names):
            return family
    return None


def s3_psram_mode(app: bytes) -> Optional[str]:
    for mode, tag in S3_PSRAM_DRIVERS.items():
        if tag.search(app):
            return mode
    return None


def idf_major(app: bytes) -> int:
    """ESP-IDF major version from the app's esp_app_desc_t (idf_ver, e.g. "v4.4.5")."""
    match = re.match(rb"v(\d+)\.", app[APP_DESC_IDF_VER:APP_DESC_IDF_VER + 32])
    return int(match.group(1)) if match else 4


def _app_partition_offset(flash: Flash) -> Optional[int]:
    table = parse_partition_table(flash.read(PARTITION_TABLE_OFFSET, 0xC00))
    apps = [p for p in table if p.type == 0]
    factory = [p for p in apps if p.subtype == 0x00] or [p for p in apps if p.subtype == 0x10]
    return factory[0].offset if factory else None


def inspect_flash(flash: Flash, chip: str = "esp32") -> FirmwareInfo:
    offset = BOOTLOADER_OFFSETS[chip]
    bootloader = parse_image(flash.read, offset, PARTITION_TABLE_OFFSET)
    if bootloader is None or bootloader.chip_id != CHIP_IDS[chip]:
        # the ROM checks the chip id of the 2nd stage (esp-idf bootloader_support: "Mismatch chip id")
        label = "ESP32-S3" if chip == "esp32s3" else "ESP32"
        return FirmwareInfo(False, problem=f"no {label} bootloader at 0x{offset:x}", chip=chip)
    app_offset = _app_partition_offset(flash)
    if app_offset is None:
        return FirmwareInfo(False, has_bootloader=True, problem="no app partition in the partition table at 0x8000")
    app_image = parse_image(flash.read, app_offset, flash.size)
    if app_image is None:
        return FirmwareInfo(False, has_bootloader=True, problem=f"no app image at 0x{app_offset:x}")
    app_error = verify_image(flash.read, app_offset, app_image.length)
    if app_error is not None:
        return FirmwareInfo(False, has_bootloader=True, problem=f"the app at 0x{app_offset:x} is corrupt",
                            app_error=app_error)
    app = flash.read(app_offset, app_image.length)
    match = BANNER.search(app)
    if match is None:
        return FirmwareInfo(False, has_bootloader=True, problem="the app is not MicroPython")
    banner = match.group().decode("ascii")
    machine = BANNER_MACHINE.search(app)
    if "; " not in banner and machine is not None:
        banner += "; " + machine.group(1).decode("ascii")
    mode = s3_psram_mode(app) if chip == "esp32s3" else None
    return FirmwareInfo(True, banner, camera_family(app, banner), bool(PSRAM.search(app)), True,
                        chip=chip, psram_mode=mode, idf_major=idf_major(app))
