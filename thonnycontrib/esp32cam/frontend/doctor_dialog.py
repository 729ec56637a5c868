"""Tools → "Diagnose ESP32-CAM connection…": the doctor's result in a dialog.

Disconnects Thonny's back-end from the port first (the doctor needs the port
for itself), runs the probe in a worker thread, shows title, meaning, fix and
the evidence (collapsible: ``doctor_findings``), offers the fixes it can apply
(``doctor_run``), and reconnects Thonny's back-end when the dialog closes.
"""
from __future__ import annotations

import tkinter as tk
from logging import getLogger
from tkinter import ttk
from typing import Any, List, Optional, Tuple

from thonny import get_runner, get_workbench

from thonnycontrib.esp32cam import BACKEND_NAME
from thonnycontrib.esp32cam.core import diagnosis as dg
from thonnycontrib.esp32cam.core import boards, doctor, sensors
from thonnycontrib.esp32cam.core.i18n import N_, _
from thonnycontrib.esp32cam.frontend.doctor_findings import DoctorFindings, offered_fixes, onoff
from thonnycontrib.esp32cam.frontend.doctor_run import fix_then_diagnose
from thonnycontrib.esp32cam.frontend.fit import BUTTON_WIDTH, wrap_to_width
from thonnycontrib.esp32cam.frontend.flow import FlowFrame
from thonnycontrib.esp32cam.frontend.keyboard import bind_dialog_keys
from thonnycontrib.esp32cam.frontend.queued_worker import QueuedWorker
from thonnycontrib.esp32cam.frontend.readable_styles import readable_window
from thonnycontrib.esp32cam.frontend.scrolling import OnScreenKeeper
from thonnycontrib.esp32cam.frontend import theme_colors
from thonnycontrib.esp32cam.thonny_compat import front

logger = getLogger(__name__)

TITLE = N_("ESP32-CAM connection doctor")  # translated where shown


def current_port_and_lines() -> Tuple[str, Optional[doctor.Lines]]:
    """The port the selected interpreter uses and the DTR/RTS it applies."""
    wb = get_workbench()
    backend = wb.get_option("run.backend_name")
    proxy = get_runner().get_backend_proxy() if get_runner() else None
    port = front.proxy_port(proxy) if proxy is not None else None
    if backend == BACKEND_NAME:
        from thonnycontrib.esp32cam.frontend.options import effective_line_options

        lines = effective_line_options()
        configured = doctor.Lines(lines["dtr"].value, lines["rts"].value)
    elif backend in ("ESP32", "ESP8266"):
        # Thonny's own interpreters: None means pyserial's default, i.e. asserted
        configured = doctor.Lines(wb.get_option(f"{backend}.dtr") is not False,
                                  wb.get_option(f"{backend}.rts") is not False)
    else:
        backend, configured = BACKEND_NAME, None
    if not port:
        port = wb.get_option(f"{backend}.port") or wb.get_option(f"{BACKEND_NAME}.port") or ""
    if port in ("auto", "webrepl"):
        port = _guess_port()
    return port, configured


def _guess_port() -> str:
    from thonnycontrib.esp32cam.core import portcheck

    adapters = portcheck.usb_adapters(portcheck.list_ports())
    return str(adapters[0].device) if adapters else ""


def port_choices(port: str) -> List[str]:
    """The ports to choose from, ``port`` among them."""
    from thonnycontrib.esp32cam.core import portcheck

    values = [str(p.device) for p in portcheck.list_ports()]
    if port and port not in values:
        values.insert(0, port)
    return values


def installer_available() -> bool:
    """The firmware installer dialog (another part of the plug-in) is importable."""
    try:
        from thonnycontrib.esp32cam.frontend import flash_dialog
    except ImportError:
        return False
    return hasattr(flash_dialog, "FirmwareInstallerDialog")


def status_text(result: dg.Diagnosis) -> str:
    """The status line over a result: port, diagnosis code, the board's facts if known."""
    facts = sensors.BoardFacts.from_diagnosis(result.extra)
    if facts:
        return _("Port {port} — diagnosis code: {code} — board: {board}").format(
            port=result.port, code=result.code, board=facts.summary())
    return _("Port {port} — diagnosis code: {code}").format(port=result.port, code=result.code)


class DoctorDialog(tk.Toplevel):
    def __init__(self, master: Any, port: str = "", configured: Optional[doctor.Lines] = None,
                 autostart: bool = True, reconnect: bool = True) -> None:
        super().__init__(master)
        self.title(_(TITLE))
        self.configured = configured
        self.result: Optional[dg.Diagnosis] = None
        self.applied: List[str] = []
        self._reconnect = reconnect
        self._worker = QueuedWorker("esp32cam-doctor")
        self._closing = False
        self.protocol("WM_DELETE_WINDOW", self.close)
        self._build(port)
        self.transient(master)
        readable_window(self)  # Thonny's styles as they read in this window (WCAG AA)
        self._disconnected = self._disconnect_thonny()
        if autostart and port:
            self.after(50, self.start)

    # -- layout ------------------------------------------------------------
    def _build(self, port: str) -> None:
        pad = {"padx": 12, "pady": 4}
        frame = ttk.Frame(self)
        frame.grid(sticky="nsew")
        self.columnconfigure(0, weight=1)
        self.rowconfigure(0, weight=1)
        frame.columnconfigure(1, weight=1)

        ttk.Label(frame, text=_("Port:")).grid(row=0, column=0, sticky="w", **pad)
        self.port_var = tk.StringVar(value=port)
        self.port_box = ttk.Combobox(frame, textvariable=self.port_var, width=40,
                                     values=port_choices(port))
        self.port_box.grid(row=0, column=1, sticky="we", **pad)
        self.run_button = ttk.Button(frame, text=_("Diagnose"), command=self.start, width=BUTTON_WIDTH)
        self.run_button.grid(row=0, column=2, sticky="e", **pad)
        self.status_var = tk.StringVar(
            value="" if port else _("Choose the board's port, then press Diagnose."))
        status = ttk.Label(frame, textvariable=self.status_var, style=theme_colors.themed(frame, theme_colors.MUTED))
        status.grid(row=1, column=0, columnspan=2, sticky="w", **pad)
        self.tray_button = ttk.Button(frame, text=_("All boards…"), command=self.open_tray, width=BUTTON_WIDTH)
        self.tray_button.grid(row=1, column=2, sticky="e", **pad)
        wrap_to_width(status, frame, lambda: self.tray_button.winfo_reqwidth() + 64)  # long port, narrow dialog

        self.findings = DoctorFindings(frame, row=2)
        self.fix_frame = FlowFrame(frame)  # fix buttons wrap into rows in a narrow dialog
        self.fix_frame.grid(row=7, column=0, columnspan=2, sticky="we", padx=8, pady=(8, 10))
        self.close_button = ttk.Button(frame, text=_("Close"), command=self.close, width=BUTTON_WIDTH)
        self.close_button.grid(row=7, column=2, sticky="e", padx=12, pady=(8, 10))
        self.minsize(360, 200)
        self._on_screen = OnScreenKeeper(self, self.findings.evidence_text)
        # Enter: Diagnose (a fix button has it when focused); Escape: Close (after the probe)
        bind_dialog_keys(self, default=self.run_button, cancel=self.close, focus=self.port_box)

    # -- Thonny's back-end ---------------------------------------------------
    def _disconnect_thonny(self) -> bool:
        runner = get_runner()
        proxy = runner.get_backend_proxy() if runner else None
        if proxy is None or not hasattr(proxy, "disconnect"):
            return False
        logger.info("Doctor: disconnecting Thonny's back-end from the port")
        # Thonny's own Disconnect (Runner.disconnect): the proxy lets go of the port and stays;
        # destroy_backend would leave the runner without a proxy, and a message batch Thonny
        # is still working through then fails (dev head running.py _poll_backend_messages)
        runner.disconnect()
        return True

    def _reconnect_thonny(self) -> None:
        if self._disconnected and self._reconnect:
            get_runner().restart_backend(clean=False)
            self._disconnected = False

    # -- running ------------------------------------------------------------
    @property
    def busy(self) -> bool:
        return self._worker.alive

    def start(self) -> None:
        self._run_in_worker(None)

    def apply_fix(self, fix: str) -> None:
        """Apply one of the fixes offered for the current result, then diagnose again."""
        self.applied.append(fix)
        if fix == dg.FIX_SET_LINES:
            self._store_lines()
            self.start()
        elif fix == dg.FIX_OPEN_INSTALLER:
            self._open_installer()
        elif fix == dg.FIX_RETRY:
            self.start()
        else:
            self._run_in_worker(fix)

    def _run_in_worker(self, fix: Optional[str]) -> None:
        port = self.port_var.get().strip()
        if self.busy or not port:
            return
        self.run_button.state(["disabled"])
        self.fix_frame.clear()
        self.status_var.set(_("Working…"))
        configured, profile = self.configured, _board_profile()
        self._worker.start(lambda put: put("done", fix_then_diagnose(
            port, fix, configured, profile, progress=lambda m: put("progress", m))), "Doctor failed")
        self.after(40, self._poll)

    def _poll(self) -> None:
        if self._closing:
            if not self.busy:  # the probe let go of the port: Thonny may have it back
                self._finish_close()
            else:
                self.after(40, self._poll)
            return
        for kind, value in self._worker.drain():
            if kind == "progress":
                self.status_var.set(value + "…")
            elif kind == "done":
                self.show(value)
            elif kind == "error":
                self.status_var.set(_("The doctor stopped: {error}").format(error=value))
                self.run_button.state(["!disabled"])
        if self.busy or self._worker.pending:
            self.after(40, self._poll)

    # -- result ---------------------------------------------------------------
    def show(self, result: dg.Diagnosis) -> None:
        self.result = result
        self.run_button.state(["!disabled"])
        self.status_var.set(status_text(result))
        self.findings.show(result)

        self.fix_frame.clear()
        for fix, label in self._fix_buttons(result):
            self.fix_frame.add(ttk.Button(self.fix_frame, text=label, width=len(label) + 2,
                                          command=lambda f=fix: self.apply_fix(f)))

    def _fix_buttons(self, result: dg.Diagnosis) -> List[Tuple[str, str]]:
        return offered_fixes(result, lambda fix: (fix != dg.FIX_SET_LINES or self._lines_differ(result))
                             and (fix != dg.FIX_OPEN_INSTALLER or installer_available()))

    def _lines_differ(self, result: dg.Diagnosis) -> bool:
        wb = get_workbench()
        return (wb.get_option("run.backend_name") != BACKEND_NAME
                or wb.get_option(f"{BACKEND_NAME}.dtr") is not result.dtr
                or wb.get_option(f"{BACKEND_NAME}.rts") is not result.rts)

    def toggle_evidence(self) -> None:
        self.findings.toggle_evidence()

    # -- fixes that touch Thonny ------------------------------------------------
    def _store_lines(self) -> None:
        """Make the ESP32-CAM interpreter use the port and the DTR/RTS that worked."""
        result = self.result
        wb = get_workbench()
        dtr = bool(result.dtr) if result else False
        rts = bool(result.rts) if result else False
        wb.set_option(f"{BACKEND_NAME}.dtr", dtr)
        wb.set_option(f"{BACKEND_NAME}.rts", rts)
        wb.set_option(f"{BACKEND_NAME}.port", self.port_var.get().strip())
        wb.set_option("run.backend_name", BACKEND_NAME)
        self.configured = doctor.Lines(dtr, rts)
        self.status_var.set(_("The ESP32-CAM interpreter now uses DTR {dtr}, RTS {rts}.").format(
            dtr=onoff(dtr), rts=onoff(rts)))

    def _open_installer(self) -> None:
        """Hand the port to the firmware installer; it preselects the recommended
        camera build for the board profile and reconnects Thonny when done."""
        from thonny.ui_utils import show_dialog

        from thonnycontrib.esp32cam.frontend.flash_dialog import FirmwareInstallerDialog

        port = self.port_var.get().strip()
        master = self.master
        self._disconnected = False  # the installer needs the port; it reconnects afterwards
        self.destroy()
        facts = sensors.BoardFacts.from_diagnosis(self.result.extra) if self.result else None
        self.installer = FirmwareInstallerDialog(master, port=port, board_facts=facts)
        show_dialog(self.installer, master)

    def open_tray(self) -> None:
        """Check every detected board (frontend.classroom_dialog); this dialog closes."""
        from thonnycontrib.esp32cam.frontend.classroom_dialog import doctor_tray

        if self.busy:
            return
        master, configured = self.master, self.configured
        disconnected, self._disconnected = self._disconnected, False
        self.destroy()
        self.tray = doctor_tray(master, configured)
        self.tray._disconnected = disconnected  # the tray reconnects Thonny when it closes

    def close(self) -> None:
        if self.busy:  # finish the probe first, or Thonny's back-end would find the port busy
            self._closing = True
            self.withdraw()
            self.after(40, self._poll)
            return
        self._finish_close()

    def _finish_close(self) -> None:
        self._reconnect_thonny()
        self.destroy()


_open_dialog: Optional[DoctorDialog] = None


def _board_profile():
    """The board profile chosen on the configuration page (its camera pins)."""
    return boards.get_profile(get_workbench().get_option(boards.OPTION_NAME))


def open_doctor_dialog(port: Optional[str] = None) -> DoctorDialog:
    """Menu / Shell-link entry point; brings an open doctor to the front instead of a second one."""
    global _open_dialog
    if _open_dialog is not None and _open_dialog.winfo_exists() and not _open_dialog._closing:
        _open_dialog.deiconify()
        _open_dialog.lift()
        return _open_dialog
    wb = get_workbench()
    found_port, configured = current_port_and_lines()
    _open_dialog = DoctorDialog(wb, port or found_port, configured)
    return _open_dialog
