"""The board's 4 MiB SPI flash: a file mapped into memory (MAP_SHARED).

The firmware process may open the same file as its block device while the
chip runs; both see the same bytes through the page cache. Erased bytes are
0xFF. ``program()`` is what the chip's flash does (NOR: programming can only
clear bits, so programming 0xFF changes nothing); ``write()`` puts bytes in
place whatever was there, as a test fixture preparing a board does.
"""
from __future__ import annotations

import mmap
import os
import tempfile
from typing import Optional

FLASH_SIZE = 4 * 1024 * 1024
SECTOR_SIZE = 4096
BLOCK_SIZE = 64 * 1024
PAGE_SIZE = 256


class FlashTiming:
    """How long the SPI NOR chip is busy, typical values of a 32 Mbit part like the
    W25Q32JV on ESP32 modules (Winbond W25Q32JV datasheet, AC electrical
    characteristics: sector erase tSE 45 ms, 64 KB block erase tBE2 150 ms, chip
    erase tCE 10 s, page program tPP 0.4 ms). The ROM and the stub erase 64 KB
    blocks where aligned and 4 KB sectors elsewhere (esptool's flasher stub,
    SPIEraseArea), and answer only when the chip is done. ``scale`` 0 makes the
    chip infinitely fast (bulk tests); the default is the real chip."""

    SECTOR_ERASE = 0.045
    BLOCK_ERASE = 0.150
    CHIP_ERASE = 10.0
    PAGE_PROGRAM = 0.0004

    def __init__(self, scale: float = 1.0) -> None:
        self.scale = scale

    def erase(self, addr: int, length: int) -> float:
        seconds, pos, end = 0.0, addr - addr % SECTOR_SIZE, addr + length
        while pos < end:
            if pos % BLOCK_SIZE == 0 and pos + BLOCK_SIZE <= end:
                seconds, pos = seconds + self.BLOCK_ERASE, pos + BLOCK_SIZE
            else:
                seconds, pos = seconds + self.SECTOR_ERASE, pos + SECTOR_SIZE
        return seconds * self.scale

    def chip_erase(self) -> float:
        return self.CHIP_ERASE * self.scale

    def program(self, length: int) -> float:
        return -(-length // PAGE_SIZE) * self.PAGE_PROGRAM * self.scale


class Flash:
    def __init__(self, path: Optional[str] = None, size: int = FLASH_SIZE) -> None:
        self.size = size
        self._owns_file = path is None
        if path is None:
            fd, path = tempfile.mkstemp(prefix="virtualboard-flash-", suffix=".bin")
            os.close(fd)
            os.truncate(path, 0)
        self.path = os.path.abspath(path)
        self._prepare_file()
        self._file = open(self.path, "r+b")
        self._map = mmap.mmap(self._file.fileno(), self.size, access=mmap.ACCESS_WRITE)

    def _prepare_file(self) -> None:
        """Create or extend the file to `size` bytes of erased (0xFF) flash."""
        mode = "r+b" if os.path.exists(self.path) else "w+b"
        with open(self.path, mode) as f:
            f.seek(0, os.SEEK_END)
            current = f.tell()
            if current < self.size:
                f.write(b"\xff" * (self.size - current))

    def _check(self, addr: int, length: int) -> None:
        if addr < 0 or length < 0 or addr + length > self.size:
            raise ValueError(f"flash access 0x{addr:x}+0x{length:x} outside 0..0x{self.size:x}")

    def read(self, addr: int, length: int) -> bytes:
        self._check(addr, length)
        return self._map[addr:addr + length]

    def write(self, addr: int, data: bytes) -> None:
        self._check(addr, len(data))
        self._map[addr:addr + len(data)] = data

    def program(self, addr: int, data: bytes) -> None:
        """SPI NOR page program: each byte becomes old AND new."""
        self._check(addr, len(data))
        old = int.from_bytes(self._map[addr:addr + len(data)], "little")
        self._map[addr:addr + len(data)] = (old & int.from_bytes(data, "little")).to_bytes(len(data), "little")

    def erase(self, addr: int, length: int) -> None:
        self._check(addr, length)
        self._map[addr:addr + length] = b"\xff" * length

    def erase_all(self) -> None:
        self.erase(0, self.size)

    def find(self, needle: bytes, start: int = 0, end: Optional[int] = None) -> int:
        return self._map.find(needle, start, self.size if end is None else end)

    def flush(self) -> None:
        self._map.flush()

    def close(self) -> None:
        if self._map.closed:
            return
        self._map.flush()
        self._map.close()
        self._file.close()
        if self._owns_file:
            try:
                os.unlink(self.path)
            except OSError:
                pass

    def __enter__(self) -> "Flash":
        return self

    def __exit__(self, *exc) -> None:
        self.close()
