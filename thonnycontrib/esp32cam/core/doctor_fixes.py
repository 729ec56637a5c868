"""Fixes the connection doctor can apply by itself (pure Python, pyserial only).

Storing DTR/RTS in Thonny's options and opening the firmware installer are
front-end fixes (see ``frontend/doctor_dialog.py``).
"""
from __future__ import annotations

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


DISABLE_MAIN = b"""\
import os
try:
    os.stat('main.py')
except OSError:
    print('DOCTOR_MAIN absent')
else:
    try:
        os.remove('main.py.disabled')
    except OSError:
        pass
    os.rename('main.py', 'main.py.disabled')
    print('DOCTOR_MAIN renamed')
"""


@dataclass
class InterruptResult:
    prompt: bool                 # the REPL prompt appeared
    main_disabled: bool = False  # main.py was renamed main.py.disabled
    evidence: Optional[List[str]] = None


def interrupt_at_boot(port: str, timings: Optional[Timings] = None, disable_main: bool = True,
                      opener: Callable[..., Any] = open_serial) -> InterruptResult:
    """Reset, then send Ctrl-C continuously while the board starts, so the
    program is interrupted during its set-up (before it installs its
    KeyboardInterrupt handler) or between two of its handlers. With
    ``disable_main`` a reached prompt is made permanent by renaming main.py
    to main.py.disabled (nothing is deleted)."""
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
            out = s.run_raw(DISABLE_MAIN, t.camera) or ""
            result.main_disabled = "DOCTOR_MAIN renamed" in out
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
