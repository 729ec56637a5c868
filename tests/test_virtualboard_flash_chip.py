"""The virtual board's SPI flash as the chip's: NOR programming, writes bounded by
FLASH_BEGIN, erase and program times of a real 32 Mbit part, a 40 MHz crystal,
and the installer's timeouts and progress against that real timing."""
from __future__ import annotations

import os
import re
import sys
import time
from pathlib import Path

import pytest

from tests.virtualboard import VirtualBoard, synthetic_firmware
from tests.virtualboard.flash import Flash, FlashTiming
from tests.virtualboard.testing import FASTCLIENT_DIR, run_esptool
from thonnycontrib.esp32cam.core import esptool_cmd as ec
from thonnycontrib.esp32cam.core.flasher import Flasher, FlashOptions

REPO = Path(__file__).resolve().parent.parent


def test_nor_programming_only_clears_bits(tmp_path):
    with Flash(str(tmp_path / "f.bin")) as flash:
        flash.program(0x1000, b"\x0f\xf0\xff")
        flash.program(0x1000, b"\xff\x3c\x00")  # 0xFF changes nothing, 0s clear bits
        assert flash.read(0x1000, 3) == b"\x0f\x30\x00"
        flash.erase(0x1000, 0x1000)
        assert flash.read(0x1000, 3) == b"\xff\xff\xff"


def test_erase_and_program_times_follow_the_datasheet():
    timing = FlashTiming()
    assert timing.erase(0x10000, 0x10000) == pytest.approx(0.150)     # one aligned 64 KB block
    assert timing.erase(0x1000, 0x2000) == pytest.approx(2 * 0.045)   # two 4 KB sectors
    # 0x1000..0x170000: 15 sectors up to 0x10000, then 22 blocks
    assert timing.erase(0x1000, 0x16F000) == pytest.approx(15 * 0.045 + 22 * 0.150)
    assert timing.chip_erase() == 10.0 and timing.program(4096) == pytest.approx(16 * 0.0004)
    assert FlashTiming(0).chip_erase() == 0


@pytest.mark.esptool
def test_esptool_reports_a_40_mhz_crystal_and_writes_stop_at_their_size(tmp_path):
    with VirtualBoard(micropython=False, line_rate="unlimited", en_delay=0.02, flash_timing="fast") as board:
        board.flash.write(0x20000, b"\x00" * 0x2000)  # old data beyond what will be written
        data = tmp_path / "payload.bin"
        data.write_bytes(b"\xa5" * 4096)
        result = run_esptool(board.url, "--no-stub", "write-flash", "0x20000", str(data),
                             fast_client=True)
        assert result.returncode == 0, result.stdout + result.stderr
        info = run_esptool(board.url, "chip-id", fast_client=True)
        assert re.search(r"Crystal (is|frequency:)\s+40MHz", info.stdout), info.stdout
        assert board.flash.read(0x20000, 4096) == b"\xa5" * 4096
        # the ROM erased the announced region; the next sector is untouched old data
        assert board.flash.read(0x21000, 16) == b"\x00" * 16


@pytest.mark.esptool
@pytest.mark.slow
def test_installer_survives_a_real_chip_erase_and_shows_progress(tmp_path, monkeypatch):
    monkeypatch.setenv("PYTHONPATH", os.pathsep.join([str(FASTCLIENT_DIR), str(REPO)]))
    image = tmp_path / "fw.bin"
    image.write_bytes(synthetic_firmware("lemariva"))
    progress = []
    with VirtualBoard(wiring="classic", line_rate="unlimited", en_delay=0.02) as board:  # real timing
        flasher = Flasher(ec.find_esptool(sys.executable), on_progress=progress.append)
        started = time.monotonic()
        result = flasher.flash(str(image), FlashOptions(port=board.url, erase=True, baud=460800))
        seconds = time.monotonic() - started
        erase = board.events.all("flash_erase")
    assert result.ok, "\n".join(result.log)
    assert erase and erase[0].data["size"] == 4 * 1024 * 1024
    assert seconds >= FlashTiming.CHIP_ERASE  # the chip erase really took its time...
    assert progress and progress[-1] == pytest.approx(100, abs=1)  # ...and progress completed
    assert progress == sorted(progress)
