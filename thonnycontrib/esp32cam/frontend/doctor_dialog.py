"""Tools → "Diagnose ESP32-CAM connection…": the doctor's result in a dialog.

Disconnects Thonny's back-end from the port first (the doctor needs the port
for itself), runs the probe in a worker thread, shows title, meaning, fix and
the evidence (collapsible), offers the fixes it can apply, and reconnects
Thonny's back-end when the dialog closes.
"""
from __future__ import annotations

import queue
import threading
import tkinter as tk
from logging import getLogger
from tkinter import ttk
from typing import Any, List, Optional, Tuple

from thonny import get_runner, get_workbench

from thonnycontrib.esp32cam import BACKEND_NAME
from thonnycontrib.esp32cam.core import diagnosis as dg
from thonnycontrib.esp32cam.core import boards, doctor, sensors
from thonnycontrib.esp32cam.frontend.flow import FlowFrame
from thonnycontrib.esp32cam.frontend.scrolling import OnScreenKeeper
from thonnycontrib.esp32cam.thonny_compat import front

logger = getLogger(__name__)

TITLE = "ESP32-CAM connection doctor"
WAIT_FOR_RST = 15.0  # seconds the doctor listens for a manual RST press


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


def installer_available() -> bool:
    """The firmware installer dialog (another part of the plug-in) is importable."""
    try:
        from thonnycontrib.esp32cam.frontend import flash_dialog
    except ImportError:
        return False
    return hasattr(flash_dialog, "FirmwareInstallerDialog")


class DoctorDialog(tk.Toplevel):
    def __init__(self, master: Any, port: str = "", configured: Optional[doctor.Lines] = None,
                 autostart: bool = True, reconnect: bool = True) -> None:
        super().__init__(master)
        self.title(TITLE)
        self.configured = configured
        self.result: Optional[dg.Diagnosis] = None
        self.applied: List[str] = []
        self._reconnect = reconnect
        self._queue: "queue.Queue[Tuple[str, Any]]" = queue.Queue()
        self._worker: Optional[threading.Thread] = None
        self._evidence_shown = False
        self._closing = False
        self.protocol("WM_DELETE_WINDOW", self.close)
        self._build(port)
        self.transient(master)
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

        ttk.Label(frame, text="Port:").grid(row=0, column=0, sticky="w", **pad)
        self.port_var = tk.StringVar(value=port)
        self.port_box = ttk.Combobox(frame, textvariable=self.port_var, width=40,
                                     values=self._port_choices(port))
        self.port_box.grid(row=0, column=1, sticky="we", **pad)
        self.run_button = ttk.Button(frame, text="Diagnose", command=self.start)
        self.run_button.grid(row=0, column=2, sticky="e", **pad)

        self.status_var = tk.StringVar(value="" if port else "Choose the board's port, then press Diagnose.")
        ttk.Label(frame, textvariable=self.status_var, foreground="gray40").grid(
            row=1, column=0, columnspan=2, sticky="w", **pad)
        self.tray_button = ttk.Button(frame, text="All boards…", command=self.open_tray)
        self.tray_button.grid(row=1, column=2, sticky="e", **pad)

        self.title_var = tk.StringVar()
        self.title_label = ttk.Label(frame, textvariable=self.title_var, font="TkHeadingFont")
        self.title_label.grid(row=2, column=0, columnspan=3, sticky="w", padx=12, pady=(10, 2))
        self.meaning_var = tk.StringVar()
        self._wrapping = [ttk.Label(frame, textvariable=self.meaning_var, wraplength=560, justify="left")]
        self._wrapping[0].grid(row=3, column=0, columnspan=3, sticky="w", **pad)
        self.fix_var = tk.StringVar()
        self._wrapping.append(ttk.Label(frame, textvariable=self.fix_var, wraplength=560, justify="left",
                                        font="TkDefaultFont"))
        self._wrapping[1].grid(row=4, column=0, columnspan=3, sticky="w", **pad)
        frame.bind("<Configure>", self._on_resize, True)  # texts wrap to the dialog's width

        self.evidence_button = ttk.Button(frame, text="", width=24, command=self.toggle_evidence)
        # evidence lines (boot log, port errors) can be long: wrap them, scroll when many
        self.evidence_frame = ttk.Frame(frame)
        self.evidence_frame.columnconfigure(0, weight=1)
        self.evidence_frame.rowconfigure(0, weight=1)
        self.evidence_text = tk.Text(self.evidence_frame, height=9, width=72, wrap="word", font="TkFixedFont")
        self.evidence_text.grid(row=0, column=0, sticky="nsew")
        scrollbar = ttk.Scrollbar(self.evidence_frame, orient="vertical", command=self.evidence_text.yview)
        scrollbar.grid(row=0, column=1, sticky="ns")
        self.evidence_text.configure(yscrollcommand=scrollbar.set)
        frame.rowconfigure(6, weight=1)
        self.fix_frame = FlowFrame(frame)  # fix buttons wrap into rows in a narrow dialog
        self.fix_frame.grid(row=7, column=0, columnspan=2, sticky="we", padx=8, pady=(8, 10))
        self.close_button = ttk.Button(frame, text="Close", command=self.close)
        self.close_button.grid(row=7, column=2, sticky="e", padx=12, pady=(8, 10))
        self._frame = frame
        self.minsize(360, 200)
        self._on_screen = OnScreenKeeper(self, self.evidence_text)

    def _on_resize(self, event: tk.Event) -> None:
        if event.widget is self._frame:
            for label in self._wrapping:
                label.configure(wraplength=max(200, event.width - 24))

    @staticmethod
    def _port_choices(port: str) -> List[str]:
        from thonnycontrib.esp32cam.core import portcheck

        values = [str(p.device) for p in portcheck.list_ports()]
        if port and port not in values:
            values.insert(0, port)
        return values

    # -- Thonny's back-end ---------------------------------------------------
    def _disconnect_thonny(self) -> bool:
        runner = get_runner()
        proxy = runner.get_backend_proxy() if runner else None
        if proxy is None or not hasattr(proxy, "disconnect"):
            return False
        logger.info("Doctor: disconnecting Thonny's back-end from the port")
        runner.destroy_backend()
        return True

    def _reconnect_thonny(self) -> None:
        if self._disconnected and self._reconnect:
            get_runner().restart_backend(clean=False)
            self._disconnected = False

    # -- running ------------------------------------------------------------
    @property
    def busy(self) -> bool:
        return self._worker is not None and self._worker.is_alive()

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
        self.status_var.set("Working…")

        def work() -> None:
            try:
                try:
                    if fix == dg.FIX_RELEASE_AND_RESET:
                        self._queue.put(("progress", "Releasing DTR/RTS and resetting the board"))
                        doctor.release_and_reset(port)
                    elif fix == dg.FIX_INTERRUPT_AT_BOOT:
                        self._queue.put(("progress", "Resetting and interrupting during start-up"))
                        doctor.interrupt_at_boot(port)
                except Exception:  # e.g. the port vanished: the diagnosis below says so
                    logger.info("Doctor fix %s failed", fix, exc_info=True)
                result = doctor.diagnose(port, self.configured, profile=_board_profile(),
                                         wait_for_rst=WAIT_FOR_RST if fix == dg.FIX_WAIT_FOR_RST else 0.0,
                                         progress=lambda m: self._queue.put(("progress", m)))
                self._queue.put(("done", result))
            except Exception as e:  # unexpected: show it as text, never an internal-error dialog
                logger.exception("Doctor failed")
                self._queue.put(("error", e))

        self._worker = threading.Thread(target=work, name="esp32cam-doctor", daemon=True)
        self._worker.start()
        self.after(40, self._poll)

    def _poll(self) -> None:
        if self._closing:
            if not self.busy:  # the probe let go of the port: Thonny may have it back
                self._finish_close()
            else:
                self.after(40, self._poll)
            return
        try:
            while True:
                kind, value = self._queue.get_nowait()
                if kind == "progress":
                    self.status_var.set(value + "…")
                elif kind == "done":
                    self.show(value)
                elif kind == "error":
                    self.status_var.set(f"The doctor stopped: {value}")
                    self.run_button.state(["!disabled"])
        except queue.Empty:
            pass
        if self.busy or not self._queue.empty():
            self.after(40, self._poll)

    # -- result ---------------------------------------------------------------
    def show(self, result: dg.Diagnosis) -> None:
        self.result = result
        self.run_button.state(["!disabled"])
        facts = sensors.BoardFacts.from_diagnosis(result.extra)
        board = f" — board: {facts.summary()}" if facts else ""
        self.status_var.set(f"Port {result.port} — diagnosis code: {result.code}{board}")
        mark = "✔ " if result.ok else "✖ "
        title = result.title
        if result.ok or result.code == dg.HELD_IN_RESET:
            title += f" (works with DTR {_onoff(result.dtr)}, RTS {_onoff(result.rts)})"
        self.title_var.set(mark + title)
        self.title_label.configure(foreground="dark green" if result.ok else "firebrick")
        self.meaning_var.set(result.meaning)
        self.fix_var.set("Fix: " + result.fix)

        self.evidence_text.configure(state="normal")
        self.evidence_text.delete("1.0", "end")
        self.evidence_text.insert("1.0", "\n".join(result.evidence))
        self.evidence_text.configure(state="disabled")
        self.evidence_button.grid(row=5, column=0, columnspan=3, sticky="w", padx=8, pady=(6, 0))
        self._set_evidence_visible(self._evidence_shown)

        self.fix_frame.clear()
        for fix, label in self._fix_buttons(result):
            self.fix_frame.add(ttk.Button(self.fix_frame, text=label, width=len(label) + 2,
                                          command=lambda f=fix: self.apply_fix(f)))

    def _fix_buttons(self, result: dg.Diagnosis) -> List[Tuple[str, str]]:
        buttons = []
        for fix in result.fixes:
            if fix == dg.FIX_SET_LINES:
                if self._lines_differ(result):
                    buttons.append((fix, "Use DTR/RTS that worked"))
            elif fix == dg.FIX_RELEASE_AND_RESET:
                buttons.append((fix, "Release lines and reset"))
            elif fix == dg.FIX_INTERRUPT_AT_BOOT:
                buttons.append((fix, "Reset and interrupt start-up"))
            elif fix == dg.FIX_OPEN_INSTALLER:
                if installer_available():
                    buttons.append((fix, "Open firmware installer…"))
            elif fix == dg.FIX_WAIT_FOR_RST:
                buttons.append((fix, "Listen while I press RST"))
            elif fix == dg.FIX_RETRY:
                buttons.append((fix, "Diagnose again"))
        return buttons

    def _lines_differ(self, result: dg.Diagnosis) -> bool:
        wb = get_workbench()
        return (wb.get_option("run.backend_name") != BACKEND_NAME
                or wb.get_option(f"{BACKEND_NAME}.dtr") is not result.dtr
                or wb.get_option(f"{BACKEND_NAME}.rts") is not result.rts)

    def toggle_evidence(self) -> None:
        self._set_evidence_visible(not self._evidence_shown)

    def _set_evidence_visible(self, visible: bool) -> None:
        self._evidence_shown = visible
        n = len(self.result.evidence) if self.result else 0
        if visible:
            self.evidence_button.configure(text=f"▾ Evidence ({n} lines)")
            self.evidence_frame.grid(row=6, column=0, columnspan=3, sticky="nsew", padx=12, pady=4)
        else:
            self.evidence_button.configure(text=f"▸ Evidence ({n} lines)")
            self.evidence_frame.grid_remove()

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
        self.status_var.set(f"The ESP32-CAM interpreter now uses DTR {_onoff(dtr)}, RTS {_onoff(rts)}.")

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


def _onoff(value: Optional[bool]) -> str:
    return "on" if value else "off"


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
