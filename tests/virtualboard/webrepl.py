"""WebREPL of the virtual board, served on the host (the twin's unix-port MicroPython has
`websocket` but neither `_webrepl` nor `os.dupterm`).

It follows MicroPython's own pieces (extmod/modwebrepl.c as of v1.19-v1.24, which the ESP32
port builds with MICROPY_PY_WEBREPL; the ESP32 port's frozen `webrepl.py`/`webrepl_setup.py`):

- `webrepl.start(port=8266, password=None)` on the board (mpy/sim_webrepl.py) reads `PASS` from
  `webrepl_cfg.py` when no password is given and asks the host to listen on `port` of the
  board's address (the Wi-Fi LAN mapping of wifi.py: `board.wifi_address(8266)`).
- A client does the RFC 6455 handshake, gets the text frame "Password: ", sends characters
  up to CR or LF (modwebrepl.c keeps at most 9: `webrepl_passwd[10]`); a match answers
  "\\r\\nWebREPL connected\\r\\n>>> ", anything else "\\r\\nAccess denied\\r\\n" and the end of
  the connection (`_webrepl_read` returns 0 = EOF, dupterm detaches).
- After that, text frames are REPL input (as if typed on UART0, Ctrl-C included) and REPL
  output goes to the client as text frames as well as to the UART (os.dupterm duplicates,
  it does not redirect). One client at a time: webrepl.py's `accept_conn` refuses a second
  ("Concurrent WebREPL connection from ... rejected").
- Binary frames are the file protocol: a 82-byte request `<2sBBQLH64s` ("WA", type 1 PUT /
  2 GET / 3 GET_VER, flags, offset, size, name length, name), answered "WB" + u16 code;
  PUT then takes `size` bytes, GET sends chunks of u16 length + up to 256 bytes each time the
  client sends a 0 byte, a 0-length chunk ending it, then "WB\\0\\0". The file operations run
  in the board's MicroPython (mpy/sim_webrepl.py), as modwebrepl.c runs them in the REPL's
  read: the host hands each request over the private channel.
- A soft reboot ends the process that held the socket: the client's connection closes; the
  next `webrepl.start()` (boot.py) listens again.
- Throughput: the board's radio figure (wifi.TCP_BYTES_PER_SECOND) each way, on its own
  clock (the board's Python sockets pace separately).
"""
from __future__ import annotations

import base64
import errno
import hashlib
import queue
import socket
import struct
import threading
import time
from typing import Any, Callable, Optional

from .wifi import TCP_BYTES_PER_SECOND

WS_GUID = b"258EAFA5-E914-47DA-95CA-C5AB0DC85B11"
PASSWORD_PROMPT = b"Password: "
CONNECTED_PROMPT = b"\r\nWebREPL connected\r\n>>> "
DENIED_PROMPT = b"\r\nAccess denied\r\n"
PASSWORD_MAX = 9
REQUEST = struct.Struct("<2sBBQLH64s")
PUT_FILE, GET_FILE, GET_VER = 1, 2, 3
OP_TEXT, OP_BINARY, OP_CLOSE, OP_PING, OP_PONG = 1, 2, 8, 9, 10


class _Pacer:
    """Holds each send for its air time at the radio's rate."""

    def __init__(self, rate: int = TCP_BYTES_PER_SECOND) -> None:
        self.rate = rate
        self._free = 0.0
        self._lock = threading.Lock()

    def hold(self, n: int) -> None:
        with self._lock:
            now = time.monotonic()
            self._free = max(self._free, now) + n / self.rate
            wait = self._free - now
        if wait > 0:
            time.sleep(wait)


class WebSocket:
    """Server side of one RFC 6455 connection (frames from the client are masked)."""

    def __init__(self, sock: socket.socket, pacer: _Pacer) -> None:
        self.sock = sock
        self._pacer = pacer
        self._send_lock = threading.Lock()
        self._rfile = sock.makefile("rb")

    def handshake(self) -> bool:
        key = None
        while True:
            line = self._rfile.readline(4096)
            if not line:
                return False
            if line in (b"\r\n", b"\n"):
                break
            name, _sep, value = line.partition(b":")
            if name.strip().lower() == b"sec-websocket-key":
                key = value.strip()
        if key is None:
            return False
        accept = base64.b64encode(hashlib.sha1(key + WS_GUID).digest())
        self.sock.sendall(b"HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n"
                          b"Connection: Upgrade\r\nSec-WebSocket-Accept: " + accept + b"\r\n\r\n")
        return True

    def _read(self, n: int) -> bytes:
        data = self._rfile.read(n)
        if data is None or len(data) < n:
            raise EOFError
        return data

    def recv(self) -> "tuple[int, bytes]":
        head = self._read(2)
        opcode, length = head[0] & 0x0F, head[1] & 0x7F
        if length == 126:
            length = struct.unpack(">H", self._read(2))[0]
        elif length == 127:
            length = struct.unpack(">Q", self._read(8))[0]
        mask = self._read(4) if head[1] & 0x80 else b"\0\0\0\0"
        payload = bytes(b ^ mask[i % 4] for i, b in enumerate(self._read(length)))
        self._pacer.hold(length + 6)
        return opcode, payload

    def send(self, payload: bytes, opcode: int = OP_TEXT) -> None:
        n = len(payload)
        if n < 126:
            head = struct.pack(">BB", 0x80 | opcode, n)
        elif n < 65536:
            head = struct.pack(">BBH", 0x80 | opcode, 126, n)
        else:
            head = struct.pack(">BBQ", 0x80 | opcode, 127, n)
        self._pacer.hold(len(head) + n)
        with self._send_lock:
            self.sock.sendall(head + payload)

    def close(self) -> None:
        for action in (lambda: self.sock.shutdown(socket.SHUT_RDWR), self.sock.close):
            try:
                action()
            except OSError:
                pass


class WebReplServer:
    """The board's WebREPL listener and its one client.

    `feed(bytes)` is REPL input (the firmware's UART RX path); `file_op(request, payload)`
    runs a file request in the board's MicroPython; `on_event(kind, data)` the board's events.
    """

    def __init__(self, password: str, host: str, port: int, *, feed: Callable[[bytes], None],
                 file_op: Callable[..., Any], print_line: Callable[[bytes], None],
                 on_event: Callable[[str, dict], None]) -> None:
        self.password = password[:PASSWORD_MAX]
        self._feed = feed
        self._file_op = file_op
        self._print = print_line
        self._event = on_event
        self._pacer = _Pacer()
        self._listener = socket.socket()
        self._listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self._listener.bind((host, port))
        self._listener.listen(2)
        self.address = self._listener.getsockname()
        self.client: Optional[WebSocket] = None
        self._out: "queue.Queue[Optional[bytes]]" = queue.Queue()
        self._stopped = threading.Event()
        threading.Thread(target=self._accept_loop, name="virtualboard-webrepl", daemon=True).start()

    # --- the firmware's side --------------------------------------------------
    def output(self, data: bytes) -> None:
        """REPL output (dupterm's copy): to the logged-in client, in order."""
        if self.client is not None and data:
            self._out.put(data)

    def stop(self) -> None:
        self._stopped.set()
        try:
            self._listener.close()
        except OSError:
            pass
        client = self.client
        if client is not None:
            client.close()
        self._out.put(None)

    # --- connections ---------------------------------------------------------
    def _accept_loop(self) -> None:
        while not self._stopped.is_set():
            try:
                sock, remote = self._listener.accept()
            except OSError:
                return
            threading.Thread(target=self._serve, args=(sock, remote), daemon=True).start()

    def _serve(self, sock: socket.socket, remote: Any) -> None:
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        ws = WebSocket(sock, self._pacer)
        if not ws.handshake():
            ws.close()
            return
        if self.client is not None:
            self._print(b"\r\nConcurrent WebREPL connection from %s rejected\r\n" % repr(remote).encode())
            ws.close()
            return
        self._print(b"\r\nWebREPL connection from: %s\r\n" % repr(remote).encode())
        self._event("webrepl_client", {"remote": list(remote)})
        try:
            ws.send(PASSWORD_PROMPT)
            if not self._log_in(ws):
                self._event("webrepl_denied", {})
                ws.send(DENIED_PROMPT)
                return
            self._event("webrepl_logged_in", {})
            self.client = ws
            threading.Thread(target=self._write_loop, args=(ws,), daemon=True).start()
            ws.send(CONNECTED_PROMPT)
            self._read_loop(ws)
        except (EOFError, OSError):
            pass
        finally:
            if self.client is ws:
                self.client = None
                self._out.put(None)
                self._print(b"\r\nWebREPL connection closed\r\n")
                self._event("webrepl_closed", {})
            ws.close()

    def _log_in(self, ws: WebSocket) -> bool:
        typed = bytearray()
        while True:
            opcode, payload = ws.recv()
            if opcode == OP_CLOSE:
                raise EOFError
            for byte in payload:
                if byte in (0x0D, 0x0A):
                    return typed.decode("utf-8", "replace") == self.password
                if len(typed) < PASSWORD_MAX + 1:
                    typed.append(byte)

    def _write_loop(self, ws: WebSocket) -> None:
        while True:
            data = self._out.get()
            if data is None or self.client is not ws:
                return
            while True:  # what queued meanwhile goes in the same frame
                try:
                    more = self._out.get_nowait()
                except queue.Empty:
                    break
                if more is None:
                    self._out.put(None)
                    break
                data += more
            try:
                ws.send(data)
            except OSError:
                return

    def _read_loop(self, ws: WebSocket) -> None:
        files = _FileTransfer(ws, self._file_op)
        while True:
            opcode, payload = ws.recv()
            if opcode == OP_CLOSE:
                return
            if opcode == OP_PING:
                ws.send(payload, OP_PONG)
            elif opcode == OP_TEXT:
                self._feed(payload)
            elif opcode == OP_BINARY:
                files.feed(payload)


class _FileTransfer:
    """The binary half of modwebrepl.c's `_webrepl_read`: requests, then file data."""

    def __init__(self, ws: WebSocket, file_op: Callable[..., Any]) -> None:
        self._ws = ws
        self._file_op = file_op
        self._buf = bytearray()
        self._request: Optional[tuple] = None
        self._to_receive = 0
        self._put = bytearray()
        self._get: Optional[bytes] = None
        self._get_at = 0

    def feed(self, data: bytes) -> None:
        self._buf += data
        while self._buf:
            if self._request is None:
                if len(self._buf) < REQUEST.size:
                    return
                self._start(REQUEST.unpack(bytes(self._buf[:REQUEST.size])))
                del self._buf[:REQUEST.size]
            elif self._request[1] == PUT_FILE:
                take = min(self._to_receive, len(self._buf))
                self._put += self._buf[:take]
                del self._buf[:take]
                self._to_receive -= take
                if self._to_receive == 0:
                    self._finish(self._file_op("put", self._name, bytes(self._put)))
            else:  # GET: each 0 byte asks for the next chunk
                del self._buf[:1]
                assert self._get is not None
                chunk = self._get[self._get_at:self._get_at + 256]
                self._get_at += len(chunk)
                self._ws.send(struct.pack("<H", len(chunk)) + chunk, OP_BINARY)
                if not chunk:
                    self._finish(True)

    def _start(self, request: tuple) -> None:
        sig, kind, _flags, _offset, size, name_len, name = request
        if sig != b"WA":
            return
        if kind == GET_VER:
            self._ws.send(bytes(self._file_op("version", "", b"")), OP_BINARY)
            return
        self._name = name[:name_len].decode("utf-8", "replace")
        self._request = request
        if kind == GET_FILE:
            content = self._file_op("get", self._name, b"")
            if content is None:
                self._request = None
                raise OSError("file not found")  # the board's open() raises: dupterm detaches
            self._get, self._get_at = content, 0
        else:
            self._to_receive, self._put = size, bytearray()
        self._ws.send(b"WB\0\0", OP_BINARY)
        if kind == PUT_FILE and size == 0:
            self._finish(self._file_op("put", self._name, b""))

    def _finish(self, ok: Any) -> None:
        self._request = None
        self._get = None
        self._ws.send(b"WB\0\0" if ok else b"WB\1\0", OP_BINARY)


class _FileChannel:
    """The host's end of the board's file-operation thread (mpy/sim_webrepl.py): one JSON line
    per request (`do`, `name`, `len`) + payload, one JSON line per answer (`ok`, `len`) + payload."""

    def __init__(self) -> None:
        self._listener = socket.socket()
        self._listener.bind(("127.0.0.1", 0))
        self._listener.listen(1)
        self.port = self._listener.getsockname()[1]
        self._conn: Optional[Any] = None
        self._lock = threading.Lock()

    def request(self, do: str, name: str, payload: bytes) -> Any:
        import json

        with self._lock:
            if self._conn is None:
                self._listener.settimeout(5)
                sock, _addr = self._listener.accept()
                sock.settimeout(20)  # a board that stopped answering ends the transfer
                self._conn = sock.makefile("rwb")
            conn = self._conn
            conn.write(json.dumps({"do": do, "name": name, "len": len(payload)}).encode() + b"\n" + payload)
            conn.flush()
            answer = json.loads(conn.readline() or b"{}")
            data = conn.read(answer["len"]) if answer.get("len") is not None else b""
        if not answer.get("ok"):
            return None if do != "put" else False
        return data if do != "put" else True

    def close(self) -> None:
        for thing in (self._conn, self._listener):
            try:
                if thing is not None:
                    thing.close()
            except OSError:
                pass


class BoardWebRepl:
    """The firmware's WebREPL state: at most one server, for the current MicroPython process."""

    def __init__(self, wifi: Any, *, feed: Callable[[bytes], None], emit: Callable[[bytes], None],
                 event: Callable[[str, dict], None]) -> None:
        self._wifi = wifi
        self._feed = feed
        self._emit = emit
        self._event = event
        self.server: Optional[WebReplServer] = None
        self._files: Optional[_FileChannel] = None

    def handle(self, req: dict) -> dict:
        if req.get("do") == "stop":
            self.stop()
            return {"ok": True}
        self.stop()
        port = int(req.get("port", 8266))
        files = self._files = _FileChannel()
        for attempt in range(5):
            where = self._wifi.handle({"do": "port", "want": port if attempt == 0 else 0}, (1, 24, 0))
            try:
                self.server = WebReplServer(str(req.get("password", "")), where["ip"], int(where["port"]),
                                            feed=self._feed, file_op=files.request, print_line=self._emit,
                                            on_event=self._event)
                break
            except OSError as error:
                # as mpy/sim_socket.py's bind: at the board's own address the port is the
                # board's (taken is taken); a free loopback port the host picked can race
                # another process (another test's board): pick again
                if error.errno != errno.EADDRINUSE or attempt == 4 or where["ip"] != "127.0.0.1":
                    return {"ok": False, "errno": error.errno or 98}
        host, host_port = self.server.address
        self._wifi.listening(port, host_port, host)
        self._event("webrepl_started", {"port": port, "host": host, "host_port": host_port})
        return {"ok": True, "files": files.port}

    def output(self, data: bytes) -> None:
        server = self.server
        if server is not None:
            server.output(data)

    def stop(self) -> None:
        server, files = self.server, self._files
        self.server, self._files = None, None
        if server is not None:
            server.stop()
        if files is not None:
            files.close()
