"""Tools → Options → Interpreter page of the ESP32-CAM back-end.

Thonny's ESP32 page plus: a port field that also takes network ports
(``rfc2217://host:port``), DTR/RTS choices with their electrical meaning, and a
link to the camera-firmware installer once one is registered with
``set_firmware_installer``. DTR/RTS live in page-local variables: Cancel leaves
the options untouched, OK writes real booleans to ``[ESP32CAM]``.
"""
from __future__ import annotations

import tkinter as tk
from logging import getLogger
from tkinter import ttk
from typing import Callable, Dict, List, Optional

from thonny import get_workbench
from thonny.ui_utils import ems_to_pixels

from thonnycontrib.esp32cam.core.fastlink import SPEED_OPTION
from thonnycontrib.esp32cam.core.i18n import N_, _
from thonnycontrib.esp32cam.core.ports import check_port_text
from thonnycontrib.esp32cam.core.contrast import ERROR, marked
from thonnycontrib.esp32cam.frontend.line_chooser import LineChooser
from thonnycontrib.esp32cam.frontend.readable_styles import readable_tree
from thonnycontrib.esp32cam.frontend.scrolling import ScreenFitScroller
from thonnycontrib.esp32cam.frontend.speed_chooser import SpeedChooser
from thonnycontrib.esp32cam.frontend import theme_colors
from thonnycontrib.esp32cam.frontend.wifi_entry import WifiRow
from thonnycontrib.esp32cam.thonny_compat import front

logger = getLogger(__name__)

# shown by Thonny in the installer link, "(camera firmware)"; translated there, and Thonny
# hands the shown text back to open_installer_kind
FIRMWARE_INSTALLER_KIND = N_("camera firmware")
PORT_TEXT_EMS = 36  # wrap width of the texts below the port field, in em

# Opens the camera-firmware installer dialog; registered from load_plugin().
_firmware_installer: Optional[Callable[[tk.Misc], None]] = None


def set_firmware_installer(opener: Callable[[tk.Misc], None]) -> None:
    """Show an "Install or update camera firmware" link on this page; ``opener(master)``."""
    global _firmware_installer
    _firmware_installer = opener


class Esp32CamConfigPage(front.config_page_base()):
    """Thonny grids this page into the Options dialog; it lives in a
    ``ScreenFitScroller`` instead (see ``grid``), which scrolls it when the
    dialog would be taller than the screen (1366×768, 1280×720 laptops).

    Thonny's options-page contract (apply / is_modified / should_restart, which
    changed on Thonny's development head) is ``thonny_compat``'s; this page
    implements its ``esp32cam_*`` hooks. Where Thonny has its own DTR/RTS choice
    (development head), both show the one value in effect."""

    def __init__(self, master):
        # Tk clips a window only to its own parent: the page must be the canvas's child.
        self._scroller = ScreenFitScroller(master)
        super().__init__(self._scroller.canvas)
        self._scroller.set_content(self)
        self._option_snapshot = self._snapshot_shared_options()
        self._applied = False
        # Thonny's dialog does not forward Cancel to back-end pages: revert on close instead
        self.bind("<Destroy>", self._on_destroy, True)

        # Typing a URL (or a device that is not plugged in yet) is allowed.
        self.port_combobox().state(["!readonly"])
        area = self.esp32cam_area()
        below_port = ttk.Frame(area)
        below_port.grid(row=5, column=0, sticky="nw")
        # Both wrap: the page asks for its content's width (ScreenFitScroller), so an unwrapped
        # error quoting a long typed URL would widen the whole Options dialog.
        ttk.Label(
            below_port, text=_("…or type a network port, e.g. rfc2217://192.168.1.20:4000"),
            wraplength=ems_to_pixels(PORT_TEXT_EMS), justify="left",
        ).grid(row=0, column=0, sticky="nw")
        theme_colors.use_theme(below_port)
        self._port_error_label = ttk.Label(below_port, text="", style=theme_colors.ERROR, justify="left",
                                           wraplength=ems_to_pixels(PORT_TEXT_EMS))  # gridded when needed

        self._lines = LineChooser(area, self.backend_name)
        self._lines.grid(row=7, column=0, columnspan=2, sticky="nwe", pady=(ems_to_pixels(1), 0))
        from thonnycontrib.esp32cam.frontend.board_profile_chooser import BoardProfileChooser

        self._board_profile = BoardProfileChooser(area)
        self._board_profile.grid(row=8, column=0, columnspan=2, sticky="nwe", pady=(ems_to_pixels(1), 0))
        self._board_profile.combo.bind("<<ComboboxSelected>>", lambda e: self.esp32cam_live_change(), True)
        self._speed = SpeedChooser(area, self.backend_name)
        self._speed.grid(row=9, column=0, columnspan=2, sticky="nwe", pady=(ems_to_pixels(1), 0))
        self._wifi = WifiRow(area)  # the Wi-Fi dialog, modal over Options
        self._wifi.grid(row=10, column=0, columnspan=2, sticky="nwe", pady=(ems_to_pixels(1), 0))
        for var in list(self._lines.vars.values()) + [self._speed.var]:
            var.trace_add("write", lambda *args: self.esp32cam_live_change())
        self.esp32cam_ready()
        readable_tree(self)  # Thonny's styles as they read on this page (WCAG AA)

    # --- geometry: Thonny manages the page, we hand that to the scroller ----
    # BackendConfigurationPage calls page.grid(...) / page.grid_forget() (Thonny 4.1.7, 5.0.1).
    def grid_configure(self, cnf=None, **kw):
        self._scroller.grid_configure(cnf or {}, **kw)

    grid = grid_configure

    def grid_forget(self):
        self._scroller.grid_forget()

    def grid_remove(self):
        self._scroller.grid_remove()

    @property
    def scroller(self) -> ScreenFitScroller:
        return self._scroller

    def _show_port_error(self, text: str) -> None:
        # as wide as the page already is (never less than PORT_TEXT_EMS), never wider
        width = max(ems_to_pixels(PORT_TEXT_EMS), self.esp32cam_area().winfo_width() - ems_to_pixels(1))
        self._port_error_label.configure(text=marked(ERROR, text), wraplength=width)
        if text:
            self._port_error_label.grid(row=1, column=0, sticky="nw")
            self.update_idletasks()
            self._scroller.canvas.yview_moveto(0)  # the port field is at the top
        else:
            self._port_error_label.grid_remove()

    # --- values ---------------------------------------------------------
    def get_line_values(self) -> Dict[str, bool]:
        """DTR/RTS as chosen on the page (True = asserted)."""
        return self._lines.values()

    def on_thonny_lines_chosen(self, dtr: bool, rts: bool) -> None:
        """Thonny's own DTR/RTS box changed: this page shows the same value."""
        self._lines.show(dtr, rts)

    def get_stored_port_desc(self):
        desc = super().get_stored_port_desc()
        if desc:
            return desc
        # a URL or a device that is not plugged in: show it as typed
        return get_workbench().get_option(self.backend_name + ".port") or ""

    def get_selected_port_name(self):
        text = self.port_text_variable().get()
        known = self.known_port_names()
        if text in known:
            return known[text]
        port, _error = check_port_text(text)
        return port

    # --- the options-page contract's hooks (thonny_compat.front_page) ----
    def esp32cam_modified(self) -> bool:
        return self._lines.is_modified() or self._board_profile.is_modified() or self._speed.is_modified()

    def esp32cam_needs_restart(self) -> bool:
        return self._lines.is_modified() or self._speed.is_modified()

    def esp32cam_has_notes(self) -> bool:
        return bool(self._speed.note or self._lines.had_notes or not self._lines.stored_are_booleans())

    def esp32cam_check(self) -> bool:
        self._applied = True
        text = self.port_text_variable().get()
        if text not in self.known_port_names():
            _port, error = check_port_text(text)
            if error:
                self._show_port_error(error)
                self._applied = False
                return False
        self._show_port_error("")
        return True

    def esp32cam_write(self, force: bool = False) -> None:
        wb = get_workbench()
        if force or self._board_profile.is_modified():
            self._board_profile.apply()
        if force or self._speed.is_modified() or self._speed.note:
            wb.set_option(f"{self.backend_name}.{SPEED_OPTION}", self._speed.value())
        if force or self._lines.is_modified() or self._lines.had_notes or not self._lines.stored_are_booleans():
            for name, value in self.get_line_values().items():
                wb.set_option(f"{self.backend_name}.{name}", value)

    def _on_destroy(self, event) -> None:
        if event.widget is self and not self._applied:
            self.cancel()

    def cancel(self):
        # Thonny's checkboxes on this page write their options immediately; undo that.
        for name, value in self._option_snapshot.items():
            if get_workbench().get_option(name) != value:
                get_workbench().set_option(name, value)

    def _snapshot_shared_options(self) -> Dict[str, object]:
        names = ["interrupt_on_connect", "sync_time", "local_rtc", "restart_interpreter_before_run"]
        return {
            f"{self.backend_name}.{name}": get_workbench().get_option(f"{self.backend_name}.{name}")
            for name in names
        }

    # --- firmware installer link ----------------------------------------
    def get_flashing_dialog_kinds(self) -> List[str]:
        # Thonny's own ESP32 installers offer builds without a camera driver.
        return [_(FIRMWARE_INSTALLER_KIND)] if _firmware_installer else []

    def installer_link_title(self) -> str:
        return _("Install or update")

    def open_installer_kind(self, kind: str) -> None:
        if kind in (FIRMWARE_INSTALLER_KIND, _(FIRMWARE_INSTALLER_KIND)) and _firmware_installer:
            _firmware_installer(self.winfo_toplevel())
        else:
            raise ValueError(f"Unexpected kind {kind}")  # a programming error, not for the user

    def intro_text(self):
        return _(
            "Connect the ESP32-CAM (through its USB-serial adapter or the ESP32-CAM-MB board)\n"
            "and select its port below, or leave it on automatic detection.\n"
            "No port? Install the adapter's USB driver (CH340 or CP210x) and try another cable."
        )
