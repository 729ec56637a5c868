"""Partition tables and the filesystem they give MicroPython, on the board and in an image.

Pure Python (no esptool): the board survey (``core/board_survey.py``, run in esptool's
Python) and the install plan (``core/reinstall.py``) both use it.

Where MicroPython keeps the user's files: ports/esp32/modules/flashbdev.py looks up the
data partition labelled "vfs", then "ffat". Builds from v1.26 on may carry no "vfs" entry:
ports/esp32/main.c (micropython PR #17337, "auto-detect the SPI flash size and
automatically size the filesystem") then adds one from the end of the "factory"
partition (or of "ota_1" when there is one) to the end of the flash.
"""
from __future__ import annotations

import struct
from dataclasses import dataclass
from typing import List, Optional, Tuple
from thonnycontrib.esp32cam.core.i18n import _

TABLE_ADDR = 0x8000      # ESP-IDF CONFIG_PARTITION_TABLE_OFFSET default (ESP32 and ESP32-S3)
TABLE_SIZE = 0xC00       # ESP-IDF partition table: at most 95 entries of 32 bytes + MD5 row
ENTRY_MAGIC = b"\xaa\x50"
MD5_MAGIC = b"\xeb\xeb"
TYPE_APP, TYPE_DATA = 0, 1
# data subtypes a filesystem lives in (ESP-IDF esp_partition.h: FAT 0x81, SPIFFS 0x82, LittleFS 0x83)
FS_SUBTYPES = (0x81, 0x82, 0x83)
PROBE_SIZE = 0x2000      # a filesystem's first two 4 KB blocks: littlefs keeps its superblock in both

LITTLEFS, FAT, BLANK, OTHER = "littlefs", "FAT", "blank", "other"


@dataclass(frozen=True)
class Partition:
    label: str
    type: int
    subtype: int
    offset: int
    size: int

    @property
    def end(self) -> int:
        return self.offset + self.size


def parse_table(data: bytes) -> List[Partition]:
    """The entries of an ESP-IDF binary partition table (empty for a blank or foreign sector)."""
    parts = []
    for pos in range(0, min(len(data), TABLE_SIZE) - 31, 32):
        entry = data[pos:pos + 32]
        if entry[:2] == MD5_MAGIC:
            continue
        if entry[:2] != ENTRY_MAGIC:
            break
        offset, size = struct.unpack_from("<II", entry, 4)
        label = entry[12:28].split(b"\0")[0].decode("ascii", "replace")
        parts.append(Partition(label, entry[2], entry[3], offset, size))
    return parts


def image_table(image: bytes, image_offset: int) -> List[Partition]:
    """The partition table a combined image carries (at 0x8000 in flash)."""
    start = TABLE_ADDR - image_offset
    return parse_table(image[start:start + TABLE_SIZE]) if 0 <= start < len(image) else []


def filesystem(table: List[Partition], flash_size: Optional[int]) -> Optional[Partition]:
    """Where the files are (or will be) with this table on a flash of ``flash_size`` bytes."""
    for label in ("vfs", "ffat"):
        for part in table:
            if part.type == TYPE_DATA and part.label == label:
                return part
    for part in table:  # another firmware's filesystem (Arduino's "spiffs", ...)
        if part.type == TYPE_DATA and part.subtype in FS_SUBTYPES:
            return part
    apps = {p.label: p for p in table if p.type == TYPE_APP}
    after = apps.get("ota_1") or (apps.get("factory") if "ota_1" not in apps else None)
    if after is not None and flash_size and flash_size > after.end:  # MicroPython >= 1.26's own
        return Partition("vfs", TYPE_DATA, 0x81, after.end, flash_size - after.end)
    return None


def filesystem_kind(first_blocks: bytes) -> str:
    """littlefs | FAT | blank | other, from the first bytes of a filesystem partition.

    littlefs v2 (lfs.c, lfs_fs_rawformat): the superblock's name tag is followed by the magic
    "littlefs" at byte 8 of block 0 (and of block 1, its mirror). FAT: the boot sector ends
    with 0x55 0xAA at byte 510."""
    if not first_blocks or first_blocks.count(0xFF) == len(first_blocks):
        return BLANK
    if first_blocks[8:16] == b"littlefs" or first_blocks[0x1008:0x1010] == b"littlefs":
        return LITTLEFS
    if first_blocks[510:512] == b"\x55\xaa":
        return FAT
    return OTHER


def image_filesystems(image: bytes) -> Tuple[str, ...]:
    """The filesystems a MicroPython build can mount: its ``vfs`` module's classes VfsLfs2 and
    VfsFat stand in the image as qstrs (extmod/vfs_lfs.c, extmod/vfs_fat.c)."""
    kinds = []
    if b"VfsLfs2" in image:
        kinds.append(LITTLEFS)
    if b"VfsFat" in image:
        kinds.append(FAT)
    return tuple(kinds)


def size_text(size: int) -> str:
    return f"{size // 1024} KB" if size < 0x100000 else f"{size / 0x100000:g} MB"


def describe(part: Partition, kind: Optional[str] = None) -> str:
    where = {"offset": f"{part.offset:#x}", "size": size_text(part.size)}
    if kind and kind not in (BLANK, OTHER):
        return _("{kind} filesystem at {offset} ({size})").format(kind=kind, **where)
    return _("filesystem at {offset} ({size})").format(**where)
