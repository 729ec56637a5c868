"""A tray of boards in Thonny: install the chosen build on, or diagnose, every
checked board at once.

A checkbox list of the detected ESP32-CAM ports (``core.ports.camera_adapter_ports``)
with their adapter and identity (MAC, once a board has told it), one status
column per board that follows its progress, and its result (``board_table``). The work is
``core.classroom.run_boards`` in a worker thread; it reports through a queue
that Tk polls, so the window stays responsive and nothing touches Tk from
another thread.
"""
from __future__ import annotations

import sys
import tkinter as tk
from logging import getLogger
from tkinter import ttk
from typing import Any, Callable, Dict, List, Optional, Sequence, Tuple

from thonny import get_runner, get_sys_path_directory_containg_plugins

from thonnycontrib.esp32cam.core import classroom as cr
from thonnycontrib.esp32cam.core import ports as pt
from thonnycontrib.esp32cam.core.i18n import _, ngettext
from thonnycontrib.esp32cam.frontend.board_table import KNOWN_MACS, BoardTable  # noqa: F401 (the session's MACs)
from thonnycontrib.esp32cam.frontend.files_question import TrayFilesChoice
from thonnycontrib.esp32cam.frontend.fit import BUTTON_WIDTH
from thonnycontrib.esp32cam.frontend.keyboard import bind_dialog_keys
from thonnycontrib.esp32cam.frontend.queued_worker import Put, QueuedWorker
from thonnycontrib.esp32cam.frontend.readable_styles import readable_window
from thonnycontrib.esp32cam.frontend.scrolling import OnScreenKeeper
from thonnycontrib.esp32cam.frontend import theme_colors

logger = getLogger(__name__)

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
    return [(p, labels.get(p) or (_("network") if pt.is_url_port(p) else "")) for p in ports]


def find_tool():
    from thonnycontrib.esp32cam.core.esptool_cmd import find_esptool

    return find_esptool(sys.executable, [get_sys_path_directory_containg_plugins()])


def identify_prepare(say: Callable[[str], None]) -> Callable[[cr.BoardRun], None]:
    """Identify: ask each checked board for its MAC through the ROM (esptool read-mac, resets it)."""
    say(_("Looking for esptool…"))
    try:
        tool = find_tool()
    except Exception as e:
        raise PrepareError(str(e))

    def job(board: cr.BoardRun) -> None:
        board.say(_("reading the MAC (ROM)"))
        board.set_mac(cr.read_mac_with_esptool(
            tool, board.port, on_process=lambda p: setattr(board, "cancel", p.kill)))
        # the result words are core.classroom's; the board table translates them
        board.finish(board.mac is not None, "identified" if board.mac else "no answer",
                     "" if board.mac else _("The ROM did not answer: check the cable, or put "
                                            "the board into download mode by hand."))
    return job


class TrayDialog(tk.Toplevel):
    def __init__(self, master: Any, title: str, what: str, run_text: Callable[[int], str],
                 prepare: JobFactory, result_heading: str = "", timeout: float = 300.0,
                 on_finished: Callable[[List[cr.BoardRun]], None] = lambda boards: None,
                 ports: Optional[Sequence[Tuple[str, str]]] = None) -> None:
        super().__init__(master)
        self.title(title)
        self._prepare = prepare
        self._run_text = run_text  # the Run button's text for a count of boards
        self._timeout = timeout
        self._on_finished = on_finished
        self._worker = QueuedWorker("esp32cam-tray")
        self._running = False  # from Run until its results are on screen (not just the worker's life)
        self._closing = False
        self._disconnected = False
        self.boards: List[cr.BoardRun] = []      # of the last run
        self._live: List[cr.BoardRun] = []       # of the run under way (for cancelling)
        self._build(what, result_heading or _("Result"))
        self.fill(detected_ports() if ports is None else ports)
        self.protocol("WM_DELETE_WINDOW", self.close)
        self.transient(master)
        readable_window(self)  # Thonny's styles as they read in this window (WCAG AA)
        self._on_screen = OnScreenKeeper(self, self.table.detail_text)
        # Enter: Install on / Check the boards; Escape: Close (stops the boards as Close does);
        # Space in the list checks or unchecks the board under the cursor
        bind_dialog_keys(self, default=self.run_button, cancel=self.close, focus=self.table.tree)

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
        self.table = BoardTable(frame, 1, result_heading, on_checked=self._update_run_button,
                                locked=lambda: self.busy)

        self.status_var = tk.StringVar()
        theme_colors.use_theme(frame)
        ttk.Label(frame, textvariable=self.status_var, style=theme_colors.MUTED).grid(
            row=3, column=0, columnspan=2, sticky="w", pady=(6, 0))

        self.extra_frame = ttk.Frame(frame)  # a tray's own choices for the run (install: the files)
        self.extra_frame.grid(row=4, column=0, columnspan=2, sticky="we")
        self.extra_frame.columnconfigure(0, weight=1)
        buttons = ttk.Frame(frame)
        buttons.grid(row=5, column=0, columnspan=2, sticky="we", pady=(8, 0))
        self.all_button = ttk.Button(buttons, text=_("All"), width=BUTTON_WIDTH,
                                     command=lambda: self.table.check_all(True))
        self.none_button = ttk.Button(buttons, text=_("None"), width=BUTTON_WIDTH,
                                      command=lambda: self.table.check_all(False))
        self.refresh_button = ttk.Button(buttons, text=_("Refresh"), command=self.refresh, width=BUTTON_WIDTH)
        self.identify_button = ttk.Button(buttons, text=_("Identify"), command=self.identify, width=BUTTON_WIDTH)
        self.run_button = ttk.Button(buttons, text=self._run_text(0), command=self.start)
        self.close_button = ttk.Button(buttons, text=_("Close"), command=self.close, width=BUTTON_WIDTH)
        for column, button in enumerate((self.all_button, self.none_button, self.refresh_button,
                                         self.identify_button)):
            button.grid(row=0, column=column, padx=(0, 4))
        buttons.columnconfigure(4, weight=1)
        self.run_button.grid(row=0, column=5, padx=(4, 4))
        self.close_button.grid(row=0, column=6)

    # -- the list ----------------------------------------------------------------
    def fill(self, ports: Sequence[Tuple[str, str]]) -> None:
        self.table.fill(ports)
        self._update_run_button()
        self.status_var.set(
            ngettext("{n} board detected.", "{n} boards detected.", len(ports)).format(n=len(ports))
            if ports else _("No ESP32-CAM adapter detected: plug the boards in, then Refresh."))

    def refresh(self) -> None:
        if not self.busy:
            self.fill(detected_ports())

    def _update_run_button(self) -> None:
        count = len(self.table.chosen())
        text = self._run_text(count)
        self.run_button.configure(text=text, width=len(text) + 2)  # themes may fix a button's width
        self.run_button.state(["!disabled"] if count and not self.busy else ["disabled"])
        self.identify_button.state(["!disabled"] if count and not self.busy else ["disabled"])

    # -- running -------------------------------------------------------------------
    @property
    def busy(self) -> bool:
        return self._running

    def start(self) -> None:
        self._run(self._prepare, self._timeout, record=True)

    def identify(self) -> None:
        self._run(identify_prepare, 90.0, record=False)

    def _run(self, prepare: JobFactory, timeout: float, record: bool) -> None:
        ports = self.table.chosen()
        if self.busy or not ports:
            return
        self._release_thonny()
        self.table.mark_waiting(ports)
        self._set_controls(False)

        def work(put: Put) -> None:
            try:
                job = prepare(lambda text: put("status", text))
            except PrepareError as e:
                put("refused", str(e))
                return
            put("status", ngettext("Working on {n} board…", "Working on {n} boards…",
                                   len(ports)).format(n=len(ports)))
            self._live = []
            boards = cr.run_boards(ports, job, timeout, prepare=self._live.append,
                                   on_update=lambda b: put("board", _snapshot(b)))
            put("done", (boards, record))

        self._running = True
        self._worker.start(work, "Tray work failed")
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
        for kind, value in self._worker.drain():
            if kind == "status":
                self.status_var.set(value)
            elif kind == "board":
                self.table.show_board(value)
            elif kind in ("refused", "error"):
                self._running = False
                self.status_var.set(value if kind == "refused"
                                    else _("Stopped unexpectedly: {error}").format(error=value))
                self._set_controls(True)
            elif kind == "done":
                self._running = False
                self._finished(*value)
        if self._running and not self._worker.alive and not self._worker.pending:
            self._running = False  # the worker died without "done" or "refused" (not an Exception)
            self._set_controls(True)
        if self.busy or self._worker.pending:
            self.after(50, self._poll)
        elif self._closing:
            self._finish_close()

    def _finished(self, boards: List[cr.BoardRun], record: bool) -> None:
        self.table.show_results(boards)
        if record:
            self.boards = boards
        ok = sum(b.ok for b in boards)
        self.status_var.set(summary_text(ok, len(boards)))
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
        # Thonny's own Disconnect (Runner.disconnect): the proxy lets go of the port and stays;
        # destroy_backend would leave the runner without a proxy, and a message batch Thonny
        # is still working through then fails (dev head running.py _poll_backend_messages)
        runner.disconnect()
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


def summary_text(ok: int, total: int) -> str:
    """The status line after a run."""
    if ok == total:
        return ngettext("{ok} of {total} board ok.", "{ok} of {total} boards ok.", total).format(
            ok=ok, total=total)
    return ngettext("{ok} of {total} board ok — select a failed board to see why.",
                    "{ok} of {total} boards ok — select a failed board to see why.", total).format(
        ok=ok, total=total)


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

        if files.problem:
            raise PrepareError(_("{problem} Nothing was written to any board.").format(
                problem=files.problem))
        chosen = dict(files.chosen)  # this run's choice for boards whose files would be erased
        try:
            prepared = get_image(say)
            say(_("Looking for esptool…"))
            tool = find_tool()
        except (DownloadError, ImageError, EsptoolMissing) as e:
            raise PrepareError(_("{problem} Nothing was written to any board.").format(problem=e))
        say(prepared.summary())
        job = cr.FlashJob(tool, prepared, **options, **chosen)
        firmware = prepared.build.id if prepared.build else prepared.path.name

        def run(board: cr.BoardRun) -> None:
            board.firmware, board.sha256 = firmware, prepared.info.sha256
            job(board)
        return run

    what = _("Install {title} on every checked board at once. Each board gets its own esptool "
             "(and its own slower speed if its adapter needs one); a failing board does not stop "
             "the others. Click ☐ to leave a board out.").format(title=title)
    tray = TrayDialog(master, _("Install MicroPython on several ESP32-CAMs"), what,
                      lambda n: ngettext("Install on {n} board", "Install on {n} boards",
                                         n).format(n=n),
                      prepare, result_heading=_("Result"), ports=ports)
    files = TrayFilesChoice(tray.extra_frame)
    files.grid(row=0, column=0, sticky="we", pady=(6, 0))
    tray.files_choice = files
    return tray


def doctor_tray(master: Any, configured: Any = None,
                ports: Optional[Sequence[Tuple[str, str]]] = None) -> TrayDialog:
    """Diagnose every checked board at once; each row gets its diagnosis."""
    def prepare(say: Callable[[str], None]) -> Callable[[cr.BoardRun], None]:
        try:
            tool = find_tool()  # for the MAC of a board without MicroPython
        except Exception:
            tool = None
        return cr.DoctorJob(configured, tool, check_speed=False)

    what = _("Check every checked board at once: each gets its own diagnosis and is identified by "
             "its MAC (from MicroPython, or from the chip's ROM when MicroPython does not answer). "
             "Select a board to read what to do.")
    return TrayDialog(master, _("Diagnose several ESP32-CAMs"), what,
                      lambda n: ngettext("Check {n} board", "Check {n} boards", n).format(n=n),
                      prepare,
                      result_heading=_("Diagnosis"), timeout=120.0, ports=ports)
