"""Each virtual board has its own factory MAC: esptool reads it from the ROM's eFuse
words, MicroPython's machine.unique_id() returns the same six bytes."""
from __future__ import annotations

import pytest

from tests.virtualboard import VirtualBoard, synthetic_firmware
from tests.virtualboard.rom import mac_crc8, parse_mac
from tests.virtualboard.testing import open_client, read_until, run_esptool


def test_mac_crc_matches_esp_idf_crc8():
    # esp_crc8 (reflected 0x8C, init 0) is CRC-8/MAXIM: its check value for "123456789" is 0xA1
    assert mac_crc8(b"123456789") == 0xA1
    with pytest.raises(ValueError, match="multicast"):
        parse_mac("25:0a:c4:00:00:01")
    with pytest.raises(ValueError, match="six hex pairs"):
        parse_mac("24:0a:c4:00:01")


@pytest.mark.esptool
def test_esptool_and_unique_id_report_the_boards_own_mac():
    image = synthetic_firmware("lemariva")
    with VirtualBoard(flash_timing="fast", firmware=image, mac="24:0a:c4:a1:b2:07") as board:
        proc = run_esptool(board.url, "--chip", "esp32", "read-mac", fast_client=True, timeout=60)
        assert proc.returncode == 0, proc.stdout + proc.stderr
        assert "24:0a:c4:a1:b2:07" in proc.stdout
        port = open_client(board.url)
        try:
            port.write(b"\r\x03")
            read_until(port, b">>> ", timeout=15)
            port.write(b"import machine; print(machine.unique_id().hex(':'))\r")
            assert b"24:0a:c4:a1:b2:07" in read_until(port, b"24:0a:c4:a1:b2:07", timeout=5)
        finally:
            port.close()
