"""Keeping the plug-in's windows inside small screens (1366×768, 1280×720).

``ScreenFitScroller`` shows one frame in a canvas. It asks for the frame's full
height while the window it lives in fits the screen, and for less (with a
scrollbar) when it would not, so a dialog's OK/Cancel row stays on screen on
1366×768 and 1280×720 laptops. ``OnScreenKeeper`` does the same for dialogs
that grow while open. Pure Tk; no Thonny imports.
"""
from __future__ import annotations

import re
import tkinter as tk
import tkinter.font
from tkinter import ttk
from typing import Callable, Optional

from thonnycontrib.esp32cam.frontend import theme_colors

MIN_VISIBLE = 120  # px of content always shown, however small the screen
BOTTOM_RESERVE = 48  # px kept free at the bottom (task bar / dock)
SCROLL_TAG_PREFIX = "Esp32CamScroll"
# Widgets that scroll their own content with the wheel: the page leaves it to them.
WHEEL_OWNERS = ("Text", "Listbox")
# Widgets whose *value* Tk's class bindings change with the wheel (ttk::combobox::Scroll,
# ttk::spinbox::Spin, Tk 8.6): on a page that scrolls this changed a choice under a pointer
# that stood still while the page moved beneath it. Here the wheel always scrolls the
# page and never changes a value, focused or not; the keyboard (Up/Down) and the
# drop-down list change it, deliberate acts on the control.
WHEEL_VALUE_CHANGERS = ("TCombobox", "TSpinbox", "Spinbox", "Scale", "TScale")


def screen_top_of(widget: tk.Misc) -> int:
    """Where a dialog of ``widget``'s application opens at the highest: Thonny
    places dialogs no higher than the main window (``ui_utils._place_window``,
    Thonny 4.1.7 and 5.0.1), whose top is the root window's."""
    root = widget.nametowidget(".")
    top = root.winfo_rooty() if root.winfo_ismapped() else 0
    return max(0, min(top, widget.winfo_screenheight() // 4))


class ScreenFitScroller(ttk.Frame):
    """``content`` must be created with ``scroller.canvas`` as master (Tk clips a
    child window only to its own parent); then call ``set_content(content)``."""

    def __init__(self, master: tk.Misc, *, budget: Optional[Callable[[], int]] = None) -> None:
        super().__init__(master)
        self._budget = budget or self._default_budget
        self.canvas = tk.Canvas(self, highlightthickness=0, borderwidth=0, width=1, height=1)
        theme_colors.paint(self.canvas, background=theme_colors.background)
        self.scrollbar = ttk.Scrollbar(self, orient="vertical", command=self.canvas.yview)
        self.canvas.configure(yscrollcommand=self.scrollbar.set)
        self.canvas.grid(row=0, column=0, sticky="nsew")
        self.columnconfigure(0, weight=1)
        self.rowconfigure(0, weight=1)
        self.content: Optional[tk.Widget] = None
        self._fitting = False  # fit() is measuring (it runs idle tasks, which may call it again)
        self._fit_again = False
        self._item: Optional[int] = None
        self._fit_pending: Optional[str] = None
        self._tag = f"{SCROLL_TAG_PREFIX}{id(self)}"
        self.canvas.bind("<Configure>", self._on_canvas_configure, True)
        self._bind_scrolling(self._tag)

    # --- content ----------------------------------------------------------
    def set_content(self, content: tk.Widget) -> None:
        self.content = content
        self._item = self.canvas.create_window(0, 0, window=content, anchor="nw")
        content.bind("<Configure>", lambda e: self.schedule_fit(), True)
        self.schedule_fit()

    def schedule_fit(self) -> None:
        if self._fit_pending is None:
            self._fit_pending = self.after_idle(self.fit)

    def fit(self) -> None:
        """Ask for the content's full height, or for what keeps the window on screen."""
        self._fit_pending = None
        if self.content is None or not self.winfo_exists():
            return
        if self._fitting:  # update_idletasks() below ran a fit scheduled meanwhile
            self._fit_again = True
            return
        self._fitting = True
        try:
            self._fit()
        finally:
            self._fitting = False
        if self._fit_again:  # the content changed while this fit measured: measure again
            self._fit_again = False
            self.schedule_fit()

    def _fit(self) -> None:
        self._tag_descendants(self.canvas)
        toplevel = self.winfo_toplevel()
        budget = self._budget()
        height = int(self.canvas.cget("height"))
        # The window may not grow 1:1 with the canvas (a notebook is as tall as its
        # tallest page), so measure, adjust, measure again.
        for _ in range(4):
            toplevel.update_idletasks()
            wanted = self.content.winfo_reqheight()  # idle tasks may have grown the content
            spare = budget - toplevel.winfo_reqheight()
            new = min(wanted, max(MIN_VISIBLE, height + spare))
            if new == height:
                break
            height = new
            self.canvas.configure(width=self.content.winfo_reqwidth(), height=height)
        self.canvas.configure(width=self.content.winfo_reqwidth())
        if height < wanted:
            self.scrollbar.grid(row=0, column=1, sticky="ns")
        else:
            self.scrollbar.grid_remove()
            self.canvas.yview_moveto(0)
        self._update_scrollregion()
        # the dialog may grow after it was placed (another interpreter chosen in it)
        toplevel.update_idletasks()
        move_into_screen(toplevel)

    def _default_budget(self) -> int:
        return self.winfo_screenheight() - screen_top_of(self) - BOTTOM_RESERVE

    def _on_canvas_configure(self, event: tk.Event) -> None:
        if self._item is not None:
            self.canvas.itemconfigure(self._item, width=event.width)  # content fills the width
        self._update_scrollregion()

    def _update_scrollregion(self) -> None:
        if self.content is not None:
            self.canvas.configure(scrollregion=(0, 0, self.content.winfo_reqwidth(),
                                                self.content.winfo_reqheight()))

    @property
    def scrolls(self) -> bool:
        return bool(self.scrollbar.winfo_manager())

    # --- wheel, keyboard focus -----------------------------------------------
    def _bind_scrolling(self, tag: str) -> None:
        self.bind_class(tag, "<MouseWheel>", lambda e: self._on_wheel(e, -1 if e.delta > 0 else 1), True)
        self.bind_class(tag, "<Button-4>", lambda e: self._on_wheel(e, -1), True)  # X11 wheel up
        self.bind_class(tag, "<Button-5>", lambda e: self._on_wheel(e, 1), True)
        self.bind_class(tag, "<FocusIn>", self._on_focus_in, True)

    def _tag_descendants(self, widget: tk.Misc) -> None:
        for child in widget.winfo_children():
            tags = child.bindtags()
            if self._tag not in tags:
                child.bindtags((self._tag,) + tags)
            self._tag_descendants(child)

    def _on_wheel(self, event: tk.Event, units: int) -> Optional[str]:
        widget_class = event.widget.winfo_class()
        if widget_class in WHEEL_OWNERS:
            return None  # a text or list under the pointer scrolls itself
        if self.scrolls:
            self.canvas.yview_scroll(units * 2, "units")
        # "break": the widget's class binding (a combobox changing its value) does not run
        return "break" if widget_class in WHEEL_VALUE_CHANGERS else None

    def _on_focus_in(self, event: tk.Event) -> None:
        """Tab into a field below the visible part: bring it into view."""
        if not self.scrolls or self.content is None:
            return
        widget = event.widget
        try:
            top = widget.winfo_rooty() - self.content.winfo_rooty()
        except (tk.TclError, AttributeError):
            return
        total = max(1, self.content.winfo_reqheight())
        first, last = self.canvas.yview()
        if top < first * total or top + widget.winfo_height() > last * total:
            self.canvas.yview_moveto(max(0.0, (top - 10) / total))


TITLE_RESERVE = 32  # px for a window manager's title bar above a dialog


class OnScreenKeeper:
    """Keeps a dialog that grows (log shown, options opened) on screen: first the
    flexible ``text`` loses lines (down to ``min_lines``), then the window moves up.

    Tk never moves a window by itself, so a dialog placed when small would
    otherwise grow past the bottom of a 720 px screen."""

    def __init__(self, toplevel: tk.Toplevel, text: tk.Text, min_lines: int = 3) -> None:
        self.toplevel = toplevel
        self.text = text
        self.min_lines = min_lines
        self.full_lines = int(text.cget("height"))
        self._pending: Optional[str] = None
        toplevel.bind("<Configure>", self._on_configure, True)

    def max_height(self) -> int:
        return self.toplevel.winfo_screenheight() - BOTTOM_RESERVE - TITLE_RESERVE

    def _on_configure(self, event: tk.Event) -> None:
        if event.widget is self.toplevel and self._pending is None:
            self._pending = self.toplevel.after_idle(self.fit)

    def fit(self) -> None:
        self._pending = None
        top = self.toplevel
        if not top.winfo_exists():
            return
        top.update_idletasks()
        # give the text back its lines when there is room again, take them when there is not
        line_px = max(1, int(tk.font.Font(font=self.text.cget("font")).metrics("linespace")))
        lines = int(self.text.cget("height"))
        spare = self.max_height() - top.winfo_reqheight()
        wanted = max(self.min_lines, min(self.full_lines, lines + spare // line_px))
        if wanted != lines:
            self.text.configure(height=wanted)
            top.update_idletasks()
        move_into_screen(top)


def move_into_screen(top: tk.Misc) -> None:
    """Move a mapped window up so that its bottom is on screen (Tk never does)."""
    if not top.winfo_ismapped():
        return
    height = max(top.winfo_height(), top.winfo_reqheight())
    overflow = top.winfo_rooty() + height - (top.winfo_screenheight() - BOTTOM_RESERVE)
    if overflow > 0:
        match = re.search(r"([+-]-?\d+)([+-]-?\d+)$", top.wm_geometry())
        if match:
            x, y = int(match.group(1)), int(match.group(2))
            top.wm_geometry("+%d+%d" % (x, max(0, y - overflow)))


class LogReason:
    """Where a work dialog's log starts to say why the work failed (``mark``, in the
    order the log's text came), and ``show``: the log scrolled so that line is at
    the top. A log follows its end; when a small screen leaves it few lines, the
    reason would otherwise be above them."""

    def __init__(self, text: tk.Text) -> None:
        self.text = text
        self.index: Optional[str] = None

    def mark(self) -> None:
        self.index = self.text.index("end-1c")

    def show(self) -> None:
        if self.index is not None:
            self.text.update_idletasks()  # a keeper that takes lines from the log has done so
            self.text.yview(self.index)
