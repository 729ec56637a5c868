"""The installer end to end: real esptool subprocesses against the virtual
board over RFC2217, firmware served by a real HTTPS server on loopback.

esptool runs with the virtual board's opt-in fast RFC2217 *client* polling
(tests/virtualboard/fastclient): same bytes on the wire, fewer idle waits.
The benchmark (benchmarks/bench_install.py) uses the stock client.
"""
from __future__ import annotations

import hashlib
import os
import random
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from tests.firmware_server import FirmwareServer, build_entry, catalog_with
from tests.virtualboard import VirtualBoard, synthetic_firmware
from tests.virtualboard.testing import FASTCLIENT_DIR, esptool_major, open_client, read_until
from thonnycontrib.esp32cam.core import esptool_cmd as ec
from thonnycontrib.esp32cam.core.flasher import DOWNLOAD_MODE_HELP, FlashOptions, Flasher

REPO = Path(__file__).resolve().parent.parent
# Boards here erase and program instantly (flash_timing="fast"): these tests are about
# esptool's outcomes, not the chip's speed. The real chip's timing (a 10 s chip erase)
# runs in test_cli_installs_a_catalog_build_over_https and test_virtualboard_flash_chip.py.


@pytest.fixture
def fast_client(monkeypatch):
    paths = [str(FASTCLIENT_DIR), str(REPO), os.environ.get("PYTHONPATH", "")]
    monkeypatch.setenv("PYTHONPATH", os.pathsep.join(p for p in paths if p))


def _flasher(lines):
    return Flasher(ec.find_esptool(sys.executable), on_line=lines.append)


def _image(tmp_path, family="lemariva", chip="esp32", noise=0) -> Path:
    data = synthetic_firmware(family, chip=chip)
    if noise:  # incompressible tail: makes the write phase dominate the traffic
        data += random.Random(1).randbytes(noise)
    path = tmp_path / f"{family}-{chip}-{noise}.bin"
    path.write_bytes(data)
    return path


def _camera_imports(url: str) -> bytes:
    """Independent check through a plain pyserial client: the REPL answers."""
    port = open_client(url)
    try:
        port.write(b"\r\x03")
        read_until(port, b">>> ")
        port.write(b"import camera; print('camera', camera.__name__)\r")
        return read_until(port, b"camera camera", timeout=5)
    finally:
        port.close()


def _cli(args, env, timeout=120):
    return subprocess.run([sys.executable, "-m", "thonnycontrib.esp32cam", *args], env=env, cwd=str(REPO),
                          capture_output=True, text=True, timeout=timeout)


@pytest.mark.esptool
def test_cli_installs_a_catalog_build_over_https(tmp_path, fast_client):
    image = synthetic_firmware("lemariva")
    with FirmwareServer(tmp_path) as srv, VirtualBoard(wiring="classic") as board:
        srv.put("/lemariva.bin", image)
        srv.put("/catalog.json", catalog_with([build_entry("test-lemariva", srv.url("/lemariva.bin"), image)]))
        env = dict(os.environ, THONNY_USER_DIR=str(tmp_path / "user"), SSL_CERT_FILE=str(srv.ca_file))
        listing = _cli(["catalog", "--refresh", srv.url("/catalog.json")], env)
        assert listing.returncode == 0 and "test-lemariva" in listing.stdout, listing.stderr
        proc = _cli(["flash", "--port", board.url, "--build", "test-lemariva", "--yes"], env)
        assert proc.returncode == 0, proc.stdout + proc.stderr
        assert "Firmware written and verified at 921600 baud" in proc.stdout
        assert "Board started: MicroPython v1.21.0 on 2023-10-13" in proc.stdout
        assert "(the camera module imports)" in proc.stdout
        started = board.events.all("firmware_started")[-1]
        assert started.data["banner"].startswith("MicroPython v1.21.0 on 2023-10-13; ESP32-cam")
        assert board.flash.read(0x1000, len(image)) == image
        assert b"camera camera" in _camera_imports(board.url)
    cached = list((tmp_path / "user" / "esp32cam" / "firmware").iterdir())
    assert [p.read_bytes() == image for p in cached] == [True]


def test_cli_refuses_tampered_download_wrong_chip_and_html(tmp_path):
    image = synthetic_firmware("kaki5")
    with FirmwareServer(tmp_path) as srv, VirtualBoard(flash_timing="fast", wiring="classic") as board:
        srv.put("/kaki5.bin", image)
        srv.put("/catalog.json", catalog_with([build_entry("evil", srv.url("/kaki5.bin"), image, tamper=True)]))
        env = dict(os.environ, THONNY_USER_DIR=str(tmp_path / "user"), SSL_CERT_FILE=str(srv.ca_file))
        assert _cli(["catalog", "--refresh", srv.url("/catalog.json")], env).returncode == 0
        proc = _cli(["flash", "--port", board.url, "--build", "evil", "--yes"], env)
        assert proc.returncode == 4
        assert "SHA-256 mismatch" in proc.stderr and hashlib.sha256(image).hexdigest() in proc.stderr
        assert hashlib.sha256(image + b"x").hexdigest() in proc.stderr
        assert list((tmp_path / "user" / "esp32cam" / "firmware").iterdir()) == []

        s3 = _image(tmp_path, "cnadler86", chip="esp32s3")  # the board's chip is only known by asking
        proc = _cli(["flash", "--port", board.url, "--file", str(s3), "--chip", "esp32", "--yes"], env)
        assert proc.returncode == 4 and "image is for ESP32-S3, not for ESP32 as chosen" in proc.stderr
        html = tmp_path / "firmware.bin"
        html.write_text("<!DOCTYPE html><html><head><title>GitHub</title></head><body>Not Found</body></html>")
        proc = _cli(["flash", "--port", board.url, "--file", str(html), "--yes"], env)
        assert proc.returncode == 4 and "HTML page, not a firmware image" in proc.stderr
        truncated = tmp_path / "short.bin"
        truncated.write_bytes(image[:-500])
        proc = _cli(["flash", "--port", board.url, "--file", str(truncated), "--yes"], env)
        assert proc.returncode == 4 and "truncated" in proc.stderr
        assert board.events.all("client_connected") == []  # the board was never touched


@pytest.mark.esptool
def test_weak_adapter_falls_back_to_115200(tmp_path, fast_client):
    lines = []
    with VirtualBoard(flash_timing="fast", wiring="classic", max_baud=115200) as board:
        result = _flasher(lines).flash(str(_image(tmp_path, "kaki5")), FlashOptions(port=board.url))
        assert result.ok and result.baud == 115200, "\n".join(lines)
        assert any("Retrying at 115200 baud" in line for line in lines)
        assert board.events.wait_for("firmware_started", timeout=10).data["banner"].startswith(
            "MicroPython v1.20.0-206-g33b403dfb-kaki5")


@pytest.mark.esptool
def test_very_weak_adapter_falls_back_to_38400(tmp_path, fast_client):
    """An adapter that passes short messages at 115200 but garbles sustained transfers above
    57600 baud: the stub upload fails at 460800 and at 115200, the install succeeds at 38400
    (the ROM auto-detects the baud of esptool's first SYNC)."""
    lines = []
    with VirtualBoard(flash_timing="fast", wiring="classic", max_baud=57600, weak_after=1024) as board:
        result = _flasher(lines).flash(str(_image(tmp_path, "lemariva")), FlashOptions(port=board.url))
        log = "\n".join(lines)
        assert result.ok and result.baud == 38400, log
        assert log.index("Retrying at 115200 baud") < log.index("Retrying at 38400 baud")
        assert board.events.wait_for("firmware_started", timeout=10).data["banner"].startswith("MicroPython v1.21.0")


@pytest.mark.esptool
def test_pinned_baud_is_used_once_without_fallback(tmp_path, fast_client):
    lines = []
    with VirtualBoard(flash_timing="fast", wiring="classic", max_baud=115200) as board:
        pinned_ok = _flasher(lines).flash(str(_image(tmp_path, "lemariva")),
                                          FlashOptions(port=board.url, baud=115200))
        assert pinned_ok.ok and pinned_ok.baud == 115200, "\n".join(lines)
        lines.clear()
        pinned_bad = _flasher(lines).flash(str(_image(tmp_path, "lemariva")),
                                           FlashOptions(port=board.url, baud=460800))
    assert not pinned_bad.ok and pinned_bad.outcome == "link"
    assert "Unpin the baud rate" in pinned_bad.message
    assert not any("Retrying at" in line for line in lines), "\n".join(lines)
    assert sum(line.startswith("$ ") for line in lines) == 1  # one esptool run, at the pinned baud


def test_offset_follows_the_chip():
    assert FlashOptions(port="x").start_offset() == 0x1000
    assert FlashOptions(port="x", chip="esp32s3").start_offset() == 0x0


@pytest.mark.esptool
def test_cli_exit_code_3_without_auto_reset_and_no_erase(tmp_path, fast_client):
    image = _image(tmp_path, "kaki5")
    env = dict(os.environ, THONNY_USER_DIR=str(tmp_path / "user"))
    with VirtualBoard(flash_timing="fast", wiring="none") as board:
        manual = _cli(["flash", "--port", board.url, "--file", str(image), "--yes"], env)
    assert manual.returncode == 3, manual.stdout + manual.stderr
    assert "--manual-boot" in manual.stderr and "hold the IO0 button" in manual.stderr
    with VirtualBoard(flash_timing="fast", wiring="classic") as board:
        board.flash.write(0x300000, b"keep me")  # e.g. the user's files
        kept = _cli(["flash", "--port", board.url, "--file", str(image), "--no-erase", "--yes"], env)
        assert kept.returncode == 0, kept.stdout + kept.stderr
        assert board.flash.read(0x300000, 7) == b"keep me"
        assert board.flash.read(0x1000, image.stat().st_size) == image.read_bytes()
    assert "erase" not in " ".join(line for line in kept.stdout.splitlines() if line.startswith("$ "))


@pytest.mark.esptool
def test_board_without_auto_reset_gets_guidance_then_manual_retry(tmp_path, fast_client):
    lines = []
    image = _image(tmp_path, "cnadler86")
    with VirtualBoard(flash_timing="fast", wiring="none") as board:
        flasher = _flasher(lines)
        first = flasher.flash(str(image), FlashOptions(port=board.url))
        assert not first.ok and first.needs_download_mode and not first.board_changed
        assert first.message == DOWNLOAD_MODE_HELP
        assert "hold the IO0 button, tap RST" in first.message and "jumper" in first.message
        mark = board.events.mark()
        board.hold_boot(True)
        board.press_reset()
        board.events.wait_for("boot", since=mark, mode="download", timeout=5)
        second = flasher.flash(str(image), FlashOptions(port=board.url, manual_boot=True))
        assert second.ok, "\n".join(lines)
        assert any(("no-reset" in line or "no_reset" in line) for line in lines if line.startswith("$"))
        mark = board.events.mark()
        board.hold_boot(False)  # user removes the jumper and taps RST
        board.press_reset()
        assert "v1.27.0" in board.events.wait_for("firmware_started", since=mark, timeout=10).data["banner"]


@pytest.mark.esptool
def test_connection_lost_mid_write_then_clean_retry(tmp_path, fast_client):
    lines = []
    image = _image(tmp_path, "lemariva", noise=96 * 1024)
    with VirtualBoard(flash_timing="fast", wiring="classic", drop_after=48 * 1024) as board:
        flasher = _flasher(lines)
        failed = flasher.flash(str(image), FlashOptions(port=board.url))
        assert board.events.all("connection_dropped")
        assert not failed.ok and failed.outcome == ec.CONNECTION_LOST, "\n".join(lines)
        assert "connection to the board was lost" in failed.message
        assert "retrying is safe" in failed.message and failed.board_changed
        board.transport.drop_after = None  # cable fixed
        retry = flasher.flash(str(image), FlashOptions(port=board.url))
        assert retry.ok, "\n".join(lines)
        assert board.flash.read(0x1000, image.stat().st_size) == image.read_bytes()


@pytest.mark.esptool
def test_cancel_stops_esptool_and_explains(tmp_path, fast_client):
    lines = []
    connecting = threading.Event()

    def on_line(line):
        lines.append(line)
        if line.startswith("Connecting"):
            connecting.set()

    with VirtualBoard(flash_timing="fast", wiring="none") as board:  # never answers: esptool keeps trying
        flasher = Flasher(ec.find_esptool(sys.executable), on_line=on_line)
        threading.Thread(target=lambda: (connecting.wait(30), flasher.cancel()), daemon=True).start()
        result = flasher.flash(str(_image(tmp_path)), FlashOptions(port=board.url))
        assert result.outcome == "cancelled" and not result.board_changed
        assert result.message == "Cancelled before anything was written: the board is unchanged."
        board.events.wait_for("client_disconnected", timeout=10)


@pytest.mark.esptool
def test_port_held_by_another_program_is_explained(tmp_path, fast_client):
    lines = []
    with VirtualBoard(flash_timing="fast", wiring="classic") as board:
        other = open_client(board.url)  # e.g. a terminal left open
        try:
            result = _flasher(lines).flash(str(_image(tmp_path)), FlashOptions(port=board.url))
        finally:
            other.close()
        # esptool 5 usually exits without a word (it cannot be told from a missing port), or,
        # when the server's refusal races its first write, with "Connection reset by peer";
        # esptool 4's "Broken pipe" on an RFC 2217 URL says the server turned it away: busy
        expected = (ec.PORT_MISSING, ec.PORT_BUSY) if esptool_major() >= 5 else (ec.PORT_BUSY,)
        assert not result.ok and result.outcome in expected and not result.board_changed
        assert "another program" in result.message and "The board" not in result.message
        assert board.events.all("client_rejected")


@pytest.mark.esptool
def test_cli_offers_download_mode_retry(tmp_path, fast_client):
    image = _image(tmp_path, "kaki5")
    env = dict(os.environ, THONNY_USER_DIR=str(tmp_path / "user"), PYTHONUNBUFFERED="1")
    with VirtualBoard(flash_timing="fast", wiring="none") as board:
        proc = subprocess.Popen([sys.executable, "-m", "thonnycontrib.esp32cam", "flash", "--port", board.url,
                                 "--file", str(image)], env=env, cwd=str(REPO), stdin=subprocess.PIPE,
                                stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
        output = b""

        def read_until(needle: bytes) -> None:
            nonlocal output
            while needle not in output:
                chunk = os.read(proc.stdout.fileno(), 4096)
                assert chunk, output.decode(errors="replace")
                output += chunk

        try:
            read_until(b"[y/N]")
            proc.stdin.write(b"y\n")
            proc.stdin.flush()
            read_until(b"Press Enter when the board is in download mode")
            assert b"hold the IO0 button, tap RST" in output
            mark = board.events.mark()
            board.hold_boot(True)
            board.press_reset()
            board.events.wait_for("boot", since=mark, mode="download", timeout=5)
            proc.stdin.write(b"\n")
            proc.stdin.flush()
            rest, _ = proc.communicate(timeout=120)
        finally:
            if proc.poll() is None:
                proc.kill()
        output += rest
        assert proc.returncode == 0, output.decode(errors="replace")
        assert b"Firmware written and verified" in output and b"Remove the IO0-GND jumper" in output


@pytest.mark.esptool
def test_cancel_mid_write_says_the_board_needs_a_new_install(tmp_path, fast_client):
    lines = []
    writing = threading.Event()

    def on_line(line):
        lines.append(line)
        if line.startswith("Compressed "):  # erase done, data about to flow
            writing.set()

    image = _image(tmp_path, "lemariva", noise=256 * 1024)
    with VirtualBoard(flash_timing="fast", wiring="classic") as board:
        flasher = Flasher(ec.find_esptool(sys.executable), on_line=on_line)
        threading.Thread(target=lambda: (writing.wait(60), flasher.cancel()), daemon=True).start()
        result = flasher.flash(str(image), FlashOptions(port=board.url))
        assert result.outcome == "cancelled" and result.board_changed, "\n".join(lines)
        assert "Cancelled part-way" in result.message and "safe to run the installer again" in result.message
        board.events.wait_for("client_disconnected", timeout=10)
        size = image.stat().st_size
        assert board.flash.read(0x1000, size) != image.read_bytes()  # erased, not completely written


def test_boot_check_reports_the_camera_module_or_the_boards_own_error():
    from thonnycontrib.esp32cam.core.bootcheck import check_board

    with VirtualBoard(wiring="direct", firmware=synthetic_firmware("kaki5"), line_rate="unlimited") as board:
        board.events.wait_for("firmware_started", timeout=20)
        with_camera = check_board(board.url, timeout=10)
    with VirtualBoard(wiring="direct", firmware=synthetic_firmware(None), line_rate="unlimited") as board:
        board.events.wait_for("firmware_started", timeout=20)
        official = check_board(board.url, timeout=10)
    assert with_camera.started and with_camera.camera is True
    assert with_camera.camera_summary == "the camera module imports"
    assert official.started and official.camera is False
    assert official.camera_summary == "NO camera module: ImportError: no module named 'camera'"


@pytest.mark.esptool
def test_micropython_running_without_auto_reset_wiring_is_not_blamed_on_the_cable(tmp_path, fast_client):
    """DTR/RTS reach neither EN nor IO0 (bare adapter) and MicroPython runs: its REPL echoes
    esptool's SYNC frames ("Invalid head of packet"). The board must be put into download
    mode by hand (exit 3), not "use a shorter cable" (issue 24)."""
    image = _image(tmp_path, "kaki5")
    env = dict(os.environ, THONNY_USER_DIR=str(tmp_path / "user"))
    with VirtualBoard(flash_timing="fast", wiring="none", firmware=synthetic_firmware("lemariva")) as board:
        board.events.wait_for("firmware_started", timeout=20)
        proc = _cli(["flash", "--port", board.url, "--file", str(image), "--yes"], env)
        lines = []
        result = _flasher(lines).flash(str(image), FlashOptions(port=board.url))
        assert "v1.27.0" in board.info.banner or board.state == "running"  # never touched
    text = proc.stdout + proc.stderr
    assert "Invalid head of packet" in text  # esptool's own words, as a real board gives them
    assert proc.returncode == 3, text
    assert "unreliable" not in text and "shorter cable" not in text
    assert "IO0 to GND" in proc.stderr and "tap RST" in proc.stderr and "--manual-boot" in proc.stderr
    assert "DTR/RTS lines do not reach EN and IO0" in proc.stderr
    assert not result.ok and result.needs_download_mode and not result.board_changed
