"""The doctor's search for a board whose console left 115200.

``machine.UART(0, baudrate=N)`` (typed at the REPL, or in main.py/boot.py) moves the REPL
to N until the next hard reset (UART0 keeps its rate across a soft reboot: see
``fastlink``'s module notes). At 115200 such a board looks like a program that ignores
Ctrl-C (its echo is noise, or nothing readable), so before the doctor blames a program,
the line or the firmware it asks at the rates a console is commonly moved to. Found: it
sets the console back to 115200 (nothing on the board changes but the rate) and names the
changed rate.
"""
from __future__ import annotations

from typing import Optional, Tuple

from thonnycontrib.esp32cam.core import bootlog as bl
from thonnycontrib.esp32cam.core import diagnosis as dg
from thonnycontrib.esp32cam.core.fastlink import BOOT_BAUD, LADDER
from thonnycontrib.esp32cam.core.i18n import _
from thonnycontrib.esp32cam.core.serial_port import set_baudrate
from thonnycontrib.esp32cam.core.serialprobe import Session

# the fast link's ladder (what a program copying it would pick), then the classic slow ones
KNOWN_RATES = tuple(LADDER) + (57600, 38400, 9600)
POKE_SECONDS = 0.15
CLEAN_TEXT = 8  # bytes of clean text (and no prompt) that say the board talks at a rate
# set back at the REPL: the echo leaves at the old rate first (the 128-byte TX FIFO drains
# at once on uart_set_baudrate, see fastlink), hence the short sleep
BACK_TO_BOOT_RATE = b"import machine,time;time.sleep_ms(30);machine.UART(0, baudrate=%d)\r" % BOOT_BAUD


def find_console_rate(s: Session) -> Optional[Tuple[int, bool]]:
    """(rate, prompt) for the rate (not 115200) at which the board answers Ctrl-C with a
    prompt (then set back to 115200), else (rate, False) for one at which it prints clean
    text but gives no prompt (a program that keeps running there); None when it answers at
    none of ``KNOWN_RATES``. The port is at 115200 again afterwards."""
    found: Optional[Tuple[int, bool]] = None
    notes = list(s.notes)  # what pokes at wrong rates note (e.g. "left in the raw REPL") is not evidence
    refused = []  # but rates the adapter refused are
    for rate in KNOWN_RATES:
        if s.lost:
            break
        refused.append(_set_rate(s, rate))
        s.listen(0.05, quiet=0.02)  # bytes taken in at the old rate
        mark = len(s.log.raw)
        if _quick_poke(s):
            found = (rate, True)
            break
        got = bytes(s.log.raw[mark:])
        if found is None and len(got) >= CLEAN_TEXT and bl.garbage_ratio(got) == 0:
            found = (rate, False)
    if found is not None and found[1]:
        s.write(BACK_TO_BOOT_RATE)
        s.listen(0.15, quiet=0.1)
    refused.append(_set_rate(s, BOOT_BAUD))
    s.notes[:] = notes + [n for n in s.notes[len(notes):] if n in refused]
    return found


def _quick_poke(s: Session) -> bool:
    """``Session.poke`` in short: at the right rate MicroPython answers Ctrl-C at once."""
    before = s.prompt_count()
    s.write(b"\r\x03\x03")
    s.listen(POKE_SECONDS, lambda: s.prompt_count() > before or s.at_raw_prompt())
    if s.prompt_count() > before:
        return True
    if s.at_raw_prompt():  # left in the raw REPL at that rate: Ctrl-B brings the prompt
        s.write(b"\x02")
        return s.listen(0.4, lambda: s.prompt_count() > before)
    return False


def _set_rate(s: Session, rate: int) -> Optional[str]:
    """None, or the note added when the rate could not be set."""
    try:
        set_baudrate(s.ser, rate)
    except Exception as e:  # the port went away, or a rate this adapter refuses
        note = _("could not set {rate} baud: {error}").format(rate=rate, error=e)
        s.notes.append(note)
        return note
    return None


def console_rate(s: Session, rate: int, back: bool, answered: bool = True) -> dg.Diagnosis:
    """``console_rate``: the board answered at ``rate`` (``answered``: with a prompt, and was
    set back: ``back`` = it answers at 115200 again; else it only prints there)."""
    at_boot = s.log.has(bl.BANNER) or s.log.has(bl.RESET)
    text = [line for line in s.log.evidence()[-8:] if bl.garbage_ratio(line.encode()) == 0][-3:]
    seen = (_("no prompt at 115200 baud; the board answered Ctrl-C at {rate} baud") if answered
            else _("no prompt at 115200 baud; clean text at {rate} baud, but no prompt after "
                   "Ctrl-C"))
    d = dg.Diagnosis(dg.CONSOLE_RATE, evidence=s.notes + text + [seen.format(rate=rate)])
    d.detail = (_("The board's console runs at {rate} baud: it moved there after the board "
                  "started, so main.py or boot.py does it.") if at_boot
                else _("The board's console runs at {rate} baud.")).format(rate=rate)
    d.extra["console_rate"] = rate
    d.extra["set_back"] = back
    if answered:
        d.evidence.append(_("set back to 115200 with machine.UART(0, baudrate=115200): prompt")
                          if back else
                          _("set back to 115200 with machine.UART(0, baudrate=115200): no prompt"))
        if not back:
            d.fix_note = _("It did not answer at 115200 afterwards: press RST on the board.")
        return d
    # a program runs at that rate and catches Ctrl-C: the only way in is to stop it as the
    # board starts (at 115200, before main.py moves the console), which renames main.py
    d.detail = _("The board prints at {rate} baud, not at 115200: a program (main.py or "
                 "boot.py) moved the console there with machine.UART(0, baudrate=...), keeps "
                 "running and does not stop for Ctrl-C. The cable and the firmware are fine.").format(rate=rate)
    d.replace_generic = True
    d.fix_detail = _("Let the doctor reset the board and send Ctrl-C while it starts, at 115200 "
                     "and then at {rate} baud; once the prompt appears it renames main.py to a "
                     "free name (main.py.disabled...) and sets the console back to 115200. Then "
                     "remove the machine.UART(0, baudrate=...) line, or use UART 1 or 2 for "
                     "your own device. A program that moves the console and loops at once "
                     "cannot be stopped over the serial line: only reinstalling the firmware "
                     "(which erases the files) helps then."
                     ).format(rate=rate)
    d.extra["fixes"] = (dg.FIX_INTERRUPT_AT_BOOT,)
    return d
