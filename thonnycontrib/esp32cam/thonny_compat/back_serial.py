"""Thonny's ``SerialConnection`` (of this Thonny generation) on a pyserial port the plug-in
opened itself, with plainly named hooks for ``backend/url_serial.py``.

Thonny's own ``__init__`` would open the port with ``serial.Serial`` (no URLs, lines set
its way); here only the base connection's queues and flags are set up, then Thonny's
reader thread (``_listen_serial``) runs on the given port. Thonny 4.1.7, 5.0.1 and minny
(f9cc95ce) share ``_listen_serial``, ``_make_output_available``, ``_reader_stopped`` and
``_serial``; minny adds ``stop_reader()`` calling ``cancel_read()``, which URL ports lack.
"""
from __future__ import annotations

import threading
from logging import getLogger
from typing import Any, Optional

from thonnycontrib.esp32cam.thonny_compat.back import adapter_module

logger = getLogger("thonnycontrib.esp32cam.thonny_compat.back_serial")

_adapter = adapter_module()
MicroPythonConnection: Any = _adapter.MicroPythonConnection
SerialConnection: Any = _adapter.SerialConnection


class PluginSerialConnection(SerialConnection):
    def __init__(self, serial_port: Any, skip_reader: bool = False) -> None:
        MicroPythonConnection.__init__(self)  # queues and flags only (see the module's doc)
        self._serial = serial_port
        self._reading_thread: Optional[threading.Thread] = None
        if not skip_reader:
            self._reading_thread = threading.Thread(target=self._listen_serial, daemon=True)
            self._reading_thread.start()

    # --- for the plug-in -----------------------------------------------------------------
    @property
    def serial(self) -> Any:
        """The pyserial port (None once closed)."""
        return self._serial

    @property
    def reader_stopped(self) -> bool:
        return self._reader_stopped

    def reader_running(self) -> bool:
        return self._reading_thread is not None and self._reading_thread.is_alive()

    def incoming(self, data: bytes, block: bool) -> None:
        """What Thonny's reader thread read; override to filter, then ``publish``."""
        self.publish(data, block)

    def publish(self, data: bytes, block: bool = True) -> None:
        """Bytes for Thonny's readers (``read``, ``soft_read_until``...)."""
        super()._make_output_available(data, block)

    def before_close(self) -> None:
        """The port is about to close (the plug-in releases RTS, then DTR)."""

    # --- Thonny's side -------------------------------------------------------------------
    def _make_output_available(self, data: bytes, block: bool = True) -> None:
        self.incoming(data, block)

    def outgoing_is_empty(self) -> bool:
        # URL ports write synchronously (socket.sendall) and have no out_waiting
        return getattr(self._serial, "out_waiting", 0) == 0

    def stop_reader(self) -> None:
        # minny's version calls cancel_read(), which URL ports lack (Thonny 4.1/5.0's does not)
        MicroPythonConnection.stop_reader(self)
        if SerialConnection.stop_reader is not MicroPythonConnection.stop_reader:
            cancel = getattr(self._serial, "cancel_read", None)
            if cancel is not None:
                cancel()

    def close(self) -> None:
        ser = self._serial
        if ser is None:
            return
        self.before_close()
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
