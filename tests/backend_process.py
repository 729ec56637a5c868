"""The plug-in's back-end as a real process, started and spoken to as Thonny's front-end does.

No Workbench: the back-end's launcher runs as ``python -s -u -B launcher.py "<repr(args)>"``
(thonny/running.py ``_start_background_process`` with mp_front.py's
``_get_launcher_with_args``, Thonny 4.1.7, 5.0.1 and the development head), commands go to
its stdin as ``thonny.common.serialize_message`` lines, and its stdout is read as
``running.py``'s ``_listen_stdout`` reads it: message lines, anything else is program output
(the development head's minny prints the board's output straight to stdout/stderr).
"""
from __future__ import annotations

import os
import queue
import subprocess
import sys
import threading
import time
from typing import Any, Callable, Dict, List, Optional

from thonny.common import (
    MESSAGE_MARKER, BackendEvent, ImmediateCommand, InlineCommand, InlineResponse, ToplevelCommand,
    ToplevelResponse, parse_message, read_one_incoming_message_str, serialize_message,
)

from thonnycontrib.esp32cam import thonny_compat
from thonnycontrib.esp32cam.core import backend_commands

LAUNCHER = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))),
                        "thonnycontrib", "esp32cam", "backend", "launcher.py")
SETTING_ARG = "esp32cam_serial_speed"  # frontend/proxy.py, backend/fast_link.py


def launcher_args(port: str, speed: str = "auto", clean: bool = False) -> Dict[str, Any]:
    """What ``Esp32CamProxy._get_launcher_with_args`` passes with Thonny's defaults
    (mp_front.py ``add_micropython_backend``: submit mode and block sizes None, interrupt on
    connect) and the plug-in's (lines released, the serial speed setting)."""
    args: Dict[str, Any] = {
        "clean": clean, "port": port, "dtr": False, "rts": False, "submit_mode": None,
        "interrupt_on_connect": True, "write_block_size": None, "write_block_delay": None,
        "proxy_class": "Esp32CamProxy", "sync_time": False, "validate_time": False, "local_rtc": False,
        SETTING_ARG: speed,
    }
    try:
        if thonny_compat.generation() == thonny_compat.MINNY:
            # the development head's mp_front.py _get_project_args (project manager option "-")
            args.update(local_project_path=None, project_manager="-")
    except thonny_compat.UnsupportedThonny:
        pass
    return args


class BackendProcess:
    def __init__(self, port: str, user_dir: str, speed: str = "auto", clean: bool = False,
                 env: Optional[Dict[str, str]] = None) -> None:
        os.makedirs(user_dir, exist_ok=True)
        environment = dict(os.environ)
        environment.update(PYTHONIOENCODING="utf-8", PYTHONUNBUFFERED="1", THONNY_USER_DIR=user_dir)
        environment.update(env or {})
        self.user_dir = user_dir
        self.proc = subprocess.Popen(
            [sys.executable, "-s", "-u", "-B", LAUNCHER, repr(launcher_args(port, speed, clean))],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, cwd=user_dir,
            env=environment, universal_newlines=True, encoding="utf-8", bufsize=0)
        self.ack = self.proc.stdout.readline()
        self.messages: "queue.Queue[Any]" = queue.Queue()
        self.seen: List[Any] = []
        self.stderr_text = ""
        threading.Thread(target=self._listen_stdout, daemon=True).start()
        threading.Thread(target=self._listen_stderr, daemon=True).start()

    # --- reading ------------------------------------------------------------------------------
    def _listen_stdout(self) -> None:
        while True:
            data = read_one_incoming_message_str(self.proc.stdout.readline)
            if data == "":
                self.messages.put(None)
                return
            try:
                self.messages.put(parse_message(data))
            except Exception:  # as running.py: program output, perhaps followed by a message
                parts = data.rsplit(MESSAGE_MARKER, maxsplit=1)
                self.messages.put(BackendEvent("ProgramOutput", data=parts[0], stream_name="stdout"))
                if len(parts) == 2:
                    try:
                        self.messages.put(parse_message(MESSAGE_MARKER + parts[1]))
                    except Exception:
                        self.messages.put(BackendEvent("ProgramOutput", data=MESSAGE_MARKER + parts[1],
                                                       stream_name="stdout"))

    def _listen_stderr(self) -> None:
        for line in iter(self.proc.stderr.readline, ""):
            self.stderr_text += line
            self.messages.put(BackendEvent("ProgramOutput", data=line, stream_name="stderr"))

    def next_message(self, timeout: float) -> Any:
        try:
            msg = self.messages.get(timeout=timeout)
        except queue.Empty:
            raise AssertionError("no message from the back-end in %s s; output so far: %r"
                                 % (timeout, self.output())) from None
        if msg is None:
            raise AssertionError("the back-end ended (exit %s): %r" % (self.proc.wait(5), self.output()))
        self.seen.append(msg)
        return msg

    def wait_for(self, match: Callable[[Any], bool], timeout: float = 30) -> Any:
        deadline = time.monotonic() + timeout
        while True:
            msg = self.next_message(max(0.01, deadline - time.monotonic()))
            if match(msg):
                return msg

    def output(self, since: int = 0, stream: Optional[str] = None) -> str:
        return "".join(m.get("data", "") for m in self.seen[since:]
                       if getattr(m, "event_type", None) == "ProgramOutput"
                       and (stream is None or m.get("stream_name") == stream))

    def events(self, event_type: str) -> List[Any]:
        return [m for m in self.seen if getattr(m, "event_type", None) == event_type]

    def wait_ready(self, timeout: float = 30) -> Any:
        return self.wait_for(lambda m: isinstance(m, ToplevelResponse), timeout)

    # --- commands -----------------------------------------------------------------------------
    def send(self, cmd: Any) -> None:
        self.proc.stdin.write(serialize_message(cmd) + "\n")
        self.proc.stdin.flush()

    def shell(self, source: str, timeout: float = 30) -> str:
        """A Shell command (shell.py sends ``execute_source``); its output, up to the prompt."""
        mark = len(self.seen)
        self.send(ToplevelCommand("execute_source", source=source, tty_mode=True, id=_next_id()))
        self.wait_for(lambda m: isinstance(m, ToplevelResponse), timeout)
        return self.output(mark)

    def run(self, source: str, timeout: float = 60) -> str:
        """Run (F5) of an editor's content: ``Run`` with the source (running.py
        ``execute_current`` for a remote interpreter); the output, up to the prompt."""
        mark = len(self.seen)
        self.send(ToplevelCommand("Run", args=["/main_test.py"], source=source, id=_next_id()))
        self.wait_for(lambda m: isinstance(m, ToplevelResponse), timeout)
        return self.output(mark)

    def inline(self, name: str, timeout: float = 60, **kwargs: Any) -> Any:
        command_id = _next_id()
        self.send(InlineCommand(name, id=command_id, **kwargs))
        # an InlineResponse's event_type is "<name>_response" (thonny/backend.py _prepare_command_response)
        return self.wait_for(lambda m: isinstance(m, InlineResponse) and m.get("command_id") == command_id,
                             timeout)

    def release_lines_and_wait(self, timeout: float = 10) -> int:
        """What the plug-in's proxy does before Thonny stops the back-end."""
        self.send(ImmediateCommand(backend_commands.RELEASE_LINES))
        return self.proc.wait(timeout)

    def close(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(5)
        for stream in (self.proc.stdin, self.proc.stdout, self.proc.stderr):
            try:
                stream.close()
            except OSError:
                pass


_ids = iter(range(1, 1 << 30))


def _next_id() -> str:
    return "cmd_%d" % next(_ids)
