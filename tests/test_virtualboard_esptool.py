"""Real esptool (this interpreter's, 4.x or 5.x) against the virtual board over RFC2217.

Bulk runs use the opt-in fast RFC2217 client (tests/virtualboard/fastclient);
`test_flash_id_with_the_stock_client` keeps one run on unmodified pyserial.
"""
from __future__ import annotations

import time

import pytest

from tests.virtualboard import VirtualBoard, synthetic_firmware
from tests.virtualboard.testing import open_client, read_until, run_esptool

pytestmark = pytest.mark.esptool

# the fast client's line changes are ~50 ms apart no more: a real RC delay fits
FAST_EN_DELAY = 0.02


def _report(name: str, started: float) -> None:
    print(f"{name}: {time.monotonic() - started:.1f} s")


@pytest.mark.slow
def test_flash_id_with_the_stock_client():
    with VirtualBoard(micropython=False) as board:
        started = time.monotonic()
        result = run_esptool(board.url, "flash-id")
        _report("stock flash-id", started)
        assert result.returncode == 0, result.stdout + result.stderr
        assert "Detected flash size: 4MB" in result.stdout
        assert "ESP32" in result.stdout
        boots = [e.data["mode"] for e in board.events.all("boot")]
        assert "download" in boots and boots[-1] == "normal"  # esptool's hard reset at the end


def test_write_verify_and_boot_the_camera_firmware(tmp_path):
    image = synthetic_firmware("kaki5")
    path = tmp_path / "firmware.bin"
    path.write_bytes(image)
    with VirtualBoard(en_delay=FAST_EN_DELAY) as board:
        started = time.monotonic()
        result = run_esptool(board.url, "--baud", "460800", "write-flash", "0x1000", str(path), fast_client=True)
        _report("fast write-flash (stub, 460800)", started)
        assert result.returncode == 0, result.stdout + result.stderr
        assert "Hash of data verified." in result.stdout
        assert board.flash.read(0x1000, len(image)) == image
        assert board.events.find("flash_write", addr=0x1000)
        assert board.events.find("baud", side="chip", baud=460800)
        booted = board.events.wait_for("firmware_started", timeout=20)
        assert booted.data["banner"] == "MicroPython v1.20.0-206-g33b403dfb-kaki5 on 2023-12-25; ESP32 CAMERA module (KAKI5) with ESP32"

        started = time.monotonic()
        result = run_esptool(board.url, "verify-flash", "0x1000", str(path), fast_client=True)
        _report("fast verify-flash", started)
        assert result.returncode == 0, result.stdout + result.stderr
        assert "digest matched" in result.stdout

        with open_client(board.url) as port:  # a terminal with DTR/RTS released
            board.press_reset()
            out = read_until(port, booted.data["banner"].encode(), timeout=20)
        assert b"entry 0x400805cc" in out


def test_write_without_stub(tmp_path):
    image = synthetic_firmware("lemariva")
    path = tmp_path / "firmware.bin"
    path.write_bytes(image)
    with VirtualBoard(en_delay=FAST_EN_DELAY, micropython=False) as board:
        started = time.monotonic()
        result = run_esptool(board.url, "--no-stub", "--baud", "921600", "write-flash", "0x1000", str(path),
                             fast_client=True)  # the ESP32 ROM writes uncompressed: go fast
        _report("fast write-flash --no-stub (921600)", started)
        assert result.returncode == 0, result.stdout + result.stderr
        assert "Hash of data verified." in result.stdout
        assert board.flash.read(0x1000, len(image)) == image
        assert board.events.find("baud", side="chip", baud=921600)
        written = board.events.find("flash_write")
        assert written.data == {"addr": 0x1000, "size": len(image) + (-len(image) % 1024)}
        board.events.wait_for("boot", since=board.events.all().index(written), mode="normal")
        assert board.info.valid and board.info.camera_family == "lemariva"


def test_weak_adapter_fails_at_460800(tmp_path):
    path = tmp_path / "firmware.bin"
    path.write_bytes(synthetic_firmware("lemariva"))
    with VirtualBoard(en_delay=FAST_EN_DELAY, max_baud=115200, micropython=False) as board:
        result = run_esptool(board.url, "--baud", "460800", "write-flash", "0x1000", str(path), fast_client=True)
        assert result.returncode != 0
        assert board.events.find("garbled", reason="above max baud")
        output = result.stdout + result.stderr
        assert "A fatal error occurred" in output, output[-2000:]  # wording depends on where the noise hits


def test_read_flash_and_erase_region():
    image = synthetic_firmware("cnadler86")
    with VirtualBoard(en_delay=FAST_EN_DELAY, firmware=image, micropython=False) as board:
        out = board.flash.path + ".read"
        result = run_esptool(board.url, "--baud", "921600", "read-flash", "0x1000", "0x8000", out, fast_client=True)
        assert result.returncode == 0, result.stdout + result.stderr
        with open(out, "rb") as f:
            assert f.read() == image[:0x8000]

        mark = board.events.mark()
        result = run_esptool(board.url, "erase-region", "0x1000", "0x1000", fast_client=True)
        assert result.returncode == 0, result.stdout + result.stderr
        assert board.events.find("flash_erase", since=mark).data == {"addr": 0x1000, "size": 0x1000}
        assert board.flash.read(0x1000, 0x1000) == b"\xff" * 0x1000
        board.events.wait_for("no_firmware", since=mark)  # after esptool's hard reset
