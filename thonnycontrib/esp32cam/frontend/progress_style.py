"""A progress bar whose bar can be told from its trough in every Thonny theme.

Thonny's clam-based themes give ``TProgressbar`` the frame colour as its bar colour
(``thonny/plugins/base_ui_themes.py``, Thonny 4.1.7 and 5.0.1), so a full bar looks
empty. The bar takes the theme's selection colour instead (the colour of selected
text), again after every theme change (ttk styles are per theme)."""
from __future__ import annotations

from tkinter import ttk

STYLE = "Esp32Cam.Horizontal.TProgressbar"


def apply_visible_bar(bar: ttk.Progressbar) -> None:
    def configure(event: object = None) -> None:
        style = ttk.Style(bar)
        colour = (style.lookup("TEntry", "selectbackground") or style.lookup(".", "selectbackground")
                  or style.lookup("TProgressbar", "background"))
        if colour:
            style.configure(STYLE, background=colour)

    configure()
    bar.configure(style=STYLE)
    bar.bind("<<ThemeChanged>>", configure, True)
