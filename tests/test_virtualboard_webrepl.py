"""The virtual board's WebREPL (tests/virtualboard/webrepl.py): the protocol of MicroPython's
extmod/modwebrepl.c and webrepl.py, spoken to a client that follows webrepl_cli.py."""
from __future__ import annotations

import base64
import os
import socket
import struct
import time

import pytest

from tests.test_virtualboard_firmware import FirmwareRig
from tests.virtualboard.wifi import WifiNetworks

V124 = "MicroPython v1.24.1 on 2024-11-29; Generic ESP32 module with SPIRAM with ESP32"
SETUP = """\
import network, time
w = network.WLAN(network.STA_IF); w.active(True); w.connect('lab', 'labpass123')
while not w.isconnected(): time.sleep_ms(20)
with open('webrepl_cfg.py', 'w') as f: f.write("PASS = 'cam123'\\n")
import webrepl
webrepl.start()
"""


class Client:
    """A websocket client as webrepl_cli.py's (client_handshake, masked frames)."""

    def __init__(self, address) -> None:
        self.sock = socket.create_connection(address, timeout=10)
        key = base64.b64encode(os.urandom(16))
        self.sock.sendall(b"GET / HTTP/1.1\r\nHost: board\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n"
                          b"Sec-WebSocket-Key: " + key + b"\r\nSec-WebSocket-Version: 13\r\n\r\n")
        head = b""
        while not head.endswith(b"\r\n\r\n"):
            head += self.sock.recv(1)
        assert head.startswith(b"HTTP/1.1 101")

    def send(self, data: bytes, opcode: int = 1) -> None:
        mask = os.urandom(4)
        n = len(data)
        head = bytes([0x80 | opcode]) + (bytes([0x80 | n]) if n < 126 else bytes([0xFE]) + struct.pack(">H", n))
        self.sock.sendall(head + mask + bytes(b ^ mask[i % 4] for i, b in enumerate(data)))

    def _read(self, n: int) -> bytes:
        buf = b""
        while len(buf) < n:
            more = self.sock.recv(n - len(buf))
            if not more:
                raise EOFError
            buf += more
        return buf

    def recv(self):
        b0, b1 = self._read(2)
        n = b1 & 0x7F
        if n == 126:
            n = struct.unpack(">H", self._read(2))[0]
        return b0 & 0x0F, self._read(n)

    def read_until(self, needle: bytes, timeout: float = 10.0) -> bytes:
        got = b""
        deadline = time.monotonic() + timeout
        while needle not in got:
            assert time.monotonic() < deadline, got
            opcode, data = self.recv()
            assert opcode == 1, (opcode, data)
            got += data
        return got

    def close(self) -> None:
        self.sock.close()


@pytest.fixture
def board(tmp_path):
    rig = FirmwareRig.at_raw_repl(tmp_path / "flash.bin", banner=V124, wifi=WifiNetworks({"lab": "labpass123"}))
    out, err = rig.raw_exec(SETUP, timeout=20)
    assert err == "" and "Started webrepl in normal mode" in out, (out, err)
    rig.send(b"\x02")  # the friendly REPL, as after boot.py
    rig.expect(b">>> ")
    yield rig
    rig.stop()


def test_password_prompt_then_the_repl_over_text_frames(board):
    client = Client(board.fw.wifi.address(8266))
    try:
        assert client.read_until(b"Password: ") == b"Password: "
        client.send(b"cam123\n")
        assert client.read_until(b">>> ").endswith(b"\r\nWebREPL connected\r\n>>> ")
        client.send(b"print(1+1)\r")
        assert b"2\r\n>>> " in client.read_until(b"2\r\n>>> ")
        board.expect(b"2\r\n")  # dupterm duplicates: the UART shows it too
    finally:
        client.close()


def test_a_wrong_password_is_refused_and_the_connection_ends(board):
    client = Client(board.fw.wifi.address(8266))
    try:
        client.read_until(b"Password: ")
        client.send(b"nope\r")
        assert client.read_until(b"denied\r\n") == b"\r\nAccess denied\r\n"
        with pytest.raises((EOFError, OSError)):
            client.recv()
    finally:
        client.close()


def _logged_in(board) -> Client:
    client = Client(board.fw.wifi.address(8266))
    client.read_until(b"Password: ")
    client.send(b"cam123\r")
    client.read_until(b">>> ")
    return client


def test_files_go_both_ways_over_binary_frames(board):
    client = _logged_in(board)
    try:
        content = bytes(range(256)) * 3
        name = b"/data.bin"
        client.send(struct.pack("<2sBBQLH64s", b"WA", 1, 0, 0, len(content), len(name), name), 2)
        assert client.recv() == (2, b"WB\0\0")
        client.send(content, 2)
        assert client.recv() == (2, b"WB\0\0")
        client.send(struct.pack("<2sBBQLH64s", b"WA", 2, 0, 0, 0, len(name), name), 2)
        assert client.recv() == (2, b"WB\0\0")
        got = b""
        while True:
            client.send(b"\0", 2)
            opcode, chunk = client.recv()
            size = struct.unpack("<H", chunk[:2])[0]
            assert opcode == 2 and size <= 256 and len(chunk) == 2 + size
            if size == 0:
                break
            got += chunk[2:]
        assert got == content
        assert client.recv() == (2, b"WB\0\0")
        client.send(b"import os; print(os.stat('data.bin')[6])\r")
        assert b"768\r\n" in client.read_until(b"768\r\n>>> ")
    finally:
        client.close()


def test_thonnys_own_webrepl_connection_logs_in_and_runs_code(board):
    pytest.importorskip("websockets")  # Thonny's WebREPL connection needs it (not a dependency of the pip package)
    webrepl_connection = pytest.importorskip("thonny.plugins.micropython.webrepl_connection")
    host, port = board.fw.wifi.address(8266)
    conn = webrepl_connection.WebReplConnection("ws://%s:%d/" % (host, port), "cam123")
    try:
        assert conn.read_until(b">>> ", timeout=10).endswith(b"WebREPL connected\r\n>>> ")
        conn.write(b"print(6*7)\r")
        assert b"42\r\n" in conn.read_until(b"42\r\n>>> ", timeout=10)
    finally:
        conn.stop_reader()


def test_one_client_at_a_time_the_next_after_the_board_saw_the_first_go(board):
    """webrepl.py's accept_conn: a connection while dupterm holds a client is rejected."""
    import time

    first = _logged_in(board)
    try:
        second = Client(board.fw.wifi.address(8266))
        try:
            with pytest.raises((EOFError, OSError)):
                second.read_until(b"Password: ")
        finally:
            second.close()
        board.expect(b"Concurrent WebREPL connection from")
    finally:
        first.close()
    deadline = time.monotonic() + 10
    while not any(kind == "webrepl_closed" for kind, _ in board.events) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert any(kind == "webrepl_closed" for kind, _ in board.events), board.events
    third = Client(board.fw.wifi.address(8266))
    try:
        assert third.read_until(b"Password: ") == b"Password: "
    finally:
        third.close()
