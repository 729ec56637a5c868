"""The doctor's fixes on the virtual board: they never lose a user's file (issue 24)."""
from __future__ import annotations

import json
import subprocess
import sys
import time

from tests.conftest import REPO_ROOT
from tests.test_doctor_board import LEMARIVA, STUBBORN_MAIN, _booted, _cli, _reset_and_wait
from tests.virtualboard import VirtualBoard

EARLIER = "print('my earlier program')\n"


def _mpremote(url: str, code: str) -> str:
    return subprocess.run([sys.executable, "-m", "mpremote", "connect", url, "exec", code],
                          check=True, capture_output=True, text=True, timeout=60).stdout


def test_interrupt_at_boot_keeps_an_earlier_main_py_disabled():
    with VirtualBoard(firmware=LEMARIVA) as board:
        _booted(board)
        _mpremote(board.url, "for n, t in (('main.py.disabled', %r), ('main.py', %r)):\n"
                             " f = open(n, 'w'); f.write(t); f.close()" % (EARLIER, STUBBORN_MAIN))
        _reset_and_wait(board)
        time.sleep(0.8)
        fixed = _cli("--port", board.url, "--json", "--no-camera-check", "--no-speed-check",
                     "--fix", "interrupt-at-boot")
        files = _mpremote(board.url, "import os\nfor n in ('main.py', 'main.py.disabled', "
                                     "'main.py.disabled-2'):\n try:\n  print(n, repr(open(n).read()))\n"
                                     " except OSError:\n  print(n, 'missing')")
    assert fixed.returncode == 0, fixed.stdout + fixed.stderr
    assert json.loads(fixed.stdout)["diagnosis"] == "repl_ok"
    assert "main.py was renamed to main.py.disabled-2" in fixed.stderr
    lines = dict(line.split(" ", 1) for line in files.strip().splitlines())
    assert lines["main.py"] == "missing"
    assert lines["main.py.disabled"] == repr(EARLIER)  # the earlier program is still there
    assert lines["main.py.disabled-2"] == repr(STUBBORN_MAIN)
