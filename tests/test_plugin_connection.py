"""The back-end's serial connection (Thonny's SerialConnection subclass) on real ports:
the virtual board over RFC 2217, a raw TCP socket, a pseudo-terminal, a closed port."""
from __future__ import annotations

import os
import pty
import socket
import threading
import time

import pytest

pytestmark = pytest.mark.thonny


def _read_until(conn, marker: bytes, timeout: float = 10) -> bytes:
    return conn.read_until(marker, timeout=timeout)


@pytest.fixture
def board():
    from tests.virtualboard import VirtualBoard, synthetic_firmware

    with VirtualBoard(wiring="direct", firmware=synthetic_firmware(family="lemariva"),
                      line_rate="unlimited") as b:
        b.events.wait_for("firmware_started", timeout=20)
        yield b


def test_rfc2217_url_opens_with_lines_released_and_closes_without_reset(board):
    from thonnycontrib.esp32cam.backend.url_serial import UrlSerialConnection

    mark = board.events.mark()
    conn = UrlSerialConnection(board.url, 115200, dtr=False, rts=False)
    try:
        conn.write(b"\x03")
        assert b">>> " in _read_until(conn, b">>> ")
        conn.write(b"print(6*7)\r\n")
        assert _read_until(conn, b"42").endswith(b"print(6*7)\r\n42")
        assert _read_until(conn, b">>> ").endswith(b">>> ")
        assert conn.outgoing_is_empty()  # RFC 2217 ports have no out_waiting
    finally:
        started = time.monotonic()
        conn.close()  # RFC 2217 ports have no cancel_read
        closing_time = time.monotonic() - started
    assert closing_time < 3
    board.events.wait_for("client_disconnected", timeout=5, since=mark)
    assert all(not e.data["dtr"] and not e.data["rts"] for e in board.events.all("lines", since=mark))
    assert board.events.all("reset", since=mark) == []


def test_stopping_the_reader_as_thonny_does_before_a_disconnect_works_on_a_url_port(board):
    """Thonny's prepare_disconnect stops the reader first (minny's stop_reader calls
    cancel_read(), which RFC 2217 ports lack), then the port closes without a reset."""
    from thonnycontrib.esp32cam.backend.url_serial import UrlSerialConnection

    mark = board.events.mark()
    conn = UrlSerialConnection(board.url, 115200, dtr=False, rts=False)
    try:
        conn.write(b"\x03")
        assert b">>> " in _read_until(conn, b">>> ")
        conn.stop_reader()
        assert conn.reader_stopped and conn.incoming_is_empty()
    finally:
        started = time.monotonic()
        conn.close()
    assert time.monotonic() - started < 3 and not conn.reader_running()
    board.events.wait_for("client_disconnected", timeout=5, since=mark)
    assert board.events.all("reset", since=mark) == []


def test_asserted_rts_holds_a_direct_wired_board_in_reset_until_released(board):
    from thonnycontrib.esp32cam.backend.url_serial import UrlSerialConnection

    mark = board.events.mark()
    conn = UrlSerialConnection(board.url, 115200, dtr=False, rts=True)
    try:
        board.events.wait_for("lines", timeout=5, since=mark, rts=True)
        assert board.state == "reset"
    finally:
        conn.close()
    lines = board.events.all("lines", since=mark)
    assert lines[-1].data["rts"] is False and lines[-1].data["dtr"] is False


def test_closing_with_both_lines_asserted_releases_rts_first_on_classic_wiring():
    """Classic auto-reset wiring: DTR and RTS both asserted leave EN and IO0 high. Dropping
    DTR first would leave RTS alone asserted, EN low: a reset. RTS first keeps EN high."""
    from tests.virtualboard import VirtualBoard, synthetic_firmware
    from thonnycontrib.esp32cam.backend.url_serial import UrlSerialConnection

    with VirtualBoard(wiring="classic", firmware=synthetic_firmware("lemariva"), line_rate="unlimited") as b:
        b.events.wait_for("firmware_started", timeout=20)
        conn = UrlSerialConnection(b.url, 115200, dtr=True, rts=True)
        b.events.wait_for("lines", timeout=5, dtr=True, rts=True)
        mark = b.events.mark()
        conn.close()
        b.events.wait_for("client_disconnected", timeout=5, since=mark)
        states = [(e.data["dtr"], e.data["rts"]) for e in b.events.all("lines", since=mark)]
        assert states[0] == (True, False) and states[-1] == (False, False), states
        assert all(e.data["en"] for e in b.events.all("lines", since=mark))
        assert b.events.all("reset", since=mark) == []


def test_socket_url_reads_writes_and_closes_promptly():
    from thonnycontrib.esp32cam.backend.url_serial import UrlSerialConnection

    server = socket.create_server(("127.0.0.1", 0))
    port = server.getsockname()[1]
    received = []

    def echo():
        client, _ = server.accept()
        with client:
            while True:
                data = client.recv(100)
                if not data:
                    break
                received.append(data)
                client.sendall(b"echo:" + data)

    thread = threading.Thread(target=echo, daemon=True)
    thread.start()
    conn = UrlSerialConnection(f"socket://127.0.0.1:{port}", 115200, dtr=False, rts=False)
    try:
        conn.write(b"ping")
        assert _read_until(conn, b"ping", timeout=5).endswith(b"echo:ping")
        assert conn.outgoing_is_empty()
    finally:
        started = time.monotonic()
        conn.close()
        assert time.monotonic() - started < 3
        assert not conn.reader_running()
        server.close()
    thread.join(5)
    assert received == [b"ping"]


def test_local_port_path_still_works():
    from thonnycontrib.esp32cam.backend.url_serial import UrlSerialConnection

    master, slave = pty.openpty()
    path = os.ttyname(slave)
    conn = UrlSerialConnection(path, 115200, dtr=None, rts=None)  # a pty has no modem lines
    try:
        os.write(master, b"hello>>> ")
        assert _read_until(conn, b">>> ", timeout=5) == b"hello>>> "
        conn.write(b"x")
        assert os.read(master, 10) == b"x"
    finally:
        conn.close()  # local ports: cancel_read + join
        os.close(master)
        os.close(slave)


def test_unreachable_url_gives_advice_not_a_traceback():
    from thonnycontrib.esp32cam.backend.url_serial import UrlSerialConnection

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        free_port = s.getsockname()[1]
    with pytest.raises(ConnectionRefusedError) as info:
        UrlSerialConnection(f"rfc2217://127.0.0.1:{free_port}", 115200, dtr=False, rts=False)
    assert "server" in str(info.value) and "running" in str(info.value)


def test_raw_pastes_end_acknowledgement_survives_the_noise_of_a_reset_in_the_same_read():
    """``machine.reset()`` sent by raw-paste: the board acknowledges the code (EOT), runs it,
    and its boot log at 115200 reaches a host at a fast rate as noise. When the EOT and the
    first noise come in one read, Thonny (waiting for the EOT) must still get it."""
    from thonnycontrib.esp32cam.backend.url_serial import UrlSerialConnection
    from thonnycontrib.esp32cam.core.linkwatch import LinkWatch

    server = socket.create_server(("127.0.0.1", 0))
    conn = UrlSerialConnection(f"socket://127.0.0.1:{server.getsockname()[1]}", 115200,
                               dtr=False, rts=False, skip_reader=True)
    try:
        conn.link_watch = LinkWatch(lambda rate: None, 921600)
        conn.set_text_mode(False)  # as Thonny does around raw-paste
        noise = bytes((0x80 + 37 * i) & 0xFF for i in range(64))  # a 115200 boot log read at 921600
        conn.incoming(b"\x04" + noise, True)
        assert conn.soft_read_until(b"\x04", 1) == b"\x04"
    finally:
        conn.close()
        server.close()
