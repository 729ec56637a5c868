"""Thonny's SerialConnection, able to open pyserial URLs and to close without a reset.

Differences from Thonny's class (runs in Thonny's back-end process; the Thonny side of
it, per Thonny generation, is ``thonny_compat.back_serial.PluginSerialConnection``):
- the port is opened with ``serial.serial_for_url``, so ``rfc2217://`` and
  ``socket://`` URLs work as well as local ports;
- DTR/RTS are set before the port is opened (pyserial applies them at open);
- ``close()`` releases RTS, then DTR (``release_lines``), then closes the port,
  so closing does not pull EN low on the classic auto-reset circuit;
- what URL port classes lack (``cancel_read``, ``out_waiting``, a
  ``write_timeout`` for RFC 2217) is handled there.
"""
from __future__ import annotations

import contextlib
import sys
from logging import getLogger
from typing import Optional

from thonnycontrib.esp32cam.core.serial_port import open_port, release_lines, set_baudrate
from thonnycontrib.esp32cam.core.port_errors import open_error_message
from thonnycontrib.esp32cam.core.ports import is_url_port
from thonnycontrib.esp32cam.thonny_compat.back_serial import PluginSerialConnection

logger = getLogger(__name__)

WRITE_TIMEOUT = 2  # seconds, as in Thonny
WATCH_TICK = 0.05  # seconds between LinkWatch.tick() calls
EOT = b"\x04"


class UrlSerialConnection(PluginSerialConnection):
    def __init__(
        self,
        port: str,
        baudrate: int = 115200,
        dtr: Optional[bool] = None,
        rts: Optional[bool] = None,
        skip_reader: bool = False,
    ) -> None:
        from serial.serialutil import SerialException

        self.link_watch = None  # core.linkwatch.LinkWatch, set by the back-end (fast link)
        self._watch_pauses = 0
        self._is_url = is_url_port(port)
        try:
            logger.info("Opening %s with DTR=%s RTS=%s", port, dtr, rts)
            ser = open_port(port, dtr=dtr, rts=rts, baudrate=baudrate, timeout=None,
                            write_timeout=WRITE_TIMEOUT)
        except (SerialException, OSError, ValueError) as error:
            message = open_error_message(
                port, str(error), getattr(error, "errno", None), sys.platform
            )
            raise ConnectionRefusedError(message) from error
        super().__init__(ser, skip_reader=skip_reader)

    @property
    def rate(self) -> Optional[int]:
        """The port's current baud rate (None once closed)."""
        return getattr(self.serial, "baudrate", None)

    def set_rate(self, rate: int) -> None:
        if self.serial is not None:
            set_baudrate(self.serial, rate)

    def start_link_watch(self, watch) -> None:
        """Judge incoming text with ``watch`` (core.linkwatch), and tick it from a timer
        thread so a short burst of noise followed by silence is judged too."""
        import threading

        self.link_watch = watch
        thread = threading.Thread(target=self._tick_link_watch, name="esp32cam-link-watch", daemon=True)
        thread.start()

    def _tick_link_watch(self) -> None:
        import time

        while self.serial is not None and not self.reader_stopped:
            time.sleep(WATCH_TICK)
            watch = self.link_watch
            if watch is None or self._watch_pauses:
                continue
            try:
                data = watch.tick()
            except Exception:  # e.g. the port vanished while the rate changed
                logger.exception("Link watch")
                continue
            if data:
                self.publish(data)

    def poke(self, data: bytes) -> None:
        """Bytes the link watch sends to find the board (core.linkwatch.POKE, the ROM's SYNC)."""
        try:
            if self.serial is not None:
                self.serial.write(data)
        except Exception:
            logger.info("Poke failed", exc_info=True)

    @contextlib.contextmanager
    def watch_paused(self):
        """The plug-in's own binary transfers (the fast link's handshake, camera frames)
        are never judged as noise."""
        self._watch_pauses += 1
        try:
            yield
        finally:
            self._watch_pauses -= 1

    @property
    def text_mode(self) -> bool:
        """What Thonny's reader loop sees. With a link watch the loop must not hold back an
        incomplete UTF-8 character: a garbled burst would wait there, unseen by the watch,
        until the next byte (which a board at another rate never sends). The watch keeps
        characters whole itself. (Thonny's ENQ handling, the other use, is for paste mode,
        which serial ports do not use.)"""
        return self._thonny_text_mode and getattr(self, "link_watch", None) is None

    @text_mode.setter
    def text_mode(self, value: bool) -> None:
        self._thonny_text_mode = value

    def incoming(self, data: bytes, block: bool) -> None:
        """Reader thread: noise from a rate mismatch is dropped while the watch finds the
        board's rate again. Judged in Thonny's binary mode too (raw-paste's control bytes
        pass): a program's output can arrive before Thonny switches text mode back on."""
        watch = self.link_watch
        if watch is not None and not self._watch_pauses:
            binary = not self._thonny_text_mode
            if binary and len(data) > 1 and data[:1] == EOT:
                # raw-paste's acknowledgement of the code just sent, then (in the same read)
                # the boot log of a board that code reset (machine.reset()): Thonny waits for
                # the EOT, so it is not judged along with the noise behind it
                self.publish(watch.feed(data[:1], binary=True), block)
                data = data[1:]
            data = watch.feed(data, binary=binary)
            if not data:
                return
        self.publish(data, block)

    def release_lines(self) -> None:
        """Release RTS first, then DTR (see core.serial_port)."""
        if self.serial is not None:
            release_lines(self.serial)

    def before_close(self) -> None:
        self.release_lines()
