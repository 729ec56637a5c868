"""A frame that lays its children out like words in a paragraph.

Children go left to right and wrap into a new row when the frame's width is
used up, so a row of controls never gets clipped in a narrow pane ("Fla",
"Quality" without its field). Children must have this frame as their master;
keep label + field pairs together in a sub-frame. Pure Tk.
"""
from __future__ import annotations

import tkinter as tk
from tkinter import ttk
from typing import List


class FlowFrame(ttk.Frame):
    def __init__(self, master: tk.Misc, hgap: int = 6, vgap: int = 4) -> None:
        super().__init__(master)
        self.hgap, self.vgap = hgap, vgap
        self.items: List[tk.Widget] = []
        self._width = 0
        self.rows = 0
        self.bind("<Configure>", self._on_configure, True)

    def add(self, widget: tk.Widget) -> tk.Widget:
        self.items.append(widget)
        self.after_idle(self.relayout)
        return widget

    def clear(self) -> None:
        """Destroy all children."""
        for widget in self.items:
            widget.destroy()
        self.items.clear()
        self.relayout()

    def _on_configure(self, event: tk.Event) -> None:
        if event.width != self._width:
            self._width = event.width
            self.relayout()

    def relayout(self) -> None:
        """Place the children in rows that fit the current width; ask for their height."""
        if not self.winfo_exists():
            return
        width = self.winfo_width()
        if width <= 1:  # not laid out yet: one row
            width = sum(w.winfo_reqwidth() + self.hgap for w in self.items)
        rows: List[List[tk.Widget]] = [[]] if self.items else []
        x = 0
        for widget in self.items:
            w = widget.winfo_reqwidth()
            if x > 0 and x + w > width:  # wrap
                rows.append([])
                x = 0
            rows[-1].append(widget)
            x += w + self.hgap
        y = 0
        for row in rows:  # each row as tall as its tallest child, the others centred in it
            row_h = max(w.winfo_reqheight() for w in row)
            x = 0
            for widget in row:
                widget.place(x=x, y=y + (row_h - widget.winfo_reqheight()) // 2)
                x += widget.winfo_reqwidth() + self.hgap
            y += row_h + self.vgap
        self.rows = len(rows)
        # the narrowest useful width is that of the widest child; the height follows the rows
        self.configure(width=max((w.winfo_reqwidth() for w in self.items), default=1),
                       height=max(1, y - self.vgap))
