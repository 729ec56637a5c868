"""Thonny's ESP32 interpreter page with its private hooks turned into public ones.

Common to every generation; ``front_classic.ConfigPage`` and
``front_minny.ConfigPage`` add the options-page contract of theirs. The
plug-in's page (``frontend/config_page.py``) implements the ``esp32cam_*`` hooks
and uses the services below, never Thonny's private attributes.

Private names used (``thonny/plugins/micropython/mp_front.py``
``BareMetalMicroPythonConfigPage``, 4.1.7 / 5.0.1 / dev head):
``_port_desc_variable``, ``_port_combo``, ``_get_intro_text``,
``_get_flasher_link_title``, ``_open_flashing_dialog``; the known ports are
``_ports_by_desc`` (description → device) in 4.1/5.0 and
``_port_names_by_desc`` on the development head.
"""
from __future__ import annotations

import tkinter as tk
from tkinter import ttk
from typing import Dict, Optional

from thonny.plugins.esp import ESP32ConfigPage

from thonnycontrib.esp32cam.thonny_compat.front_options import save_configuration


class PageBase(ESP32ConfigPage):
    # --- hooks the plug-in's page implements -------------------------------------------
    def esp32cam_check(self) -> bool:
        """Called first on OK; False keeps the dialog open (the page shows why)."""
        return True

    def esp32cam_modified(self) -> bool:
        return False

    def esp32cam_needs_restart(self) -> bool:
        return False

    def esp32cam_write(self, force: bool = False) -> None:
        """Write the page's own values to Thonny's options (``force``: even unchanged ones)."""

    def intro_text(self) -> str:
        return super()._get_intro_text()

    def installer_link_title(self) -> str:
        return super()._get_flasher_link_title()

    def open_installer_kind(self, kind: str) -> Optional[str]:
        return super()._open_flashing_dialog(kind)

    def get_line_values(self) -> Dict[str, bool]:
        """DTR/RTS as the page shows them (True = asserted)."""
        return {}

    def esp32cam_has_notes(self) -> bool:
        """configuration.ini holds values the page shows corrected (written on OK)."""
        return False

    def on_thonny_lines_chosen(self, dtr: bool, rts: bool) -> None:
        """The user chose DTR/RTS in Thonny's own control (where Thonny has one)."""

    # --- services for the plug-in's page ------------------------------------------------
    def esp32cam_area(self) -> tk.Widget:
        """The frame whose free rows (5, 7, 8, 9) take the plug-in's rows, below the port."""
        return self

    def esp32cam_ready(self) -> None:
        """Called at the end of the plug-in page's ``__init__``."""

    def esp32cam_live_change(self) -> None:
        """One of the page's own values changed (before OK)."""

    def port_text_variable(self) -> tk.StringVar:
        return self._port_desc_variable

    def port_combobox(self) -> ttk.Combobox:
        return self._port_combo

    def known_port_names(self) -> Dict[str, Optional[str]]:
        """Port descriptions offered in the port box → port names."""
        return self._ports_by_desc

    def save_now(self) -> None:
        save_configuration()

    # --- Thonny's private hooks ---------------------------------------------------------
    def _get_intro_text(self):
        return self.intro_text()

    def _get_flasher_link_title(self) -> str:
        return self.installer_link_title()

    def _open_flashing_dialog(self, kind: str):
        return self.open_installer_kind(kind)
