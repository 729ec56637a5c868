"""Thonny docks a view in its right-hand column, by default about 15 em wide: a view that
needs more widens that column once, when it first appears (the user's later sash moves
are respected)."""
from __future__ import annotations

import tkinter as tk
from typing import Any

MIN_WIDTH_EM = 30  # the view's column is widened to this when the view first opens...
MAX_SHARE = 0.4  # ...but to no more than this share of Thonny's window


class ColumnWidener:
    def __init__(self, view: tk.Widget) -> None:
        self.view = view
        self.widened = False
        view.bind("<Map>", self._on_map, True)

    def _on_map(self, event: Any) -> None:
        if event.widget is self.view and not self.widened:
            self.widened = True
            self.view.after_idle(self._widen)

    def _widen(self) -> None:
        from thonny.ui_utils import ems_to_pixels

        from thonnycontrib.esp32cam.thonny_compat import front

        wanted = min(ems_to_pixels(MIN_WIDTH_EM), int(self.view.winfo_toplevel().winfo_width() * MAX_SHARE))
        front.widen_view_column(self.view, wanted)
