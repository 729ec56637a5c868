"""One esptool command as a subprocess (never through a shell): its output streamed line
by line, its progress followed, and a way to stop it from another thread."""
from __future__ import annotations

import signal
import subprocess
import sys
import threading
from dataclasses import dataclass, field
from typing import Callable, List, Optional

from thonnycontrib.esp32cam.core import esptool_cmd as ec


@dataclass
class RunOutput:
    returncode: int
    lines: List[str]
    wrote: bool = False          # progress lines were seen: the write had started
    erased: bool = False         # an erase was reported (whole chip or a region)
    addresses: List[int] = field(default_factory=list)  # 'Writing at 0x...' addresses, in order

    @property
    def text(self) -> str:
        return "\n".join(self.lines)


class EsptoolRunner:
    """Runs esptool commands one after another; ``cancel()`` stops the current one and
    any later one (until ``reset()``)."""

    def __init__(self, env: Optional[dict], on_line: Callable[[str], None],
                 on_progress: Callable[[float], None]) -> None:
        self.env = env
        self.on_line = on_line  # lines worth showing (one progress line per 10 %)
        self.on_progress = on_progress
        self._proc: Optional[subprocess.Popen] = None
        self._cancelled = threading.Event()
        self._lock = threading.Lock()

    @property
    def cancelled(self) -> bool:
        return self._cancelled.is_set()

    def reset(self) -> None:
        self._cancelled.clear()

    def cancel(self) -> None:
        """Stop esptool: interrupt first (it closes the port), then terminate."""
        self._cancelled.set()
        with self._lock:
            proc = self._proc
        if proc is None or proc.poll() is not None:
            return
        try:
            if sys.platform != "win32":
                proc.send_signal(signal.SIGINT)
                try:
                    proc.wait(3)
                    return
                except subprocess.TimeoutExpired:
                    pass
            proc.terminate()
            proc.wait(3)
        except (OSError, subprocess.TimeoutExpired):
            proc.kill()

    def run(self, cmd: List[str]) -> RunOutput:
        self.on_line("$ python " + subprocess.list2cmdline(cmd[1:]))
        creationflags = getattr(subprocess, "CREATE_NO_WINDOW", 0)
        proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                stderr=subprocess.STDOUT, env=self.env, bufsize=0,
                                creationflags=creationflags)
        with self._lock:
            self._proc = proc
        if self._cancelled.is_set():
            self.cancel()
        out = RunOutput(0, [])
        self._last_decile = -1
        pending = b""
        assert proc.stdout is not None
        while True:
            chunk = proc.stdout.read(4096)  # unbuffered pipe: returns what is available
            if not chunk:
                break
            pending += chunk
            *lines, pending = pending.replace(b"\r\n", b"\n").replace(b"\r", b"\n").split(b"\n")
            for raw in lines:
                self._line(raw.decode("utf-8", "replace").rstrip(), out)
        if pending.strip():
            self._line(pending.decode("utf-8", "replace").rstrip(), out)
        out.returncode = proc.wait()
        with self._lock:
            self._proc = None
        return out

    def _line(self, line: str, out: RunOutput) -> None:
        if not line:
            return
        out.lines.append(line)
        address = ec.parse_write_address(line)
        if address is not None and (not out.addresses or out.addresses[-1] != address):
            out.addresses.append(address)
        percent = ec.parse_progress(line)
        if percent is not None:
            out.wrote = True
            self.on_progress(percent)
            if percent < 100 and int(percent) // 10 == self._last_decile:
                return  # show one progress line per 10 %
            self._last_decile = int(percent) // 10
        if "Erasing flash" in line or "Chip erase" in line or "erased" in line.lower():
            out.erased = True
        self.on_line(line)
