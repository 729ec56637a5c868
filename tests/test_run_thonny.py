"""``make run``: Thonny with the plug-in, ESP32-CAM interpreter selected, on the
virtual board when no real board is attached; everything stops with it. The
terminal gets one line naming the log files and one status line; Ctrl-C (and
``kill``) end it without a traceback."""
from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import List, Optional

import pytest

REPO_ROOT = Path(__file__).resolve().parent.parent

pytestmark = pytest.mark.thonny


def _wait_for(predicate, timeout: float, what: str, user_dir: Optional[Path] = None) -> None:
    deadline = time.time() + timeout
    while time.time() < deadline:
        if predicate():
            return
        time.sleep(0.2)
    logs = ""
    for name in ("virtualboard-events.log", "frontend.log", "backend.log") if user_dir else ():
        path = user_dir / name
        if path.exists():  # what each side last did (once seen only on a loaded CI host)
            logs += "\n--- %s (end) ---\n%s" % (name, "\n".join(path.read_text(errors="replace").splitlines()[-25:]))
    raise AssertionError("timed out waiting for " + what + logs)


def _backend_ready(user_dir: Path) -> bool:
    """Thonny's logs say the back-end sent its ready message and entered its command loop:
    Thonny 4.1/5.0's back-end logs "Beginning of mainloop" (``report_time`` in
    ``thonny/backend.py``); the development head logs that only with ``REPORT_TIME``, but
    its front-end logs the ready message's board id (``thonny/running.py``, 5.0.0b1.dev0)."""
    def text(name: str) -> str:
        path = user_dir / name
        return path.read_text(errors="replace") if path.exists() else ""

    return "Beginning of mainloop" in text("backend.log") or "thonny.running: Got board_id" in text("frontend.log")


@pytest.mark.parametrize("sig, code", [(signal.SIGINT, 0), (signal.SIGTERM, 143)], ids=["ctrl-c", "kill"])
def test_make_run_connects_to_the_virtual_board_and_stops_it(xdisplay, tmp_path, sig, code):
    user_dir = tmp_path / "user"
    board_log = user_dir / "virtualboard-events.log"
    env = dict(os.environ, DISPLAY=xdisplay, PYTHONPATH=str(REPO_ROOT))
    proc = subprocess.Popen([sys.executable, "-m", "tests.run_thonny", "--virtual", "--user-dir", str(user_dir)],
                            cwd=str(REPO_ROOT), env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    out: List[str] = []
    err: List[str] = []
    readers = [threading.Thread(target=lambda s=s, acc=acc: acc.extend(iter(s.readline, "")), daemon=True)
               for s, acc in ((proc.stdout, out), (proc.stderr, err))]
    for r in readers:
        r.start()

    def events() -> str:
        return board_log.read_text() if board_log.exists() else ""

    try:
        _wait_for(lambda: any("rfc2217://127.0.0.1:" in line for line in out), 30, "the board's URL")
        first = next(line for line in out if "rfc2217://" in line)
        url = re.search(r"rfc2217://[\d.]+:\d+", first).group(0)
        assert str(board_log) in first and "thonny-console.log" in first  # says where the logs are
        # Thonny's back-end reaches the MicroPython prompt and its command loop
        _wait_for(lambda: "client_connected\n" in events() and _backend_ready(user_dir), 60,
                  "Thonny's back-end at the prompt", user_dir)
        ini = (user_dir / "configuration.ini").read_text()
        assert "backend_name = ESP32CAM" in ini and url in ini
        log = events()
        assert "firmware_started banner='MicroPython v1.21.0" in log
        connected = log[log.index("client_connected"):]
        assert "lines dtr=True" not in connected and "rts=True" not in connected  # lines stay released
        assert "en=False" not in connected  # the board was never reset by the connection
    finally:
        proc.send_signal(sig)  # what Ctrl-C in the terminal (or `kill`) does
        try:
            proc.wait(30)
        except subprocess.TimeoutExpired:
            proc.kill()
            raise
    for r in readers:
        r.join(5)
    assert proc.returncode == code, (proc.returncode, out, err)
    assert "".join(err) == "", err  # no traceback, no board events, no Thonny chatter
    assert len(out) <= 3, out  # the log line, the status line, "Stopping…"
    assert "Ctrl-C stops" in out[1] and out[-1].startswith("Stopping Thonny and the virtual board"), out
    assert "client_disconnected" in events()
    host, port = url[len("rfc2217://"):].split(":")
    try:  # the virtual board went away with Thonny
        socket.create_connection((host, int(port)), timeout=2).close()
        still_listening = True
    except OSError:
        still_listening = False
    assert not still_listening


def test_ctrl_c_in_a_terminal_stops_everything_quietly(xdisplay, tmp_path):
    """Ctrl-C typed in a real (pseudo-)terminal: the line discipline sends SIGINT to
    the whole foreground process group, as when a user presses it during `make run`."""
    import pty
    import select

    user_dir = tmp_path / "user"
    board_log = user_dir / "virtualboard-events.log"
    env = dict(os.environ, DISPLAY=xdisplay, PYTHONPATH=str(REPO_ROOT))
    pid, fd = pty.fork()
    if pid == 0:  # child: becomes the session leader of the new terminal
        os.chdir(str(REPO_ROOT))
        os.execve(sys.executable, [sys.executable, "-m", "tests.run_thonny", "--virtual",
                                   "--user-dir", str(user_dir)], env)
    screen = b""

    def read_for(seconds: float, until: bytes = b"") -> None:
        nonlocal screen
        end = time.time() + seconds
        while time.time() < end and not (until and until in screen):
            if select.select([fd], [], [], 0.2)[0]:
                try:
                    screen += os.read(fd, 4096)
                except OSError:  # the child closed the terminal
                    return

    try:
        read_for(60, until=b"board: Thonny connected")
        text = screen.decode(errors="replace")
        assert "board: Thonny connected" in text, text
        url = re.search(r"rfc2217://[\d.]+:\d+", text).group(0)
        os.write(fd, b"\x03")  # Ctrl-C
        read_for(30, until=b"\xe2\x80\xa6\r\n")  # "Stopping …"
        _, status = os.waitpid(pid, 0)
    finally:
        try:  # if the test failed early: SIGTERM lets it stop Thonny and the board first
            if os.waitpid(pid, os.WNOHANG) == (0, 0):
                os.kill(pid, signal.SIGTERM)
                for _ in range(100):
                    if os.waitpid(pid, os.WNOHANG) != (0, 0):
                        break
                    time.sleep(0.2)
                else:
                    os.kill(pid, signal.SIGKILL)
                    os.waitpid(pid, 0)
        except (ProcessLookupError, ChildProcessError):
            pass
        os.close(fd)
    text = screen.decode(errors="replace")
    assert os.waitstatus_to_exitcode(status) == 0, text
    assert "Traceback" not in text and "KeyboardInterrupt" not in text, text
    lines = [line for line in text.replace("\r\n", "\n").split("\n") if line.strip()]
    assert len(lines) == 3, lines  # the log line, the status line (rewritten in place), "Stopping…"
    assert "client_disconnected" in board_log.read_text()
    host, port = url[len("rfc2217://"):].split(":")
    with pytest.raises(OSError):  # the virtual board went away
        socket.create_connection((host, int(port)), timeout=2).close()
