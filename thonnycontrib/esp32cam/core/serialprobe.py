"""An open serial port to an ESP32(-CAM) and what came back on it.

Shared by the connection doctor and its fixes (and handy for other CLI
commands): open with chosen DTR/RTS applied before open, release them in the
order that does not reset the board, read into a classified boot log with
listen windows that stop early, poke for the prompt, pulse EN, run code in raw
REPL. Pure Python (pyserial only).
"""
from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any, Callable, List, Optional, Sequence

from thonnycontrib.esp32cam.core import bootlog as bl
from thonnycontrib.esp32cam.core import serial_port
from thonnycontrib.esp32cam.core.i18n import _

BAUDRATE = 115200
RAW_CHUNK = 256              # raw-REPL code is sent in chunks of this size, 10 ms apart
READ_TIMEOUT = 0.03          # set once before open: changing it over RFC2217 costs >= 100 ms
@dataclass
class Timings:
    """Listen windows in seconds; every wait stops early once the answer is clear."""
    first_listen: float = 0.12   # after open: is something already printing?
    busy_listen: float = 0.6     # ...if so, listen at most this long for a boot loop
    settle: float = 0.25         # output must pause this long before we poke
    prompt: float = 0.6          # wait for ">>>" after Ctrl-C
    boot: float = 3.0            # wait for the boot log + banner after a reset pulse
    quiet_after_boot: float = 0.4  # nothing new for this long after the boot log: boot done
    first_boot_byte: float = 0.8   # the ROM prints within ms of EN rising; RFC2217 adds latency
    reset_pulse: float = 0.05    # EN low time (local ports; RFC2217 adds its own >= 50 ms)
    camera: float = 3.0


@dataclass
class Lines:
    dtr: bool
    rts: bool

    def __str__(self) -> str:
        return f"DTR={'on' if self.dtr else 'off'}, RTS={'on' if self.rts else 'off'}"


RELEASED = Lines(False, False)

# esptool's SYNC command as a SLIP frame (loader.py ``sync``: op 0x08, data 07 07 12 20 and
# 32 x 55); the ROM bootloader answers with frames starting c0 01 08, nothing else does.
SYNC_FRAME = (b"\xc0\x00\x08\x24\x00\x00\x00\x00\x00\x07\x07\x12\x20" + b"\x55" * 32 + b"\xc0")
SYNC_REPLY = b"\xc0\x01\x08"

Progress = Callable[[str], None]


def open_serial(port: str, lines: Lines = RELEASED, baudrate: int = BAUDRATE) -> Any:
    """Open ``port`` (device or URL) with the given DTR/RTS applied before open."""
    return serial_port.open_port(port, dtr=lines.dtr, rts=lines.rts, baudrate=baudrate,
                                 timeout=READ_TIMEOUT, write_timeout=2)


close_serial = serial_port.close_port


RAW_EXIT_SECONDS = 0.6  # a raw REPL answers Ctrl-B with the banner and ">>> " at once


class Session:
    """One open port plus everything read from it (as a :class:`bootlog.BootLog`)."""

    def __init__(self, ser: Any, timings: Timings, progress: Optional[Progress] = None) -> None:
        self.ser = ser
        self.t = timings
        self.log = bl.BootLog()
        self.notes: List[str] = []     # evidence that is not device output
        self._progress = progress or (lambda msg: None)
        self.lost = False

    def say(self, msg: str) -> None:
        self._progress(msg)

    def read_some(self) -> bytes:
        try:
            waiting = self.ser.in_waiting
            data = self.ser.read(waiting or 1)
        except Exception as e:  # connection lost, device unplugged
            if not self.lost:
                self.notes.append(_("connection lost: {error}").format(error=e))
            self.lost = True
            return b""
        if data:
            self.log.feed(data)
        return data

    def write(self, data: bytes) -> None:
        try:
            self.ser.write(data)
        except Exception as e:
            if not self.lost:
                self.notes.append(_("write failed: {error}").format(error=e))
            self.lost = True

    def listen(self, max_time: float, done: Callable[[], bool] = lambda: False,
               quiet: Optional[float] = None, need_data: bool = False,
               first_data: Optional[float] = None) -> bool:
        """Read until ``done()``, or ``quiet`` seconds without data (only after
        some data arrived if ``need_data``), or no data at all within
        ``first_data`` seconds, or ``max_time``. True if ``done()``."""
        start = last = time.monotonic()
        got_any = False
        while not self.lost:
            if done():
                return True
            now = time.monotonic()
            if now - start >= max_time or (first_data is not None and not got_any
                                           and now - start >= first_data):
                return False
            if self.read_some():
                last = time.monotonic()
                got_any = True
            elif quiet is not None and (got_any or not need_data) and time.monotonic() - last >= quiet:
                return done()
        return done()

    def wait_boot(self, since: int) -> None:
        """Read the boot log after a reset until it is clearly finished (a prompt, download
        mode, or a boot loop seen twice)."""
        def done() -> bool:
            log = self.log
            return (log.ends_with_prompt() or log.has(bl.DOWNLOAD_MODE, since)
                    or log.count(bl.BROWNOUT, since) >= 2 or log.count(bl.NO_FIRMWARE, since) >= 2
                    or log.count(bl.CORRUPT_FIRMWARE, since) >= 2
                    or log.count(bl.PSRAM_FAILURE, since) >= 2)
        self.listen(self.t.boot, done, quiet=self.t.quiet_after_boot, need_data=True,
                    first_data=self.t.first_boot_byte)

    def prompt_count(self) -> int:
        return self.log.count(bl.PROMPT)

    def poke(self, timeout: float) -> bool:
        """Ctrl-C twice + Enter; True when a new ``>>>`` prompt appears.

        A board left in the raw REPL (or in raw-paste mode, which Ctrl-C ends with
        a KeyboardInterrupt back at the raw prompt) by Thonny, mpremote or a stopped
        tool answers Ctrl-C with its raw prompt ``>``: Ctrl-B then brings back the
        friendly REPL (shared/runtime/pyexec.c, pyexec_raw_repl), no reset needed."""
        before = self.prompt_count()
        received = len(self.log.raw)
        self.write(b"\r\x03\x03")
        if self.listen(timeout, lambda: self.prompt_count() > before or self.at_raw_prompt()):
            if self.prompt_count() > before:
                return True
        # In the raw REPL Ctrl-C only clears the input line and prints nothing.
        if not (self.at_raw_prompt() or len(self.log.raw) == received):
            return False
        self.write(b"\x02")
        if self.listen(min(timeout, RAW_EXIT_SECONDS), lambda: self.prompt_count() > before):
            note = _("the board was left in the raw REPL (by Thonny, mpremote or a stopped tool); "
                     "Ctrl-B brought back the prompt without a reset")
            if note not in self.notes:
                self.notes.append(note)
            return True
        return False

    def at_raw_prompt(self) -> bool:
        """The raw REPL's prompt ``>`` ends the output (the friendly one is ``>>> ``)."""
        raw = bytes(self.log.raw)
        return raw.endswith(b">") and not raw.endswith(b">>>")

    def set_lines(self, lines: Lines) -> bool:
        """Change DTR/RTS without a stray reset on the classic circuit: assert
        DTR before RTS, release RTS before DTR. False if the port cannot."""
        try:
            serial_port.set_lines(self.ser, lines.dtr, lines.rts)
            return True
        except Exception as e:  # e.g. a pseudo-terminal or a bridge without modem lines
            self._no_lines(e)
            return False

    def pulse_reset(self) -> bool:
        """EN low then high via RTS with DTR released (reset on classic and direct
        wiring). False if the port cannot drive the lines."""
        try:
            if self.ser.dtr:  # every change costs >= 50 ms over RFC2217: skip no-ops
                self.ser.dtr = False
            self.ser.rts = True
            time.sleep(self.t.reset_pulse)
            self.ser.rts = False
            return True
        except Exception as e:
            self._no_lines(e)
            return False

    def _no_lines(self, error: Exception) -> None:
        note = _("this port cannot drive DTR/RTS ({error})").format(error=error)
        if note not in self.notes:
            self.notes.append(note)

    def run_raw(self, code: bytes, timeout: float) -> Optional[str]:
        """Run ``code`` in raw REPL; its stdout (None if the raw REPL did not answer)."""
        mark = len(self.log.raw)
        self.write(b"\x01")
        if not self.listen(1.0, lambda: b"raw REPL; CTRL-B to exit\r\n>" in self.log.raw[mark:]):
            return None
        mark = len(self.log.raw)
        data = code + b"\x04"
        for i in range(0, len(data), RAW_CHUNK):  # like mpremote: the board's RX buffer is small
            self.write(data[i:i + RAW_CHUNK])
            time.sleep(0.01)
        ok = self.listen(timeout, lambda: self.log.raw[mark:].count(b"\x04") >= 2)
        reply = bytes(self.log.raw[mark:])
        before = self.prompt_count()
        self.write(b"\x02")  # back to the friendly REPL
        self.listen(0.5, lambda: self.prompt_count() > before)
        if not ok or not reply.startswith(b"OK"):
            return None
        out, _sep, err = reply[2:].partition(b"\x04")
        return (out + err.rstrip(b"\x04>")).decode("utf-8", "replace")

    def evidence(self, codes: Optional[Sequence[str]] = None) -> List[str]:
        return self.notes + self.log.evidence(codes)
