"""What the chip would find in its flash: is there a bootable MicroPython,
which banner, which camera driver family, is it a PSRAM build."""
from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Optional

from .esp_image import CHIP_IDS, parse_image, parse_partition_table
from .flash import Flash

BOOTLOADER_OFFSET = 0x1000  # ESP32
PARTITION_TABLE_OFFSET = 0x8000
BANNER = re.compile(rb"MicroPython v[\x20-\x7e]{1,200}")
PSRAM = re.compile(rb"spiram|psram", re.IGNORECASE)
LEMARIVA = re.compile(rb"speffect|whitebalance|fb_location|Camera Module \(i2s\)|ESP32-cam module", re.IGNORECASE)


@dataclass(frozen=True)
class FirmwareInfo:
    valid: bool
    banner: Optional[str] = None
    camera_family: Optional[str] = None  # "lemariva" | "kaki5" | "cnadler86" | None
    psram_build: bool = False
    has_bootloader: bool = False
    problem: str = ""


def camera_family(app: bytes, banner: str = "") -> Optional[str]:
    if b"KAKI5" in app:
        return "kaki5"
    if b"modcamera_api" in app or (b"PixelFormat" in app and b"FrameSize" in app):
        return "cnadler86"
    if LEMARIVA.search(app) or LEMARIVA.search(banner.encode()):
        return "lemariva"
    return None


def _app_partition_offset(flash: Flash) -> Optional[int]:
    table = parse_partition_table(flash.read(PARTITION_TABLE_OFFSET, 0xC00))
    apps = [p for p in table if p.type == 0]
    factory = [p for p in apps if p.subtype == 0x00] or [p for p in apps if p.subtype == 0x10]
    return factory[0].offset if factory else None


def inspect_flash(flash: Flash) -> FirmwareInfo:
    bootloader = parse_image(flash.read, BOOTLOADER_OFFSET, PARTITION_TABLE_OFFSET)
    if bootloader is None or bootloader.chip_id != CHIP_IDS["esp32"]:
        return FirmwareInfo(False, problem="no ESP32 bootloader at 0x1000")
    app_offset = _app_partition_offset(flash)
    if app_offset is None:
        return FirmwareInfo(False, has_bootloader=True, problem="no app partition in the partition table at 0x8000")
    app_image = parse_image(flash.read, app_offset, flash.size)
    if app_image is None:
        return FirmwareInfo(False, has_bootloader=True, problem=f"no app image at 0x{app_offset:x}")
    app = flash.read(app_offset, app_image.length)
    match = BANNER.search(app)
    if match is None:
        return FirmwareInfo(False, has_bootloader=True, problem="the app is not MicroPython")
    banner = match.group().decode("ascii")
    return FirmwareInfo(True, banner, camera_family(app, banner), bool(PSRAM.search(app)), True)
