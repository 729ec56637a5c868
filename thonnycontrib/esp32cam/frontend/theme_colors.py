"""The colours of the plug-in's widgets, taken from Thonny's active UI theme.

Normal text, backgrounds and fields come from the ttk style (what Thonny's theme set,
``ttk.Style().lookup``); status colours (ok / warning / error), muted text and links are
chosen so that they read at least 4.5:1 against the actual background (WCAG 2.1 AA,
``core.contrast``), preferring the syntax theme's own error and link colours.

ttk widgets take the plug-in's styles (``MUTED``, ``OK``, ``WARNING``, ``ERROR`` labels,
``SPINBOX``); plain Tk widgets are painted with ``paint``. Both follow a theme switch: Tk
sends ``<<ThemeChanged>>`` to every widget after ``ttk::style theme use`` (Tk's
``library/ttk/ttk.tcl``, ``ttk::ThemeChanged``), which Thonny's Tools → Options → Theme &
Font calls through ``Workbench.reload_themes`` (Thonny 4.1.7 and 5.0.1).
"""
from __future__ import annotations

import tkinter as tk
from tkinter import ttk
from typing import Callable, Dict, List, Optional

from thonnycontrib.esp32cam.core import contrast
from thonnycontrib.esp32cam.thonny_compat import front

MUTED = "Esp32camMuted.TLabel"
OK = "Esp32camOk.TLabel"
WARNING = "Esp32camWarning.TLabel"
ERROR = "Esp32camError.TLabel"
SPINBOX = "Esp32cam.TSpinbox"
STATUS_STYLES = {contrast.OK: OK, contrast.WARNING: WARNING, contrast.ERROR: ERROR}

_applied: Dict[str, str] = {}  # root window path → the theme the styles were last worked out for
_followers: List[Callable[[tk.Misc], None]] = []  # more to redo on a theme change (readable_styles)


def _lookup(widget: tk.Misc, style: str, option: str) -> str:
    return str(ttk.Style(widget).lookup(style, option) or "")


def _hex(widget: tk.Misc, colour: str) -> str:
    return contrast.to_hex(contrast.from_16bit(widget.winfo_rgb(colour)))


def colour(widget: tk.Misc, *looked_up: str) -> Optional[str]:
    """The first of ``looked_up`` that is a colour (``#rrggbb``); None if none is."""
    for name in looked_up:
        if name:
            try:
                return _hex(widget, name)
            except tk.TclError:  # not a colour Tk knows on this system
                continue
    return None


def background(widget: tk.Misc) -> str:
    """Behind labels and frames."""
    return colour(widget, _lookup(widget, "TLabel", "background"), _lookup(widget, "TFrame", "background"),
                  _lookup(widget, ".", "background"), str(widget.winfo_toplevel().cget("background"))) \
        or contrast.WHITE


def foreground(widget: tk.Misc) -> str:
    """Normal label text."""
    bg = background(widget)
    return colour(widget, _lookup(widget, "TLabel", "foreground"), _lookup(widget, ".", "foreground")) \
        or contrast.plain_text(bg)


def muted_foreground(widget: tk.Misc) -> str:
    """Secondary text (progress, hints): fainter than normal text, still readable."""
    return contrast.muted(foreground(widget), background(widget))


def status_foreground(widget: tk.Misc, kind: str) -> str:
    """``contrast.OK`` / ``WARNING`` / ``ERROR`` text on the labels' background."""
    preferred = colour(widget, front.syntax_colour("stderr") or "") if kind == contrast.ERROR else None
    return contrast.status_colour(kind, background(widget), preferred)


def link_foreground(widget: tk.Misc) -> str:
    theme_links = [colour(widget, front.syntax_colour("hyperlink") or ""),
                   colour(widget, _lookup(widget, "Url.TLabel", "foreground"))]
    return contrast.link_colour(background(widget), theme_links)


def field_colours(widget: tk.Misc) -> Dict[str, str]:
    """``foreground`` and ``background`` of entry fields (what Thonny's theme gives TEntry)."""
    bg = colour(widget, _lookup(widget, "TEntry", "fieldbackground"), _lookup(widget, "Text", "background")) \
        or background(widget)
    fg = colour(widget, _lookup(widget, "TEntry", "foreground"), _lookup(widget, ".", "foreground"))
    return {"foreground": contrast.first_readable([fg, contrast.plain_text(bg)], bg), "background": bg}


def text_area_colours(widget: tk.Misc) -> Dict[str, str]:
    """Colours of a Tk ``Text`` (Thonny's themes configure the pseudo-style ``Text``)."""
    field = field_colours(widget)
    bg = colour(widget, _lookup(widget, "Text", "background")) or field["background"]
    fg = colour(widget, _lookup(widget, "Text", "foreground")) or field["foreground"]
    return {"foreground": contrast.first_readable([fg, contrast.plain_text(bg)], bg), "background": bg}


def set_options(style: ttk.Style, name: str, **options: str) -> None:
    """``style.configure(name, **options)`` for the options that differ: every style change
    makes Tk send ``<<ThemeChanged>>`` to all widgets again (which calls ``apply_styles``)."""
    changed = {key: value for key, value in options.items()
               if str(style.configure(name, query_opt=key) or "") != value}
    if changed:
        style.configure(name, **changed)


def set_map(style: ttk.Style, name: str, option: str, entries: List[tuple]) -> None:
    """``style.map(name, option=entries)`` if that is not the map already (see ``set_options``)."""
    def normal(items: List[tuple]) -> List[tuple]:
        return [(" ".join(str(s) for s in e[:-1]).split(), str(e[-1])) for e in items]

    if normal(list(style.map(name, option) or [])) != normal(entries):
        style.map(name, **{option: entries})


def apply_styles(widget: tk.Misc) -> None:
    """(Re)configure the plug-in's styles in the active theme."""
    style = ttk.Style(widget)
    set_options(style, MUTED, foreground=muted_foreground(widget))
    for kind, name in STATUS_STYLES.items():
        set_options(style, name, foreground=status_foreground(widget, kind))
    field = field_colours(widget)
    # clam's spinbox field stays white unless its style says otherwise (Clean Dark sets TEntry only)
    set_options(style, SPINBOX, fieldbackground=field["background"], foreground=field["foreground"],
                insertcolor=field["foreground"], arrowcolor=field["foreground"])
    for follower in _followers:
        follower(widget)


def follow_theme(callback: Callable[[tk.Misc], None]) -> None:
    """``callback(widget)`` runs with ``apply_styles``: when a window opens, on theme changes."""
    if callback not in _followers:
        _followers.append(callback)


def _theme_signature(widget: tk.Misc) -> str:
    return "%s|%s" % (ttk.Style(widget).theme_use(), front.syntax_colour("stderr"))


def use_theme(widget: tk.Misc) -> None:
    """Styles ready for a window about to be built, and kept up to date on theme changes
    (worked out again only when the UI or syntax theme changed: a window opens quickly)."""
    root = widget.nametowidget(".")
    if str(root) not in _applied:
        root.bind("<<ThemeChanged>>", lambda event: _on_root_theme_changed(root, event), "+")
    _apply_if_changed(root)


def themed(widget: tk.Misc, style: str) -> str:
    """``style`` (one of the plug-in's), after ``use_theme(widget)``."""
    use_theme(widget)
    return style


def _apply_if_changed(root: tk.Misc) -> None:
    signature = _theme_signature(root)
    if _applied.get(str(root)) != signature:
        _applied[str(root)] = signature
        apply_styles(root)


def _on_root_theme_changed(root: tk.Misc, event: tk.Event) -> None:
    if str(event.widget) == str(root):  # the event reaches every widget: act once
        _apply_if_changed(root)


def paint(widget: tk.Misc, **options: Callable[[tk.Misc], str]) -> None:
    """Configure a Tk widget's colour ``options`` (e.g. ``background=background``) now and
    after every theme change."""
    def apply(event: Optional[tk.Event] = None) -> None:
        if event is None or event.widget is widget:
            widget.configure(**{name: role(widget) for name, role in options.items()})

    apply()
    widget.bind("<<ThemeChanged>>", apply, "+")


def focus_ring(widget: tk.Misc) -> str:
    """The theme's selection colour, for a Tk widget's focus highlight."""
    return colour(widget, _lookup(widget, ".", "selectbackground")) or foreground(widget)


def paint_text(text: tk.Text) -> None:
    """A Tk ``Text`` in the theme's text colours (also its cursor and its highlight ring, which
    Thonny's themes leave light grey), now and after theme changes."""
    paint(text, foreground=lambda w: text_area_colours(w)["foreground"],
          background=lambda w: text_area_colours(w)["background"],
          insertbackground=lambda w: text_area_colours(w)["foreground"],
          highlightbackground=background, highlightcolor=focus_ring)
