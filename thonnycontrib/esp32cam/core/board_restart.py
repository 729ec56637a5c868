"""After an install that did not finish: bring the board back out of the ROM
bootloader and say what state it is in.

esptool resets the board into its firmware only when a command succeeds
(esptool 4.8.1 ``__init__.py`` main(): ``esp.hard_reset()`` runs after the
operation, ``_main()`` turns a FatalError into exit 2 without it; the same in
esptool 5.x ``__init__.py``), so a refused or failed write leaves the chip
waiting in download mode.
"""
from __future__ import annotations

from typing import Any, Callable, Optional

from thonnycontrib.esp32cam.core import bootlog as bl
from thonnycontrib.esp32cam.core.serialprobe import RELEASED, Session, Timings, close_serial, open_serial
from thonnycontrib.esp32cam.core.i18n import N_, _

NOT_RESET = N_("It could not be reset ({reason}): it may still wait in its ROM bootloader "
               "(download mode). Tap RST to start it.")


def restart_into_firmware(port: str, timings: Optional[Timings] = None,
                          opener: Callable[..., Any] = open_serial) -> str:
    """Pulse EN (RTS, with DTR and so IO0 released) and read the boot; one sentence
    saying what the board does now."""
    t = timings or Timings()
    try:
        ser = opener(port, RELEASED)
    except Exception as e:  # the port went away or another program took it
        return _(NOT_RESET).format(reason=_("{port} could not be opened: {error}").format(
            port=port, error=e))
    try:
        s = Session(ser, t)
        if not s.pulse_reset():
            return _(NOT_RESET).format(reason=_("its port cannot drive RTS"))
        s.listen(t.boot, lambda: s.log.ends_with_prompt() or s.log.has(bl.DOWNLOAD_MODE),
                 quiet=t.quiet_after_boot, need_data=True)
        return describe_boot(s.log)
    finally:
        close_serial(ser)


def describe_boot(log: bl.BootLog) -> str:
    """What the boot log after a reset says the board does."""
    if log.has(bl.DOWNLOAD_MODE):
        return _("It was reset but started in download mode again: IO0 is held low (a jumper or "
                 "the BOOT button). Remove the jumper and tap RST.")
    if log.has(bl.BANNER) or log.ends_with_prompt():
        return _("It was reset and runs its firmware again.")
    if log.has(bl.NO_FIRMWARE) or log.has(bl.CORRUPT_FIRMWARE):
        return _("It was reset, but has no working firmware to start.")
    if log.has(bl.NORMAL_BOOT):
        return _("It was reset and starts its firmware.")
    if log.has(bl.RESET):
        return _("It was reset; its firmware printed no MicroPython prompt.")
    return _("It was reset (RTS pulsed) but printed nothing: if it does not start, tap RST.")
