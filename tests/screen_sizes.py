"""Xvfb displays of a chosen size, for tests of how the plug-in's windows fit
small screens (school laptops: 1366×768, 1280×720).

Unlike the session's ``xdisplay`` fixture (1280×800), this always starts its
own Xvfb, so the screen really has the size asked for. There is no window
manager: ``winfo_rootx/rooty`` are exact and there is no title bar.
"""
from __future__ import annotations

import contextlib
import subprocess
import time
from pathlib import Path
from typing import Iterator

SMALL_SCREENS = [(1366, 768), (1280, 720)]


@contextlib.contextmanager
def xvfb_screen(width: int, height: int) -> Iterator[str]:
    """A private Xvfb ``width``×``height``; yields its DISPLAY name."""
    for number in range(200, 260):
        if Path(f"/tmp/.X{number}-lock").exists():
            continue
        proc = subprocess.Popen(
            ["Xvfb", f":{number}", "-screen", "0", f"{width}x{height}x24", "-nolisten", "tcp"],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 10
        while proc.poll() is None and time.monotonic() < deadline:
            if Path(f"/tmp/.X11-unix/X{number}").exists():
                break
            time.sleep(0.05)
        if proc.poll() is not None:
            continue  # lost a race for this number
        try:
            yield f":{number}"
        finally:
            proc.terminate()
            proc.wait(5)
        return
    raise RuntimeError("could not start Xvfb")
