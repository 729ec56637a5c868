"""ESP32 flash image structures: app/bootloader images and partition tables.

Just enough of the format (magic 0xE9 header, extended header with chip id,
segments, checksum, appended SHA-256; partition entries with MD5 row) for
esptool and image inspectors to accept and parse what we build.
"""
from __future__ import annotations

import hashlib
import struct
from typing import Iterable, List, NamedTuple, Optional, Tuple

IMAGE_MAGIC = 0xE9
CHIP_IDS = {"esp32": 0, "esp32s3": 9}
SPI_MODE_DIO = 2
SIZE_4MB_FREQ_40M = 0x20
HEADER = struct.Struct("<BBBBI")             # magic, segments, spi mode, size|freq, entry
EXTENDED_HEADER = struct.Struct("<BBBBHBHH4sB")  # wp pin, drv x3, chip id, revs, reserved, hash flag
SEGMENT = struct.Struct("<II")
PARTITION = struct.Struct("<2sBBII16sI")
PARTITION_MAGIC = b"\xaa\x50"
MD5_ROW_MAGIC = b"\xeb\xeb"


def build_image(segments: Iterable[Tuple[int, bytes]], entry: int, chip: str = "esp32") -> bytes:
    """An image as esp-idf lays it out, with checksum and appended SHA-256."""
    segments = [(addr, data + b"\x00" * (-len(data) % 4)) for addr, data in segments]
    out = bytearray(HEADER.pack(IMAGE_MAGIC, len(segments), SPI_MODE_DIO, SIZE_4MB_FREQ_40M, entry))
    out += EXTENDED_HEADER.pack(0xEE, 0, 0, 0, CHIP_IDS[chip], 0, 0, 399, b"\x00" * 4, 1)
    value = 0xEF
    for addr, data in segments:
        out += SEGMENT.pack(addr, len(data)) + data
        for byte in data:
            value ^= byte
    out += b"\x00" * (15 - len(out) % 16) + bytes([value])
    out += hashlib.sha256(out).digest()
    return bytes(out)


class ImageInfo(NamedTuple):
    chip_id: int
    length: int  # bytes from the header to the end of the appended hash


def parse_image(read, addr: int, limit: int) -> Optional[ImageInfo]:
    """Header facts of the image at `addr` (`read(addr, n)` reads flash), or None."""
    head = read(addr, HEADER.size + EXTENDED_HEADER.size)
    if len(head) < 24 or head[0] != IMAGE_MAGIC or not 0 < head[1] <= 16:
        return None
    chip_id = EXTENDED_HEADER.unpack_from(head, HEADER.size)[4]
    hash_appended = head[23] == 1
    pos = addr + 24
    for _ in range(head[1]):
        if pos + 8 > limit:
            return None
        _load, length = SEGMENT.unpack(read(pos, 8))
        pos += 8 + length
        if pos > limit:
            return None
    pos += 15 - (pos - addr) % 16 + 1
    if hash_appended:
        pos += 32
    return ImageInfo(chip_id, min(pos, limit) - addr)


def _xor_of(data: bytes) -> int:
    """XOR of all bytes, folded in halves (big-int XOR runs in C: a 1.4 MB app takes ms)."""
    while len(data) > 1:
        if len(data) % 2:
            data += b"\0"
        half = len(data) // 2
        data = (int.from_bytes(data[:half], "little") ^ int.from_bytes(data[half:], "little")).to_bytes(half, "little")
    return data[0] if data else 0


def verify_image(read, addr: int, length: int) -> Optional[str]:
    """What ESP-IDF's bootloader says of a damaged app image, or None when it is intact.

    Follows components/bootloader_support/src/esp_image_format.c (ESP-IDF v4.4, which
    the camera builds use): the XOR checksum of the loaded segments (seed 0xEF) is
    compared with the byte before the hash ("Checksum failed. Calculated 0x%x read
    0x%x"); only then, when the header's hash_appended byte is 1, the SHA-256 of
    everything before the last 32 bytes ("Image hash failed - image is corrupt").
    """
    data = read(addr, length)
    hash_appended = data[23] == 1
    pos, value = 24, 0xEF
    for _ in range(data[1]):
        _load, size = SEGMENT.unpack_from(data, pos)
        value ^= _xor_of(data[pos + 8:pos + 8 + size])
        pos += 8 + size
    checksum_at = pos + 15 - pos % 16
    if data[checksum_at] != value:
        return f"Checksum failed. Calculated 0x{value:x} read 0x{data[checksum_at]:x}"
    if hash_appended and hashlib.sha256(data[:checksum_at + 1]).digest() != data[checksum_at + 1:checksum_at + 33]:
        return "Image hash failed - image is corrupt"
    return None


class Partition(NamedTuple):
    type: int
    subtype: int
    offset: int
    size: int
    label: str


def build_partition_table(partitions: List[Partition]) -> bytes:
    rows = b"".join(
        PARTITION.pack(PARTITION_MAGIC, p.type, p.subtype, p.offset, p.size, p.label.encode().ljust(16, b"\0"), 0)
        for p in partitions)
    md5_row = MD5_ROW_MAGIC + b"\xff" * 14 + hashlib.md5(rows).digest()
    return (rows + md5_row).ljust(0xC00, b"\xff")


def parse_partition_table(data: bytes) -> List[Partition]:
    result = []
    for offset in range(0, len(data) - PARTITION.size + 1, PARTITION.size):
        magic, ptype, subtype, start, size, label, _flags = PARTITION.unpack_from(data, offset)
        if magic != PARTITION_MAGIC:
            break
        result.append(Partition(ptype, subtype, start, size, label.rstrip(b"\0").decode(errors="replace")))
    return result


MICROPYTHON_4MB_TABLE = [
    Partition(1, 0x02, 0x9000, 0x6000, "nvs"),
    Partition(1, 0x01, 0xF000, 0x1000, "phy_init"),
    Partition(0, 0x00, 0x10000, 0x1F0000, "factory"),
    Partition(1, 0x81, 0x200000, 0x200000, "vfs"),
]
