"""Tools → "Wi-Fi for ESP32-CAM…": pick a network the board hears, type the password once,
the board joins and keeps it for every boot (core.wifi, backend/wifi_commands.py)."""
from __future__ import annotations

import os
import tempfile
import tkinter as tk
from logging import getLogger
from tkinter import ttk
from typing import Any, Dict, List, Optional

from thonny import get_runner, get_workbench
from thonny.common import InlineCommand

from thonnycontrib.esp32cam import thonny_compat
from thonnycontrib.esp32cam.core import backend_commands, wifi
from thonnycontrib.esp32cam.core.i18n import N_, _
from thonnycontrib.esp32cam.frontend.camera_requests import backend_is_idle
from thonnycontrib.esp32cam.frontend.fit import BUTTON_WIDTH
from thonnycontrib.esp32cam.frontend.keyboard import bind_dialog_keys, bind_enter, focus_first_row
from thonnycontrib.esp32cam.frontend.readable_styles import readable_window
from thonnycontrib.esp32cam.frontend.webrepl_row import WebReplRow

logger = getLogger("thonnycontrib.esp32cam.frontend.wifi")

TITLE = N_("ESP32-CAM Wi-Fi")  # translated where shown
RESPONSE = backend_commands.WIFI + "_response"
WRAP = 460  # px: long messages wrap inside a dialog that fits 1280x720


def _password_file(password: str) -> str:
    """A file only the user can read (mkstemp: mode 0600) in Thonny's user folder."""
    fd, path = tempfile.mkstemp(prefix=".esp32cam-wifi-", dir=thonny_compat.user_dir())
    with os.fdopen(fd, "w", encoding="utf-8") as f:
        f.write(password)
    return path


class WifiDialog(tk.Toplevel):
    def __init__(self, master: Any) -> None:
        super().__init__(master)
        self.title(_(TITLE))
        self.networks: List[Dict[str, Any]] = []
        self.result: Optional[Dict[str, Any]] = None
        self._pending_files: List[Optional[str]] = []
        self._waiting = False
        self._build()
        self.protocol("WM_DELETE_WINDOW", self.close)
        # Enter joins (in the list: on to the password), Escape closes
        bind_dialog_keys(self, default=self.join, cancel=self.close, focus=self.tree)
        bind_enter(self.tree, self._enter_in_list)
        get_workbench().bind(RESPONSE, self._on_response, True)
        self.transient(master)
        readable_window(self)  # Thonny's styles as they read in this window (WCAG AA)
        self.after(50, self.scan)

    def _build(self) -> None:
        pad = {"padx": 12, "pady": 4}
        frame = ttk.Frame(self)
        frame.grid(sticky="nsew")
        self.columnconfigure(0, weight=1)
        self.rowconfigure(0, weight=1)
        frame.columnconfigure(0, weight=1)
        frame.rowconfigure(1, weight=1)
        ttk.Label(frame, text=_("Networks the board hears (an ESP32 sees only 2.4 GHz networks):"),
                  wraplength=WRAP).grid(row=0, column=0, columnspan=2, sticky="w", **pad)
        self.tree = ttk.Treeview(frame, columns=("signal", "security"), height=7, selectmode="browse")
        self.tree.heading("#0", text=_("Network"))
        self.tree.heading("signal", text=_("Signal"))
        self.tree.heading("security", text=_("Security"))
        self.tree.column("#0", width=220)
        self.tree.column("signal", width=130)
        self.tree.column("security", width=90)
        self.tree.grid(row=1, column=0, sticky="nsew", **pad)
        self.tree.bind("<<TreeviewSelect>>", self._on_select)
        self.tree.bind("<ButtonRelease-1>", lambda e: self._to_password(), True)
        self.scan_button = ttk.Button(frame, text=_("Scan again"), command=self.scan,
                                      width=BUTTON_WIDTH)
        self.scan_button.grid(row=1, column=1, sticky="n", **pad)

        form = ttk.Frame(frame)
        form.grid(row=2, column=0, columnspan=2, sticky="we")
        form.columnconfigure(1, weight=1)
        ttk.Label(form, text=_("Network name:")).grid(row=0, column=0, sticky="w", **pad)
        self.ssid_var = tk.StringVar()
        self.ssid_entry = ttk.Entry(form, textvariable=self.ssid_var)
        self.ssid_entry.grid(row=0, column=1, sticky="we", **pad)
        ttk.Label(form, text=_("Password:")).grid(row=1, column=0, sticky="w", **pad)
        self.password_var = tk.StringVar()
        self.password_entry = ttk.Entry(form, textvariable=self.password_var, show="•")
        self.password_entry.grid(row=1, column=1, sticky="we", **pad)
        self.store_var = tk.BooleanVar(value=True)
        ttk.Checkbutton(form, text=_("Join at every boot (kept on the board, not in Thonny)"),
                        variable=self.store_var).grid(row=2, column=1, sticky="w", **pad)
        self.webrepl = WebReplRow(form, **pad)
        self.webrepl.grid(row=3, column=0, columnspan=2, sticky="we")

        self.status_var = tk.StringVar(value=_("Scanning…"))
        ttk.Label(frame, textvariable=self.status_var, wraplength=WRAP, justify="left").grid(
            row=3, column=0, columnspan=2, sticky="we", **pad)
        buttons = ttk.Frame(frame)
        buttons.grid(row=4, column=0, columnspan=2, sticky="e", padx=8, pady=(4, 10))
        self.join_button = ttk.Button(buttons, text=_("Join"), command=self.join, default="active", width=BUTTON_WIDTH)
        self.join_button.grid(row=0, column=0, padx=4)
        ttk.Button(buttons, text=_("Close"), command=self.close, width=BUTTON_WIDTH).grid(row=0, column=1, padx=4)

    # --- requests -----------------------------------------------------------------------
    def _send(self, **kwargs: Any) -> bool:
        if self._waiting:
            return False
        if not backend_is_idle():
            self.status_var.set(_("The board is busy or not connected: select the ESP32-CAM "
                                  "interpreter, wait for its >>> prompt (press Stop if a program "
                                  "runs), then try again."))
            return False
        self._waiting = True
        self.scan_button.state(["disabled"])
        self.join_button.state(["disabled"])
        get_runner().send_command(InlineCommand(backend_commands.WIFI, **kwargs))
        return True

    def scan(self) -> None:
        if self._send(do="scan"):
            self.status_var.set(_("Scanning…"))

    def join(self) -> None:
        ssid = self.ssid_var.get().strip()
        password = self.password_var.get()
        if not ssid:
            self.status_var.set(_("Pick a network in the list or type its name."))
            return
        problem = wifi.check_password(password) or self.webrepl.problem(self.store_var.get())
        if problem:
            self.status_var.set(problem)
            return
        path = _password_file(password) if password else None
        webrepl_password = self.webrepl.password()
        webrepl_file = _password_file(webrepl_password) if webrepl_password else None
        if self._send(do="join", ssid=ssid, password_file=path, store=self.store_var.get(),
                      seconds=wifi.DEFAULT_JOIN_SECONDS, webrepl_file=webrepl_file):
            self._pending_files = [path, webrepl_file]
            self.status_var.set(_("Joining {ssid}… (up to {seconds} s)").format(
                ssid=ssid, seconds=round(wifi.DEFAULT_JOIN_SECONDS)))
        else:
            self._pending_files = [path, webrepl_file]
            self._forget_password_file()

    # --- answers ------------------------------------------------------------------------
    def _on_response(self, msg: Any) -> None:
        if not self._waiting or not self.winfo_exists():
            return
        self._waiting = False
        self._forget_password_file()
        self.scan_button.state(["!disabled"])
        self.join_button.state(["!disabled"])
        answer = {key: getattr(msg, key, None) for key in ("networks", "ok", "code", "message", "ip",
                                                           "rssi", "stored", "error", "webrepl_url")}
        if answer["networks"] is not None:
            self._show_networks(answer["networks"])
        if answer["error"]:
            self.status_var.set("✗ " + answer["error"])
            return
        if answer["code"] is None:  # a scan
            self.status_var.set(_("Pick your network and type its password.") if self.networks else
                                _("The board hears no network. An ESP32 sees only 2.4 GHz "
                                  "networks; move it closer to the access point and scan again."))
            return
        self.result = answer
        if answer["ok"]:
            self.password_var.set("")
            self.webrepl.clear()
            lines = ["✓ " + answer["message"], _("IP address: {ip}").format(ip=answer["ip"])]
            if answer["rssi"] is not None:
                lines.append(_("Signal: {rssi} dBm ({words})").format(
                    rssi=answer["rssi"], words=wifi.signal_words(answer["rssi"])))
            if answer["stored"]:
                lines.append(_("The board joins this network at every boot."))
            if answer["webrepl_url"]:
                lines.append(_("WebREPL runs at {url}: in Tools → Options → Interpreter choose "
                               "\"< WebREPL >\" as the port, with this URL and your WebREPL "
                               "password.").format(url=answer["webrepl_url"]))
            self.status_var.set("\n".join(lines))
        else:
            self.status_var.set("✗ " + answer["message"])

    def _show_networks(self, networks: List[Dict[str, Any]]) -> None:
        self.networks = list(networks)
        self.tree.delete(*self.tree.get_children())
        for n in self.networks:
            self.tree.insert("", "end", iid=n["ssid"], text=n["ssid"],
                             values=(_("{rssi} dBm, {signal}").format(**n),
                                     _("password") if n["secured"] else _("open")))
        focus_first_row(self.tree)

    def _on_select(self, event: Any = None) -> None:
        selected = self.tree.selection()
        if selected:
            self.ssid_var.set(selected[0])

    def _enter_in_list(self) -> None:
        """Enter in the list: on to the password if the network needs one not typed yet, else Join."""
        chosen = next((n for n in self.networks if (n["ssid"],) == self.tree.selection()), None)
        if chosen is not None and chosen["secured"] and not self.password_var.get():
            self.password_entry.focus_set()
        else:
            self.join()

    def _to_password(self) -> None:
        """A network clicked: the password is next. The arrow keys only move the selection,
        so the list keeps the focus while the user looks."""
        if self.tree.selection():
            self.password_entry.focus_set()

    def _forget_password_file(self) -> None:
        paths, self._pending_files = self._pending_files, []
        for path in paths:
            if path and os.path.exists(path):  # the back-end removes it; not if it never ran
                os.remove(path)

    def close(self) -> None:
        get_workbench().unbind(RESPONSE, self._on_response)
        self._forget_password_file()
        self.destroy()


_open_dialog: Optional[WifiDialog] = None


def open_wifi_dialog(master: Optional[tk.Misc] = None, modal: bool = False) -> WifiDialog:
    """The dialog over ``master`` (the Workbench by default). ``modal``: it takes the grab
    from ``master``'s window (the Options dialog, the installer) and gives it back on close."""
    global _open_dialog
    if _open_dialog is not None and _open_dialog.winfo_exists():
        _open_dialog.lift()
        return _open_dialog
    dialog = _open_dialog = WifiDialog(master or get_workbench())
    if modal:
        previous = dialog.grab_current()
        dialog.grab_set()
        if previous is not None:
            def give_back(event: Any) -> None:
                if event.widget is dialog and previous.winfo_exists():
                    previous.grab_set()
            dialog.bind("<Destroy>", give_back, True)
    return dialog
