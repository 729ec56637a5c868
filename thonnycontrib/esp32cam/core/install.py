"""The one install sequence: a prepared (verified) image onto one board.

The command line (``flash``), the installer dialog and each board of a classroom run
all install through :class:`Installer`, so what the image says (its chip, its PSRAM
driver) reaches the flasher the same way everywhere, and every front-end gets the
same refusals, the same check that MicroPython starts and the same warnings.
Each front-end only words the outcome for its own surface (exit code, dialog page,
tray row).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable, List, Optional

from thonnycontrib.esp32cam.core.bootcheck import BootCheck, check_board
from thonnycontrib.esp32cam.core.esptool_cmd import Esptool
from thonnycontrib.esp32cam.core.flasher import FlashOptions, FlashResult, Flasher
from thonnycontrib.esp32cam.core.prepare import PreparedImage

CHECK_SECONDS = 10.0  # how long a freshly written board may take to show its prompt

# stages reported to ``on_stage``
WRITING = "writing"
CHECKING = "checking"


@dataclass
class InstallReport:
    """What one install did. ``flash`` is esptool's part; ``check`` is None when the
    board was not asked afterwards (the write failed, or the user holds IO0 low)."""
    flash: FlashResult
    port: str                        # the board's port afterwards (USB-Serial/JTAG may rename it)
    manual_boot: bool = False
    check: Optional[BootCheck] = None
    check_seconds: float = CHECK_SECONDS
    warnings: List[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return self.flash.ok

    @property
    def started(self) -> bool:
        return self.check is not None and self.check.started

    def not_started_message(self) -> str:
        """The one sentence for a board that was written but showed no prompt."""
        return (f"The board was written and verified but did not show the MicroPython prompt "
                f"within {self.check_seconds:.0f} s; tap RST (and remove an IO0 jumper if present).")


def psram_warning(prepared: PreparedImage, check: BootCheck) -> Optional[str]:
    """A PSRAM build that started without PSRAM cannot give the camera frame buffers."""
    if prepared.info.psram_mode and check.started and check.psram_mb == 0:
        return (f"Warning: this {prepared.info.psram_mode}-PSRAM build started without PSRAM, so the "
                "camera cannot get frame buffers. The board's PSRAM is of the other kind or missing: "
                "install the build for your module (the doctor shows the boot log).")
    return None


class Installer:
    """Install one image on one board; ``cancel()`` may be called from another thread."""

    def __init__(self, esptool: Esptool, *, on_line: Callable[[str], None] = lambda s: None,
                 on_progress: Callable[[float], None] = lambda p: None,
                 on_stage: Callable[[str], None] = lambda s: None) -> None:
        self.on_stage = on_stage
        self.flasher = Flasher(esptool, on_line=on_line, on_progress=on_progress)

    def cancel(self) -> None:
        self.flasher.cancel()

    @property
    def cancelled(self) -> bool:
        return self.flasher.cancelled

    def run(self, prepared: PreparedImage, options: FlashOptions, *,
            check_seconds: float = CHECK_SECONDS) -> InstallReport:
        """Write ``prepared`` with ``options`` (port, erase, baud, manual boot, whether an
        ESP32-S3's PSRAM is checked first); the image decides the chip and PSRAM mode."""
        options.chip = prepared.chip
        options.psram_mode = prepared.info.psram_mode
        self.on_stage(WRITING)
        result = self.flasher.flash(str(prepared.path), options)
        report = InstallReport(result, result.port or options.port, options.manual_boot,
                               check_seconds=check_seconds)
        if not result.ok or options.manual_boot:
            return report  # nothing to ask: failed, or the chip waits for RST without IO0
        self.on_stage(CHECKING)
        report.check = check_board(report.port, timeout=check_seconds,
                                   probe_camera=prepared.info.family != "none")
        warning = psram_warning(prepared, report.check)
        if warning:
            report.warnings.append(warning)
        return report
