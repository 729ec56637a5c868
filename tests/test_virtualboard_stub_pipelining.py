"""The twin's flasher stub erases and programs a data block while the next one arrives,
as esptool's stub does (esptool-legacy-flasher-stub stub_flasher.c cmd_loop: data
commands are ACKed at once and written afterwards, the UART fills the other buffer), so a
write takes about the longer of line time and flash time, not their sum.

Real esptool, the twin at real line rate with real flash timing."""
from __future__ import annotations

import os
import random
import re
import subprocess
import sys
from pathlib import Path

import pytest

from tests.virtualboard import VirtualBoard
from tests.virtualboard.flash import FlashTiming
from tests.virtualboard.testing import FASTCLIENT_DIR
from thonnycontrib.esp32cam.core.esptool_cmd import find_esptool

REPO = Path(__file__).resolve().parent.parent
BAUD = 921600

pytestmark = [pytest.mark.slow, pytest.mark.esptool]


def _data() -> bytes:
    """~1 MB that deflates about 3:1, so a block's line time and flash time are alike."""
    rng = random.Random(5)
    return b"".join(rng.randbytes(1024) + bytes(2048) for _ in range(340))


def test_a_stub_write_overlaps_the_line_and_the_flash(tmp_path):
    data = _data()
    image = tmp_path / "data.bin"
    image.write_bytes(data)
    write = "write-flash" if find_esptool(sys.executable).version[0] >= 5 else "write_flash"
    with VirtualBoard(line_rate="real", flash_timing="real", micropython=False, en_delay=0.02) as board:
        proc = subprocess.run([sys.executable, "-m", "esptool", "--chip", "esp32", "--port", board.url,
                               "--baud", str(BAUD), write, "0x100000", str(image)],
                              capture_output=True, text=True, timeout=120,
                              env=dict(os.environ, PYTHONPATH=os.pathsep.join([str(FASTCLIENT_DIR), str(REPO)])))
        assert proc.returncode == 0, proc.stdout + proc.stderr
        assert board.flash.read(0x100000, len(data)) == data
    m = re.search(r"Wrote \d+ bytes \((\d+) compressed\) at 0x[0-9a-f]+ in ([\d.]+) seconds", proc.stdout)
    assert m, proc.stdout
    compressed, seconds = int(m.group(1)), float(m.group(2))
    timing = FlashTiming()
    line = compressed * 10 / BAUD
    chip = timing.erase(0x100000, len(data)) + timing.program(len(data))
    assert 0.6 < chip / line < 1.6  # the case where overlapping matters
    # one after the other would take line + chip; overlapped about max(line, chip)
    assert seconds < 0.75 * (line + chip), (seconds, line, chip)
