"""Ways into the Wi-Fi dialog besides Tools → ESP32-CAM Wi-Fi…: the interpreter page's
*Wi-Fi* row, and *Set up Wi-Fi…* on the installer's last page (issue 23, item 1). The dialog
talks to the board through Thonny's back-end, so it opens once the board is at its prompt."""
from __future__ import annotations

import time
import tkinter as tk
from tkinter import ttk
from typing import Any, Callable, Optional

from thonny.ui_utils import ems_to_pixels

from thonnycontrib.esp32cam.core.i18n import _
from thonnycontrib.esp32cam.frontend.camera_requests import backend_is_idle
from thonnycontrib.esp32cam.frontend.fit import BUTTON_WIDTH

WAIT_SECONDS = 60  # a freshly installed board boots, then Thonny's back-end connects


def open_when_at_prompt(master: tk.Misc, say: Callable[[str], None], seconds: float = WAIT_SECONDS) -> None:
    """The Wi-Fi dialog over ``master`` (modal) as soon as the ESP32-CAM back-end is idle."""
    from thonnycontrib.esp32cam.frontend.wifi_dialog import open_wifi_dialog

    deadline = time.monotonic() + seconds

    def check() -> None:
        if not master.winfo_exists():
            return
        if backend_is_idle():
            say("")
            open_wifi_dialog(master, modal=True)
        elif time.monotonic() < deadline:
            master.after(250, check)
        else:
            say(_("The board did not come to its prompt. Check the connection (Stop/Restart, "
                  "Ctrl+F2), then use Tools → ESP32-CAM Wi-Fi…."))

    say(_("Waiting for the board's prompt…"))
    check()


class WifiRow(ttk.LabelFrame):
    """The interpreter page's *Wi-Fi* section: a button to the dialog, modal over Options."""

    def __init__(self, master: tk.Misc) -> None:
        super().__init__(master, text=" " + _("Wi-Fi") + " ")
        self.button = ttk.Button(self, text=_("Wi-Fi…"), command=self.open)
        self.button.grid(row=0, column=0, sticky="w", padx=5, pady=(4, 4))
        self.note = ttk.Label(self, text=_("Put the board on a Wi-Fi network (the camera view then "
                                           "streams over it)."), wraplength=ems_to_pixels(34))
        self.note.grid(row=0, column=1, sticky="w", padx=5)

    def open(self) -> Optional[Any]:
        from thonnycontrib.esp32cam.frontend.wifi_dialog import open_wifi_dialog

        if not backend_is_idle():
            self.note.configure(text=_("Thonny is not connected to the board yet: press OK to connect "
                                       "first, then open this page again and press Wi-Fi…."))
            return None
        return open_wifi_dialog(self.winfo_toplevel(), modal=True)


class WifiOfferMixin:
    """For the installer: after a good install, *Set up Wi-Fi…* below its choices."""

    wifi_button: Optional[ttk.Button] = None

    def _finished(self, success: bool) -> None:
        if not success:
            return
        self.progress_bar().configure(value=100, maximum=100)  # type: ignore[attr-defined]
        if self.wifi_button is None:
            self.wifi_button = ttk.Button(self.main_frame, text=_("Set up Wi-Fi…"),  # type: ignore[attr-defined]
                                          command=self.set_up_wifi, width=BUTTON_WIDTH)
            pad = self.get_large_padding()  # type: ignore[attr-defined]
            self.wifi_button.grid(row=8, column=0, columnspan=3, sticky="w", padx=pad, pady=(pad / 2, 0))

    def set_up_wifi(self) -> None:
        open_when_at_prompt(self, lambda text: self.info_label.configure(text=text))  # type: ignore[arg-type, attr-defined]
