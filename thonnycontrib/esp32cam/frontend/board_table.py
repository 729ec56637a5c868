"""The tray's table of boards: a checkbox, port, adapter and MAC per board, a status column
that follows its progress and its result; below it, what the selected board said.

Gridded into the tray's frame (rows ``row`` and ``row + 1``). While the tray runs, the
checkboxes do not change (``locked``).
"""
from __future__ import annotations

import tkinter as tk
import tkinter.font as tkfont
from tkinter import ttk
from typing import Any, Callable, Dict, List, Optional, Sequence, Tuple

from thonnycontrib.esp32cam.core import classroom as cr
from thonnycontrib.esp32cam.core.i18n import N_, _
from thonnycontrib.esp32cam.frontend import theme_colors
from thonnycontrib.esp32cam.frontend.keyboard import focus_first_row

CHECKED, UNCHECKED = "☑", "☐"
# column, heading (translated where shown), sample text that sets its width
COLUMNS = (("use", "", "☑☑"), ("port", N_("Port"), "/dev/ttyUSB10 xx"),
           ("adapter", N_("Adapter"), "CH9102 x"), ("mac", "MAC", "24:0a:c4:00:00:00 xx"),
           ("status", N_("Status"), "retrying at 115200 baud"),
           ("result", N_("Result"), "failed (download-mode) x"))
# a board's result as the table shows it (core.classroom's words)
RESULT_WORDS = {"identified": N_("identified"), "no answer": N_("no answer")}
# What the boards said about themselves in this session: port -> MAC
KNOWN_MACS: Dict[str, str] = {}


class BoardTable:
    def __init__(self, frame: ttk.Frame, row: int, result_heading: str,
                 on_checked: Callable[[], None], locked: Callable[[], bool]) -> None:
        self._on_checked, self._locked = on_checked, locked
        self.checked: Dict[str, bool] = {}
        self._messages: Dict[str, str] = {}
        self.tree = ttk.Treeview(frame, columns=[c[0] for c in COLUMNS], show="headings", height=8,
                                 selectmode="browse")
        font = tkfont.nametofont(ttk.Style().lookup("Treeview", "font") or "TkDefaultFont")
        for key, heading, sample in COLUMNS:
            shown = result_heading if key == "result" else (heading and _(heading))
            self.tree.heading(key, text=shown)
            heading_font = tkfont.nametofont("TkHeadingFont")  # the heading must show whole too
            width = max(font.measure(sample), heading_font.measure(shown + "  ") if shown else 0)
            self.tree.column(key, width=width, minwidth=font.measure("☑☑"),
                             anchor="center" if key == "use" else "w",
                             stretch=key in ("port", "status", "result"))
        self.tree.grid(row=row, column=0, sticky="nsew")
        bar = ttk.Scrollbar(frame, orient="vertical", command=self.tree.yview)
        bar.grid(row=row, column=1, sticky="ns")
        self.tree.configure(yscrollcommand=bar.set)
        self.tree.bind("<Button-1>", self._on_click, True)
        self.tree.bind("<space>", lambda e: self.toggle(self.tree.focus()), True)
        self.tree.bind("<<TreeviewSelect>>", lambda e: self.show_detail(), True)

        self.detail_text = tk.Text(frame, height=4, width=80, wrap="word", font="TkDefaultFont")
        theme_colors.paint_text(self.detail_text)
        self.detail_text.grid(row=row + 1, column=0, sticky="we", pady=(6, 0))
        detail_bar = ttk.Scrollbar(frame, orient="vertical", command=self.detail_text.yview)
        detail_bar.grid(row=row + 1, column=1, sticky="ns", pady=(6, 0))
        self.detail_text.configure(state="disabled", yscrollcommand=detail_bar.set)

    # -- choosing ---------------------------------------------------------------------
    def fill(self, ports: Sequence[Tuple[str, str]]) -> None:
        self.tree.delete(*self.tree.get_children())
        self.checked = {port: self.checked.get(port, True) for port, _adapter in ports}
        for port, adapter in ports:
            self.tree.insert("", "end", iid=port, values=(
                CHECKED if self.checked[port] else UNCHECKED, port, adapter,
                KNOWN_MACS.get(port, "?"), "", ""))
        focus_first_row(self.tree)  # Space toggles a board as soon as the list has the focus

    def _on_click(self, event: tk.Event) -> Optional[str]:
        if self.tree.identify_region(event.x, event.y) == "cell" and self.tree.identify_column(event.x) == "#1":
            self.toggle(self.tree.identify_row(event.y))
        return None

    def toggle(self, port: str) -> None:
        if port and not self._locked():
            self.set_checked(port, not self.checked.get(port, False))

    def set_checked(self, port: str, value: bool) -> None:
        self.checked[port] = value
        self.tree.set(port, "use", CHECKED if value else UNCHECKED)
        self._on_checked()

    def check_all(self, value: bool) -> None:
        if not self._locked():
            for port in self.checked:
                self.set_checked(port, value)

    def chosen(self) -> List[str]:
        return [p for p in self.tree.get_children() if self.checked.get(p)]

    def row(self, port: str) -> Dict[str, str]:
        return dict(zip([c[0] for c in COLUMNS], self.tree.item(port, "values")))

    # -- a run's progress and results --------------------------------------------------
    def mark_waiting(self, ports: List[str]) -> None:
        for port in self.tree.get_children():
            self.tree.set(port, "status", _("waiting") if port in ports else "")
            if port in ports:
                self.tree.set(port, "result", "")
                self._messages.pop(port, None)

    def show_board(self, snap: Dict[str, Any]) -> None:
        port = snap["port"]
        if not self.tree.exists(port):
            return
        if snap["mac"]:
            KNOWN_MACS[port] = snap["mac"]
            self.tree.set(port, "mac", snap["mac"])
        percent = f" {snap['percent']:.0f} %" if snap["percent"] is not None else ""
        self.tree.set(port, "status", snap["status"] + percent)

    def show_results(self, boards: List[cr.BoardRun]) -> None:
        """Each board's row; the first failed board is selected, its message shown."""
        for board in boards:
            if not self.tree.exists(board.port):
                continue
            self.tree.set(board.port, "mac", board.mac or KNOWN_MACS.get(board.port, "?"))
            status = _("done in {seconds} s") if board.ok else _("failed in {seconds} s")
            self.tree.set(board.port, "status", status.format(seconds=round(board.seconds)))
            self.tree.set(board.port, "result", result_text(board))
            self._messages[board.port] = board.message
        failed = next((b.port for b in boards if not b.ok), None)
        if failed:
            self.tree.selection_set(failed)
            self.tree.focus(failed)
        self.show_detail()

    def show_detail(self) -> None:
        port = self.tree.focus() or (self.tree.selection() or ("",))[0]
        text = self._messages.get(port, "")
        self.detail_text.configure(state="normal")
        self.detail_text.delete("1.0", "end")
        self.detail_text.insert("1.0", f"{port}: {text}" if text else "")
        self.detail_text.configure(state="disabled")


def result_text(board: cr.BoardRun) -> str:
    if board.result in RESULT_WORDS:
        return _(RESULT_WORDS[board.result])
    if board.ok:
        baud = board.detail.get("baud")
        if board.detail.get("diagnosis"):
            return board.firmware
        return _("ok ({baud} baud)").format(baud=baud) if baud else _("ok")
    if board.detail.get("diagnosis"):
        return board.firmware or board.result
    return _("failed ({reason})").format(reason=board.result)
