"""The interpreter page's *Control lines (DTR / RTS)* section: released or asserted, with
their electrical meaning (core.lines). Page-local variables: only the page's OK writes them."""
from __future__ import annotations

import tkinter as tk
from tkinter import ttk
from typing import Dict

from thonny import get_workbench
from thonny.ui_utils import ems_to_pixels

from thonnycontrib.esp32cam.core.i18n import _
from thonnycontrib.esp32cam.core.lines import LINE_CHOICES, LINES_EXPLANATION
from thonnycontrib.esp32cam.core.contrast import WARNING, marked
from thonnycontrib.esp32cam.frontend import theme_colors
from thonnycontrib.esp32cam.frontend.options import effective_line_options

RELEASED, ASSERTED = "released", "asserted"


class LineChooser(ttk.LabelFrame):
    def __init__(self, master: tk.Widget, backend_name: str) -> None:
        super().__init__(master, text=" " + _("Control lines (DTR / RTS)") + " ")
        self._backend_name = backend_name
        self.vars: Dict[str, tk.StringVar] = {}
        self._initial: Dict[str, bool] = {}
        effective = effective_line_options(log=True)
        for row, (name, (label, released_text, asserted_text)) in enumerate(LINE_CHOICES.items()):
            value = effective[name].value
            self._initial[name] = value
            var = tk.StringVar(self, value=ASSERTED if value else RELEASED)
            self.vars[name] = var
            ttk.Label(self, text=_(label)).grid(row=row * 3, column=0, sticky="w", padx=5,
                                                pady=(4, 0))
            for offset, (choice, text) in enumerate(((RELEASED, released_text), (ASSERTED, asserted_text)), 1):
                ttk.Radiobutton(self, text=_(text), value=choice, variable=var).grid(
                    row=row * 3 + offset, column=0, sticky="w", padx=(ems_to_pixels(2), 5)
                )
        ttk.Label(self, text=_(LINES_EXPLANATION), wraplength=ems_to_pixels(40)).grid(
            row=10, column=0, sticky="w", padx=5, pady=(6, 4)
        )
        notes = [coerced.note for coerced in effective.values() if coerced.note]
        if notes:
            theme_colors.use_theme(self)
            self.ignored_label = ttk.Label(
                self,
                text=marked(WARNING, _("In configuration.ini: {notes}. OK writes the values shown.").format(
                    notes="; ".join(notes))),
                style=theme_colors.WARNING,
                wraplength=ems_to_pixels(40),
            )
            self.ignored_label.grid(row=11, column=0, sticky="w", padx=5, pady=(0, 4))
        self.had_notes = bool(notes)  # configuration.ini held values shown corrected

    def values(self) -> Dict[str, bool]:
        """DTR/RTS as chosen (True = asserted)."""
        return {name: var.get() == ASSERTED for name, var in self.vars.items()}

    def is_modified(self) -> bool:
        return self.values() != self._initial

    def show(self, dtr: bool, rts: bool) -> None:
        for name, value in (("dtr", dtr), ("rts", rts)):
            wanted = ASSERTED if value else RELEASED
            if self.vars[name].get() != wanted:
                self.vars[name].set(wanted)

    def stored_are_booleans(self) -> bool:
        return all(
            isinstance(get_workbench().get_option(f"{self._backend_name}.{name}"), bool)
            for name in self.vars
        )
