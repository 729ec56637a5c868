"""Who else has a serial device open: on Linux and macOS nothing stops two programs
from reading one port (pyserial's ``exclusive`` lock is advisory), and then each
byte from the board reaches only one of them.

Linux only names them (``/proc/<pid>/fd`` links, readable for the user's own
processes and for root); elsewhere the list is empty.
"""
from __future__ import annotations

import os
from typing import List

# pyserial 3.5 serialposix.py Serial.read(): select() said readable, read() got nothing
# because another reader took the bytes
PYSERIAL_SHARED_READ = "multiple access on port"


def other_openers(device: str, proc: str = "/proc") -> List[str]:
    """``"name (pid N)"`` of every other process with ``device`` open."""
    try:
        target = os.path.realpath(device)
        pids = [p for p in os.listdir(proc) if p.isdigit() and int(p) != os.getpid()]
    except OSError:
        return []
    found = []
    for pid in pids:
        fd_dir = os.path.join(proc, pid, "fd")
        try:
            if not any(os.path.realpath(os.path.join(fd_dir, fd)) == target for fd in os.listdir(fd_dir)):
                continue
            with open(os.path.join(proc, pid, "comm"), encoding="utf-8", errors="replace") as f:
                name = f.read().strip()
        except OSError:  # gone, or another user's process
            continue
        found.append(f"{name} (pid {pid})")
    return found
