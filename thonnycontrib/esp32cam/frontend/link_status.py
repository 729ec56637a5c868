"""The serial link's rate in Thonny's status bar, next to the interpreter switcher.

Fed by the back-end's ``LINK_RATE_EVENT`` (backend.fast_link) whenever the rate is
settled: at connect, after the board was reset, after a renegotiation.
"""
from __future__ import annotations

from tkinter import ttk
from typing import Any, Optional

from thonny import get_workbench

from thonnycontrib.esp32cam.core.i18n import _
from thonnycontrib.esp32cam.frontend.readable_styles import make_readable
from thonnycontrib.esp32cam.thonny_compat import front

_label: Optional[ttk.Label] = None


def status_text(rate: int, unsupported: bool) -> str:
    if unsupported:
        return _("ESP32-CAM link: {rate} baud (firmware limit)").format(rate=rate)
    return _("ESP32-CAM link: {rate} baud").format(rate=rate)


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
    _label.grid(row=1, column=2, sticky="e", padx=(0, 8))
    workbench.bind("BackendRestart", lambda event=None: clear(), True)
    return _label


def show(event: Any) -> None:
    label = _ensure_label()
    rate = getattr(event, "rate", None)
    if label is None or not isinstance(rate, int):
        return
    label.configure(text=status_text(rate, bool(getattr(event, "unsupported", False))))
    label.esp32cam_detail = str(getattr(event, "text", ""))  # for tests and tooltips


def current_text() -> str:
    return str(_label.cget("text")) if _label is not None and _label.winfo_exists() else ""


def clear() -> None:
    if _label is not None and _label.winfo_exists():
        _label.configure(text="")
