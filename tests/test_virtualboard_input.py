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
