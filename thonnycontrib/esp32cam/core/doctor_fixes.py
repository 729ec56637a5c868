"""Fixes the connection doctor can apply by itself (pure Python, pyserial only).

Storing DTR/RTS in Thonny's options and opening the firmware installer are
front-end fixes (see ``frontend/doctor_dialog.py``).
"""
from __future__ import annotations

import re
import time
from dataclasses import dataclass
from typing import Any, Callable, List, Optional, Tuple

from thonnycontrib.esp32cam.core import bootlog as bl
from thonnycontrib.esp32cam.core.doctor_rates import BACK_TO_BOOT_RATE, KNOWN_RATES
from thonnycontrib.esp32cam.core.fastlink import BOOT_BAUD
from thonnycontrib.esp32cam.core.i18n import _
from thonnycontrib.esp32cam.core.serial_port import set_baudrate
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
    console_rate: Optional[int] = None  # the prompt came at this rate (main.py had moved the console)

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
        rate = BOOT_BAUD
        seen, clean = 0, time.monotonic()  # bytes judged so far; when clean text last came
        followed = False
        while time.monotonic() < deadline and not s.lost:
            s.write(b"\x03" * 4)
            if s.listen(0.01, s.log.ends_with_prompt):
                # make sure the prompt is stable (not a boot.py prompt before main.py)
                prompt = s.poke(t.prompt)
                if prompt:
                    break
            if len(s.log.raw) > seen:
                if bl.garbage_ratio(bytes(s.log.raw[seen:])) == 0:
                    clean = time.monotonic()
                seen = len(s.log.raw)
            if not followed and s.log.has(bl.RESET) and time.monotonic() - clean > MOVED_AFTER:
                # the boot log (text at 115200) went by, then only noise or nothing: main.py
                # (or boot.py) moved the console, machine.UART(0, baudrate=N)
                followed = True
                rate, prompt = _interrupt_at_other_rates(s)
                if prompt:
                    break
        result = InterruptResult(prompt, evidence=s.log.evidence()[-6:],
                                 console_rate=rate if rate != BOOT_BAUD else None)
        if prompt and disable_main:
            found = _RENAMED.search(s.run_raw(DISABLE_MAIN, t.camera) or "")
            result.disabled_as = found.group(1) if found else None
        if prompt and rate != BOOT_BAUD:  # the console back at 115200 (until main.py moves it again)
            s.write(BACK_TO_BOOT_RATE)
            s.listen(0.15, quiet=0.1)
            set_baudrate(s.ser, BOOT_BAUD)
        return result
    finally:
        close_serial(ser)


MOVED_AFTER = 0.25  # seconds of Ctrl-C without text after the boot log: the console may have moved
COMMON_RATES = (921600, 460800, 230400)  # what example code and the fast link pick most


def _interrupt_at_other_rates(s: Session) -> Tuple[int, bool]:
    """(rate, prompt): Ctrl-C at each known rate in turn (the commonest first), briefly, while
    the moved program may still be setting up, with 115200 in between (a silent program that
    did not move the console may be setting up too); (115200, False) at none."""
    for rate in sorted(KNOWN_RATES, key=lambda r: r not in COMMON_RATES):
        for at in (rate, BOOT_BAUD):
            set_baudrate(s.ser, at)
            until = time.monotonic() + 0.05
            while time.monotonic() < until and not s.lost:
                s.write(b"\x03" * 4)
                if s.listen(0.01, s.log.ends_with_prompt) and s.poke(0.3):
                    return at, True
    set_baudrate(s.ser, BOOT_BAUD)
    return BOOT_BAUD, False


def apply_fix(port: str, fix: str, progress: Callable[[str], None]) -> Optional[InterruptResult]:
    """``doctor --fix`` before the diagnosis: the result of ``interrupt_at_boot``, or None
    (a reset, or a fix that could not be applied: ``progress`` says why, and the diagnosis
    that follows says what is wrong with the port)."""
    progress(_("Applying fix: {fix}").format(fix=fix))
    try:
        if fix == "release-and-reset":
            release_and_reset(port)
            return None
        return interrupt_at_boot(port)
    except Exception as e:
        progress(_("fix could not be applied: {error}").format(error=e))
        return None
