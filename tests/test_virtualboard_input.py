"""What the virtual board's REPL reads from UART0, compared with the ESP32 port."""
from __future__ import annotations

import pytest

from tests.virtualboard import VirtualBoard, synthetic_firmware
from tests.virtualboard.testing import open_client, read_for, read_until


@pytest.fixture(scope="module")
def board():
    with VirtualBoard(firmware=synthetic_firmware("lemariva"), line_rate="unlimited") as b:
        yield b


@pytest.fixture
def port(board):
    p = open_client(board.url)
    p.write(b"\r\x03")
    read_until(p, b">>> ")
    yield p
    p.write(b"\x02")  # back to the friendly REPL
    p.close()


def test_crlf_script_reports_the_true_line_number(port):
    """py/lexer.c reads CR LF as one newline on the ESP32; an error on line 3 is line 3."""
    port.write(b"\x01")
    read_until(port, b"raw REPL; CTRL-B to exit\r\n>")
    port.write(b"a = 1\r\nb = 2\r\nc = undefined_name\r\nd = 4\r\n\x04")
    reply = read_until(port, b"\x04>", timeout=5)
    assert b'File "<stdin>", line 3, in <module>' in reply


def test_crlf_at_the_friendly_prompt_is_one_enter(port):
    port.write(b"x = 6 * 7\r\n")
    read_until(port, b">>> ")
    port.write(b"print(x)\r\n")
    reply = read_until(port, b"42\r\n>>> ")
    assert read_for(port, 0.3) == b""  # no second, empty prompt from the LF
    assert reply.count(b">>> ") == 1


def test_a_running_program_reads_stdin_bytes_unchanged(port):
    port.write(b"import sys; print('go'); data = sys.stdin.buffer.read(6); print(list(data))\r")
    read_until(port, b"go\r\n")  # the program runs: what follows is its input
    port.write(b"A\r\nB\r\n")
    assert b"[65, 13, 10, 66, 13, 10]" in read_until(port, b"]\r\n>>> ")


@pytest.mark.parametrize("banner, capacity", [
    ("MicroPython v1.14-122-g9fef1c0bd-dirty on 2021-03-30; Camera Module (i2s) with ESP32", 255),
    ("MicroPython v1.21.0 on 2023-10-13; ESP32 module with Camera with ESP32", 259),
    ("MicroPython v1.27.0-dirty on 2026-01-12; Generic ESP32 module with SPIRAM with ESP32", 259),
])
def test_ring_capacity_follows_the_firmware_version(banner, capacity):
    from tests.virtualboard.firmware import stdin_ring_capacity

    assert stdin_ring_capacity(banner) == capacity


def test_a_busy_program_keeps_only_what_the_stdin_ring_holds(board, port):
    """ports/esp32/uart.c: the ISR drops bytes once the 260-byte ring is full; Ctrl-C still
    interrupts (the ISR handles it before the ring)."""
    mark = board.events.mark()
    port.write(b"import time, sys; print('go'); time.sleep(1.5); "
               b"print('got', len(sys.stdin.buffer.read(259)))\r")
    read_until(port, b"go\r\n")
    port.write(b"x" * 1024)
    reply = read_until(port, b">>> ", timeout=10)
    assert b"got 259" in reply
    overflow = board.events.wait_for("rx_overflow", since=mark, timeout=5)
    assert overflow.data["capacity"] == 259 and overflow.data["dropped"] == 1024 - 259
    # Ctrl-C still gets through a full ring
    port.write(b"import time; print('sleeping'); time.sleep(30)\r")
    read_until(port, b"sleeping\r\n")
    port.write(b"y" * 600 + b"\x03")
    assert b"KeyboardInterrupt" in read_until(port, b">>> ", timeout=5)


def test_a_program_that_reads_stdin_gets_every_byte_at_the_line_rate():
    with VirtualBoard(firmware=synthetic_firmware("lemariva"), line_rate="real") as board:
        board.events.wait_for("firmware_started", timeout=10)
        port = open_client(board.url)
        try:
            port.write(b"\r\x03")
            read_until(port, b">>> ")
            port.write(b"import sys; print('go'); print('got', len(sys.stdin.buffer.read(2000)))\r")
            read_until(port, b"go\r\n")
            port.write(b"z" * 2000)  # 0.17 s at 115200 baud: the reader keeps up
            assert b"got 2000" in read_until(port, b">>> ", timeout=10)
        finally:
            port.close()
        assert board.events.all("rx_overflow") == []
