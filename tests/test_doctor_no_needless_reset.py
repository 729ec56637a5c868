"""The doctor answers a board that works without resetting it: left in the raw REPL,
in raw-paste mode, by a killed mpremote, or busy printing. It resets only when no
prompt can be reached otherwise, and says so."""
from __future__ import annotations

import signal
import subprocess
import sys
import time

import pytest

from tests.virtualboard import VirtualBoard, synthetic_firmware
from tests.virtualboard.testing import open_client, read_until
from thonnycontrib.esp32cam.core import diagnosis as dg
from thonnycontrib.esp32cam.core import doctor


@pytest.fixture
def board():
    with VirtualBoard(wiring="classic", firmware=synthetic_firmware("lemariva")) as b:
        b.events.wait_for("firmware_started", timeout=10)
        yield b


def _leave(board, *steps):
    """Open the port, drive the REPL into a state, close without cleaning up."""
    port = open_client(board.url)
    try:
        port.write(b"\r\x03")
        read_until(port, b">>> ")
        for send, expect in steps:
            port.write(send)
            if expect:
                read_until(port, expect)
    finally:
        port.close()
    time.sleep(0.2)


def _diagnose_without_reset(board):
    mark = board.events.mark()
    result = doctor.diagnose(board.url)
    assert result.code == dg.REPL_OK, result.evidence
    assert board.events.all("reset", since=mark) == [], "a working board was reset"
    return result


def test_raw_repl_left_open(board):
    _leave(board, (b"\x01", b"raw REPL; CTRL-B to exit\r\n>"))
    result = _diagnose_without_reset(board)
    assert any("left in the raw REPL" in line and "without a reset" in line for line in result.evidence)


def test_raw_paste_left_open_mid_transfer(board):
    _leave(board, (b"\x01", b"raw REPL; CTRL-B to exit\r\n>"), (b"\x05A\x01", b"R\x01"),
           (b"x = 1\nprint('half a prog", None))
    _diagnose_without_reset(board)


def test_busy_printing_program_is_interrupted(board):
    _leave(board, (b"while True: print('tick')\r\n\r\n", b"tick"))
    _diagnose_without_reset(board)


def test_mpremote_killed_mid_command(board):
    proc = subprocess.Popen([sys.executable, "-m", "mpremote", "connect", board.url, "exec",
                             "import time\nwhile True: time.sleep(0.1)"],
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    try:
        board.events.wait_for("client_connected", timeout=20)
        time.sleep(3)  # mpremote is in the raw REPL, its program running
    finally:
        proc.send_signal(signal.SIGKILL)
        proc.wait(10)
    time.sleep(0.5)
    _diagnose_without_reset(board)


def test_a_reset_when_nothing_else_works_is_said(tmp_path):
    with VirtualBoard(wiring="classic", firmware=synthetic_firmware("lemariva")) as board:
        board.events.wait_for("firmware_started", timeout=10)
        board.hold_boot(True)
        board.press_reset()  # now waiting in the ROM bootloader: no MicroPython to talk to
        board.events.wait_for("boot", mode="download", timeout=5)
        board.hold_boot(False)
        mark = board.events.mark()
        result = doctor.diagnose(board.url)
        assert board.events.all("reset", since=mark), "only a reset brings it back"
    assert any("reset" in line for line in result.evidence), result.evidence
