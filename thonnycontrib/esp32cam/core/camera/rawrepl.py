"""A small raw-REPL client on pyserial, for the command line (no Thonny).

Opens a serial port or a pyserial URL (``rfc2217://``, ``socket://``) with DTR
and RTS released, so an ESP32-CAM on an auto-reset adapter is neither held in
reset nor sent to the bootloader. Submits code with raw-paste (flow
controlled) when the firmware supports it, plain raw mode otherwise.
"""
from __future__ import annotations

import re
import time
from typing import Optional, Union

from ..fastlink import RUN_END
from .session import RunResult
from .stream import STOP, FrameHandler, KeepGoing, read_stream
from .transfer import EOT, DamagedFrame, Frame, read_frame
from thonnycontrib.esp32cam.core.i18n import _

RAW_PROMPT = b"raw REPL; CTRL-B to exit\r\n>"
CTRL_A, CTRL_B, CTRL_C = b"\x01", b"\x02", b"\x03"
RAW_PASTE_REQUEST = b"\x05A\x01"
POLL = 0.02


class ReplBusy(Exception):
    """The board did not answer at its REPL (a program is running, or nothing is connected)."""


class SerialByteSource:
    """Buffered reads with deadlines on top of a pyserial object whose timeout is short and fixed
    (changing ``timeout`` on RFC2217 renegotiates the port: expensive)."""

    def __init__(self, port) -> None:
        self.port = port
        self.buffer = bytearray()
        self.bytes_received = 0

    def _fill(self, deadline: float) -> bool:
        waiting = getattr(self.port, "in_waiting", 0) or 0
        data = self.port.read(max(1, waiting))
        if data:
            self.buffer += data
            self.bytes_received += len(data)
            return True
        return time.monotonic() < deadline

    def read(self, size: int, timeout: float = 10) -> bytes:
        deadline = time.monotonic() + timeout
        while len(self.buffer) < size and self._fill(deadline):
            pass
        data = bytes(self.buffer[:size])
        del self.buffer[:size]
        return data

    def read_until(self, terminator: Union[bytes, "re.Pattern[bytes]"], timeout: float = 10) -> bytes:
        pattern = terminator if isinstance(terminator, re.Pattern) else re.compile(re.escape(terminator))
        deadline = time.monotonic() + timeout
        while True:
            match = pattern.search(self.buffer)
            if match:
                data = bytes(self.buffer[: match.end()])
                del self.buffer[: match.end()]
                return data
            if not self._fill(deadline):
                data = bytes(self.buffer)
                self.buffer.clear()
                return data  # soft timeout: caller checks for the terminator

    def unread(self, data: bytes) -> None:
        self.buffer[:0] = data

    def discard_pending(self) -> None:
        time.sleep(POLL)
        self.buffer.clear()
        waiting = getattr(self.port, "in_waiting", 0) or 0
        if waiting:
            self.port.read(waiting)

    def write(self, data: bytes) -> None:
        self.port.write(data)


class SerialLinkIO:
    """``fastlink.LinkIO`` on a SerialByteSource (shares its buffer with RawRepl)."""

    def __init__(self, source: SerialByteSource) -> None:
        self.source = source

    def write(self, data: bytes) -> None:
        self.source.write(data)

    def read_until(self, pattern, timeout: float) -> bytes:
        return self.source.read_until(pattern, timeout)

    def read_exactly(self, size: int, timeout: float) -> bytes:
        return self.source.read(size, timeout)

    def discard_input(self) -> None:
        self.source.discard_pending()

    def set_baud(self, baud: int) -> None:
        from ..serial_port import set_baudrate

        set_baudrate(self.source.port, baud)


class RawRepl:
    """Runs code at the raw REPL and reads the camera helper's frames."""

    def __init__(self, port, interrupt: bool = False, prompt_timeout: float = 3.0) -> None:
        self.port = port
        self.source = SerialByteSource(port)
        self.raw_paste: Optional[bool] = None
        self._enter(interrupt, prompt_timeout)

    def _enter(self, interrupt: bool, timeout: float) -> None:
        if interrupt:
            self.source.write(b"\r" + CTRL_C + CTRL_C)
            time.sleep(0.1)
        self.source.discard_pending()
        self.source.write(CTRL_A)
        data = self.source.read_until(RAW_PROMPT, timeout)
        if not data.endswith(RAW_PROMPT):
            raise ReplBusy(
                _("The board did not answer at its REPL. A program may be running on it "
                  "(use --interrupt to stop it), or the port/wiring is wrong."))

    def _submit(self, code: bytes, timeout: float) -> None:
        if self.raw_paste is not False:
            self.source.write(RAW_PASTE_REQUEST)
            answer = self.source.read(2, timeout)
            if answer == b"R\x01":
                self.raw_paste = True
                self._raw_paste_write(code, timeout)
                return
            self.raw_paste = False
            if answer != b"R\x00":  # very old firmware echoes a fresh raw prompt
                self.source.read_until(RAW_PROMPT, 1.0)
        for i in range(0, len(code), 256):
            self.source.write(code[i:i + 256])
            time.sleep(0.01)
        self.source.write(EOT)
        ok = self.source.read(2, timeout)
        if ok != b"OK":
            raise ReplBusy(_("The raw REPL did not accept the code (got {answer!r}).").format(answer=ok))

    def _raw_paste_write(self, code: bytes, timeout: float) -> None:
        header = self.source.read(2, timeout)
        window = header[0] | header[1] << 8
        remain = window
        i = 0
        while i < len(code):
            while remain == 0 or self.source.buffer or (getattr(self.port, "in_waiting", 0) or 0):
                flag = self.source.read(1, timeout)
                if flag == b"\x01":
                    remain += window
                elif flag == EOT:  # device aborted (syntax error): acknowledge
                    self.source.write(EOT)
                    return
                else:
                    raise ReplBusy(_("Unexpected byte {byte!r} during raw-paste.").format(byte=flag))
            chunk = code[i:i + remain]
            self.source.write(chunk)
            remain -= len(chunk)
            i += len(chunk)
        self.source.write(EOT)
        ack = self.source.read_until(EOT, timeout)
        if not ack.endswith(EOT):
            raise ReplBusy(_("The board did not confirm the code."))

    def submit(self, code: str, timeout: float = 5) -> None:
        """Start ``code`` at the raw prompt; its output follows on ``self.source``."""
        self._submit(code.encode("utf-8"), timeout)

    def link_io(self) -> SerialLinkIO:
        return SerialLinkIO(self.source)

    def run(self, code: str, timeout: float) -> RunResult:
        started = time.perf_counter()
        self._submit(code.encode("utf-8"), timeout)
        try:
            frame = read_frame(self.source, timeout)
        except DamagedFrame:
            self._back_in_step()
            raise
        return self._finish(frame, started, timeout)

    def stream(self, code: str, on_frame: FrameHandler, keep_going: KeepGoing, timeout: float) -> RunResult:
        started = time.perf_counter()
        self._submit(code.encode("utf-8"), timeout)
        try:
            last = read_stream(self.source, self.source.write, on_frame, keep_going, timeout)
        except BaseException:
            # damaged bytes or Ctrl-C here: the board stops when its credit is spent; keep in step
            self.source.write(STOP)
            self.source.read_until(RUN_END, timeout)
            raise
        return self._finish(last, started, timeout)

    def _back_in_step(self) -> None:
        """After a damaged frame: wait until the line is quiet (its end may be damaged too),
        then Ctrl-A at the raw prompt prints the banner again: the next request is in step."""
        deadline = time.monotonic() + 5.0
        while self.source.read(1 << 20, 0.1) and time.monotonic() < deadline:
            pass  # until the line is quiet: the rest of the frame and the raw REPL's end
        self.source.write(CTRL_A)
        self.source.read_until(RAW_PROMPT, 2.0)

    def _finish(self, frame: Optional[Frame], started: float, timeout: float) -> RunResult:
        """Read the raw REPL's end after the frame: EOT, error text, EOT, ">"."""
        rest = self.source.read_until(EOT, timeout)
        error = self.source.read_until(EOT, timeout)
        self.source.read_until(b">", timeout)
        error_text = error[:-1].decode("utf-8", "replace") if error.endswith(EOT) else error.decode("utf-8", "replace")
        if frame is None and not error_text:
            error_text = rest.decode("utf-8", "replace")
        return RunResult(frame, error_text.strip(), time.perf_counter() - started)

    def exec_text(self, code: str, timeout: float = 10) -> str:
        """Run code, return its stdout (for simple queries), raise on a device error."""
        self._submit(code.encode("utf-8"), timeout)
        out = self.source.read_until(EOT, timeout)
        err = self.source.read_until(EOT, timeout)
        self.source.read_until(b">", timeout)
        if err.strip(EOT):
            raise RuntimeError(err.rstrip(EOT).decode("utf-8", "replace"))
        return out.rstrip(EOT).decode("utf-8", "replace")

    def leave(self) -> None:
        """Back to the friendly REPL, as the user left it."""
        self.source.write(CTRL_B)
        time.sleep(POLL)
