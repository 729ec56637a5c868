"""Thonny's SerialConnection, able to open pyserial URLs and to close without a reset.

Differences from Thonny's class (runs in Thonny's back-end process):
- the port is opened with ``serial.serial_for_url``, so ``rfc2217://`` and
  ``socket://`` URLs work as well as local ports;
- DTR/RTS are set before the port is opened (pyserial applies them at open);
- ``close()`` releases RTS, then DTR (``release_lines``), then closes the port,
  so closing does not pull EN low on the classic auto-reset circuit;
- what URL port classes lack (``cancel_read``, ``out_waiting``, a
  ``write_timeout`` for RFC 2217) is handled here.
"""
from __future__ import annotations

import sys
from logging import getLogger
from typing import Optional

from thonny.plugins.micropython.connection import MicroPythonConnection
from thonny.plugins.micropython.serial_connection import SerialConnection

from thonnycontrib.esp32cam.core.serial_port import open_port, release_lines
from thonnycontrib.esp32cam.core.port_errors import open_error_message
from thonnycontrib.esp32cam.core.ports import is_url_port

logger = getLogger(__name__)

WRITE_TIMEOUT = 2  # seconds, as in Thonny


class UrlSerialConnection(SerialConnection):
    def __init__(
        self,
        port: str,
        baudrate: int = 115200,
        dtr: Optional[bool] = None,
        rts: Optional[bool] = None,
        skip_reader: bool = False,
    ) -> None:
        from serial.serialutil import SerialException

        # Thonny's __init__ would open the port with serial.Serial; only the
        # queues and flags of the base connection are wanted here.
        MicroPythonConnection.__init__(self)
        self._is_url = is_url_port(port)
        self._serial = None
        try:
            logger.info("Opening %s with DTR=%s RTS=%s", port, dtr, rts)
            ser = open_port(port, dtr=dtr, rts=rts, baudrate=baudrate, timeout=None,
                            write_timeout=WRITE_TIMEOUT)
        except (SerialException, OSError, ValueError) as error:
            message = open_error_message(
                port, str(error), getattr(error, "errno", None), sys.platform
            )
            raise ConnectionRefusedError(message) from error
        self._serial = ser

        if skip_reader:
            self._reading_thread = None
        else:
            import threading

            self._reading_thread = threading.Thread(target=self._listen_serial, daemon=True)
            self._reading_thread.start()

    def outgoing_is_empty(self) -> bool:
        # URL ports write synchronously (socket.sendall) and have no out_waiting
        return getattr(self._serial, "out_waiting", 0) == 0

    def release_lines(self) -> None:
        """Release RTS first, then DTR (see core.serial_port)."""
        if self._serial is not None:
            release_lines(self._serial)

    def close(self) -> None:
        ser = self._serial
        if ser is None:
            return
        self.release_lines()
        self._reader_stopped = True
        try:
            if hasattr(ser, "cancel_read"):
                ser.cancel_read()
                if self._reading_thread:
                    self._reading_thread.join()
                ser.close()
            else:
                # URL ports: closing the socket ends the blocked read
                ser.close()
                if self._reading_thread:
                    self._reading_thread.join(2)
        except Exception:
            logger.exception("Couldn't close serial")
        finally:
            self._serial = None
