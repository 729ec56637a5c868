"""A tray of boards in Thonny: install the chosen build on, or diagnose, every
checked board at once.

A checkbox list of the detected ESP32-CAM ports (``core.ports.camera_adapter_ports``)
with their adapter and identity (MAC, once a board has told it), one status
column per board that follows its progress, and its result. The work is
``core.classroom.run_boards`` in a worker thread; it reports through a queue
that Tk polls, so the window stays responsive and nothing touches Tk from
another thread.
"""
from __future__ import annotations

import queue
import sys
import threading
import tkinter as tk
from logging import getLogger
from tkinter import ttk
from typing import Any, Callable, Dict, List, Optional, Sequence, Tuple

from thonny import get_runner, get_sys_path_directory_containg_plugins

from thonnycontrib.esp32cam.core import classroom as cr
from thonnycontrib.esp32cam.core import ports as pt
from thonnycontrib.esp32cam.frontend.scrolling import OnScreenKeeper

logger = getLogger(__name__)

CHECKED, UNCHECKED = "☑", "☐"
# column, heading, sample text that sets its width
COLUMNS = (("use", "", "☑☑"), ("port", "Port", "/dev/ttyUSB10 xx"), ("adapter", "Adapter", "CH9102 x"),
           ("mac", "MAC", "24:0a:c4:00:00:00 xx"), ("status", "Status", "retrying at 115200 baud"),
           ("result", "Result", "failed (download-mode) x"))
# What the boards said about themselves in this session: port -> MAC
KNOWN_MACS: Dict[str, str] = {}

# prepare(say) runs in the worker thread before any board is touched (download,
# esptool lookup); it returns the job for each board, or raises PrepareError.
JobFactory = Callable[[Callable[[str], None]], Callable[[cr.BoardRun], None]]


class PrepareError(Exception):
    """Nothing was started: the message says why (shown in the dialog)."""


def detected_ports() -> List[Tuple[str, str]]:
    """(port, adapter label) of every board that looks like an ESP32-CAM."""
    from thonnycontrib.esp32cam.core import portcheck

    records = portcheck.list_ports()
    labels = {str(r.device): pt.adapter_name(getattr(r, "vid", None), getattr(r, "pid", None))
              or (getattr(r, "description", "") or "")[:20] for r in records}
    try:
        ports = pt.camera_adapter_ports(records)
    except ValueError as e:  # a typo in $ESP32CAM_NETWORK_PORTS: the USB boards still count
        logger.warning("%s", e)
        ports = pt.camera_adapter_ports(records, {})
    return [(p, labels.get(p) or ("network" if pt.is_url_port(p) else "")) for p in ports]


def find_tool():
    from thonnycontrib.esp32cam.core.esptool_cmd import find_esptool

    return find_esptool(sys.executable, [get_sys_path_directory_containg_plugins()])


class TrayDialog(tk.Toplevel):
    def __init__(self, master: Any, title: str, what: str, run_text: str, prepare: JobFactory,
                 result_heading: str = "Result", timeout: float = 300.0,
                 on_finished: Callable[[List[cr.BoardRun]], None] = lambda boards: None,
                 ports: Optional[Sequence[Tuple[str, str]]] = None) -> None:
        super().__init__(master)
        self.title(title)
        self._prepare = prepare
        self._run_text = run_text
        self._timeout = timeout
        self._on_finished = on_finished
        self._queue: "queue.Queue[Tuple[str, Any]]" = queue.Queue()
        self._worker: Optional[threading.Thread] = None
        self._running = False  # from Run until its results are on screen (not just the worker's life)
        self._closing = False
        self._disconnected = False
        self.boards: List[cr.BoardRun] = []      # of the last run
        self._live: List[cr.BoardRun] = []       # of the run under way (for cancelling)
        self.checked: Dict[str, bool] = {}
        self._messages: Dict[str, str] = {}
        self._build(what, result_heading)
        self.fill(detected_ports() if ports is None else ports)
        self.protocol("WM_DELETE_WINDOW", self.close)
        self.transient(master)
        self._on_screen = OnScreenKeeper(self, self.detail_text)

    # -- layout -----------------------------------------------------------------
    def _build(self, what: str, result_heading: str) -> None:
        frame = ttk.Frame(self, padding=10)
        frame.grid(sticky="nsew")
        self.columnconfigure(0, weight=1)
        self.rowconfigure(0, weight=1)
        frame.columnconfigure(0, weight=1)
        frame.rowconfigure(1, weight=1)
        self.what_label = ttk.Label(frame, text=what, justify="left", wraplength=640)
        self.what_label.grid(row=0, column=0, columnspan=2, sticky="we", pady=(0, 6))

        self.tree = ttk.Treeview(frame, columns=[c[0] for c in COLUMNS], show="headings", height=8,
                                 selectmode="browse")
        import tkinter.font as tkfont

        font = tkfont.nametofont(ttk.Style().lookup("Treeview", "font") or "TkDefaultFont")
        for key, heading, sample in COLUMNS:
            self.tree.heading(key, text=result_heading if key == "result" else heading)
            self.tree.column(key, width=font.measure(sample), minwidth=font.measure("☑☑"),
                             anchor="center" if key == "use" else "w",
                             stretch=key in ("port", "status", "result"))
        self.tree.grid(row=1, column=0, sticky="nsew")
        bar = ttk.Scrollbar(frame, orient="vertical", command=self.tree.yview)
        bar.grid(row=1, column=1, sticky="ns")
        self.tree.configure(yscrollcommand=bar.set)
        self.tree.bind("<Button-1>", self._on_click, True)
        self.tree.bind("<space>", lambda e: self.toggle(self.tree.focus()), True)
        self.tree.bind("<<TreeviewSelect>>", lambda e: self._show_detail(), True)

        self.detail_text = tk.Text(frame, height=4, width=80, wrap="word", font="TkDefaultFont")
        self.detail_text.grid(row=2, column=0, sticky="we", pady=(6, 0))
        detail_bar = ttk.Scrollbar(frame, orient="vertical", command=self.detail_text.yview)
        detail_bar.grid(row=2, column=1, sticky="ns", pady=(6, 0))
        self.detail_text.configure(state="disabled", yscrollcommand=detail_bar.set)

        self.status_var = tk.StringVar()
        ttk.Label(frame, textvariable=self.status_var, foreground="gray30").grid(
            row=3, column=0, columnspan=2, sticky="w", pady=(6, 0))

        buttons = ttk.Frame(frame)
        buttons.grid(row=4, column=0, columnspan=2, sticky="we", pady=(8, 0))
        self.all_button = ttk.Button(buttons, text="All", command=lambda: self.check_all(True))
        self.none_button = ttk.Button(buttons, text="None", command=lambda: self.check_all(False))
        self.refresh_button = ttk.Button(buttons, text="Refresh", command=self.refresh)
        self.identify_button = ttk.Button(buttons, text="Identify", command=self.identify)
        self.run_button = ttk.Button(buttons, text=run_text_for(self._run_text, 0), command=self.start)
        self.close_button = ttk.Button(buttons, text="Close", command=self.close)
        for column, button in enumerate((self.all_button, self.none_button, self.refresh_button,
                                         self.identify_button)):
            button.grid(row=0, column=column, padx=(0, 4))
        buttons.columnconfigure(4, weight=1)
        self.run_button.grid(row=0, column=5, padx=(4, 4))
        self.close_button.grid(row=0, column=6)

    # -- the list ----------------------------------------------------------------
    def fill(self, ports: Sequence[Tuple[str, str]]) -> None:
        self.tree.delete(*self.tree.get_children())
        self.checked = {port: self.checked.get(port, True) for port, _ in ports}
        for port, adapter in ports:
            self.tree.insert("", "end", iid=port, values=(
                CHECKED if self.checked[port] else UNCHECKED, port, adapter,
                KNOWN_MACS.get(port, "?"), "", ""))
        self._update_run_button()
        self.status_var.set(f"{len(ports)} board{'s' if len(ports) != 1 else ''} detected."
                            if ports else "No ESP32-CAM adapter detected: plug the boards in, then Refresh.")

    def refresh(self) -> None:
        if not self.busy:
            self.fill(detected_ports())

    def _on_click(self, event: tk.Event) -> Optional[str]:
        if self.tree.identify_region(event.x, event.y) == "cell" and self.tree.identify_column(event.x) == "#1":
            self.toggle(self.tree.identify_row(event.y))
        return None

    def toggle(self, port: str) -> None:
        if port and not self.busy:
            self.set_checked(port, not self.checked.get(port, False))

    def set_checked(self, port: str, value: bool) -> None:
        self.checked[port] = value
        self.tree.set(port, "use", CHECKED if value else UNCHECKED)
        self._update_run_button()

    def check_all(self, value: bool) -> None:
        if not self.busy:
            for port in self.checked:
                self.set_checked(port, value)

    def chosen(self) -> List[str]:
        return [p for p in self.tree.get_children() if self.checked.get(p)]

    def _update_run_button(self) -> None:
        count = len(self.chosen())
        text = run_text_for(self._run_text, count)
        self.run_button.configure(text=text, width=len(text) + 2)  # themes may fix a button's width
        self.run_button.state(["!disabled"] if count and not self.busy else ["disabled"])
        self.identify_button.state(["!disabled"] if count and not self.busy else ["disabled"])

    def row(self, port: str) -> Dict[str, str]:
        return dict(zip([c[0] for c in COLUMNS], self.tree.item(port, "values")))

    def _show_detail(self) -> None:
        port = self.tree.focus() or (self.tree.selection() or ("",))[0]
        text = self._messages.get(port, "")
        self.detail_text.configure(state="normal")
        self.detail_text.delete("1.0", "end")
        self.detail_text.insert("1.0", f"{port}: {text}" if text else "")
        self.detail_text.configure(state="disabled")

    # -- running -------------------------------------------------------------------
    @property
    def busy(self) -> bool:
        return self._running

    def start(self) -> None:
        self._run(self._prepare, self._timeout, record=True)

    def identify(self) -> None:
        """Ask each checked board for its MAC through the ROM (esptool read-mac, resets it)."""
        def prepare(say: Callable[[str], None]) -> Callable[[cr.BoardRun], None]:
            say("Looking for esptool…")
            try:
                tool = find_tool()
            except Exception as e:
                raise PrepareError(str(e))

            def job(board: cr.BoardRun) -> None:
                board.say("reading the MAC (ROM)")
                board.set_mac(cr.read_mac_with_esptool(
                    tool, board.port, on_process=lambda p: setattr(board, "cancel", p.kill)))
                board.finish(board.mac is not None, "identified" if board.mac else "no answer",
                             "" if board.mac else "The ROM did not answer: check the cable, or put "
                             "the board into download mode by hand.")
            return job

        self._run(prepare, 90.0, record=False)

    def _run(self, prepare: JobFactory, timeout: float, record: bool) -> None:
        ports = self.chosen()
        if self.busy or not ports:
            return
        self._release_thonny()
        for port in self.tree.get_children():
            self.tree.set(port, "status", "waiting" if port in ports else "")
            if port in ports:
                self.tree.set(port, "result", "")
                self._messages.pop(port, None)
        self._set_controls(False)

        def work() -> None:
            try:
                try:
                    job = prepare(lambda text: self._queue.put(("status", text)))
                except PrepareError as e:
                    self._queue.put(("refused", str(e)))
                    return
                self._queue.put(("status", f"Working on {len(ports)} board{'s' if len(ports) != 1 else ''}…"))
                self._live = []
                boards = cr.run_boards(ports, job, timeout, prepare=self._live.append,
                                       on_update=lambda b: self._queue.put(("board", _snapshot(b))))
                self._queue.put(("done", (boards, record)))
            except Exception as e:  # show it, never an internal-error box
                logger.exception("Tray work failed")
                self._queue.put(("refused", f"Stopped unexpectedly: {e}"))

        self._worker = threading.Thread(target=work, daemon=True, name="esp32cam-tray")
        self._running = True
        self._worker.start()
        self.after(50, self._poll)

    def _set_controls(self, enabled: bool) -> None:
        for button in (self.all_button, self.none_button, self.refresh_button):
            button.state(["!disabled"] if enabled else ["disabled"])
        if enabled:
            self._update_run_button()
        else:
            self.run_button.state(["disabled"])
            self.identify_button.state(["disabled"])

    def _poll(self) -> None:
        try:
            while True:
                kind, value = self._queue.get_nowait()
                if kind == "status":
                    self.status_var.set(value)
                elif kind == "board":
                    self._show_board(value)
                elif kind == "refused":
                    self._running = False
                    self.status_var.set(value)
                    self._set_controls(True)
                elif kind == "done":
                    self._running = False
                    self._finished(*value)
        except queue.Empty:
            pass
        if self._running and self._worker is not None and not self._worker.is_alive() and self._queue.empty():
            self._running = False  # the worker died without "done" or "refused" (not an Exception)
            self._set_controls(True)
        if self.busy or not self._queue.empty():
            self.after(50, self._poll)
        elif self._closing:
            self._finish_close()

    def _show_board(self, snap: Dict[str, Any]) -> None:
        port = snap["port"]
        if not self.tree.exists(port):
            return
        if snap["mac"]:
            KNOWN_MACS[port] = snap["mac"]
            self.tree.set(port, "mac", snap["mac"])
        percent = f" {snap['percent']:.0f} %" if snap["percent"] is not None else ""
        self.tree.set(port, "status", snap["status"] + percent)

    def _finished(self, boards: List[cr.BoardRun], record: bool) -> None:
        for board in boards:
            if not self.tree.exists(board.port):
                continue
            self.tree.set(board.port, "mac", board.mac or KNOWN_MACS.get(board.port, "?"))
            self.tree.set(board.port, "status", f"{'done' if board.ok else 'failed'} in {board.seconds:.0f} s")
            self.tree.set(board.port, "result", result_text(board))
            self._messages[board.port] = board.message
        if record:
            self.boards = boards
        ok = sum(b.ok for b in boards)
        self.status_var.set(f"{ok} of {len(boards)} board{'s' if len(boards) != 1 else ''} ok"
                            + ("." if ok == len(boards) else " — select a failed board to see why."))
        failed = next((b.port for b in boards if not b.ok), None)
        if failed:
            self.tree.selection_set(failed)
            self.tree.focus(failed)
        self._show_detail()
        self._set_controls(True)
        if record:
            self._on_finished(boards)

    # -- Thonny's back-end -------------------------------------------------------------
    def _release_thonny(self) -> None:
        """Thonny's back-end lets go of the ports (it may hold one of the boards)."""
        runner = get_runner()
        proxy = runner.get_backend_proxy() if runner else None
        if self._disconnected or proxy is None or not hasattr(proxy, "disconnect"):
            return
        runner.destroy_backend()
        self._disconnected = True

    def close(self) -> None:
        if self.busy:  # stop the boards first: esptool and the probes must let go of the ports
            self._closing = True
            self.withdraw()
            for board in list(self._live):
                try:
                    board.cancel()
                except Exception:
                    pass
            return
        self._finish_close()

    def _finish_close(self) -> None:
        if self._disconnected:
            self._disconnected = False
            get_runner().restart_backend(clean=False)
        self.destroy()


def run_text_for(text: str, count: int) -> str:
    return text.format(n=count, boards="board" if count == 1 else "boards")


def result_text(board: cr.BoardRun) -> str:
    if board.result in ("identified", "no answer"):
        return board.result
    if board.ok:
        baud = board.detail.get("baud")
        return board.firmware if board.detail.get("diagnosis") else (f"ok ({baud} baud)" if baud else "ok")
    if board.detail.get("diagnosis"):
        return board.firmware or board.result
    return f"failed ({board.result})"


def _snapshot(board: cr.BoardRun) -> Dict[str, Any]:
    """What the Tk side may read: plain values, taken on the worker's thread."""
    return {"port": board.port, "mac": board.mac, "status": board.status, "percent": board.percent}


# ---- the two trays ------------------------------------------------------------------

def install_tray(master: Any, title: str, get_image: Callable[[Callable[[str], None]], Any],
                 options: Dict[str, Any], ports: Optional[Sequence[Tuple[str, str]]] = None) -> TrayDialog:
    """Install one image on every checked board. ``get_image(say)`` returns the
    PreparedImage (downloading and verifying a catalog build once, in the worker)."""
    def prepare(say: Callable[[str], None]) -> Callable[[cr.BoardRun], None]:
        from thonnycontrib.esp32cam.core.download import DownloadError
        from thonnycontrib.esp32cam.core.esptool_cmd import EsptoolMissing
        from thonnycontrib.esp32cam.core.image import ImageError

        try:
            prepared = get_image(say)
            say("Looking for esptool…")
            tool = find_tool()
        except (DownloadError, ImageError, EsptoolMissing) as e:
            raise PrepareError(f"{e} Nothing was written to any board.")
        say(prepared.summary())
        job = cr.FlashJob(tool, prepared, **options)
        firmware = prepared.build.id if prepared.build else prepared.path.name

        def run(board: cr.BoardRun) -> None:
            board.firmware, board.sha256 = firmware, prepared.info.sha256
            job(board)
        return run

    what = (f"Install {title} on every checked board at once. Each board gets its own esptool "
            "(and its own slower speed if its adapter needs one); a failing board does not stop "
            "the others. Click ☐ to leave a board out.")
    return TrayDialog(master, "Install MicroPython on several ESP32-CAMs", what,
                      "Install on {n} {boards}", prepare, result_heading="Result", ports=ports)


def doctor_tray(master: Any, configured: Any = None,
                ports: Optional[Sequence[Tuple[str, str]]] = None) -> TrayDialog:
    """Diagnose every checked board at once; each row gets its diagnosis."""
    def prepare(say: Callable[[str], None]) -> Callable[[cr.BoardRun], None]:
        try:
            tool = find_tool()  # for the MAC of a board without MicroPython
        except Exception:
            tool = None
        return cr.DoctorJob(configured, tool, check_speed=False)

    what = ("Check every checked board at once: each gets its own diagnosis and is identified by "
            "its MAC (from MicroPython, or from the chip's ROM when MicroPython does not answer). "
            "Select a board to read what to do.")
    return TrayDialog(master, "Diagnose several ESP32-CAMs", what, "Check {n} {boards}", prepare,
                      result_heading="Diagnosis", timeout=120.0, ports=ports)
