"""Shared pytest fixtures.

`xdisplay` starts one Xvfb for the session (unless DISPLAY already points to a
usable display) so real Tk/Thonny windows can be created headless.
"""
from __future__ import annotations

import os
import shutil
import subprocess
import time
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parent.parent


def _display_works(display: str) -> bool:
    if not shutil.which("xdpyinfo"):
        return False
    return subprocess.run(["xdpyinfo", "-display", display], capture_output=True).returncode == 0


@pytest.fixture(scope="session")
def xdisplay():
    """An X display for Tk: the caller's if it works, else a private Xvfb."""
    existing = os.environ.get("DISPLAY")
    if existing and _display_works(existing):
        yield existing
        return
    xvfb = shutil.which("Xvfb")
    if not xvfb:
        pytest.fail("Xvfb is not installed (apt-get install xvfb); .ci/run installs it")
    for number in range(90, 140):
        if Path(f"/tmp/.X{number}-lock").exists():
            continue
        display = f":{number}"
        proc = subprocess.Popen(
            [xvfb, display, "-screen", "0", "1280x800x24", "-nolisten", "tcp"],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline and proc.poll() is None:
            if Path(f"/tmp/.X11-unix/X{number}").exists():
                break
            time.sleep(0.05)
        if proc.poll() is None:
            os.environ["DISPLAY"] = display
            try:
                yield display
            finally:
                proc.terminate()
                proc.wait(5)
            return
    pytest.fail("could not start Xvfb")
