"""`python -m tests.virtualboard` as a separate process."""
from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import serial

from tests.virtualboard.testing import open_client, read_until

REPO_ROOT = Path(__file__).resolve().parent.parent


def start_cli(*args: str) -> subprocess.Popen:
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(filter(None, [str(REPO_ROOT), os.environ.get("PYTHONPATH")])))
    return subprocess.Popen([sys.executable, "-m", "tests.virtualboard", *args], cwd=str(REPO_ROOT), env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def test_url_first_events_on_stderr_and_sigterm_stops_it(tmp_path):
    flash = tmp_path / "flash.bin"
    started = time.monotonic()
    proc = start_cli("--firmware", "lemariva", "--flash", str(flash), "--no-psram")
    try:
        url = proc.stdout.readline().strip()
        startup = time.monotonic() - started
        print(f"CLI start-up until the URL is printed: {startup:.2f} s")
        assert re.fullmatch(r"rfc2217://127\.0\.0\.1:\d+", url), url
        assert startup < 10  # sanity bound only; measured ~0.2 s
        with open_client(url) as port:
            port.rts = True   # classic wiring: EN low
            port.rts = False  # released: boot
            assert b"PSRAM ID read error" in read_until(port, b"PSRAM ID read error")
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=10) == 0
        stderr = proc.stderr.read()
        for expected in ("client_connected", "lines dtr=False rts=True en=False", "reset reason='poweron'",
                         "boot mode='normal'", "psram_error", "client_disconnected"):
            assert expected in stderr, stderr
        assert proc.stdout.read() == ""  # nothing but the URL on stdout
        assert flash.stat().st_size == 4 * 1024 * 1024
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()


def test_pty_mode_and_sigint(tmp_path):
    proc = start_cli("--pty", "--firmware", "blank")
    try:
        device = proc.stdout.readline().strip()
        assert device.startswith("/dev/")
        with serial.Serial(device, 115200, timeout=0.2) as port:
            port.write(b"hello")
        while "no_firmware" not in proc.stderr.readline():  # power-on boot of the erased flash
            assert proc.poll() is None
        proc.send_signal(signal.SIGINT)
        assert proc.wait(timeout=10) == 0
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
