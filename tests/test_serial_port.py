"""core.serial_port: the one place that opens and closes ports to the board."""
from __future__ import annotations

import os
import pty

import pytest
import serial

from tests.virtualboard import VirtualBoard, synthetic_firmware
from tests.virtualboard.testing import read_until
from thonnycontrib.esp32cam.core import port_errors as pe
from thonnycontrib.esp32cam.core import serial_port


@pytest.fixture
def board():
    with VirtualBoard(wiring="direct", firmware=synthetic_firmware("lemariva"), line_rate="unlimited") as b:
        b.events.wait_for("firmware_started", timeout=10)
        yield b


@pytest.mark.parametrize("dtr, rts", [(False, False), (True, False), (False, True)])
def test_lines_are_set_before_any_data_and_released_rts_first(board, dtr, rts):
    mark = board.events.mark()
    ser = serial_port.open_port(board.url, dtr=dtr, rts=rts, timeout=0.05, write_timeout=2)
    try:
        if dtr or rts:  # the board reports changes only (released is how it started)
            board.events.wait_for("lines", since=mark, timeout=5, dtr=dtr, rts=rts)
        ser.write(b"\r\x03")
        if not rts:
            assert b">>> " in read_until(ser, b">>> ")  # not held in reset: the REPL answers
    finally:
        close_mark = board.events.mark()
        serial_port.close_port(ser)
    seen = [(e.data["dtr"], e.data["rts"]) for e in board.events.all("lines", since=mark)]
    assert (True, True) not in seen  # never pyserial's default, not even for an instant
    after_close = [(e.data["dtr"], e.data["rts"]) for e in board.events.all("lines", since=close_mark)]
    if dtr and not rts:
        assert after_close[0] == (False, False)
    if rts:
        assert after_close[0] == (dtr, False)  # RTS goes first


def test_set_lines_never_passes_through_the_reset_state(board):
    ser = serial_port.open_port(board.url, timeout=0.05)
    try:
        mark = board.events.mark()
        serial_port.set_lines(ser, True, True)   # assert: DTR first, then RTS
        serial_port.set_lines(ser, False, False)  # release: RTS first, then DTR
        seen = [(e.data["dtr"], e.data["rts"]) for e in board.events.all("lines", since=mark)]
        assert seen == [(True, False), (True, True), (True, False), (False, False)]
    finally:
        serial_port.close_port(ser)


def test_local_port_is_exclusive_and_the_second_open_is_called_busy():
    master, slave = pty.openpty()
    path = os.ttyname(slave)
    first = serial_port.open_port(path, timeout=0.05, write_timeout=2)
    try:
        with pytest.raises(serial.SerialException) as info:
            serial_port.open_port(path, timeout=0.05)
        assert pe.classify_port_error(path, str(info.value), platform="linux").kind == pe.BUSY
        first.write(b"hello")
        assert os.read(master, 5) == b"hello"
    finally:
        serial_port.close_port(first)  # a pty has no modem lines: closing still works
        os.close(master)
        os.close(slave)


def test_write_timeout_is_left_out_for_rfc2217(board):
    ser = serial_port.open_port(board.url, timeout=0.05, write_timeout=2)
    try:
        assert ser.write_timeout is None
        ser.write(b"\r\x03")
        assert b">>> " in read_until(ser, b">>> ")
    finally:
        serial_port.close_port(ser)


class _Driver:
    """What cannot exist here: a USB-serial driver that grants ASYNC_LOW_LATENCY (ftdi_sio)."""

    def __init__(self) -> None:
        self.asked = []

    def set_low_latency_mode(self, on: bool) -> None:
        self.asked.append(on)


def test_low_latency_is_asked_of_ftdi_adapters_only():
    ftdi, cp2102 = _Driver(), _Driver()
    assert serial_port.request_low_latency(ftdi, "/dev/ttyUSB0", vid=0x0403)
    assert not serial_port.request_low_latency(cp2102, "/dev/ttyUSB1", vid=0x10C4)
    assert (ftdi.asked, cp2102.asked) == ([True], [])


def test_a_port_refusing_low_latency_still_opens_and_works():
    # a real tty without a serial driver behind it (a pseudo-terminal): TIOCSSERIAL fails
    master, slave = pty.openpty()
    path = os.ttyname(slave)
    ser = serial_port.open_port(path, timeout=0.05)
    try:
        assert not serial_port.request_low_latency(ser, path, vid=0x0403)
        ser.write(b"still here")
        assert os.read(master, 10) == b"still here"
    finally:
        serial_port.close_port(ser)
        os.close(master)
        os.close(slave)
