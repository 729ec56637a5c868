"""Thonny's ESP32-CAM interpreter (real Workbench, real back-end) on a board whose main.py
moved the console to 921600 (issue 24): the connection looks for the board at the known
rates (the back-end's link watch) instead of failing at 115200. A guard: this already
worked before issue 24 (the doctor's part, tests/test_doctor_console_rate.py, did not)."""
from __future__ import annotations

import subprocess
import sys
import time

import pytest

from tests.thonny_harness import run_scenario
from tests.virtualboard import VirtualBoard, synthetic_firmware

pytestmark = [pytest.mark.thonny, pytest.mark.timeout(240)]
MAIN = "import machine\nmachine.UART(0, baudrate=921600)\n"


def scenario_connect(h, url):
    h.select_backend("ESP32CAM", port=url)
    h.wait_for_prompt(60)
    out = h.run_in_shell("print('here', 6 * 7)", timeout=30)
    return {"out": out, "shell": h.shell_text()[-1500:]}


def test_thonny_finds_a_board_whose_main_py_moved_the_console(xdisplay, tmp_path):
    with VirtualBoard(firmware=synthetic_firmware("lemariva")) as board:
        board.events.wait_for("firmware_started", timeout=20)
        code = "f=open('main.py','w');f.write(%r);f.close()" % MAIN
        subprocess.run([sys.executable, "-m", "mpremote", "connect", board.url, "exec", code],
                       check=True, capture_output=True, timeout=60)
        mark = board.events.mark()
        board.press_reset()
        board.events.wait_for("firmware_started", since=mark, timeout=20)
        time.sleep(0.5)
        assert abs(board.uart.chip_baud - 921600) < 921600 * 0.03
        r = run_scenario(scenario_connect, tmp_path / "user", url=board.url, timeout=200)
    assert "here 42" in r["out"], r["shell"]
