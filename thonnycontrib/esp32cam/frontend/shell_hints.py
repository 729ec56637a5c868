"""Short explanations in Thonny's Shell for known ESP32-CAM boot-log lines and
connection failures, with a link to the connection doctor.

Only while the ESP32-CAM interpreter is selected; each problem once per
occurrence (see ``core.bootlog.EpisodeTracker``). ``frontend.registration``
forwards the back-end's output here, importing this module at the first
output of the ESP32-CAM back-end.
"""
from __future__ import annotations

from logging import getLogger
from typing import Any, List

from thonny import get_runner, get_shell, get_workbench

from thonnycontrib.esp32cam.core.bootlog import EpisodeTracker, Finding
from thonnycontrib.esp32cam.core.diagnosis import shell_hint
from thonnycontrib.esp32cam.core.i18n import N_, _
from thonnycontrib.esp32cam.frontend.actions import esp32cam_backend_active, open_doctor
from thonnycontrib.esp32cam.thonny_compat import front

logger = getLogger(__name__)

PREFIX = "[ESP32-CAM] "
LINK_TEXT = N_("Diagnose ESP32-CAM connection…")  # translated where shown
HINT_WAIT_MS = 2000  # longest a hint waits for the running command's end


class ShellHints:
    def __init__(self) -> None:
        self.tracker = EpisodeTracker()
        self.printed: List[str] = []   # codes, in order (for tests and logs)
        self._waiting: List[Finding] = []  # found while a command runs: shown when it ends
        get_workbench().bind("BackendRestart", self._on_restart, True)
        get_workbench().bind("ToplevelResponse", self._on_command_done, True)

    def _on_restart(self, event: Any = None) -> None:
        self.tracker.reset()
        if self._waiting:  # the command ended with the back-end: its hints still belong to it
            get_workbench().after_idle(self._print_waiting)

    def _on_command_done(self, event: Any = None) -> None:
        if self._waiting:
            get_workbench().after_idle(self._print_waiting)  # after the Shell's prompt

    def _print_waiting(self) -> None:
        findings, self._waiting = self._waiting, []
        if findings:
            self._print(findings)

    def on_output(self, event: Any) -> None:
        try:
            data = getattr(event, "data", None)
            if not isinstance(data, str) or not esp32cam_backend_active():
                return
            self._show(self.tracker.feed_text(data))
        except Exception:  # a hint must never break the Shell
            logger.exception("ESP32-CAM shell hint failed")

    def on_finding(self, event: Any) -> None:
        """The back-end found a problem the board did not print (``BOARD_FINDING_EVENT``)."""
        try:
            code = getattr(event, "code", None)
            if isinstance(code, str) and esp32cam_backend_active():
                self._show(self.tracker.note(code, getattr(event, "evidence", "") or ""))
        except Exception:
            logger.exception("ESP32-CAM shell hint failed")

    def _show(self, findings: List[Finding]) -> None:
        if not findings:
            return
        runner = get_runner()
        if runner is not None and runner.get_state() == "running":
            # a Shell command or program runs: its output may go on (the traceback after
            # the driver's log line); the hint comes under all of it, when it ends (or
            # after HINT_WAIT_MS if it keeps running)
            if not self._waiting:
                get_workbench().after(HINT_WAIT_MS, self._print_waiting)
            self._waiting.extend(findings)
        else:
            # after the Shell has inserted the output that triggered the hint
            get_workbench().after_idle(lambda: self._print(findings))

    def _print(self, findings: List[Finding]) -> None:
        try:
            shell = get_shell()
            # The output that triggered the hint may have ended a command: then the
            # prompt is already shown, and the hint gets a fresh prompt below it.
            runner = get_runner()
            at_prompt = bool(runner) and runner.is_waiting_toplevel_command()
            printed = False
            for finding in findings:
                text = shell_hint(finding.code)  # translated
                if not text:
                    continue
                self.printed.append(finding.code)
                shell.print_error("\n" + PREFIX + text + " ")
                shell.insert_command_link(_(LINK_TEXT), open_doctor)
                shell.print_error("\n")
                printed = True
            if printed and at_prompt:
                front.insert_shell_prompt()
        except Exception:  # e.g. the Shell is closing: a hint is not worth an error dialog
            logger.exception("ESP32-CAM shell hint could not be printed")


_instance = None


def install() -> ShellHints:
    """The one instance, created at first use."""
    global _instance
    if _instance is None:
        _instance = ShellHints()
    return _instance
