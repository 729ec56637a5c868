"""The serial link's rate in Thonny's status bar, next to the interpreter switcher.

Fed by the back-end's ``LINK_RATE_EVENT`` (backend.fast_link) whenever the rate is
settled: at connect, after the board was reset, after a renegotiation.

The status bar is one line shared with Thonny's interpreter switcher, whose text
(interpreter and port) can be long: of the forms in ``status_texts`` the label
shows the longest that fits the room left, so it is never clipped (Thonny's
default window is 800 px wide: ``layout.width``, Thonny 4.1.7 and 5.0.1).
"""
from __future__ import annotations

import tkinter as tk
import tkinter.font
from tkinter import ttk
from typing import Any, List, Optional, Tuple

from thonny import get_workbench

from thonnycontrib.esp32cam.core.i18n import _
from thonnycontrib.esp32cam.frontend.readable_styles import make_readable
from thonnycontrib.esp32cam.thonny_compat import front

_label: Optional[ttk.Label] = None
_shown: Optional[Tuple[int, bool]] = None  # (rate, unsupported) of the last event
PAD_RIGHT = 8
LABEL_SLACK = 4  # px a ttk.Label adds around its text (borders, rounding)


def status_texts(rate: int, unsupported: bool) -> List[str]:
    """The label's forms, the most telling first, the shortest last."""
    forms = []
    if unsupported:
        forms += [_("ESP32-CAM link: {rate} baud (firmware limit)").format(rate=rate),
                  _("{rate} baud (firmware limit)").format(rate=rate)]
    forms += [_("ESP32-CAM link: {rate} baud").format(rate=rate), _("{rate} baud").format(rate=rate)]
    if rate >= 1000000:
        forms.append(_("{rate} Mbd").format(rate=_decimal(rate / 1000000)))
    elif rate >= 1000:
        forms.append(_("{rate} kbd").format(rate=_decimal(rate / 1000)))
    return forms


def _decimal(value: float) -> str:
    return ("%.1f" % value).rstrip("0").rstrip(".")


def status_text(rate: int, unsupported: bool) -> str:
    return status_texts(rate, unsupported)[0]


def _ensure_label() -> Optional[ttk.Label]:
    global _label
    if _label is not None and _label.winfo_exists():
        return _label
    workbench = get_workbench()
    bar = front.status_bar()
    if bar is None:
        return None
    _label = ttk.Label(bar, text="")
    make_readable(_label)
    _label.grid(row=1, column=2, sticky="e", padx=(0, PAD_RIGHT))
    bar.bind("<Configure>", lambda event: _fit(), True)  # the window was resized
    workbench.bind("BackendRestart", lambda event=None: clear(), True)
    return _label


def _room(label: ttk.Label) -> int:
    """Pixels the status bar leaves the label beside Thonny's widgets in its row."""
    bar = label.master
    others = 0
    for widget in bar.grid_slaves(row=1):
        if widget is not label and widget.winfo_ismapped():
            others += widget.winfo_reqwidth()
    return bar.winfo_width() - others - PAD_RIGHT


def _fit() -> None:
    if _label is None or not _label.winfo_exists() or _shown is None:
        return
    room = _room(_label)
    font = tk.font.Font(font=str(_label.cget("font")) or ttk.Style(_label).lookup("TLabel", "font")
                        or "TkDefaultFont")
    forms = status_texts(*_shown)
    # none fits (a narrow window, a long port in the switcher): show nothing rather than a clipped text
    text = next((form for form in forms if font.measure(form) + LABEL_SLACK <= room), "")
    if str(_label.cget("text")) != text:
        _label.configure(text=text)


def show(event: Any) -> None:
    global _shown
    label = _ensure_label()
    rate = getattr(event, "rate", None)
    if label is None or not isinstance(rate, int):
        return
    _shown = (rate, bool(getattr(event, "unsupported", False)))
    label.update_idletasks()  # the switcher's text is settled: measure the room
    _fit()
    label.esp32cam_detail = str(getattr(event, "text", ""))  # for tests and tooltips


def current_text() -> str:
    return str(_label.cget("text")) if _label is not None and _label.winfo_exists() else ""


def clear() -> None:
    global _shown
    _shown = None
    if _label is not None and _label.winfo_exists():
        _label.configure(text="")
