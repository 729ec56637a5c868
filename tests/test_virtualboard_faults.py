"""Fault options of the virtual board, and flash persistence."""
from __future__ import annotations

import time

import pytest
import serial

from tests.virtualboard import VirtualBoard, inspect_flash, synthetic_firmware
from tests.virtualboard.testing import open_client, read_for, read_until

ENTRY = b"entry 0x400805cc"


def board(**kwargs) -> VirtualBoard:
    kwargs.setdefault("micropython", False)
    return VirtualBoard(wiring="none", **kwargs)


def test_blank_flash_says_flash_read_err():
    with board() as b, open_client(b.url) as port:
        mark = b.events.mark()
        b.press_reset()
        out = read_until(port, b"ets_main.c 371")
        assert b"flash read err, 1000" in out and ENTRY not in out
        assert b.events.wait_for("no_firmware", since=mark).data["problem"] == "no ESP32 bootloader at 0x1000"
        assert b.state == "failed"


def test_missing_psram_makes_a_psram_build_boot_loop():
    with board(firmware=synthetic_firmware("lemariva"), psram=False) as b, open_client(b.url) as port:
        mark = b.events.mark()
        b.press_reset()
        out = read_until(port, b"Rebooting...")
        assert b"E (536) psram: PSRAM ID read error: 0xffffffff" in out
        assert b"Failed to init external RAM!" in out
        out = read_until(port, b"PSRAM ID read error")  # and again
        assert b"rst:0xc (SW_CPU_RESET),boot:0x13 (SPI_FAST_FLASH_BOOT)" in out
        assert len(b.events.all("psram_error", since=mark)) >= 2
        assert not b.events.find("firmware_started", since=mark)


def test_missing_psram_does_not_matter_for_a_non_psram_build():
    with board(firmware=synthetic_firmware(None, psram=False), psram=False) as b, open_client(b.url) as port:
        mark = b.events.mark()
        b.press_reset()
        read_until(port, ENTRY)
        assert b"psram" not in read_for(port, 0.5).lower()
        assert b.state == "running" and not b.events.find("psram_error", since=mark)


def test_brownout_reset_loop():
    with board(firmware=synthetic_firmware("kaki5"), brownout=True) as b, open_client(b.url) as port:
        mark = b.events.mark()
        b.press_reset()
        read_until(port, b"Brownout detector was triggered")
        out = read_until(port, b"Brownout detector was triggered")
        assert b"rst:0xc (SW_CPU_RESET),boot:0x13 (SPI_FAST_FLASH_BOOT)" in out
        assert len(b.events.all("brownout", since=mark)) >= 2
        assert b.events.find("reset", since=mark, reason="brownout")


def test_reset_stops_a_fault_loop():
    with board(firmware=synthetic_firmware("kaki5"), brownout=True) as b:
        b.events.wait_for("brownout")
        b.hold_boot(True)
        mark = b.events.mark()
        b.press_reset()
        b.events.wait_for("boot", since=mark, mode="download")
        time.sleep(0.6)
        assert not b.events.find("brownout", since=mark)


def test_baud_mismatch_garbles_like_real_hardware():
    with board(firmware=synthetic_firmware("lemariva")) as b, open_client(b.url, baudrate=9600) as port:
        mark = b.events.mark()
        b.press_reset()
        b.events.wait_for("boot", since=mark)
        out = read_for(port, 0.4)
        assert out and b"rst:" not in out and b"entry" not in out
        assert b.events.find("garbled", since=mark, reason="baud mismatch", direction="to_host")


def test_max_baud_garbles_only_above_the_limit():
    with board(firmware=synthetic_firmware("lemariva"), max_baud=115200) as b:
        with open_client(b.url) as port:
            b.press_reset()
            assert ENTRY in read_until(port, ENTRY)  # 115200 is fine
        assert not b.events.find("garbled")
        b.uart.set_chip_baud(460800)  # as after a ROM CHANGE_BAUDRATE
        with open_client(b.url, baudrate=460800) as port:
            port.write(b"x" * 200)
            b.events.wait_for("garbled", reason="above max baud")


def test_drop_after_drops_the_connection_mid_transfer():
    with board(drop_after=300) as b, open_client(b.url) as port:
        port.write(b"\x00" * 1000)
        event = b.events.wait_for("connection_dropped")
        assert event.data["after_bytes"] == 300
        b.events.wait_for("client_disconnected", reason="dropped")
        with pytest.raises(serial.SerialException):
            deadline = time.monotonic() + 3
            while time.monotonic() < deadline:
                port.read(1)
                port.write(b"y")


def test_faults_combine_camera_missing_and_dropped_link():
    """Options combine: the camera is missing and the link drops after a few kilobytes."""
    code = b"import camera\r"
    code += b"try:\r camera.init(0, format=camera.JPEG)\rexcept OSError as e:\r print('INIT', e)\r\r"
    with VirtualBoard(wiring="none", firmware=synthetic_firmware("lemariva"), camera_missing=True,
                      drop_after=4000, line_rate="unlimited") as b:
        b.events.wait_for("firmware_started", timeout=20)
        with open_client(b.url) as port:
            port.write(b"\r\x03")
            read_until(port, b">>> ")
            port.write(code)
            out = read_until(port, b"INIT Camera Init Failed")
            assert b"Camera probe failed with error 0x105(ESP_ERR_NOT_FOUND)" in out
            port.write(b"\x03" * 4000)  # the link drops part-way
            assert b.events.wait_for("connection_dropped", timeout=10).data["after_bytes"] == 4000


def _time_a_long_reply(line_rate: str):
    """Seconds from the first to the last byte of a 20,000-character reply of the REPL.

    On a 1.18-74 build: its REPL output busy-waits per byte (no FreeRTOS tick wait, which
    caps one big print near 12.8 kB/s on v1.19+ whatever the line), so only the line paces it."""
    old = synthetic_firmware("lemariva", banner="MicroPython v1.18-74-gfeeeb5ea3 on 2022-01-17; ESP32 module with ESP32")
    with VirtualBoard(wiring="none", firmware=old, line_rate=line_rate) as b, \
            open_client(b.url) as port:
        b.events.wait_for("firmware_started", timeout=20)
        port.write(b"\r\x03")
        read_until(port, b">>> ")
        # the Ctrl-C's own prompt may still be on its way: a reply that only the REPL makes
        # puts the test past it (once, on a loaded host, that prompt ended the read: 0 x)
        port.write(b"print('READY')\r")
        read_until(port, b"READY\r\n>>> ", timeout=20)
        port.write(b"print('x' * 20000)\r")
        first = port.read(1)
        started = time.monotonic()
        out = first + read_until(port, b">>> ", timeout=20)
        return time.monotonic() - started, out.count(b"x")


def test_line_rate_real_is_the_console_baud_and_unlimited_is_faster():
    paced, n = _time_a_long_reply("real")
    assert n >= 20000
    line_time = n * 10 / 115200  # 10 bits per byte at the console's 115200 baud
    assert line_time * 0.9 <= paced <= line_time * 3 + 0.5, (paced, line_time)
    unpaced, _ = _time_a_long_reply("unlimited")
    assert unpaced < line_time / 2, (unpaced, line_time)
    # (a baud change switches the simulated UART: test_virtualboard_rom::test_change_baudrate_really_changes_the_uart)


def test_flash_persists_across_board_restarts(tmp_path):
    path = str(tmp_path / "flash.bin")
    image = synthetic_firmware("cnadler86")
    with board(firmware=image, flash_path=path) as b:
        b.flash.write(0x300000, b"user data")
    with board(flash_path=path) as b, open_client(b.url) as port:
        assert b.flash.read(0x1000, len(image)) == image
        assert b.flash.read(0x300000, 9) == b"user data"
        assert inspect_flash(b.flash).camera_family == "cnadler86"
        b.press_reset()
        assert ENTRY in read_until(port, ENTRY)
        time.sleep(0.2)
        assert not b.events.find("no_firmware")


def test_camera_missing_reaches_the_firmware():
    with VirtualBoard(wiring="none", firmware=synthetic_firmware("lemariva"), camera_missing=True) as b:
        b.events.wait_for("firmware_started", timeout=20)
        assert b._program.camera_missing is True
