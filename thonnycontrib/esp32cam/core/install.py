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

from thonnycontrib.esp32cam.core import board_restart
from thonnycontrib.esp32cam.core import esptool_cmd as ec
from thonnycontrib.esp32cam.core.board_files import CopyFailed, copy_files
from thonnycontrib.esp32cam.core.bootcheck import BootCheck, check_board
from thonnycontrib.esp32cam.core.esptool_cmd import Esptool
from thonnycontrib.esp32cam.core.flasher import FlashOptions, FlashResult, Flasher, restart_after_failure
from thonnycontrib.esp32cam.core.i18n import N_, _, ngettext
from thonnycontrib.esp32cam.core.prepare import PreparedImage
from thonnycontrib.esp32cam.core.reinstall import KEEP, Plan
from thonnycontrib.esp32cam.core.survey_run import SurveyResult, Surveyor

CHECK_SECONDS = 10.0  # how long a freshly written board may take to show its prompt

# stages reported to ``on_stage``
READING = "reading"
WRITING = "writing"
CHECKING = "checking"
FILES_AT_RISK = "files-would-be-erased"  # outcome: the install would erase the board's files
BACKUP_FAILED = "backup-failed"
NO_COPY_IN_DOWNLOAD_MODE = N_("The board is in download mode, where its files cannot be read: "
                              "release IO0 (remove the jumper), tap RST and install without "
                              "manual boot to copy them first. Nothing was written.")


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
    plan: Optional[Plan] = None      # what the board held decided (None: the user chose a full erase)
    copied: List[str] = field(default_factory=list)  # the board's files copied before the erase
    backup_dir: Optional[str] = None                 # ... into this folder

    @property
    def ok(self) -> bool:
        return self.flash.ok

    @property
    def started(self) -> bool:
        return self.check is not None and self.check.started

    def files_outcome(self) -> Optional[str]:
        """What became of the board's files, in a word or three (classroom results)."""
        if self.plan is None:
            return "erased" if self.flash.board_changed else None  # the user's whole-flash erase
        if self.plan.mode == KEEP:
            return "kept"
        if not self.plan.files_at_risk:
            return "none"
        if not self.flash.board_changed:
            return "left as they were"
        return "copied, then erased" if self.copied else "erased"

    def copied_message(self) -> str:
        if not self.copied:
            return ""
        return ngettext("The board's {count} file was copied to {folder} first.",
                        "The board's {count} files were copied to {folder} first.",
                        len(self.copied)).format(count=len(self.copied), folder=self.backup_dir)

    def not_started_message(self) -> str:
        """The one sentence for a board that was written but showed no prompt."""
        return _("The board was written and verified but did not show the MicroPython prompt "
                 "within {seconds} s; tap RST (and remove an IO0 jumper if present).").format(
                     seconds=f"{self.check_seconds:.0f}")


def psram_warning(prepared: PreparedImage, check: BootCheck) -> Optional[str]:
    """A PSRAM build that started without PSRAM cannot give the camera frame buffers."""
    if prepared.info.psram_mode and check.started and check.psram_mb == 0:
        mode = _("octal") if prepared.info.psram_mode == "octal" else (
            _("quad") if prepared.info.psram_mode == "quad" else prepared.info.psram_mode)
        return _("Warning: this {mode}-PSRAM build started without PSRAM, so the camera cannot "
                 "get frame buffers. The board's PSRAM is of the other kind or missing: install "
                 "the build for your module (the doctor shows the boot log).").format(mode=mode)
    return None


class Installer:
    """Install one image on one board; ``cancel()`` may be called from another thread."""

    def __init__(self, esptool: Esptool, *, on_line: Callable[[str], None] = lambda s: None,
                 on_progress: Callable[[float], None] = lambda p: None,
                 on_stage: Callable[[str], None] = lambda s: None) -> None:
        self.on_stage = on_stage
        self.on_line = on_line
        self.flasher = Flasher(esptool, on_line=on_line, on_progress=on_progress)
        self.surveyor = Surveyor(esptool, on_line=on_line)

    def cancel(self) -> None:
        self.surveyor.cancel()
        self.flasher.cancel()

    @property
    def cancelled(self) -> bool:
        return self.flasher.cancelled

    def survey(self, prepared: PreparedImage, options: FlashOptions, keep_stub: bool = False) -> SurveyResult:
        """Read the board (nothing written) and plan the install: which regions differ, and
        whether the board's files are kept. Front-ends that ask the user first call this, say
        ``result.plan.message``, then pass the result to :meth:`run`. ``keep_stub``: :meth:`run`
        follows without a question in between, so the board stays in esptool's stub for the
        write (one connection and stub upload instead of two)."""
        options.chip = prepared.chip
        options.psram_mode = prepared.info.psram_mode
        if options.chip == "esp32s3" and options.check_board and not options.manual_boot:
            # the S3's chip, PSRAM and flash size first, as a write would check them
            refused, _board = self.flasher.read_s3_board(options, str(prepared.path))
            if refused is not None:
                return SurveyResult(None, refused.outcome, message=refused.message, log=refused.log,
                                    refused=refused)
            options.check_board = False  # checked: the write need not ask the board again
        self.on_stage(READING)
        return self.surveyor.survey(prepared.path.read_bytes(), options, keep_stub=keep_stub)

    def run(self, prepared: PreparedImage, options: FlashOptions, *, check_seconds: float = CHECK_SECONDS,
            survey: Optional[SurveyResult] = None, erase_files: bool = False,
            backup_dir: Optional[str] = None) -> InstallReport:
        """Write ``prepared`` with ``options`` (port, erase, baud, manual boot, whether an
        ESP32-S3's PSRAM is checked first); the image decides the chip and PSRAM mode.

        Unless ``options.erase`` (the user's "erase the whole flash": full erase, full write),
        the board is read first (or ``survey`` is that read) and only what differs is written.
        When that would erase the board's files: with ``backup_dir`` they are copied there
        first; else without ``erase_files`` nothing is written (outcome FILES_AT_RISK)."""
        options.chip = prepared.chip
        options.psram_mode = prepared.info.psram_mode
        plan, copied = None, []
        if not options.erase:
            survey = survey or self.survey(prepared, options, keep_stub=True)
            if survey.refused is not None:  # the S3 check before the read refused the image
                return InstallReport(survey.refused, options.port, options.manual_boot)
            if not survey.ok:
                failed = FlashResult(False, survey.outcome, survey.message, baud=survey.baud,
                                     needs_download_mode=survey.outcome == ec.NEEDS_DOWNLOAD_MODE,
                                     log=list(survey.log), port=options.port)
                if survey.outcome != "cancelled":
                    restart_after_failure(failed, options, self.on_line)  # out of the ROM, as after a write
                return InstallReport(failed, options.port, options.manual_boot)
            plan = survey.plan
            options.stub_waiting = survey.stub_waiting and not (plan.nothing_to_write or plan.files_at_risk)
            if survey.stub_waiting and not options.stub_waiting:  # no write follows at once (or the
                self.on_line(board_restart.restart_into_firmware(options.port))  # files are copied)
            refused = self._files(plan, options, erase_files, backup_dir, copied)
            if refused is not None:
                return InstallReport(refused, options.port, options.manual_boot, plan=plan)
            options.erase, options.regions = plan.erase_all, None if plan.erase_all else plan.write
        if plan is not None and plan.nothing_to_write:
            same = _("The board already holds this firmware (each region's hash, read at {baud} "
                     "baud, matches the image): nothing was written.").format(baud=survey.baud)
            result = FlashResult(True, ec.OK, same, baud=survey.baud, log=survey.log, port=options.port)
        else:
            self.on_stage(WRITING)
            result = self.flasher.flash(str(prepared.path), options)
        report = InstallReport(result, result.port or options.port, options.manual_boot,
                               check_seconds=check_seconds, plan=plan, copied=copied, backup_dir=backup_dir)
        if not result.ok or options.manual_boot:
            return report  # nothing to ask: failed, or the chip waits for RST without IO0
        self.on_stage(CHECKING)
        report.check = check_board(report.port, timeout=check_seconds,
                                   probe_camera=prepared.info.family != "none")
        warning = psram_warning(prepared, report.check)
        if warning:
            report.warnings.append(warning)
        return report

    def _files(self, plan: Plan, options: FlashOptions, erase_files: bool, backup_dir: Optional[str],
               copied: List[str]) -> Optional[FlashResult]:
        """Before an erase that deletes the board's files: copy them, or refuse (nothing written)."""
        if not plan.files_at_risk:
            return None
        if backup_dir and options.manual_boot:  # the chip waits in its bootloader: no MicroPython to ask
            return FlashResult(False, BACKUP_FAILED, plan.message + " " + _(NO_COPY_IN_DOWNLOAD_MODE), port=options.port)
        if backup_dir:
            try:
                copied += copy_files(options.port, backup_dir, self.on_line)
            except CopyFailed as e:
                return FlashResult(False, BACKUP_FAILED, str(e), port=options.port)
            return None
        if erase_files:
            return None
        refusal = _("Nothing was written: copy the files first, or confirm that they may be "
                    "erased.")
        return FlashResult(False, FILES_AT_RISK, plan.message + " " + refusal, port=options.port)
