"""Fixes the connection doctor can apply by itself (pure Python, pyserial only).

Storing DTR/RTS in Thonny's options and opening the firmware installer are
front-end fixes (see ``frontend/doctor_dialog.py``).
"""
from __future__ import annotations

import re
import time
from dataclasses import dataclass
from typing import Any, Callable, List, Optional

from thonnycontrib.esp32cam.core import bootlog as bl
from thonnycontrib.esp32cam.core.serialprobe import RELEASED, Session, Timings, close_serial, open_serial


def release_and_reset(port: str, timings: Optional[Timings] = None,
                      opener: Callable[..., Any] = open_serial) -> List[str]:
    """Open with DTR/RTS released, pulse EN, return the boot log lines seen."""
    t = timings or Timings()
    ser = opener(port, RELEASED)
    try:
        s = Session(ser, t)
        s.pulse_reset()
        s.listen(t.boot, lambda: s.log.ends_with_prompt() or s.log.has(bl.DOWNLOAD_MODE),
                 quiet=t.quiet_after_boot, need_data=True)
        return s.evidence()
    finally:
        close_serial(ser)


# Renames main.py to the first free name of main.py.disabled, main.py.disabled-2, ...:
# an earlier backup is the user's program too, never deleted or overwritten.
DISABLE_MAIN = b"""\
import os
try:
    os.stat('main.py')
except OSError:
    print('DOCTOR_MAIN absent')
else:
    n = 1
    while True:
        to = 'main.py.disabled' + ('' if n == 1 else '-%d' % n)
        try:
            os.stat(to)
        except OSError:
            break
        n += 1
    os.rename('main.py', to)
    print('DOCTOR_MAIN renamed', to)
"""
_RENAMED = re.compile(r"DOCTOR_MAIN renamed (main\.py\.disabled(?:-\d+)?)")


@dataclass
class InterruptResult:
    prompt: bool                 # the REPL prompt appeared
    disabled_as: Optional[str] = None  # main.py was renamed to this (a free name)
    evidence: Optional[List[str]] = None

    @property
    def main_disabled(self) -> bool:
        return self.disabled_as is not None


def interrupt_at_boot(port: str, timings: Optional[Timings] = None, disable_main: bool = True,
                      opener: Callable[..., Any] = open_serial) -> InterruptResult:
    """Reset, then send Ctrl-C continuously while the board starts, so the
    program is interrupted during its set-up (before it installs its
    KeyboardInterrupt handler) or between two of its handlers. With
    ``disable_main`` a reached prompt is made permanent by renaming main.py
    to a free name, main.py.disabled or main.py.disabled-N (nothing is deleted
    or overwritten; ``disabled_as`` says which)."""
    t = timings or Timings()
    ser = opener(port, RELEASED)
    try:
        s = Session(ser, t)
        s.pulse_reset()
        deadline = time.monotonic() + t.boot + 2.0
        prompt = False
        while time.monotonic() < deadline and not s.lost:
            s.write(b"\x03" * 4)
            if s.listen(0.01, s.log.ends_with_prompt):
                # make sure the prompt is stable (not a boot.py prompt before main.py)
                prompt = s.poke(t.prompt)
                if prompt:
                    break
        result = InterruptResult(prompt, evidence=s.log.evidence()[-6:])
        if prompt and disable_main:
            found = _RENAMED.search(s.run_raw(DISABLE_MAIN, t.camera) or "")
            result.disabled_as = found.group(1) if found else None
        return result
    finally:
        close_serial(ser)


def apply_fix(port: str, fix: str, progress: Callable[[str], None]) -> Optional[InterruptResult]:
    """``doctor --fix`` before the diagnosis: the result of ``interrupt_at_boot``, or None
    (a reset, or a fix that could not be applied: ``progress`` says why, and the diagnosis
    that follows says what is wrong with the port)."""
    progress(f"Applying fix: {fix}")
    try:
        if fix == "release-and-reset":
            release_and_reset(port)
            return None
        return interrupt_at_boot(port)
    except Exception as e:
        progress(f"fix could not be applied: {e}")
        return None
