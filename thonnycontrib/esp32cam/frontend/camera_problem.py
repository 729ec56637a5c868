"""The camera view's explanation of a camera problem (core.camera.problems): its title,
what it means, what the board said, and the installer button when a firmware would help.

Everything in it wraps to the view's width (``wrap_to``): Thonny docks the view in a
column about 300 px wide in its default 800-px window, and translations run longer."""
from __future__ import annotations

import tkinter as tk
from tkinter import ttk
from typing import Any, Callable, Dict

from thonnycontrib.esp32cam.core.camera.problems import ACTION_INSTALL_FIRMWARE
from thonnycontrib.esp32cam.core.contrast import ERROR, marked
from thonnycontrib.esp32cam.core.i18n import _
from thonnycontrib.esp32cam.frontend import theme_colors
from thonnycontrib.esp32cam.frontend.fit import BUTTON_WIDTH

# A button whose text wraps (the label element's wraplength, set through a style: a
# ttk.Button has no wraplength option of its own).
WRAPPING_BUTTON_STYLE = "Esp32CamWrapping.TButton"
BUTTON_PADDING = 24  # px the button's border and padding take beside its text
LABEL_SLACK = 6  # px a ttk.Label may ask for beyond its wraplength


class CameraProblemPanel(ttk.Frame):
    def __init__(self, master: tk.Misc, open_installer: Callable[[], None]) -> None:
        super().__init__(master)
        theme_colors.use_theme(self)
        self.problem_title = ttk.Label(self, text="", style=theme_colors.ERROR, font="BoldTkDefaultFont",
                                       wraplength=480, justify="left")
        self.problem_title.grid(row=0, column=0, sticky="w")
        self.problem_text = ttk.Label(self, text="", wraplength=480, justify="left")
        self.problem_text.grid(row=1, column=0, sticky="w")
        ttk.Style(self).configure(WRAPPING_BUTTON_STYLE, justify="center")
        self.install_button = ttk.Button(self, text=_("Install camera firmware…"),
                                         command=open_installer, width=BUTTON_WIDTH,
                                         style=WRAPPING_BUTTON_STYLE)
        self.columnconfigure(0, weight=1)

    def wrap_to(self, width: int) -> None:
        """Wrap the texts (and the button's) to ``width`` pixels."""
        self.problem_title.configure(wraplength=max(40, width - LABEL_SLACK))
        self.problem_text.configure(wraplength=max(40, width - LABEL_SLACK))
        ttk.Style(self).configure(WRAPPING_BUTTON_STYLE,
                                  wraplength=max(40, width - BUTTON_PADDING))

    def show(self, problem: Dict[str, Any]) -> None:
        """Fill the panel in (the view grids it)."""
        self.problem_title.configure(text=marked(ERROR, problem.get("title") or _("Camera problem")))
        text = problem.get("explanation", "")
        details = (problem.get("details") or "").strip()
        if details:
            text += "\n\n" + _("The board said: {line}").format(line=details.splitlines()[-1])
        self.problem_text.configure(text=text)
        if problem.get("action") == ACTION_INSTALL_FIRMWARE:
            self.install_button.grid(row=2, column=0, sticky="w", pady=(6, 0))
        else:
            self.install_button.grid_remove()
