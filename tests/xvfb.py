"""Start a private Xvfb: the one place the tests, the Thonny harness and the
small-screen tests do it."""
from __future__ import annotations

import subprocess
import time
from pathlib import Path
from typing import Iterable, Optional, Tuple


def start_xvfb(width: int, height: int, numbers: Iterable[int]) -> Optional[Tuple[subprocess.Popen, str]]:
    """The first free display number of ``numbers`` with a running Xvfb of that size:
    ``(process, ":N")``, or None when none could be started. The caller terminates it."""
    for number in numbers:
        if Path(f"/tmp/.X{number}-lock").exists():
            continue
        proc = subprocess.Popen(
            ["Xvfb", f":{number}", "-screen", "0", f"{width}x{height}x24", "-nolisten", "tcp"],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 10
        while proc.poll() is None and time.monotonic() < deadline:
            # ours once the lock names our process (another Xvfb may have won the number:
            # its socket exists too, and ours exits a moment later)
            if Path(f"/tmp/.X11-unix/X{number}").exists() and _lock_pid(number) == proc.pid:
                return proc, f":{number}"
            time.sleep(0.05)
        if proc.poll() is None:
            stop_xvfb(proc)
        # lost a race for this number: try the next
    return None


def _lock_pid(number: int) -> Optional[int]:
    """The PID in the X server's lock file (os/utils.c LockServer writes it as 10 digits)."""
    try:
        return int(Path(f"/tmp/.X{number}-lock").read_text().strip())
    except (OSError, ValueError):
        return None


def stop_xvfb(proc: subprocess.Popen) -> None:
    proc.terminate()
    proc.wait(5)
