"""Inspection of ESP firmware images before they are flashed.

Reads the ESP image header (magic 0xE9, flash mode/size, chip id in the
extended header), tells a combined image (bootloader + partition table + app)
from an app-only image, checks that every declared segment is present
(truncation), and reads the MicroPython banner and camera driver family from
the image's strings.
"""
from __future__ import annotations

import hashlib
import re
import struct
from dataclasses import dataclass
from typing import List, Optional, Tuple

from thonnycontrib.esp32cam.core.integrity import check_parts, corruption_message
from thonnycontrib.esp32cam.core.i18n import N_, _

ESP_IMAGE_MAGIC = 0xE9
APP_DESC_MAGIC = 0xABCD5432
PARTITION_MAGIC = b"\xaa\x50"
CHIP_IDS = {0: "esp32", 2: "esp32s2", 5: "esp32c3", 9: "esp32s3", 12: "esp32c2",
            13: "esp32c6", 16: "esp32h2", 18: "esp32p4"}
CHIP_LABELS = {"esp32": "ESP32", "esp32s3": "ESP32-S3"}
# Where a combined image starts in flash, and where its partition table sits.
IMAGE_OFFSETS = {"esp32": 0x1000, "esp32s2": 0x1000}
PARTITION_TABLE_ADDR = 0x8000
FLASH_MODES = {0: "qio", 1: "qout", 2: "dio", 3: "dout"}
FLASH_SIZES = {0: "1MB", 1: "2MB", 2: "4MB", 3: "8MB", 4: "16MB", 5: "32MB", 6: "64MB", 7: "128MB"}
MB = 1024 * 1024

_VERSION_RE = re.compile(r"MicroPython v\d+\.\d+[\w.\-+]* on \d{4}-\d{2}-\d{2}")
_MACHINE_RE = re.compile(r"[\x20-\x7e]{2,80} with ESP32(?:-?S3|-?S2|-?C3)?$")
_STRING_RE = re.compile(rb"[\x20-\x7e]{8,300}")  # printable C strings in the image


class ImageError(ValueError):
    """The file is not a usable firmware image for this board; says why."""


class CorruptImageError(ImageError):
    """A checksum or SHA-256 inside the image is wrong; ``info`` has the rest of what was read."""

    def __init__(self, message: str, info: "ImageInfo") -> None:
        super().__init__(message)
        self.info = info


@dataclass
class ImageInfo:
    size: int
    sha256: str
    chip: str
    flash_mode: str
    flash_size: str
    kind: str  # "combined" or "app-only"
    banner: Optional[str]
    family: Optional[str]  # "lemariva" | "kaki5" | "cnadler86" | "none"
    offset: int = 0x1000   # where the image starts in flash
    integrity: str = "ok"  # "ok" or "corrupt" (see core/integrity.py)
    integrity_problem: Optional[str] = None
    psram_mode: Optional[str] = None  # ESP32-S3 builds: "octal" | "quad" PSRAM driver compiled in

    @property
    def version(self) -> Optional[str]:
        return micropython_version(self.banner)

    def describe(self) -> str:
        family = {"none": _("no camera module"), None: _("unknown camera support")}.get(
            self.family) or _("{family} camera driver").format(family=self.family)
        text = (_("{chip} {kind} image, {size} bytes, flash {mode} {flash_size}, {psram} PSRAM; "
                  "{banner}; {family}; SHA-256 {sha256}") if self.psram_mode else
                _("{chip} {kind} image, {size} bytes, flash {mode} {flash_size}; "
                  "{banner}; {family}; SHA-256 {sha256}"))
        return text.format(chip=CHIP_LABELS.get(self.chip, self.chip), kind=self.kind, size=self.size,
                           mode=self.flash_mode.upper(), flash_size=self.flash_size,
                           psram=self.psram_mode, banner=self.banner or _(
                                   "no MicroPython banner found"),
                           family=family, sha256=self.sha256)


# what ``_segments_end`` parses, in words
PART_NAMES = {"bootloader": N_("bootloader"), "image": N_(
        "image"), "application": N_(
        "application")}


def _segments_end(data: bytes, start: int, part: str) -> int:
    """Parse the ESP image at ``start``; return where it ends (incl. checksum, hash)."""
    what = _(PART_NAMES.get(part, part))
    if len(data) < start + 24:
        raise ImageError(_("The file is truncated: the {what} header is incomplete.").format(what=what))
    count = data[start + 1]
    hash_appended = data[start + 23] == 1
    pos = start + 24
    for index in range(count):
        if pos + 8 > len(data):
            raise ImageError(_("The file is truncated: {what} segment {index} of {count} is "
                               "missing. Download the firmware again.").format(what=what, index=index + 1,
                                                                      count=count))
        _addr, length = struct.unpack_from("<II", data, pos)
        pos += 8 + length
        if pos > len(data):
            raise ImageError(_("The file is truncated: {what} segment {index} of {count} needs "
                               "{missing} more bytes. Download the firmware again.").format(
                                   what=what, index=index + 1, count=count, missing=pos - len(data)))
    pos += 16 - (pos - start) % 16  # padding, last byte is the checksum
    if hash_appended:
        pos += 32
    if pos > len(data):
        raise ImageError(_("The file is truncated: the end of the {what} is missing. "
                           "Download the firmware again.").format(what=what))
    return pos


def _not_an_image_reason(data: bytes) -> str:
    head = data[:512].lstrip().lower()
    if head.startswith((b"<!doctype html", b"<html", b"<?xml", b"<head", b"<body")) or b"<html" in head:
        return _("The file is an HTML page, not a firmware image: the download returned a web "
                 "page (an error or a GitHub page) instead of the .bin. Use the raw download link.")
    if data[:2] == b"PK":
        return _("The file is a ZIP archive; extract the firmware .bin from it first.")
    if data[:1] in (b"{", b"["):
        return _("The file is a JSON/text file, not a firmware image.")
    if not data:
        return _("The file is empty.")
    return _("The file is not an ESP firmware image (first byte {byte}, expected 0xe9). "
             "It may be corrupt or not firmware at all.").format(byte=f"{data[0]:#04x}")


def _partition_app_offsets(data: bytes, table_pos: int) -> List[int]:
    offsets = []
    for pos in range(table_pos, min(len(data), table_pos + 0xC00), 32):
        entry = data[pos:pos + 32]
        if entry[:2] != PARTITION_MAGIC:
            break
        ptype = entry[2]
        offset = struct.unpack_from("<I", entry, 4)[0]
        if ptype == 0:  # app partition (factory / ota)
            offsets.append(offset)
    return offsets


def _qstr(name: bytes) -> bytes:
    """How a MicroPython identifier (qstr) sits in a firmware's string pool: whole, NUL-ended."""
    return name + b"\0"


def read_banner(data: bytes) -> Tuple[Optional[str], Optional[str]]:
    """(banner, camera family) read from the image's strings.

    The board prints ``MICROPY_BANNER_NAME_AND_VERSION "; " MICROPY_BANNER_MACHINE``
    (shared/runtime/pyexec.c, MicroPython 1.14-1.27). In real images the version
    sits in ``sys.version`` ("3.4.0; MicroPython v1.21.0 on 2023-10-13") and the
    machine in a string of its own that keeps the separator
    ("; ESP32 module with Camera with ESP32"); older builds store the machine
    without it. Newer ones also have ``"Machine     : ..."`` (help text): not the banner.
    """
    version = machine = None
    for m in _STRING_RE.finditer(data):
        text = m.group(0).decode("ascii").strip()
        found = _VERSION_RE.search(text)
        if found and version is None:
            version = text[found.start():]
        elif "MicroPython" not in text and ":" not in text:
            candidate = text[2:] if text.startswith("; ") else text
            if _MACHINE_RE.fullmatch(candidate) and (machine is None or text.startswith("; ")):
                machine = candidate
        if version and ("; " in version or (machine and text.startswith("; "))):
            break
    if version and machine and "; " not in version:
        banner: Optional[str] = f"{version}; {machine}"
    else:
        banner = version or machine
    return banner, detect_family(data, banner)


def micropython_version(banner: Optional[str]) -> Optional[str]:
    """"1.21.0" from "MicroPython v1.21.0 on ...", "1.20.0" from "v1.20.0-206-g33b403dfb-kaki5"."""
    found = re.search(r"MicroPython v(\d+\.\d+(?:\.\d+)?)", banner or "")
    return found.group(1) if found else None


# What tells the camera driver families apart in the real published images (all
# 33 the catalog pins were checked): each family's ``camera`` module registers
# its own functions, which stand in the firmware as qstrs.
# - cnadler86 (micropython-camera-API, src/modcamera_api.c): classes PixelFormat, FrameSize.
# - KAKI5 (shariltumin/esp32-cam-micropython-2022, modcamera.c): aelevels(), agcgain(),
#   in every KAKI5 image; the build name says "KAKI5" in most but not all of them
#   (Christmas-2023-Edition says "kaki5-esp32" and "... X23 with ESP32").
# - lemariva (micropython-camera-driver, modcamera.c): speffect(), whitebalance(), without
#   KAKI5's exposure functions; v1.14 builds lack fb_location.
def detect_family(data: bytes, banner: Optional[str]) -> Optional[str]:
    """Camera driver family from the ``camera`` module each family's build carries."""
    if _qstr(b"PixelFormat") in data and _qstr(b"FrameSize") in data:
        return "cnadler86"
    if _qstr(b"aelevels") in data and _qstr(b"agcgain") in data:
        return "kaki5"
    if _qstr(b"speffect") in data and _qstr(b"whitebalance") in data:
        return "lemariva"
    if banner and banner.startswith("MicroPython"):
        return "none"
    return None


# The PSRAM driver an ESP32-S3 build carries, by the log tag ESP-IDF gives it (a string
# ending in NUL in the image): IDF v4.4 components/esp_hw_support/port/esp32s3/opi_psram.c
# TAG "opi psram" (octal; all 12 real KAKI5 S3 images have it and no quad driver), IDF v5
# components/esp_psram/device/esp_psram_impl_octal.c "octal_psram" and
# esp_psram_impl_quad.c "quad_psram". An S3 build has exactly one: CONFIG_SPIRAM_MODE_OCT
# or CONFIG_SPIRAM_MODE_QUAD. (IDF v4.4's quad S3 driver uses the generic tag "psram",
# which cannot be told from other strings: such builds read as unknown.)
_S3_PSRAM_DRIVERS = (("octal", re.compile(rb"(?:opi psram|octal_psram)\0")),
                     ("quad", re.compile(rb"quad_psram\0")))


def detect_psram_mode(data: bytes, chip: str) -> Optional[str]:
    """"octal" | "quad" for an ESP32-S3 image with a PSRAM driver, else None."""
    if chip != "esp32s3":
        return None
    for mode, tag in _S3_PSRAM_DRIVERS:
        if tag.search(data):
            return mode
    return None


def inspect_image(data: bytes, target_chip: Optional[str] = None,
                  flash_size: int = 4 * MB, offset: Optional[int] = None,
                  require_intact: bool = True) -> ImageInfo:
    """Check ``data`` is a complete, intact image for ``target_chip``; raise ImageError if not.

    With ``require_intact=False`` a corrupt image (bad checksum or SHA-256) is
    returned with ``integrity == "corrupt"`` instead of raising CorruptImageError.
    """
    if len(data) < 24 or data[0] != ESP_IMAGE_MAGIC:
        raise ImageError(_not_an_image_reason(data))
    chip_id = struct.unpack_from("<H", data, 12)[0]
    chip = CHIP_IDS.get(chip_id) or _("unknown chip id {id}").format(id=chip_id)
    if target_chip and chip != target_chip:
        raise ImageError(_("This image is for {image_chip}, but the board is {board_chip}. "
                           "Choose a build for {board_chip}.").format(
                               image_chip=CHIP_LABELS.get(chip, chip),
                               board_chip=CHIP_LABELS.get(target_chip, target_chip)))
    flash_mode = FLASH_MODES.get(data[2], f"mode {data[2]}")
    size_name = FLASH_SIZES.get(data[3] >> 4, "unknown")
    base = IMAGE_OFFSETS.get(chip, 0)
    bootloader_end = _segments_end(data, 0, "bootloader" if len(data) > 0x8000 else "image")
    table_pos = PARTITION_TABLE_ADDR - base
    app_only = len(data) >= 0x24 and struct.unpack_from("<I", data, 0x20)[0] == APP_DESC_MAGIC
    if data[table_pos:table_pos + 2] == PARTITION_MAGIC:
        kind = "combined"
        apps = [a - base for a in _partition_app_offsets(data, table_pos)]
        present = [a for a in apps if 0 < a < len(data)]
        if not present:
            raise ImageError(_("The file is truncated: it has a bootloader and partition table "
                               "but no application. Download the firmware again."))
        if data[present[0]] != ESP_IMAGE_MAGIC:
            raise ImageError(_("The application part of the image is damaged (no image header "
                               "where the partition table says it starts)."))
        _segments_end(data, present[0], "application")
    elif app_only:
        raise ImageError(_("This is an application-only image (it belongs at 0x10000 and needs a "
                           "bootloader and partition table already on the board). Choose a "
                           "combined firmware image, like the ones MicroPython publishes."))
    else:
        if bootloader_end >= len(data) or len(data) < 0x8000:
            raise ImageError(_("The file is truncated or incomplete: it holds only a bootloader, "
                               "with no partition table or MicroPython application."))
        raise ImageError(_("The image has no partition table where a combined {chip} image has "
                           "one; it cannot be flashed as a whole firmware.").format(
                               chip=CHIP_LABELS.get(chip, chip)))
    start = IMAGE_OFFSETS.get(chip, 0) if offset is None else offset
    if start + len(data) > flash_size:
        raise ImageError(_("The image ({size} bytes at {offset}) does not fit in {flash} MB of "
                           "flash.").format(size=len(data), offset=f"{start:#x}", flash=flash_size // MB))
    banner, family = read_banner(data)
    info = ImageInfo(size=len(data), sha256=hashlib.sha256(data).hexdigest(), chip=chip,
                     flash_mode=flash_mode, flash_size=size_name, kind=kind,
                     banner=banner, family=family, offset=start,
                     psram_mode=detect_psram_mode(data, chip))
    failed = [p for p in check_parts(data, [("bootloader", 0)] + [("application", a) for a in present
                                                                if data[a] == ESP_IMAGE_MAGIC],
                                     chip) if p.problem]
    if failed:
        info.integrity, info.integrity_problem = "corrupt", corruption_message(failed[0])
        if require_intact:
            raise CorruptImageError(info.integrity_problem, info)
    return info
