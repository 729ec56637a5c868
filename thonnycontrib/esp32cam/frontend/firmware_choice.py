"""The installer's choice of port, board and build: the ports offered, the builds listed for
the board (``core.build_choice``), and what the board says about itself (chip, PSRAM,
sensor) to preselect a build that fits and to warn about one that does not.

A mixin of ``FirmwareInstallerDialog``: its port, board and build boxes and its info line.
"""
from __future__ import annotations

from logging import getLogger
from typing import Any, List

from thonny import get_runner, get_workbench

from thonnycontrib.esp32cam import BACKEND_NAME
from thonnycontrib.esp32cam.core import backend_commands, boards, build_choice, sensors
from thonnycontrib.esp32cam.core.i18n import _

logger = getLogger(__name__)

AUTO = "auto"


class FirmwareChoiceMixin:
    # --- port and build ----------------------------------------------------
    def _default_port(self) -> str:
        if self._initial_port:
            return self._initial_port
        port = get_workbench().get_option(f"{BACKEND_NAME}.port")
        if port and port != AUTO:
            return port
        choices = self._port_choices()
        return choices[0] if choices else ""

    @staticmethod
    def _port_choices() -> List[str]:
        try:
            from serial.tools.list_ports import comports

            return sorted(p.device for p in comports())
        except Exception:  # listing ports must never break the dialog
            logger.exception("Could not list serial ports")
            return []

    def _profile(self) -> boards.BoardProfile:
        return boards.get_profile(self.board_combo.get_selected_value())

    def _fill_builds(self) -> None:
        builds = build_choice.builds_for_board(self._catalog, self._profile())
        self.build_combo.set_mapping(build_choice.build_labels(builds))
        choice = build_choice.initial_build(self._catalog, self._profile(), builds, self._board_facts)
        if choice:
            self.build_combo.select_value(choice)
        else:
            self.build_combo.select_none()
        self._local_image = None
        self._on_build_selected()

    def _on_build_selected(self) -> None:
        build = self.build_combo.get_selected_value()
        if build is None:
            self.info_label.configure(
                text=_("No catalog build for this board: select a local file."))
            return
        self._local_image = None
        self.info_label.configure(text=build_choice.describe_build(build)
                                  + build_choice.fit_warning(build, self._board_facts))

    # --- the board's chip + PSRAM + sensor (given by the doctor / camera view) --------
    def _ask_board_facts(self) -> None:
        """Opened on its own (Tools menu): ask the connected board for its chip, PSRAM and
        sensor, so the list is preselected and checked as when the doctor opens it."""
        from thonny.common import InlineCommand

        from thonnycontrib.esp32cam.frontend.camera_requests import backend_is_idle, board_profile_key

        if not backend_is_idle():
            return
        get_workbench().bind(backend_commands.BOARD_FACTS + "_response", self._on_board_facts, True)
        self._facts_asked = True
        get_runner().send_command(InlineCommand(backend_commands.BOARD_FACTS, profile=board_profile_key()))

    def _on_board_facts(self, msg: Any) -> None:
        facts = sensors.BoardFacts.from_diagnosis(getattr(msg, "facts", None) or {})
        if facts is None or self._board_facts is not None or not self.winfo_exists():
            return
        self._board_facts = facts
        untouched = self.build_combo.get_selected_value() is self._catalog.default_for(self._profile().key)
        if untouched and self._local_image is None:
            self._fill_builds()  # preselect for this board
        else:
            self._on_build_selected()  # keep the user's choice, add the warning if it does not fit

    def destroy(self) -> None:
        if getattr(self, "_facts_asked", False):
            self._facts_asked = False
            get_workbench().unbind(backend_commands.BOARD_FACTS + "_response", self._on_board_facts)
        super().destroy()
