"""``make run``: Thonny with the plug-in, ESP32-CAM interpreter selected, on the
virtual board when no real board is attached; everything stops with it."""
from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import List

import pytest

REPO_ROOT = Path(__file__).resolve().parent.parent

pytestmark = pytest.mark.thonny


def _wait_for(predicate, timeout: float, what: str) -> None:
    deadline = time.time() + timeout
    while time.time() < deadline:
        if predicate():
            return
        time.sleep(0.2)
    raise AssertionError("timed out waiting for " + what)


def test_make_run_connects_to_the_virtual_board_and_stops_it(xdisplay, tmp_path):
    user_dir = tmp_path / "user"
    env = dict(os.environ, DISPLAY=xdisplay, PYTHONPATH=str(REPO_ROOT))
    proc = subprocess.Popen([sys.executable, "-m", "tests.run_thonny", "--virtual", "--user-dir", str(user_dir)],
                            cwd=str(REPO_ROOT), env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    out: List[str] = []
    err: List[str] = []
    readers = [threading.Thread(target=lambda s=s, acc=acc: acc.extend(iter(s.readline, "")), daemon=True)
               for s, acc in ((proc.stdout, out), (proc.stderr, err))]
    for r in readers:
        r.start()
    try:
        _wait_for(lambda: any("rfc2217://127.0.0.1:" in line for line in out), 30, "the board's URL")
        url = next(line for line in out if "rfc2217://" in line).split(" at ")[-1].strip()
        # Thonny's back-end reaches the MicroPython prompt and its command loop
        backend_log = user_dir / "backend.log"
        _wait_for(lambda: "client_connected\n" in err
                  and backend_log.exists() and "Beginning of mainloop" in backend_log.read_text(), 60,
                  "Thonny's back-end at the prompt")
        ini = (user_dir / "configuration.ini").read_text()
        assert "backend_name = ESP32CAM" in ini and url in ini
        events = "".join(err)
        assert "firmware_started banner='MicroPython v1.21.0" in events
        connected = events[events.index("client_connected"):]
        assert "lines dtr=True" not in connected and "rts=True" not in connected  # lines stay released
        assert "en=False" not in connected  # the board was never reset by the connection
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(30)
        except subprocess.TimeoutExpired:
            proc.kill()
            raise
    for r in readers:
        r.join(5)
    assert "client_disconnected" in "".join(err)
    host, port = url[len("rfc2217://"):].split(":")
    try:  # the virtual board went away with Thonny
        socket.create_connection((host, int(port)), timeout=2).close()
        still_listening = True
    except OSError:
        still_listening = False
    assert not still_listening
