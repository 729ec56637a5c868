"""One press of the installer's Install button, run in its worker thread: get the firmware,
find esptool, write, check that the board starts.

It reaches the dialog only through WorkDialog's thread-safe calls (``append_text``,
``report_progress``, ``set_action_text``, ``post_work_event``), never through Tk.
"""
from __future__ import annotations

import sys
import threading
from logging import getLogger
from typing import Any, Optional, Protocol

from thonny import get_sys_path_directory_containg_plugins

from thonnycontrib.esp32cam.core.catalog import Build
from thonnycontrib.esp32cam.core.download import DownloadCancelled, DownloadError, FirmwareCache
from thonnycontrib.esp32cam.core.esptool_cmd import EsptoolMissing, find_esptool
from thonnycontrib.esp32cam.core.flasher import PSRAM_MISMATCH, FlashOptions
from thonnycontrib.esp32cam.core.i18n import N_, _
from thonnycontrib.esp32cam.core.install import CHECKING, READING, WRITING, InstallReport, Installer
from thonnycontrib.esp32cam.core.image import ImageError
from thonnycontrib.esp32cam.core.prepare import PreparedImage, prepare_build
from thonnycontrib.esp32cam.frontend.files_question import CANCEL, ERASE, FilesAnswer

logger = getLogger(__name__)

UNTOUCHED = N_("Nothing was written: the board is as it was.")  # translated where said
REASON_EVENT = "failure-reason"


class WorkReport(Protocol):
    """The installer dialog's thread-safe side."""

    def append_text(self, text: str) -> None: ...

    def set_action_text(self, text: str) -> None: ...

    def report_progress(self, value: float, maximum: float) -> None: ...

    def post_work_event(self, kind: str, *args: Any) -> None: ...


class InstallRun:
    """Lives as long as the dialog: a PSRAM warning is remembered from one press to the next."""

    def __init__(self, report: WorkReport, cancel: threading.Event) -> None:
        self.report = report
        self.cancel = cancel
        self.psram_warned: Optional[tuple] = None  # (port, sha256) of an install refused for its PSRAM
        self.flasher: Optional[Installer] = None
        self.cache: Optional[FirmwareCache] = None
        self.restore_backend = False

    def run(self, build: Optional[Build], local: Optional[PreparedImage], options: FlashOptions,
            backend_proc: Any, cache: FirmwareCache) -> bool:
        """``backend_proc``: Thonny's back-end, disconnected from the port for this run (or None);
        ``cache``: made from the options on Tk's thread."""
        self.cache, self.restore_backend = cache, backend_proc is not None
        try:
            return self._install(build, local, options, backend_proc)
        except Exception as e:  # show it in the dialog instead of an internal-error box
            logger.exception("Installer failed")
            self.report.append_text("\n")
            self._say_reason(_("Unexpected error: {error}").format(error=e))
            return False

    def _say(self, text: str) -> None:
        self.report.append_text(text + "\n")

    def _say_reason(self, text: str) -> None:
        """Why the install failed: the dialog keeps its first line in view (``REASON_EVENT``)."""
        self.report.post_work_event(REASON_EVENT)  # the same queue as the text: it marks where it starts
        self._say(text)

    def _install(self, build: Optional[Build], local: Optional[PreparedImage], options: FlashOptions,
                 backend_proc: Any) -> bool:
        if backend_proc is not None:
            try:
                backend_proc.wait(5)
            except Exception:
                pass
        report = self.report
        if local is None:
            report.set_action_text(_("Getting the firmware…"))
            try:
                prepared = prepare_build(
                    build, self.cache, cancel=self.cancel, log=self._say,
                    progress=lambda done, total: total and report.report_progress(done, total))
            except DownloadCancelled as e:
                return self._untouched(_("Cancelled"),
                                       _("{reason} The board is unchanged.").format(reason=e))
            except DownloadError as e:
                return self._untouched(_("Download failed"), f"{e}\n{_(UNTOUCHED)}")
            except ImageError as e:
                return self._untouched(_("Firmware refused"),
                                       _("Refused: {reason}").format(reason=e) + "\n" + _(UNTOUCHED))
        else:
            prepared = local
        self._say(prepared.summary())
        # ESP32-S3: the flasher reads the board's PSRAM first; after a mismatch warning the
        # same install pressed again writes anyway (the user was told)
        attempt = (options.port, prepared.info.sha256)
        options.check_board = self.psram_warned != attempt
        options.work_dir = str(self.cache.dir)  # a resumed write puts the image's rest there
        try:
            tool = find_esptool(sys.executable, [get_sys_path_directory_containg_plugins()])
        except EsptoolMissing as e:
            return self._untouched(_("esptool missing"), f"{e}\n{_(UNTOUCHED)}")
        self._say(f"esptool {'.'.join(map(str, tool.version))}")
        report.set_action_text(_("Writing the firmware…"))
        report.report_progress(0, 100)
        self.flasher = Installer(tool, on_line=self._say, on_progress=self._on_write_progress,
                                 on_stage=self._on_stage)
        if self.cancel.is_set():
            return self._untouched(_("Cancelled"),
                                   _("Cancelled before anything was written: "
                                     "the board is unchanged."))
        survey = None if options.erase else self.flasher.survey(prepared, options)
        choice, folder = ERASE, None
        if survey is not None and survey.ok and survey.plan.files_at_risk:
            answer = FilesAnswer()  # the dialog asks (Tk's thread); this thread waits for the answer
            report.post_work_event("files-question", survey.plan.message, answer)
            choice, folder = answer.wait(self.cancel)
            if choice == CANCEL:
                return self._untouched(_("Cancelled"),
                                       _("Nothing was written: "
                                         "the board and its files are as they were."))
        done = self.flasher.run(prepared, options, survey=survey, erase_files=choice == ERASE,
                                backup_dir=folder)
        result = done.flash
        if not result.ok:
            self._say("")
            self._say_reason(result.message)
            if result.outcome == PSRAM_MISMATCH:
                self.psram_warned = attempt
                report.post_work_event("guidance", result.message + " " + _(
                    "To write it anyway, press the install button again."))
                report.set_action_text(_("PSRAM does not match — see above"))
                return False
            report.post_work_event("guidance", result.message if result.needs_download_mode else "")
            report.set_action_text(
                _("Board needs download mode — see above") if result.needs_download_mode
                else (_("Cancelled") if result.outcome == "cancelled" else _("Failed — see log")))
            return False
        report.report_progress(100, 100)
        self._say(result.message)
        if done.manual_boot:
            report.post_work_event("guidance", _(
                "Firmware installed. Now remove the IO0–GND jumper (or release IO0) and tap RST; "
                "then press Stop/Restart in Thonny."))
            report.set_action_text(_("Done — remove the jumper and tap RST"))
            return True
        return self._started(done)

    def _on_stage(self, stage: str) -> None:
        if stage == CHECKING:
            self.report.set_action_text(_("Checking that the board starts…"))
        elif stage == READING:
            self.report.set_action_text(_("Reading what the board holds…"))
        elif stage == WRITING:
            self.report.set_action_text(_("Writing the firmware…"))

    def _started(self, done: InstallReport) -> bool:
        """What the check after the write found (the port: for USB-Serial/JTAG, the name the
        board came back with)."""
        check = done.check
        if done.started:
            self._say(_("Board started: {banner} ({camera})").format(banner=check.banner,
                                                                     camera=check.camera_summary))
            if check.hardware_summary:
                self._say(_("MicroPython reports: {summary}").format(
                    summary=check.hardware_summary))
        else:
            self._say(done.not_started_message())
        for warning in done.warnings:
            self._say(warning)
        self.report.post_work_event("reconnect", done.port)
        self.report.set_action_text(_("Done — MicroPython is installed"))
        return True

    def _untouched(self, action: str, text: str) -> bool:
        """The install stopped before esptool touched the board: say so and give the
        board back to Thonny's interpreter, connected as it was before."""
        self._say_reason(text)
        self.report.set_action_text(action)
        if self.restore_backend:
            self.report.post_work_event("restore", None)
        return False

    def _on_write_progress(self, percent: float) -> None:
        self.report.report_progress(percent, 100)
        self.report.set_action_text(_("Writing the firmware… {percent} %").format(
            percent=round(percent)))
