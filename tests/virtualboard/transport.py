"""How the host reaches the board's UART: RFC2217 on loopback, or a pty.

RFC2217 carries DTR/RTS and the baud rate, so the adapter's control lines
reach the board's wiring. One client at a time, like a real serial port:
a second client is turned away at once.
"""
from __future__ import annotations

import os
import select
import socket
import threading
import time
import tty
from typing import Callable, Optional, Tuple

import serial
from serial import rfc2217

from .events import EventLog
from .uart import Uart

LinesCallback = Callable[[bool, bool], None]
RECONNECT_GRACE = 0.005  # seconds a new client waits for a just-closed one to go away


class _AdapterPort:
    """The serial-port object pyserial's PortManager drives on the server side."""

    def __init__(self, connection: "_Rfc2217Connection", lines_at_open: Tuple[bool, bool]) -> None:
        self._connection = connection
        self._dtr, self._rts = lines_at_open
        self.bytesize = serial.EIGHTBITS
        self.parity = serial.PARITY_NONE
        self.stopbits = serial.STOPBITS_ONE
        self.xonxoff = False
        self.rtscts = False
        self.break_condition = False
        self.cts = self.dsr = self.ri = self.cd = False

    @property
    def baudrate(self) -> int:
        return self._connection.uart.host_baud or self._connection.uart.chip_baud

    @baudrate.setter
    def baudrate(self, value: int) -> None:
        self._connection.flush_to_chip()
        self._connection.uart.set_host_baud(int(value))

    @property
    def dtr(self) -> bool:
        return self._dtr

    @dtr.setter
    def dtr(self, value: bool) -> None:
        self._connection.flush_to_chip()
        self._dtr = bool(value)
        self._connection.on_lines(self._dtr, self._rts)

    @property
    def rts(self) -> bool:
        return self._rts

    @rts.setter
    def rts(self, value: bool) -> None:
        self._connection.flush_to_chip()
        self._rts = bool(value)
        self._connection.on_lines(self._dtr, self._rts)

    def reset_input_buffer(self) -> None:
        # PURGE of the adapter's receive buffer: bytes the chip has sent are passed
        # on at once and bytes still queued in the UART are yet to be transmitted
        # by the chip, so there is nothing the adapter could drop.
        pass

    def reset_output_buffer(self) -> None:
        # bytes to the chip are handed over synchronously: nothing is pending
        pass


class _Rfc2217Connection:
    def __init__(self, sock: socket.socket, uart: Uart, on_lines: LinesCallback,
                 drop_after: Optional[int], events: EventLog,
                 lines_at_open: Tuple[bool, bool] = (False, False)) -> None:
        self.sock = sock
        self.uart = uart
        self.on_lines = on_lines
        self.events = events
        self.drop_after = drop_after
        self.received = 0
        self.dropped = False
        self._batch = bytearray()
        self._send_lock = threading.Lock()
        self.port = _AdapterPort(self, lines_at_open)
        self.manager = rfc2217.PortManager(self.port, self)

    # PortManager's "connection": telnet/RFC2217 answers go out here
    def write(self, data: bytes) -> None:
        with self._send_lock:
            self.sock.sendall(data)

    def send_data(self, data: bytes) -> None:
        """Bytes from the chip to the client (IAC escaped)."""
        self.write(data.replace(b"\xff", b"\xff\xff"))

    def flush_to_chip(self) -> None:
        if self._batch:
            data = bytes(self._batch)
            self._batch.clear()
            self.uart.host_send(data)

    def feed(self, raw: bytes) -> None:
        for byte in self.manager.filter(raw):
            if self.drop_after is not None and self.received >= self.drop_after:
                self.dropped = True
                break
            self._batch += byte
            self.received += 1
        self.flush_to_chip()


class Rfc2217Server:
    def __init__(self, uart: Uart, events: EventLog, on_lines: LinesCallback,
                 on_disconnect: Callable[[], None], drop_after: Optional[int] = None,
                 tty_open: str = "none") -> None:
        self.uart = uart
        # "linux": opening a tty raises DTR and RTS before the program can set them
        # (drivers/tty/tty_port.c: tty_port_block_til_ready raises them when the baud
        # is not B0, for O_NONBLOCK opens too, which pyserial uses); pyserial's open()
        # then applies its DTR, then its RTS (serialposix.py: _update_dtr_state, then
        # _update_rts_state). "none": the lines stay as they were until the client sets them.
        self.lines_at_open = (True, True) if tty_open == "linux" else (False, False)
        self.events = events
        self.on_lines = on_lines
        self.on_disconnect = on_disconnect
        self.drop_after = drop_after
        self._listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self._listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self._listener.bind(("127.0.0.1", 0))
        self._listener.listen(4)
        self.port = self._listener.getsockname()[1]
        self.url = f"rfc2217://127.0.0.1:{self.port}"
        self._client: Optional[_Rfc2217Connection] = None
        self._client_lock = threading.Lock()
        self._closing = False
        self._absent_until = 0.0
        uart.host_tx = self._send_to_client
        self._accept_thread = threading.Thread(target=self._accept_loop, name="virtualboard-rfc2217", daemon=True)
        self._accept_thread.start()

    @property
    def connected(self) -> bool:
        return self._client is not None

    def _send_to_client(self, data: bytes) -> None:
        client = self._client
        if client is not None:
            try:
                client.send_data(data)
            except OSError:
                pass  # the reader thread notices the broken connection

    def vanish(self, seconds: float) -> None:
        """The USB device leaves the bus for `seconds` (re-enumeration): the open connection
        breaks like an unplugged port and opens fail until it is back."""
        self._absent_until = time.monotonic() + seconds
        client = self._client
        if client is not None:
            client.dropped = True
            try:
                client.sock.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
        self.events.emit("usb_gone", seconds=seconds)

    def _accept_loop(self) -> None:
        while not self._closing:
            try:
                sock, _addr = self._listener.accept()
            except OSError:
                return
            if time.monotonic() < self._absent_until:
                self.events.emit("client_rejected", reason="absent")
                _abort(sock)  # no such device right now
                continue
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            self._wait_for_previous_client()
            with self._client_lock:
                busy = self._client is not None
                if not busy:
                    self._client = _Rfc2217Connection(sock, self.uart, self.on_lines, self.drop_after, self.events,
                                                      self.lines_at_open)
            if busy:
                threading.Thread(target=self._reject, args=(sock,), daemon=True).start()
            else:
                threading.Thread(target=self._serve, args=(self._client,), name="virtualboard-client",
                                 daemon=True).start()

    def _wait_for_previous_client(self) -> None:
        """A client that just closed may still be winding down: allow quick reconnects."""
        deadline = time.monotonic() + RECONNECT_GRACE
        while self._client is not None and time.monotonic() < deadline:
            time.sleep(0.01)

    def _reject(self, sock: socket.socket) -> None:
        """Turn a second client away so that its open() fails at once.

        Refusing the RFC2217 option lets pyserial's negotiation finish early; an
        unknown option (WILL 0x55) makes its reader thread answer, which proves
        it has consumed the refusal. Then the connection is closed, and the
        client's next write fails (broken pipe / connection reset).
        """
        self.events.emit("client_rejected")
        iac, dont, wont, will = rfc2217.IAC, rfc2217.DONT, rfc2217.WONT, rfc2217.WILL
        probe = b"\x55"
        try:
            sock.sendall(iac + dont + rfc2217.COM_PORT_OPTION + iac + wont + rfc2217.COM_PORT_OPTION + iac + will + probe)
            sock.settimeout(1.0)
            received = b""
            while iac + dont + probe not in received:
                chunk = sock.recv(1024)
                if not chunk:
                    break
                received += chunk
        except OSError:
            pass
        _abort(sock)

    def _serve(self, client: _Rfc2217Connection) -> None:
        self.events.emit("client_connected")
        if self.lines_at_open != (False, False):
            self.on_lines(*self.lines_at_open)  # until the client's own DTR, then RTS, arrive
        self.uart.set_host_baud(self.uart.chip_baud if self.uart.host_baud is None else self.uart.host_baud)
        reason = "closed"
        try:
            while True:
                try:
                    raw = client.sock.recv(4096)
                except OSError:
                    reason = "error"
                    break
                if not raw:
                    break
                client.feed(raw)
                if client.dropped:
                    reason = "dropped"
                    self.events.emit("connection_dropped", after_bytes=client.received)
                    break
        finally:
            if client.dropped and reason == "closed":
                reason = "usb_gone"  # vanish(): the device left the bus
            with self._client_lock:
                self._client = None
            _abort(client.sock) if reason in ("dropped", "usb_gone") else client.sock.close()
            self.events.emit("client_disconnected", reason=reason)
            if not self._closing:
                self.on_disconnect()

    def close(self) -> None:
        self._closing = True
        try:
            self._listener.close()
        except OSError:
            pass
        client = self._client
        if client is not None:
            try:
                client.sock.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass


def _abort(sock: socket.socket) -> None:
    """Close with RST, like a vanished port, so the peer gets an error at once."""
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, b"\x01\x00\x00\x00\x00\x00\x00\x00")
    except OSError:
        pass
    try:
        sock.close()
    except OSError:
        pass


class PtyPort:
    """A pseudo-terminal: `device` is the path clients open. No modem lines."""

    def __init__(self, uart: Uart, events: EventLog) -> None:
        self.uart = uart
        self.events = events
        self._master, self._slave = os.openpty()
        tty.setraw(self._slave)
        os.set_blocking(self._master, False)
        self.device = os.ttyname(self._slave)
        self.url = self.device
        self._closing = False
        uart.host_tx = self._send
        self._thread = threading.Thread(target=self._read_loop, name="virtualboard-pty", daemon=True)
        self._thread.start()

    connected = True

    def _send(self, data: bytes) -> None:
        try:
            os.write(self._master, data)
        except (BlockingIOError, OSError):
            pass  # nobody reading: the bytes are lost, as on a real wire

    def _read_loop(self) -> None:
        while not self._closing:
            try:
                ready, _, _ = select.select([self._master], [], [], 0.2)
                if ready:
                    data = os.read(self._master, 4096)
                    if data:
                        self.uart.host_send(data)
            except (BlockingIOError, InterruptedError):
                continue
            except OSError:
                if self._closing:
                    return
                continue

    def close(self) -> None:
        self._closing = True
        self._thread.join(1)
        for fd in (self._master, self._slave):
            try:
                os.close(fd)
            except OSError:
                pass
