"""The board-profile chooser on the ESP32-CAM configuration page.

Option ``ESP32CAM.board_profile``; a page-local variable, written only by
``apply()`` (Cancel leaves the option untouched).
"""
from __future__ import annotations

import tkinter as tk
from tkinter import ttk

from thonny import get_workbench

from thonnycontrib.esp32cam.core import boards
from thonnycontrib.esp32cam.core.i18n import _


def register_option_default() -> None:
    get_workbench().set_default(boards.OPTION_NAME, boards.DEFAULT_PROFILE)


class BoardProfileChooser(ttk.LabelFrame):
    def __init__(self, master: tk.Misc) -> None:
        super().__init__(master, text=" " + _("Camera board (pin profile)") + " ")
        register_option_default()
        stored = get_workbench().get_option(boards.OPTION_NAME)
        self._initial = boards.get_profile(stored).key  # garbage in the INI -> AI-Thinker
        self._titles = {p.title: p.key for p in boards.PROFILES.values()}
        self.variable = tk.StringVar(self, boards.PROFILES[self._initial].title)
        self.combo = ttk.Combobox(self, textvariable=self.variable, values=list(self._titles),
                                  state="readonly", width=42)
        self.combo.grid(row=0, column=0, sticky="w", padx=5, pady=(4, 2))
        self.pins_label = ttk.Label(self, text="", wraplength=520, justify="left")
        self.pins_label.grid(row=1, column=0, sticky="w", padx=5, pady=(0, 4))
        self.combo.bind("<<ComboboxSelected>>", lambda e: self._update_pins(), True)
        self._update_pins()

    def selected_key(self) -> str:
        return self._titles.get(self.variable.get(), boards.DEFAULT_PROFILE)

    def _update_pins(self) -> None:
        profile = boards.get_profile(self.selected_key())
        self.pins_label.configure(
            text=_("Used for generic camera builds and the flash LED: {pins}").format(
                pins=boards.describe_pins(profile)))

    def is_modified(self) -> bool:
        return self.selected_key() != self._initial

    def apply(self) -> None:
        get_workbench().set_option(boards.OPTION_NAME, self.selected_key())
        self._initial = self.selected_key()
