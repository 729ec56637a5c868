"""A console moved to another rate by ``machine.UART(0, baudrate=921600)`` (issue 24): the
doctor finds the board there and names it, instead of blaming a program that ignores
Ctrl-C, renaming main.py or proposing to reinstall the firmware."""
from __future__ import annotations

import json
import subprocess
import sys
import time

import serial

from tests.test_doctor_board import LEMARIVA, _booted, _cli, _reset_and_wait
from tests.virtualboard import VirtualBoard
from thonnycontrib.esp32cam.core import diagnosis as dg
from thonnycontrib.esp32cam.core import doctor

HARMFUL = (dg.FIX_INTERRUPT_AT_BOOT, dg.FIX_OPEN_INSTALLER)
MAIN = "import machine\nmachine.UART(0, baudrate=921600)\n"


def _at_115200(board: VirtualBoard) -> bool:
    return abs(board.uart.chip_baud - 115200) < 115200 * 0.03


def _type_at_repl(board: VirtualBoard, line: bytes) -> None:
    port = serial.serial_for_url(board.url, do_not_open=True, baudrate=115200)
    port.dtr = port.rts = False
    port.open()
    try:
        port.write(b"\r\x03")
        time.sleep(0.3)
        port.write(line + b"\r")
        time.sleep(0.5)
    finally:
        port.close()


def test_a_rate_typed_at_the_repl_is_named_and_set_back():
    with VirtualBoard(firmware=LEMARIVA) as board:
        _booted(board)
        _type_at_repl(board, b"import machine; machine.UART(0, baudrate=921600)")
        assert not _at_115200(board)
        d = doctor.diagnose(board.url, ports=[], check_camera=False, check_speed=False)
        assert _at_115200(board)
        after = doctor.diagnose(board.url, ports=[], check_camera=False, check_speed=False)
    assert d.code == dg.CONSOLE_RATE, d.to_text()
    assert d.extra["console_rate"] == 921600 and d.extra["set_back"]
    assert "921600 baud" in d.to_text() and "ignores Ctrl-C" not in d.to_text()
    assert not set(HARMFUL) & set(d.fixes)
    assert after.code == dg.REPL_OK


def _boot_with_main_py(board: VirtualBoard, source: str) -> None:
    """Write main.py (with mpremote, as a user would), then reset: the board runs it."""
    _booted(board)
    code = "f=open('main.py','w');f.write(%r);f.close()" % source
    subprocess.run([sys.executable, "-m", "mpremote", "connect", board.url, "exec", code],
                   check=True, capture_output=True, timeout=60)
    _reset_and_wait(board)
    time.sleep(0.5)


def test_main_py_that_moves_the_console_keeps_its_files_and_gets_no_reinstall_advice():
    with VirtualBoard(firmware=LEMARIVA) as board:
        _boot_with_main_py(board, MAIN)
        assert not _at_115200(board)
        stuck = _cli("--port", board.url, "--json", "--no-camera-check", "--no-speed-check")
        text = _cli("--port", board.url, "--no-camera-check", "--no-speed-check")
        files = subprocess.run([sys.executable, "-m", "mpremote", "connect", board.url, "exec",
                                "import os; print(sorted(os.listdir()))"],
                               check=True, capture_output=True, text=True, timeout=60).stdout
    data = json.loads(stuck.stdout)
    assert stuck.returncode == 1 and data["diagnosis"] == "console_rate", stuck.stdout + stuck.stderr
    assert "reinstall" not in json.dumps(data).lower()
    assert not set(HARMFUL) & set(data["fixes"])
    assert data["console_rate"] == 921600 and "921600 baud" in data["meaning"]
    assert "main.py" in files and "main.py.disabled" not in files  # nothing renamed
    assert "[repl_ok]" in text.stdout  # set back to 115200: the next run finds the prompt there


STUBBORN_FAST = """\
import machine, time
machine.UART(0, baudrate=921600)
time.sleep(0.5)  # set-up (Wi-Fi, camera...) before the loop
while True:
    try:
        print('tick')
        time.sleep(0.2)
    except KeyboardInterrupt:
        print('not now')
"""


def test_a_stubborn_program_at_another_rate_is_named_and_never_sent_to_the_installer():
    """The program moved the console and ignores Ctrl-C there too: the diagnosis names the
    rate; its fix stops the program as the board starts, following it to that rate."""
    with VirtualBoard(firmware=LEMARIVA) as board:
        _boot_with_main_py(board, STUBBORN_FAST)
        d = doctor.diagnose(board.url, ports=[], check_camera=False, check_speed=False)
        fixed = doctor.interrupt_at_boot(board.url)  # the fix it proposes works
        after = doctor.diagnose(board.url, ports=[], check_camera=False, check_speed=False)
    assert d.code == dg.CONSOLE_RATE, d.to_text()
    assert d.extra["console_rate"] == 921600 and not d.extra["set_back"]
    assert fixed.prompt and fixed.console_rate == 921600 and fixed.disabled_as == "main.py.disabled"
    assert after.code == dg.REPL_OK  # renamed, and the console back at 115200
    assert d.fixes == [dg.FIX_INTERRUPT_AT_BOOT]
    assert "921600 baud" in d.meaning and "ignores Ctrl-C" not in d.title
