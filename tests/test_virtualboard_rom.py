"""The virtual board's ROM bootloader, spoken to directly over RFC2217 (no esptool)."""
from __future__ import annotations

import hashlib
import struct
import time

import pytest

from tests.virtualboard import VirtualBoard
from tests.virtualboard import rom, slip
from tests.virtualboard.testing import open_client, read_until

SYNC_PAYLOAD = b"\x07\x07\x12\x20" + b"\x55" * 32


def command(port, op: int, data: bytes = b"", chk: int = 0, timeout: float = 1.0):
    """Send one ROM command; return (value, body) of its answer, or None."""
    port.write(slip.encode(struct.pack("<BBHI", 0, op, len(data), chk) + data))
    decoder = slip.Decoder()
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        for frame in decoder.feed(port.read(max(1, port.in_waiting))):
            if len(frame) >= 8 and frame[0] == 1 and frame[1] == op:
                value = struct.unpack_from("<I", frame, 4)[0]
                return value, frame[8:]
    return None


@pytest.fixture
def download_port():
    with VirtualBoard(wiring="none", micropython=False) as board:
        board.hold_boot(True)
        with open_client(board.url, timeout=0.05) as port:
            board.press_reset()
            read_until(port, b"waiting for download")
            assert command(port, rom.SYNC, SYNC_PAYLOAD) is not None
            port.reset_input_buffer()
            yield board, port


def test_chip_detection_registers(download_port):
    _board, port = download_port
    value, body = command(port, rom.READ_REG, struct.pack("<I", rom.CHIP_DETECT_MAGIC_REG))
    assert value == rom.ESP32_MAGIC and body == b"\x00\x00\x00\x00"  # ROM: 4 status bytes
    value, body = command(port, rom.GET_SECURITY_INFO)
    assert body[0] == 1  # the ESP32 ROM does not know this command


def test_change_baudrate_really_changes_the_uart(download_port):
    board, port = download_port
    mark = board.events.mark()
    assert command(port, rom.CHANGE_BAUDRATE, struct.pack("<II", 460800, 0)) is not None  # answered at 115200
    board.events.wait_for("baud", since=mark, side="chip", baud=460800)
    read_magic = struct.pack("<I", rom.CHIP_DETECT_MAGIC_REG)
    assert command(port, rom.READ_REG, read_magic, timeout=0.5) is None  # host still at 115200
    assert board.events.find("garbled", since=mark, reason="baud mismatch")
    port.baudrate = 460800
    port.reset_input_buffer()
    value, _ = command(port, rom.READ_REG, read_magic)
    assert value == rom.ESP32_MAGIC


def test_plain_flash_write_md5_and_slow_read(download_port):
    board, port = download_port
    data = bytes(range(256)) * 8  # 2 KiB in two 1 KiB blocks
    assert command(port, rom.FLASH_BEGIN, struct.pack("<IIII", 4096, 2, 1024, 0x3000))[1][0] == 0
    for seq in range(2):
        block = data[seq * 1024:(seq + 1) * 1024]
        answer = command(port, rom.FLASH_DATA, struct.pack("<IIII", 1024, seq, 0, 0) + block, rom.checksum(block))
        assert answer[1][0] == 0
    assert board.events.wait_for("flash_write").data == {"addr": 0x3000, "size": 2048}
    assert board.flash.read(0x3000, 2048) == data
    _, body = command(port, rom.SPI_FLASH_MD5, struct.pack("<IIII", 0x3000, 2048, 0, 0))
    assert body[:32] == hashlib.md5(data).hexdigest().encode()
    _, body = command(port, rom.READ_FLASH_SLOW, struct.pack("<II", 0x3000 + 192, 64))
    assert body[:64] == data[192:256]  # ends in 0xFF: IAC escaped both ways over RFC2217


def test_bad_checksum_is_refused(download_port):
    board, port = download_port
    command(port, rom.FLASH_BEGIN, struct.pack("<IIII", 4096, 1, 1024, 0x3000))
    block = b"\x01" * 1024
    _, body = command(port, rom.FLASH_DATA, struct.pack("<IIII", 1024, 0, 0, 0) + block, rom.checksum(block) ^ 1)
    assert body[:2] == bytes([1, rom.ROM_BAD_CHECKSUM])
    assert board.flash.read(0x3000, 4) == b"\xff" * 4


def test_rom_auto_detects_the_baud_of_the_first_sync_then_keeps_it():
    with VirtualBoard(wiring="none", micropython=False) as board:
        board.hold_boot(True)
        with open_client(board.url, baudrate=38400, timeout=0.05) as port:
            mark = board.events.mark()
            board.press_reset()
            board.events.wait_for("baud", since=mark, side="chip", baud=38400, timeout=5)
            port.reset_input_buffer()  # the banner went out at 115200: garbage at 38400
            assert command(port, rom.SYNC, SYNC_PAYLOAD) is not None  # synced at 38400
            assert command(port, rom.READ_REG, struct.pack("<I", rom.CHIP_DETECT_MAGIC_REG))[0] == rom.ESP32_MAGIC
            time.sleep(0.3)  # (garbled events are reported at most every 0.25 s)
            mark = board.events.mark()
            port.baudrate = 115200  # after the sync the chip's baud is fixed: only CHANGE_BAUDRATE moves it
            assert command(port, rom.READ_REG, struct.pack("<I", rom.CHIP_DETECT_MAGIC_REG), timeout=0.5) is None
            assert board.events.find("garbled", since=mark, reason="baud mismatch")


def test_weak_adapter_passes_short_messages_and_garbles_sustained_transfers():
    with VirtualBoard(wiring="none", micropython=False, max_baud=57600, weak_after=1024,
                      line_rate="unlimited") as board:
        board.hold_boot(True)
        with open_client(board.url, timeout=0.05) as port:
            board.press_reset()
            read_until(port, b"waiting for download")
            mark = board.events.mark()
            assert command(port, rom.SYNC, SYNC_PAYLOAD) is not None  # 46 bytes at 115200: fine
            assert not board.events.find("garbled", since=mark)
            # a 4 KiB block in one go (as esptool's stub upload): garbled past the first KiB
            data = bytes(range(256)) * 16
            header = struct.pack("<IIII", len(data), 1, len(data), 0x3FFB0000)
            assert command(port, rom.MEM_BEGIN, header) is not None
            answer = command(port, rom.MEM_DATA, struct.pack("<IIII", len(data), 0, 0, 0) + data,
                             chk=rom.checksum(data))
            assert board.events.find("garbled", since=mark, reason="above max baud")
            assert answer is None or answer[1][0] != 0  # refused (bad checksum) or lost
