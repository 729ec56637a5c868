"""``make run``: Thonny with this plug-in, isolated user folder, ESP32-CAM interpreter.

Connects to a real ESP32-CAM when a known USB-serial adapter is plugged in,
otherwise starts the virtual board (camera firmware) and connects to its
``rfc2217://`` URL. Everything started here is stopped when Thonny exits or
on Ctrl-C.

The terminal stays readable: the virtual board's events (one per camera frame)
and Thonny's own console output go to log files in the user folder, named in
one line at start; then a single status line (updated in place on a terminal).

    python -m tests.run_thonny [--virtual] [--wiring direct|classic] [--firmware lemariva|kaki5|cnadler86|official]
                               [--user-dir DIR]
"""
from __future__ import annotations

import argparse
import collections
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import IO, Counter, List, Optional

REPO_ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO_ROOT))

from tests.thonny_harness import write_ini  # noqa: E402
from thonnycontrib.esp32cam.core.ports import ADAPTER_VIDS_PIDS, describes_camera_board  # noqa: E402

BOARD_LOG = "virtualboard-events.log"
THONNY_LOG = "thonny-console.log"


def detect_real_boards() -> List[str]:
    """Devices of plugged-in adapters that ESP32-CAM programmers use."""
    from serial.tools.list_ports import comports

    return [
        p.device
        for p in comports()
        if (p.vid, p.pid) in ADAPTER_VIDS_PIDS or describes_camera_board(p.description)
    ]


class BoardEvents:
    """Copies the virtual board's event lines (its stderr) to a log file and counts them."""

    def __init__(self, stream: IO[str], log_path: Path) -> None:
        self.counts: Counter[str] = collections.Counter()
        self.connected = False
        self._log = open(log_path, "a", encoding="utf-8", buffering=1)
        self._thread = threading.Thread(target=self._copy, args=(stream,), daemon=True, name="board-events")
        self._thread.start()

    def _copy(self, stream: IO[str]) -> None:
        for line in iter(stream.readline, ""):
            self._log.write(line)
            kind = line.split(" ", 1)[0].strip()
            self.counts[kind] += 1
            if kind == "client_connected":
                self.connected = True
            elif kind == "client_disconnected":
                self.connected = False

    def summary(self) -> str:
        state = "Thonny connected" if self.connected else "waiting for Thonny"
        return f"board: {state}, camera frames: {self.counts['camera_frame']}, boots: {self.counts['boot']}"

    def close(self) -> None:
        self._thread.join(5)
        self._log.close()


def start_virtual_board(wiring: str, firmware: str, log_path: Path) -> "tuple[subprocess.Popen, str, BoardEvents]":
    board = subprocess.Popen(
        [sys.executable, "-m", "tests.virtualboard", "--wiring", wiring, "--firmware", firmware],
        cwd=str(REPO_ROOT), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        start_new_session=True,  # Ctrl-C in the terminal reaches only this script, which stops it
    )
    events = BoardEvents(board.stderr, log_path)
    url = board.stdout.readline().strip() if board.stdout else ""
    if not url.startswith(("rfc2217://", "socket://", "/dev/")):
        _stop(board)
        events.close()
        raise SystemExit(f"The virtual board did not start (printed {url!r}); see {log_path}.")
    return board, url, events


class StatusLine:
    """One line: rewritten in place on a terminal, printed once otherwise."""

    def __init__(self, stream: IO[str]) -> None:
        self.stream = stream
        self.tty = stream.isatty()
        self._last = ""

    def show(self, text: str) -> None:
        if text == self._last or (not self.tty and self._last):
            return
        self._last = text
        if self.tty:
            self.stream.write("\r\033[K" + text)
        else:
            self.stream.write(text + "\n")
        self.stream.flush()

    def end(self) -> None:
        if self.tty and self._last:
            self.stream.write("\n")
            self.stream.flush()


def _stop(proc: subprocess.Popen) -> None:
    """Stop ``proc`` and what it started (its own session: Thonny's back-end too)."""
    def signal_group(sig: int) -> bool:
        try:
            os.killpg(proc.pid, sig)  # start_new_session: the group id is the leader's pid
            return True
        except ProcessLookupError:
            return False

    signal_group(signal.SIGTERM)
    try:
        proc.wait(10)
    except subprocess.TimeoutExpired:
        signal_group(signal.SIGKILL)
        proc.wait(5)
    deadline = time.monotonic() + 5  # e.g. Thonny's back-end closing its connection to the board
    while signal_group(0) and time.monotonic() < deadline:
        time.sleep(0.1)


def main(argv: Optional[List[str]] = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--virtual", action="store_true", help="use the virtual board even if a real one is attached")
    parser.add_argument("--wiring", default="direct", choices=["direct", "classic", "none"])
    parser.add_argument("--firmware", default="lemariva")
    parser.add_argument("--user-dir", default=str(REPO_ROOT / ".run" / "thonny-user"))
    args = parser.parse_args(argv)

    user_dir = Path(args.user_dir)
    user_dir.mkdir(parents=True, exist_ok=True)
    board: Optional[subprocess.Popen] = None
    events: Optional[BoardEvents] = None
    thonny: Optional[subprocess.Popen] = None
    interrupted = []
    # Ctrl-C and `kill` both end the loop below; the children are stopped in `finally`
    signal.signal(signal.SIGINT, lambda *_: interrupted.append(130))
    signal.signal(signal.SIGTERM, lambda *_: interrupted.append(143))
    thonny_log_path = user_dir / THONNY_LOG
    try:
        real = [] if args.virtual else detect_real_boards()
        if len(real) == 1:
            port, where = real[0], f"real board adapter {real[0]}"
        elif len(real) > 1:
            port, where = "auto", f"several adapters ({', '.join(real)}): Thonny lets you choose"
        else:
            board_log = user_dir / BOARD_LOG
            board, port, events = start_virtual_board(args.wiring, args.firmware, board_log)
            where = f"virtual ESP32-CAM ({args.wiring} wiring, {args.firmware} firmware) at {port}"
        if interrupted:
            return 0
        write_ini(user_dir / "configuration.ini", {"run": {"backend_name": "ESP32CAM"}, "ESP32CAM": {"port": port}})
        env = dict(os.environ, THONNY_USER_DIR=str(user_dir))
        env["PYTHONPATH"] = os.pathsep.join([str(REPO_ROOT)] + [p for p in env.get("PYTHONPATH", "").split(os.pathsep) if p])
        with open(thonny_log_path, "a", encoding="utf-8") as thonny_log:
            thonny = subprocess.Popen([sys.executable, "-m", "thonny"], env=env, cwd=str(REPO_ROOT),
                                      stdout=thonny_log, stderr=subprocess.STDOUT, start_new_session=True)
        logs = [str(thonny_log_path)] + ([str(user_dir / BOARD_LOG)] if events else [])
        print(f"Thonny with the ESP32-CAM plug-in on the {where} · logs: {', '.join(logs)}", flush=True)
        status = StatusLine(sys.stdout)
        while thonny.poll() is None and not interrupted:
            board_state = f" · {events.summary()}" if events else ""
            status.show(f"Thonny running (pid {thonny.pid}){board_state} · Ctrl-C stops")
            time.sleep(0.5)
        status.end()
        if interrupted:
            print("Stopping Thonny" + (" and the virtual board" if board else "") + "…", flush=True)
            return 0 if interrupted[0] == 130 else interrupted[0]  # Ctrl-C is the normal way to stop
        code = thonny.returncode
        if code:
            tail = thonny_log_path.read_text(errors="replace").splitlines()[-15:]
            print(f"Thonny exited with code {code}; the end of {thonny_log_path}:", *tail, sep="\n", file=sys.stderr)
        return code
    finally:
        signal.signal(signal.SIGINT, signal.SIG_IGN)  # a second Ctrl-C must not cut the clean-up short
        if thonny is not None:
            _stop(thonny)
        if board is not None:
            _stop(board)
        if events is not None:
            events.close()


if __name__ == "__main__":
    sys.exit(main())
