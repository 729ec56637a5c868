"""The Wi-Fi dialog's WebREPL row: "Allow WebREPL" and its password (core.webrepl_access).
The password goes to the board only, through a file the back-end removes at once."""
from __future__ import annotations

import tkinter as tk
from tkinter import ttk
from typing import Any, Optional

from thonnycontrib.esp32cam.core import webrepl_access
from thonnycontrib.esp32cam.core.i18n import _


class WebReplRow(ttk.Frame):
    def __init__(self, master: Any, **pad: Any) -> None:
        super().__init__(master)
        self.columnconfigure(1, weight=1)
        self.allow_var = tk.BooleanVar(value=False)
        self.check = ttk.Checkbutton(
            self, text=_("Allow WebREPL (connect Thonny over Wi-Fi, without the cable)"),
            variable=self.allow_var, command=self._update)
        self.check.grid(row=0, column=0, columnspan=2, sticky="w", **pad)
        ttk.Label(self, text=_("WebREPL password (4 to 9 characters):")).grid(row=1, column=0, sticky="w", **pad)
        self.password_var = tk.StringVar()
        self.entry = ttk.Entry(self, textvariable=self.password_var, show="•", width=12)
        self.entry.grid(row=1, column=1, sticky="w", **pad)
        self._update()

    def _update(self) -> None:
        self.entry.state(["!disabled"] if self.allow_var.get() else ["disabled"])

    def password(self) -> Optional[str]:
        """The WebREPL password to keep, or None (WebREPL not asked for)."""
        return self.password_var.get() if self.allow_var.get() else None

    def problem(self, store: bool) -> Optional[str]:
        password = self.password()
        if password is None:
            return None
        if not store:
            return _("WebREPL needs the network kept on the board: tick \"Join at every boot\".")
        return webrepl_access.check_password(password)

    def clear(self) -> None:
        self.password_var.set("")
