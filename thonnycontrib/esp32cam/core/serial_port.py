"""The one place that opens, re-lines and closes a serial port to an ESP32 board.

Thonny's back-end (backend/url_serial.py), the doctor and ``snapshot``
(core/serialprobe.py) and the post-flash check (core/bootcheck.py) all open
ports here, so every one of them:

- opens local devices and ``rfc2217://`` / ``socket://`` URLs (pyserial's
  ``serial_for_url``);
- sets DTR and RTS *before* opening, so pyserial applies them at open instead of
  its default (asserted), which would hold an ESP32-CAM in reset or in the ROM
  bootloader (on Linux the kernel still raises both for an instant at open, see
  README);
- opens local ports ``exclusive`` (a second program gets "port busy", not a
  garbled share of the bytes);
- leaves out what URL ports reject: pyserial 3.5's RFC 2217 client refuses
  ``write_timeout`` and has no ``exclusive``;
- changes lines in the order that does not pulse EN on the classic two-transistor
  auto-reset circuit (assert DTR before RTS, release RTS before DTR: core/lines.py);
- asks an FTDI adapter on Linux for low latency (``request_low_latency``).
"""
from __future__ import annotations

import sys
import time
from typing import Any, Optional

from thonnycontrib.esp32cam.core.lines import release_order
from thonnycontrib.esp32cam.core.ports import is_url_port


def open_port(port: str, *, dtr: Optional[bool] = False, rts: Optional[bool] = False,
              baudrate: int = 115200, timeout: Optional[float] = None,
              write_timeout: Optional[float] = None) -> Any:
    """An open pyserial port; ``dtr``/``rts`` None keep pyserial's default (asserted).

    Raises what pyserial raises (SerialException/OSError, ValueError for a bad URL);
    core.port_errors turns it into advice."""
    import serial  # pyserial is imported when a port is really opened

    kwargs = {}
    if not is_url_port(port):
        kwargs["exclusive"] = True
    if write_timeout is not None and not port.lower().startswith("rfc2217://"):
        kwargs["write_timeout"] = write_timeout
    ser = serial.serial_for_url(port, do_not_open=True, baudrate=baudrate, timeout=timeout, **kwargs)
    if dtr is not None:
        ser.dtr = dtr
    if rts is not None:
        ser.rts = rts
    ser.open()
    if not is_url_port(port):
        request_low_latency(ser, port)
    return ser


FTDI_VID = 0x0403


def request_low_latency(ser: Any, port: str, vid: Optional[int] = None) -> bool:
    """An FTDI adapter holds what the board sends until it has a full USB packet or its
    latency timer (16 ms by default) runs out: a short reply waits 16 ms, and a transfer
    of small blocks crawls. On Linux any user may ask for low latency: ASYNC_LOW_LATENCY
    through TIOCSSERIAL (pyserial's ``set_low_latency_mode``), for which ftdi_sio sets
    the timer to 1 ms (drivers/usb/serial/ftdi_sio.c: ``set_serial_info`` lets
    ASYNC_USR_MASK flags through without CAP_SYS_ADMIN, ``write_latency_timer`` uses 1 ms
    when the flag is set). Windows and macOS keep the timer in the driver's settings
    (README). True when granted; never raises."""
    if not sys.platform.startswith("linux"):
        return False
    if vid is None:
        from thonnycontrib.esp32cam.core.fastlink import usb_ids

        vid = usb_ids(port)[0]
    if vid != FTDI_VID:
        return False
    try:
        ser.set_low_latency_mode(True)
    except (ValueError, OSError, NotImplementedError, AttributeError):
        return False
    return True


def set_lines(ser: Any, dtr: bool, rts: bool) -> None:
    """Change DTR/RTS on an open port without a stray reset on the classic circuit.

    Every change over RFC 2217 costs >= 50 ms, so unchanged lines are not sent."""
    if dtr and not ser.dtr:
        ser.dtr = True
    if ser.rts != rts:
        ser.rts = rts
    if ser.dtr != dtr:
        ser.dtr = dtr


def release_lines(ser: Any) -> None:
    """Release RTS, then DTR (core.lines.release_order); never raises."""
    try:
        if not ser.is_open:
            return
        for name in release_order():
            if getattr(ser, name):
                setattr(ser, name, False)
    except Exception:  # a port without modem lines, or one that vanished
        pass


def close_port(ser: Any) -> None:
    """Release the lines in the safe order, then close; never raises."""
    release_lines(ser)
    try:
        ser.close()
    except Exception:
        pass


RFC2217_BAUD_TIMEOUT = 2.0


def set_baudrate(ser: Any, baud: int) -> None:
    """Change the host side's rate on an open port, quickly.

    Local ports: pyserial applies it at once (termios TCSANOW / SetCommState, no
    drain). ``rfc2217://``: pyserial 3.5's setter re-sends all four line settings and
    polls for the answers in 50 ms steps (rfc2217.py ``_reconfigure_port``), ~100 ms
    per change; here only SET-BAUDRATE is sent (RFC 2217 §3, COM-PORT-OPTION 1) and
    the server's answer is polled every millisecond, with pyserial's setter as the
    fallback. ``socket://`` ignores rates (there is no line)."""
    import struct

    settings = getattr(ser, "_rfc2217_port_settings", None)
    if not settings or "baudrate" not in settings or not getattr(ser, "is_open", False):
        ser.baudrate = baud
        return
    option = settings["baudrate"]
    option.set(struct.pack("!I", baud))
    deadline = time.monotonic() + RFC2217_BAUD_TIMEOUT
    while time.monotonic() < deadline:
        try:
            if option.is_ready():
                ser._baudrate = baud  # what the setter would record, without a second round trip
                return
        except ValueError:  # the server rejected the value
            break
        time.sleep(0.001)
    ser.baudrate = baud  # let pyserial report the failure in its own words
