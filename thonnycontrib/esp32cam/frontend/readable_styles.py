"""Thonny's own widget styles, made readable inside the plug-in's windows.

Some of Thonny's themes draw texts below 4.5:1 (WCAG 2.1 AA): Clean Dark's buttons
(#9f9f9f on #3d3d3d, 4.1:1), its unfocused selected tree rows (#9f9f9f on #404040,
3.9:1) (``thonny/plugins/clean_ui_themes.py``, 4.1.7 and 5.0.1). The plug-in does not
change Thonny's styles: each ttk widget of its windows gets a derived style
(``Esp32camReadable.<its style>``, inheriting layout and looks) whose foreground, in
every state the theme maps, is the theme's own when readable, else the theme's
selection or label foreground, else black or white. Disabled states keep the theme's
colour (SC 1.4.3 exempts inactive components). The derived styles are worked out again
on each theme change (``theme_colors.apply_styles``).
"""
from __future__ import annotations

import tkinter as tk
from tkinter import ttk
from typing import Any, Dict, List, Tuple

from thonnycontrib.esp32cam.core import contrast
from thonnycontrib.esp32cam.frontend import theme_colors

PREFIX = "Esp32camReadable."
OWN_PREFIX = "Esp32cam"  # the plug-in's styles (theme_colors) are readable already
# widget class → (sub-style suffix, option behind the text) of each text it draws
PARTS: Dict[str, Tuple[Tuple[str, str], ...]] = {
    "TButton": (("", "background"),), "TCheckbutton": (("", "background"),),
    "TRadiobutton": (("", "background"),), "TLabel": (("", "background"),),
    "TMenubutton": (("", "background"),), "TLabelframe": ((".Label", "background"),),
    "Treeview": (("", "background"), (".Heading", "background")),
    "TEntry": (("", "fieldbackground"),), "TCombobox": (("", "fieldbackground"),),
    "TSpinbox": (("", "fieldbackground"),),
}

_derived: Dict[str, Tuple[str, str]] = {}  # derived style → (parent style, widget class)


def _chain(style_name: str) -> List[str]:
    """``Tip.TLabel`` → ``["Tip.TLabel", "TLabel", "."]`` (ttk's fallback order)."""
    parts = style_name.split(".")
    return [".".join(parts[i:]) for i in range(len(parts))] + ["."]


def _states(style: ttk.Style, style_name: str, bg_option: str) -> List[Tuple[str, ...]]:
    """Every state spec the theme maps the text's foreground or background for."""
    found: List[Tuple[str, ...]] = []
    for name in _chain(style_name):
        for option in ("foreground", bg_option):
            for entry in style.map(name, option) or []:
                spec = tuple(" ".join(str(s) for s in entry[:-1]).split())
                if spec and spec not in found:
                    found.append(spec)
    return found


def _readable(widget: tk.Misc, style: ttk.Style, parent: str, bg_option: str, spec: Tuple[str, ...]) -> str:
    def look(name: str, option: str) -> str:
        return str(style.lookup(name, option, spec) or "")

    bg = theme_colors.colour(widget, look(parent, bg_option), look(parent, "background"),
                             theme_colors.text_area_colours(widget)["background"])
    fg = theme_colors.colour(widget, look(parent, "foreground"))
    return contrast.first_readable([fg, theme_colors.colour(widget, look(".", "selectforeground")),
                                    theme_colors.foreground(widget), contrast.plain_text(bg)], bg)


def configure_derived(widget: tk.Misc, derived: str) -> None:
    """(Re)compute ``derived``'s foreground for the active theme."""
    parent, cls = _derived[derived]
    style = ttk.Style(widget)
    for suffix, bg_option in PARTS[cls]:
        mine, theirs = derived + suffix, parent + suffix
        theme_colors.set_options(style, mine, foreground=_readable(widget, style, theirs, bg_option, ()))
        entries = []
        for spec in _states(style, theirs, bg_option):
            if "disabled" in spec:  # inactive: the theme's own colour
                value = str(style.lookup(theirs, "foreground", spec) or style.lookup(theirs, "foreground"))
            else:
                value = _readable(widget, style, theirs, bg_option, spec)
            entries.append((*spec, value))
        if entries:
            theme_colors.set_map(style, mine, "foreground", entries)


def reconfigure_all(widget: tk.Misc) -> None:
    for derived in list(_derived):
        configure_derived(widget, derived)


def _readable_tk_label(label: tk.Label, event: Any = None) -> None:
    """A Tk label (Thonny's development head writes a WorkDialog's instructions with one, in
    Clean Dark #9f9f9f on #404040): its foreground made readable on its own background."""
    if event is not None and event.widget is not label:
        return
    fg, bg = (theme_colors.colour(label, str(label.cget(o))) for o in ("foreground", "background"))
    if fg and bg and contrast.contrast_ratio(fg, bg) < contrast.AA_NORMAL_TEXT:
        style = ttk.Style(label)
        label.configure(foreground=contrast.first_readable(
            [theme_colors.colour(label, str(style.lookup(".", "selectforeground") or "")),
             theme_colors.foreground(label), contrast.plain_text(bg)], bg))


def make_readable(widget: tk.Misc) -> None:
    """Give ``widget`` (a ttk widget of the plug-in's windows) its readable derived style."""
    cls = widget.winfo_class()
    if cls == "Label" and isinstance(widget, tk.Label) and str(widget.cget("text")):
        _readable_tk_label(widget)
        widget.bind("<<ThemeChanged>>", lambda event: _readable_tk_label(widget, event), "+")
        return
    if cls not in PARTS:
        return
    current = str(widget.cget("style")) or cls
    if current.startswith(OWN_PREFIX):
        return
    widget.configure(style=_derive(widget, current, cls))


def _derive(widget: tk.Misc, current: str, cls: str) -> str:
    derived = PREFIX + current
    if derived not in _derived:
        _derived[derived] = (current, cls)
        configure_derived(widget, derived)
    return derived


def _descendants(widget: tk.Misc):
    for child in widget.winfo_children():
        yield child
        yield from _descendants(child)


def readable_tree(widget: tk.Misc) -> None:
    """Every ttk widget in ``widget`` and below, as built now."""
    theme_colors.use_theme(widget)
    for cls in PARTS:  # derived now, not when a widget appears: a style change makes Tk redraw everything
        _derive(widget, cls, cls)
    for w in [widget, *_descendants(widget)]:
        make_readable(w)


def readable_window(toplevel: tk.Toplevel) -> tk.Toplevel:
    """Every ttk widget of a plug-in's own window, also those it shows later (every
    descendant's ``<Map>`` reaches the toplevel's binding: it is in their bind tags)."""
    theme_colors.use_theme(toplevel)
    readable_tree(toplevel)
    toplevel.bind("<Map>", lambda event: make_readable(event.widget)
                  if isinstance(event.widget, tk.Misc) else None, "+")
    return toplevel


theme_colors.follow_theme(reconfigure_all)
