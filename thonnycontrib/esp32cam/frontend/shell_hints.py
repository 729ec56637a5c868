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
from thonnycontrib.esp32cam.core.diagnosis import SHELL_HINTS
from thonnycontrib.esp32cam.frontend.actions import esp32cam_backend_active, open_doctor

logger = getLogger(__name__)

PREFIX = "[ESP32-CAM] "
LINK_TEXT = "Diagnose ESP32-CAM connection…"


class ShellHints:
    def __init__(self) -> None:
        self.tracker = EpisodeTracker()
        self.printed: List[str] = []   # codes, in order (for tests and logs)
        get_workbench().bind("BackendRestart", self._on_restart, True)

    def _on_restart(self, event: Any = None) -> None:
        self.tracker.reset()

    def on_output(self, event: Any) -> None:
        try:
            data = getattr(event, "data", None)
            if not isinstance(data, str) or not esp32cam_backend_active():
                return
            findings = self.tracker.feed_text(data)
            if findings:
                # after the Shell has inserted the output that triggered the hint
                get_workbench().after_idle(lambda: self._print(findings))
        except Exception:  # a hint must never break the Shell
            logger.exception("ESP32-CAM shell hint failed")

    def _print(self, findings: List[Finding]) -> None:
        try:
            shell = get_shell()
            # The output that triggered the hint may have ended a command: then the
            # prompt is already shown, and the hint gets a fresh prompt below it.
            runner = get_runner()
            at_prompt = bool(runner) and runner.is_waiting_toplevel_command()
            printed = False
            for finding in findings:
                text = SHELL_HINTS.get(finding.code)
                if not text:
                    continue
                self.printed.append(finding.code)
                shell.print_error(f"\n{PREFIX}{text} ")
                shell.insert_command_link(LINK_TEXT, open_doctor)
                shell.print_error("\n")
                printed = True
            if printed and at_prompt and hasattr(shell.text, "_insert_prompt"):
                shell.text._insert_prompt()
        except Exception:  # e.g. the Shell is closing: a hint is not worth an error dialog
            logger.exception("ESP32-CAM shell hint could not be printed")


_instance = None


def install() -> ShellHints:
    """The one instance, created at first use."""
    global _instance
    if _instance is None:
        _instance = ShellHints()
    return _instance
