"""Acceptance: an independent client (mpremote) uses the virtual board through its URL.

mpremote speaks RFC2217 itself, enters the raw REPL, runs code and copies files
with its own implementation, so this checks the whole stack (transport, wiring,
boot, MicroPython firmware, littlefs on the flash image, camera) from outside.
"""
from __future__ import annotations

import io
import os
import subprocess
import sys

from tests.virtualboard import VirtualBoard, synthetic_firmware


def mpremote(url: str, *args: str, timeout: float = 90) -> str:
    proc = subprocess.run(
        [sys.executable, "-m", "mpremote", "connect", url, *args],
        capture_output=True,
        text=True,
        timeout=timeout,
    )
    assert proc.returncode == 0, f"mpremote {args} failed ({proc.returncode}): {proc.stdout}\n{proc.stderr}"
    return proc.stdout


def test_mpremote_exec_ls_file_round_trip_and_reset(tmp_path):
    payload = os.urandom(3000) + bytes(range(256))  # binary, includes 0xFF (RFC2217 escaping) and Ctrl chars
    local = tmp_path / "data.bin"
    local.write_bytes(payload)
    back = tmp_path / "back.bin"
    with VirtualBoard(firmware=synthetic_firmware(family="lemariva")) as board:
        started = board.events.wait_for("firmware_started", timeout=20)
        out = mpremote(
            board.url,
            "exec", "import os, sys; print('platform', sys.platform, os.uname().sysname)",
            "+", "fs", "cp", str(local), ":data.bin",
            "+", "fs", "ls",
            "+", "fs", "cp", ":data.bin", str(back),
        )
        assert "platform esp32 esp32" in out
        assert f"{len(payload)} data.bin" in out and "boot.py" in out
        assert back.read_bytes() == payload

        mark = board.events.mark()
        mpremote(board.url, "reset")  # machine.reset(): a hard reset with boot log, same flash
        assert board.events.wait_for("firmware_reset_request", timeout=20, since=mark).data == {"reason": "machine.reset"}
        board.events.wait_for("reset", timeout=20, since=mark)
        board.events.wait_for("firmware_started", timeout=20, since=mark)
        out = mpremote(board.url, "exec", "print(len(open('data.bin', 'rb').read()))")
        assert out.strip() == str(len(payload))
        assert started.data["banner"].startswith("MicroPython v")


def test_mpremote_camera_capture_to_file_and_copy_to_host(tmp_path):
    from PIL import Image

    from tests.virtualboard.camera_frames import decode_frame_number

    frame_path = tmp_path / "frame.jpg"
    with VirtualBoard(firmware=synthetic_firmware(family="cnadler86")) as board:
        board.events.wait_for("firmware_started", timeout=20)
        script = (
            "from camera import Camera, PixelFormat, FrameSize\n"
            "with Camera(pixel_format=PixelFormat.JPEG, frame_size=FrameSize.QQVGA) as cam:\n"
            "    f = open('frame.jpg', 'wb'); f.write(cam.capture()); f.close()\n"
            "print('saved')\n"
        )
        out = mpremote(board.url, "exec", script, "+", "fs", "cp", ":frame.jpg", str(frame_path))
        assert "saved" in out
    img = Image.open(io.BytesIO(frame_path.read_bytes()))
    assert img.format == "JPEG" and img.size == (160, 120)
    assert decode_frame_number(img) == 1


def test_mpremote_mount_runs_a_host_module_on_the_board(tmp_path):
    """`mpremote mount` serves a host directory to the board; its device-side code writes
    with ``sys.stdout.buffer.write(buf, n)``, which a board's stream accepts (py/stream.c
    stream_write_method: write(buf[, max_len]) or write(buf, off, max_len))."""
    (tmp_path / "hostmod.py").write_text("VALUE = 6 * 7\n")
    (tmp_path / "data.txt").write_text("from the host\n")
    with VirtualBoard(firmware=synthetic_firmware(family="lemariva")) as board:
        board.events.wait_for("firmware_started", timeout=20)
        out = mpremote(
            board.url, "mount", str(tmp_path),
            "exec", "import hostmod; print('value', hostmod.VALUE); print(open('data.txt').read().strip())",
        )
    assert "value 42" in out and "from the host" in out


def test_stdout_buffer_write_takes_max_len_and_offset(tmp_path):
    with VirtualBoard(firmware=synthetic_firmware(family="lemariva")) as board:
        board.events.wait_for("firmware_started", timeout=20)
        out = mpremote(
            board.url, "exec",
            "import sys\n"
            "n1 = sys.stdout.buffer.write(b'abcdef', 2)\n"
            "n2 = sys.stdout.buffer.write(b'abcdef', 1, 3)\n"
            "n3 = sys.stdout.buffer.write(bytearray(b'xyz'), 5, 9)\n"
            "print('|', n1, n2, n3)\n",
        )
    assert out.strip() == "abbcd| 2 3 0"
