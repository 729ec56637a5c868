"""Another program reads the board's port without a lock (a serial monitor, ModemManager):
each byte reaches only one reader. Bytes that vanish are not garbled bytes; the doctor
names the other reader. Real second reader: a separate process on the twin's pty."""
from __future__ import annotations

import subprocess
import sys
import time

import pytest

from tests.virtualboard import VirtualBoard, synthetic_firmware
from thonnycontrib.esp32cam.core import diagnosis as dg
from thonnycontrib.esp32cam.core import doctor

# A serial monitor that never locks the port and reads every byte as soon as it arrives
MONITOR = """\
import os, select, sys
fd = os.open(sys.argv[1], os.O_RDONLY | os.O_NOCTTY | os.O_NONBLOCK)
print("open", flush=True)
while True:
    try:
        os.read(fd, 1)
    except BlockingIOError:
        select.select([fd], [], [], 1)
"""


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="the twin's pty and /proc are Linux")
def test_a_second_reader_on_the_port_is_named_not_called_a_baud_problem():
    with VirtualBoard(mode="pty", firmware=synthetic_firmware("lemariva")) as board:
        board.events.wait_for("firmware_started", timeout=20)
        monitor = subprocess.Popen([sys.executable, "-c", MONITOR, board.device], stdout=subprocess.PIPE,
                                   text=True)
        try:
            assert monitor.stdout.readline().strip() == "open"
            time.sleep(0.2)
            result = doctor.diagnose(board.device, check_speed=False, check_camera=False)
        finally:
            monitor.kill()
            monitor.wait()
    assert result.code == dg.PORT_SHARED, result.to_text()
    assert f"also open by: python (pid {monitor.pid})" in result.evidence, result.evidence
    assert f"is also open in python (pid {monitor.pid})" in result.to_text()


def test_bytes_that_vanish_are_not_garbled():
    assert dg.KINDS[dg.PORT_SHARED].title == "Another program reads this port"
    assert "not the problem" in dg.KINDS[dg.PORT_SHARED].meaning
