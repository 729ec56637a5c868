"""The doctor dialog's findings: the diagnosis' title, what it means, the fix, and its
evidence (boot log, port errors), collapsible; the texts wrap to the dialog's width."""
from __future__ import annotations

import tkinter as tk
from tkinter import ttk
from typing import Callable, List, Optional, Tuple

from thonnycontrib.esp32cam.core import diagnosis as dg
from thonnycontrib.esp32cam.core.i18n import N_, _, ngettext
from thonnycontrib.esp32cam.frontend import theme_colors
from thonnycontrib.esp32cam.frontend.fit import at_least


# button labels, translated where the buttons are made (offered_fixes)
FIX_LABELS = {dg.FIX_SET_LINES: N_("Use DTR/RTS that worked"),
              dg.FIX_RELEASE_AND_RESET: N_("Release lines and reset"),
              dg.FIX_INTERRUPT_AT_BOOT: N_("Reset and interrupt start-up"),
              dg.FIX_OPEN_INSTALLER: N_("Open firmware installer…"),
              dg.FIX_WAIT_FOR_RST: N_("Listen while I press RST"),
              dg.FIX_RETRY: N_("Diagnose again")}


def offered_fixes(result: dg.Diagnosis, wanted: Callable[[str], bool]) -> List[Tuple[str, str]]:
    """(fix, button label) of the result's fixes the dialog can apply and ``wanted(fix)`` keeps."""
    return [(fix, _(FIX_LABELS[fix])) for fix in result.fixes if fix in FIX_LABELS and wanted(fix)]


def onoff(value: Optional[bool]) -> str:
    return _("on") if value else _("off")


class DoctorFindings:
    """Gridded into the dialog's ``frame``, rows ``row`` (title) to ``row + 4`` (evidence)."""

    def __init__(self, frame: ttk.Frame, row: int) -> None:
        pad = {"padx": 12, "pady": 4}
        theme_colors.use_theme(frame)
        self._frame, self._row = frame, row
        self.title_var = tk.StringVar()
        self.title_label = ttk.Label(frame, textvariable=self.title_var, font="TkHeadingFont")
        self.title_label.grid(row=row, column=0, columnspan=3, sticky="w", padx=12, pady=(10, 2))
        self.meaning_var = tk.StringVar()
        self._wrapping: List[ttk.Label] = [ttk.Label(frame, textvariable=self.meaning_var, wraplength=560, justify="left")]
        self._wrapping[0].grid(row=row + 1, column=0, columnspan=3, sticky="w", **pad)
        self.fix_var = tk.StringVar()
        self._wrapping.append(ttk.Label(frame, textvariable=self.fix_var, wraplength=560, justify="left",
                                        font="TkDefaultFont"))
        self._wrapping[1].grid(row=row + 2, column=0, columnspan=3, sticky="w", **pad)
        frame.bind("<Configure>", self._on_resize, True)  # texts wrap to the dialog's width

        self.evidence_button = ttk.Button(frame, text="", width=at_least(24), command=self.toggle_evidence)
        # evidence lines (boot log, port errors) can be long: wrap them, scroll when many
        self.evidence_frame = ttk.Frame(frame)
        self.evidence_frame.columnconfigure(0, weight=1)
        self.evidence_frame.rowconfigure(0, weight=1)
        self.evidence_text = tk.Text(self.evidence_frame, height=9, width=72, wrap="word", font="TkFixedFont",
                                     takefocus=True)  # read-only, yet Tab reaches it: arrows scroll it
        theme_colors.paint_text(self.evidence_text)
        self.evidence_text.grid(row=0, column=0, sticky="nsew")
        scrollbar = ttk.Scrollbar(self.evidence_frame, orient="vertical", command=self.evidence_text.yview)
        scrollbar.grid(row=0, column=1, sticky="ns")
        self.evidence_text.configure(yscrollcommand=scrollbar.set)
        frame.rowconfigure(row + 4, weight=1)
        self._evidence_shown = False
        self._evidence_lines = 0

    def _on_resize(self, event: tk.Event) -> None:
        if event.widget is self._frame:
            for label in self._wrapping:
                label.configure(wraplength=max(200, event.width - 32))

    def show(self, result: dg.Diagnosis) -> None:
        mark = "✔ " if result.ok else "✖ "
        title = result.title
        if result.ok or result.code == dg.HELD_IN_RESET:
            title = _("{title} (works with DTR {dtr}, RTS {rts})").format(
                title=title, dtr=onoff(result.dtr), rts=onoff(result.rts))
        self.title_var.set(mark + title)
        self.title_label.configure(style=theme_colors.OK if result.ok else theme_colors.ERROR)
        self.meaning_var.set(result.meaning)
        self.fix_var.set(_("Fix: {fix}").format(fix=result.fix))

        self.evidence_text.configure(state="normal")
        self.evidence_text.delete("1.0", "end")
        self.evidence_text.insert("1.0", "\n".join(result.evidence))
        self.evidence_text.configure(state="disabled")
        self._evidence_lines = len(result.evidence)
        self.evidence_button.grid(row=self._row + 3, column=0, columnspan=3, sticky="w", padx=8, pady=(6, 0))
        self._set_evidence_visible(self._evidence_shown)

    def toggle_evidence(self) -> None:
        self._set_evidence_visible(not self._evidence_shown)

    def _set_evidence_visible(self, visible: bool) -> None:
        self._evidence_shown = visible
        n = self._evidence_lines
        if visible:
            self.evidence_button.configure(text=ngettext(
                "▾ Evidence ({n} line)", "▾ Evidence ({n} lines)", n).format(n=n))
            self.evidence_frame.grid(row=self._row + 4, column=0, columnspan=3, sticky="nsew", padx=12, pady=4)
        else:
            self.evidence_button.configure(text=ngettext(
                "▸ Evidence ({n} line)", "▸ Evidence ({n} lines)", n).format(n=n))
            self.evidence_frame.grid_remove()
