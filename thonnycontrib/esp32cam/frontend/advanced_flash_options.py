"""The installer's "Advanced options": baud rate, flash mode and size, and a board already
in download mode. Shown under the dialog's "Advanced options" checkbox."""
from __future__ import annotations

import tkinter as tk
from tkinter import ttk
from typing import Any, Dict

from thonny.ui_utils import MappingCombobox, ems_to_pixels

from thonnycontrib.esp32cam.core.i18n import N_, _

# shown text -> value; the texts marked N_ are translated when the dialog is built
BAUD_CHOICES = {N_("automatic (460800 → 115200 → 38400)"): None, "460800": 460800,
                "230400": 230400, "115200": 115200, "38400": 38400}
KEEP = {N_("from the image"): None}


def _shown(mapping: Dict[str, Any]) -> Dict[str, Any]:
    return {_(text): value for text, value in mapping.items()}


class AdvancedFlashOptions(ttk.Frame):
    def __init__(self, master: tk.Misc) -> None:
        super().__init__(master)
        rows = [(_("Baud rate"), "baud_combo", _shown(BAUD_CHOICES)),
                (_("Flash mode"), "mode_combo",
                 dict(_shown(KEEP), **{m.upper(): m for m in ("dio", "qio", "dout", "qout")})),
                (_("Flash size"), "size_combo",
                 dict(_shown(KEEP), **{s: s for s in ("4MB", "8MB", "16MB", "2MB")}))]
        for row, (label, attr, mapping) in enumerate(rows):
            ttk.Label(self, text=label).grid(row=row, column=0, sticky="w")
            combo = MappingCombobox(self, mapping=mapping, exportselection=False)
            combo.set(next(iter(mapping)))
            combo.grid(row=row, column=1, sticky="we", padx=(ems_to_pixels(1), 0))
            setattr(self, attr, combo)
        self.manual_boot_var = tk.BooleanVar(value=False)
        ttk.Checkbutton(self, text=_("Board is already in download mode (IO0 held low, "
                                     "RST tapped): don't reset it"),
                        variable=self.manual_boot_var).grid(
            row=len(rows), column=0, columnspan=2, sticky="w")

    def set_shown(self, shown: bool, padx: float) -> None:
        """Shown under the installer's "Advanced options" checkbox (its row 6), or hidden."""
        if shown:
            self.grid(row=6, column=0, columnspan=3, sticky="we", padx=padx)
        else:
            self.grid_forget()

    def chosen(self) -> Dict[str, Any]:
        """As ``FlashOptions`` / ``FlashJob`` keywords (None: esptool's or the image's own)."""
        return dict(baud=self.baud_combo.get_selected_value(), manual_boot=self.manual_boot_var.get(),
                    flash_mode=self.mode_combo.get_selected_value(),
                    flash_size=self.size_combo.get_selected_value())
