"""Many boards at once: run one job per port in parallel, show one line per board,
summarise (table, JSON, CSV log).

Pure Python (no Tk, no Thonny). A job is a function ``job(board) -> None`` that
fills in its :class:`BoardRun`; each runs in its own thread (jobs that flash
drive their own esptool subprocess, with its own baud fallback and retry), so a
failing or hung board never stops or slows the others. A board that has not
finished within ``timeout`` seconds is cancelled (its ``cancel`` hook, e.g.
``Flasher.cancel``) and reported as ``timeout``.
"""
from __future__ import annotations

import csv
import os
import re
import sys
import threading
import time
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any, Callable, Dict, Iterable, List, Optional, Sequence, TextIO
from thonnycontrib.esp32cam.core.i18n import N_, _, ngettext

TIMEOUT = "timeout"
CRASHED = "error"

# esptool prints the base MAC after connecting: 4.x "MAC: 24:0a:c4:..",
# 5.x "MAC:                24:0a:c4:.." (esptool cmds.py read_mac / __init__.py main)
_ESPTOOL_MAC = re.compile(r"^\s*(?:BASE )?MAC:\s+((?:[0-9a-fA-F]{2}:){5}[0-9a-fA-F]{2})\s*$")

# MicroPython: machine.unique_id() is the chip's 6-byte factory MAC on ESP32
# (ports/esp32/modmachine.c machine_unique_id -> esp_efuse_mac_get_default); the
# formatting avoids bytes.hex(sep), which old builds lack.
UNIQUE_ID_CODE = "import machine\nprint('UID', ':'.join('%02x' % b for b in machine.unique_id()))\n"


def mac_from_esptool_line(line: str) -> Optional[str]:
    m = _ESPTOOL_MAC.match(line)
    return m.group(1).lower() if m else None


def mac_from_unique_id_output(text: str) -> Optional[str]:
    m = re.search(r"UID ((?:[0-9a-f]{2}:){5}[0-9a-f]{2})", text)
    return m.group(1) if m else None


@dataclass
class BoardRun:
    """One board's job: live status while it runs, its result afterwards."""
    port: str
    mac: Optional[str] = None
    status: str = field(default_factory=lambda: _("waiting"))
    percent: Optional[float] = None
    ok: bool = False
    result: str = ""              # short outcome code: ok, link, download-mode, timeout, ...
    message: str = ""             # what to do, for a failed board
    firmware: str = ""            # build id / file name
    sha256: str = ""
    exit_code: int = 1            # what the single-board command would have returned
    seconds: float = 0.0
    detail: Dict[str, Any] = field(default_factory=dict)
    cancel: Callable[[], None] = field(default=lambda: None, repr=False)
    _listener: Callable[["BoardRun"], None] = field(default=lambda b: None, repr=False)

    def say(self, status: str, percent: Optional[float] = None) -> None:
        self.status = status
        self.percent = percent
        self._listener(self)

    def set_mac(self, mac: Optional[str]) -> None:
        if mac and mac != self.mac:
            self.mac = mac
            self._listener(self)

    def finish(self, ok: bool, result: str, message: str = "", exit_code: Optional[int] = None) -> None:
        if self.result == TIMEOUT:  # given up already: a late answer does not count
            return
        self.ok, self.result, self.message = ok, result, message
        self.exit_code = 0 if ok else (1 if exit_code is None else exit_code)

    @property
    def label(self) -> str:
        """Port and identity, as shown everywhere a port is shown."""
        return f"{self.port} [{self.mac}]" if self.mac else self.port

    def to_json(self) -> Dict[str, Any]:
        return {"port": self.port, "mac": self.mac, "ok": self.ok, "result": self.result,
                "message": self.message, "firmware": self.firmware or None,
                "sha256": self.sha256 or None, "exit_code": self.exit_code,
                "seconds": round(self.seconds, 2), **self.detail}


def run_boards(ports: Sequence[str], job: Callable[[BoardRun], None], timeout: float,
               on_update: Callable[[BoardRun], None] = lambda b: None,
               prepare: Callable[[BoardRun], None] = lambda b: None) -> List[BoardRun]:
    """Run ``job`` on every port in parallel; results in the order of ``ports``."""
    lock = threading.Lock()

    def notify(board: BoardRun) -> None:
        with lock:  # one printer at a time; jobs never wait on each other otherwise
            on_update(board)

    boards = [BoardRun(port=p, _listener=notify) for p in ports]
    for board in boards:
        prepare(board)
    done = {id(b): threading.Event() for b in boards}

    def work(board: BoardRun) -> None:
        started = time.monotonic()
        try:
            job(board)
        except Exception as e:  # a bug in one board's job must not take down the tray
            board.finish(False, CRASHED, f"{type(e).__name__}: {e}", exit_code=2)
        finally:
            if board.result != TIMEOUT:
                board.seconds = time.monotonic() - started
                board.say(_("done") if board.ok else _("failed"))
            done[id(board)].set()

    threads = [threading.Thread(target=work, args=(b,), name=f"board-{b.port}", daemon=True)
               for b in boards]
    started = time.monotonic()
    for t in threads:
        t.start()
    for board in boards:
        left = timeout - (time.monotonic() - started)
        if not done[id(board)].wait(max(0.0, left)):
            board.finish(False, TIMEOUT, _("No result within {seconds} s: the board was given up "
                                           "(check its cable and power, then run it again on its "
                                           "own).").format(seconds=f"{timeout:.0f}"),
                         exit_code=1)
            board.seconds = time.monotonic() - started
            board.say(_("timed out"))
            try:
                board.cancel()
            except Exception:
                pass
    return boards


def exit_code(boards: Sequence[BoardRun]) -> int:
    """0 only when every board succeeded; else the first failed board's own code."""
    return next((b.exit_code or 1 for b in boards if not b.ok), 0)


# ---- output -------------------------------------------------------------------

class StatusLines:
    """One line per board. On a terminal the lines are rewritten in place; otherwise
    a plain line is printed whenever a board's status changes."""

    def __init__(self, boards_ports: Sequence[str], stream: TextIO = sys.stderr,
                 tty: Optional[bool] = None) -> None:
        self.stream = stream
        self.tty = stream.isatty() if tty is None else tty
        self.order = list(boards_ports)
        self.width = max((len(p) for p in self.order), default=0)
        self.lines: Dict[str, str] = {p: f"{p:<{self.width}}: " + _("waiting") for p in self.order}
        self._last_plain: Dict[str, str] = {}
        self._drawn = False

    def update(self, board: BoardRun) -> None:
        percent = f" {board.percent:3.0f} %" if board.percent is not None else ""
        ident = f" [{board.mac}]" if board.mac else ""
        line = f"{board.port:<{self.width}}{ident}: {board.status}{percent}"
        self.lines[board.port] = line
        if self.tty:
            self._redraw()
            return
        # plain: one line per status change (a percentage only every 10 %)
        key = f"{ident}{board.status}{'' if board.percent is None else int(board.percent) // 10}"
        if self._last_plain.get(board.port) != key:
            self._last_plain[board.port] = key
            print(line, file=self.stream, flush=True)

    def _redraw(self) -> None:
        out = []
        if self._drawn:
            out.append(f"\x1b[{len(self.order)}F")  # to the start of the first board's line
        import shutil

        width = max(20, shutil.get_terminal_size().columns - 1)  # a wrapped line would break the count
        for port in self.order:
            out.append("\x1b[2K" + self.lines[port][:width] + "\n")
        self._drawn = True
        self.stream.write("".join(out))
        self.stream.flush()


def _seconds(value: float) -> str:
    return f"{value:.1f} s"


def summary_table(boards: Sequence[BoardRun], what: str = N_("firmware")) -> str:
    """Port, board identity, result, firmware (or what the command produced: ``what``, marked
    with N_), time."""
    rows = [(_("PORT"), "MAC", _("RESULT"), _(what).upper(), _("TIME"))]
    for b in boards:
        baud = b.detail.get("baud")
        done = _("ok ({baud} baud)").format(baud=baud) if baud else _("ok")
        rows.append((b.port, b.mac or "?", done if b.ok else _(
                "FAILED ({result})").format(result=b.result),
                     b.firmware or "-", _seconds(b.seconds)))
    widths = [max(len(r[i]) for r in rows) for i in range(5)]
    lines = ["  ".join(cell.ljust(widths[i]) for i, cell in enumerate(r)).rstrip() for r in rows]
    failed = [b for b in boards if not b.ok]
    ok = len(boards) - len(failed)
    lines.append((ngettext("{ok} of {count} board ok, {failed} failed:",
                           "{ok} of {count} boards ok, {failed} failed:", len(boards)) if failed else
                  ngettext("{ok} of {count} board ok.", "{ok} of {count} boards ok.", len(boards)))
                 .format(ok=ok, count=len(boards), failed=len(failed)))
    for b in failed:
        first = (b.message or b.result).strip().splitlines()[0] if (b.message or b.result) else ""
        lines.append(f"  {b.label}: {first}")
    return "\n".join(lines)


def to_json(boards: Sequence[BoardRun]) -> List[Dict[str, Any]]:
    return [b.to_json() for b in boards]


CSV_FIELDS = ("time", "port", "mac", "firmware", "sha256", "result", "ok", "seconds", "message")


def append_csv_log(path: str, boards: Iterable[BoardRun], command: str) -> None:
    """Append one row per board (header when the file is new); ``command`` is the
    result column's prefix (flash, doctor, snapshot)."""
    new = not os.path.exists(path) or os.path.getsize(path) == 0
    stamp = datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
    with open(path, "a", newline="", encoding="utf-8") as f:
        writer = csv.writer(f)
        if new:
            writer.writerow(CSV_FIELDS)
        for b in boards:
            first = (b.message.strip().splitlines() or [""])[0]
            writer.writerow((stamp, b.port, b.mac or "", b.firmware, b.sha256,
                             f"{command}:{b.result}", "yes" if b.ok else "no",
                             f"{b.seconds:.1f}", first))


# ---- board identity -------------------------------------------------------------

def read_unique_id(port: str, interrupt: bool = False) -> Optional[str]:
    """The MAC through MicroPython's ``machine.unique_id()`` (the board at its prompt;
    DTR/RTS released, so it is not reset), or None when the REPL does not answer."""
    from thonnycontrib.esp32cam.core.camera.rawrepl import RawRepl, ReplBusy
    from thonnycontrib.esp32cam.core.serialprobe import close_serial, open_serial

    try:
        ser = open_serial(port)
    except Exception:  # pyserial's SerialException is an OSError; bad URLs raise ValueError
        return None
    try:
        for attempt in range(2):  # opening a tty may reset the board (Linux raises DTR/RTS): let it boot
            try:
                repl = RawRepl(ser, interrupt=interrupt or attempt > 0)
            except ReplBusy:
                time.sleep(1.5)
                continue
            try:
                return mac_from_unique_id_output(repl.exec_text(UNIQUE_ID_CODE, timeout=3))
            finally:
                repl.leave()
        return None
    except (ReplBusy, RuntimeError, OSError):
        return None
    finally:
        close_serial(ser)


def read_mac_with_esptool(esptool: Any, port: str, timeout: float = 60.0,
                          on_process: Callable[[Any], None] = lambda p: None) -> Optional[str]:
    """The MAC from the chip's eFuse through the ROM (``esptool read-mac``): works on a
    blank or broken board too. It resets the board into the bootloader and back."""
    import subprocess

    cmd = esptool.base_command() + ["--port", port, "--chip", "auto",
                                    "--before", esptool.spell("default-reset"),
                                    "--after", esptool.spell("hard-reset"), esptool.spell("read-mac")]
    try:
        proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                stderr=subprocess.STDOUT, env=esptool.env, text=True,
                                creationflags=getattr(subprocess, "CREATE_NO_WINDOW", 0))
    except OSError:
        return None
    on_process(proc)
    try:
        out = proc.communicate(timeout=timeout)[0]
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.communicate()
        return None
    return next((m for m in map(mac_from_esptool_line, out.splitlines()) if m), None)


# ---- jobs (shared by the CLI and the Thonny dialogs) -------------------------------

FILES_LEFT = N_("Nothing was written to this board. To install on it, choose for the run that "
                "its files are copied first, or erased, and install again.")


@dataclass
class FlashJob:
    """Write one verified image to a board through the one install sequence (its own
    esptool process, its own baud fallback; an ESP32-S3's PSRAM checked first), then wait
    for its MicroPython prompt. Only what differs is written; a board whose files the
    install would erase (another partition layout) has them copied into ``backup_dir``/<port>
    first, or is erased only with ``erase_files``, else left as it is."""
    esptool: Any
    prepared: Any                     # core.prepare.PreparedImage
    erase: bool = False               # the whole flash erased first (the board's files too)
    erase_files: bool = False         # the run's choice: a layout change may erase the board's files
    backup_dir: Optional[str] = None  # ... after they are copied into a folder per board here
    baud: Optional[int] = None
    manual_boot: bool = False
    flash_mode: Optional[str] = None
    flash_size: Optional[str] = None
    check_psram: bool = True          # False: the user chose to write a PSRAM-mismatched build
    work_dir: Optional[str] = None    # the firmware cache: where a resumed write puts the rest
    check_seconds: float = 10.0

    def __call__(self, board: BoardRun) -> None:
        from thonnycontrib.esp32cam.core.flash_messages import retry_baud, without_retry
        from thonnycontrib.esp32cam.core.flasher import FlashOptions
        from thonnycontrib.esp32cam.core.install import BACKUP_FAILED, CHECKING, FILES_AT_RISK, READING, Installer

        def on_line(line: str) -> None:
            board.set_mac(mac_from_esptool_line(line))
            baud = retry_baud(line)
            if baud is not None:
                board.say(_("retrying at {baud} baud").format(baud=baud))

        def on_stage(stage: str) -> None:
            if stage == CHECKING:
                board.say(_("checking the prompt"))
            elif stage == READING:
                board.say(_("reading the board"))

        installer = Installer(self.esptool, on_line=on_line, on_progress=lambda p: board.say(_(
                "writing"), p),
                              on_stage=on_stage)
        board.cancel = installer.cancel
        board.say(_("connecting"))
        options = FlashOptions(port=board.port, erase=self.erase, baud=self.baud,
                               manual_boot=self.manual_boot, flash_mode=self.flash_mode,
                               flash_size=self.flash_size, check_board=self.check_psram,
                               work_dir=self.work_dir)
        backup = os.path.join(self.backup_dir, re.sub(r"[^\w.-]+", "_", board.port).strip("_")) \
            if self.backup_dir else None
        report = installer.run(self.prepared, options, check_seconds=self.check_seconds,
                               erase_files=self.erase_files, backup_dir=backup)
        result = report.flash
        board.detail["baud"] = result.baud
        if report.files_outcome():
            board.detail["files"] = report.files_outcome()
        if not result.ok:
            code = 3 if result.needs_download_mode else (4 if result.outcome in (FILES_AT_RISK, BACKUP_FAILED) else 1)
            message = result.message
            if code == 3:  # not the single-board dialog's "press Retry"
                message = without_retry(message, _(
                    "Then install on this board again with manual boot (command line: "
                    "--manual-boot; Thonny's installer: Advanced options, 'Board is already in "
                    "download mode')."))
            if result.outcome == FILES_AT_RISK:  # the run's choice left it: say how to install on it
                message = report.plan.message + " " + _(FILES_LEFT)
            board.detail["log"] = result.log[-8:]
            board.finish(False, result.outcome, message, exit_code=code)
            return
        if report.check is None:  # manual boot: the board starts when IO0 is released and RST tapped
            board.finish(True, "ok", " ".join([result.message] + ([report.copied_message()] if report.copied else [])))
            return
        board.detail["banner"] = report.check.banner
        board.detail["camera"] = report.check.camera
        message = " ".join([result.message] + ([report.copied_message()] if report.copied else [])
                           + ([] if report.started else [report.not_started_message()]) + report.warnings)
        board.finish(True, "ok", message)


@dataclass
class DoctorJob:
    """Diagnose one board, then identify it: ``machine.unique_id()`` when MicroPython
    answers, else (with an esptool) the ROM's eFuse MAC."""
    configured: Any = None            # doctor.Lines the interpreter uses, or None
    esptool: Any = None
    check_camera: bool = True
    check_speed: bool = True
    wait_for_rst: float = 0.0
    fix: Optional[str] = None         # "release-and-reset" | "interrupt-at-boot"
    profile: Any = None               # boards.BoardProfile for the sensor check (None: AI-Thinker)

    def __call__(self, board: BoardRun) -> None:
        from thonnycontrib.esp32cam.core import doctor

        def progress(msg: str) -> None:
            board.say(msg[:60])

        if self.fix:
            doctor.apply_fix(board.port, self.fix, progress)
        result = doctor.diagnose(board.port, self.configured, progress=progress,
                                 check_camera=self.check_camera, check_speed=self.check_speed,
                                 wait_for_rst=self.wait_for_rst, profile=self.profile)
        board.firmware = result.title  # the summary's fourth column: the diagnosis
        board.detail["diagnosis"] = result.to_json()
        board.say(_("identifying"))
        if result.ok:
            board.set_mac(read_unique_id(board.port))
        elif self.esptool is not None:
            board.set_mac(read_mac_with_esptool(
                self.esptool, board.port, on_process=lambda p: setattr(board, "cancel", p.kill)))
        board.finish(result.ok, result.code, "" if result.ok else _("{title}. {fix}").format(
            title=result.title, fix=result.fix))
