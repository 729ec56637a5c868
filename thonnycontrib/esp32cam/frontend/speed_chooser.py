"""The interpreter page's *Serial speed* section (core.fastlink): fastest that works, 115200, or fixed."""
from __future__ import annotations

import tkinter as tk
from tkinter import ttk

from thonny import get_workbench
from thonny.ui_utils import ems_to_pixels

from thonnycontrib.esp32cam.core.fastlink import SPEED_CHOICES, SPEED_EXPLANATION, SPEED_OPTION, coerce_setting
from thonnycontrib.esp32cam.core.contrast import WARNING, marked
from thonnycontrib.esp32cam.core.i18n import _
from thonnycontrib.esp32cam.frontend import theme_colors


class SpeedChooser(ttk.LabelFrame):
    def __init__(self, master: tk.Widget, backend_name: str) -> None:
        super().__init__(master, text=" " + _("Serial speed") + " ")
        raw = get_workbench().get_option(f"{backend_name}.{SPEED_OPTION}")
        value, note = coerce_setting(raw)
        labels = {value: _(label) for value, label in SPEED_CHOICES}  # marked N_ in core.fastlink
        if value not in labels:  # e.g. "auto:1000000" or 250000 typed into configuration.ini
            labels[value] = value
        self._labels = labels
        self._initial = value
        self.note = note  # what was wrong with the stored value ("" if nothing)
        self.var = tk.StringVar(self, value=labels[value])
        self.combo = ttk.Combobox(self, textvariable=self.var, state="readonly",
                                  values=list(labels.values()), width=34)
        self.combo.grid(row=0, column=0, sticky="w", padx=5, pady=(4, 0))
        ttk.Label(self, text=_(SPEED_EXPLANATION), wraplength=ems_to_pixels(40)).grid(
            row=1, column=0, sticky="w", padx=5, pady=(4, 4))
        if note:
            theme_colors.use_theme(self)
            text = _("In configuration.ini: {note} OK writes the value shown.").format(note=note)
            ttk.Label(self, text=marked(WARNING, text), style=theme_colors.WARNING,
                      wraplength=ems_to_pixels(40)).grid(row=2, column=0, sticky="w", padx=5)

    def value(self) -> str:
        shown = self.var.get()
        for value, label in self._labels.items():
            if label == shown:
                return value
        return "auto"

    def is_modified(self) -> bool:
        return self.value() != self._initial
