"""What one press in the doctor dialog runs in its worker thread: the fix the doctor
applies by itself (if any), then a new diagnosis (no Tk here)."""
from __future__ import annotations

from logging import getLogger
from typing import Callable, Optional

from thonnycontrib.esp32cam.core import boards, doctor
from thonnycontrib.esp32cam.core import diagnosis as dg
from thonnycontrib.esp32cam.core.i18n import _

logger = getLogger(__name__)

WAIT_FOR_RST = 15.0  # seconds the doctor listens for a manual RST press


def fix_then_diagnose(port: str, fix: Optional[str], configured: Optional[doctor.Lines],
                      profile: boards.BoardProfile, progress: Callable[[str], None]) -> dg.Diagnosis:
    try:
        if fix == dg.FIX_RELEASE_AND_RESET:
            progress(_("Releasing DTR/RTS and resetting the board"))
            doctor.release_and_reset(port)
        elif fix == dg.FIX_INTERRUPT_AT_BOOT:
            progress(_("Resetting and interrupting during start-up"))
            doctor.interrupt_at_boot(port)
    except Exception:  # e.g. the port vanished: the diagnosis below says so
        logger.info("Doctor fix %s failed", fix, exc_info=True)
    return doctor.diagnose(port, configured, profile=profile,
                           wait_for_rst=WAIT_FOR_RST if fix == dg.FIX_WAIT_FOR_RST else 0.0, progress=progress)
