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
from tests.virtualboard.testing import FASTCLIENT_DIR, esptool_major, run_esptool
from thonnycontrib.esp32cam.core import esptool_cmd as ec
from thonnycontrib.esp32cam.core.flasher import Flasher, FlashOptions

REPO = Path(__file__).resolve().parent.parent


def esptool_reset(name: str) -> str:
    """Reset mode spelling of the installed esptool (5: no-reset, 4: no_reset)."""
    return name if esptool_major() >= 5 else name.replace("-", "_")


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


@pytest.mark.esptool
def test_sfdp_reads_at_an_address():
    with VirtualBoard(micropython=False, line_rate="unlimited", en_delay=0.02, flash_timing="fast") as board:
        first = run_esptool(board.url, "read-flash-sfdp", "0", "4", fast_client=True)
        second = run_esptool(board.url, "read-flash-sfdp", "1", "3", fast_client=True)
    # esptool 5 prints "0x53 0x46 ...", esptool 4 "53 46 ..."
    assert re.search(r"SFDP\[0\.\.3\]: (0x)?53 (0x)?46 (0x)?44 (0x)?50", first.stdout), first.stdout
    assert re.search(r"SFDP\[1\.\.3\]: (0x)?46 (0x)?44 (0x)?50", second.stdout), second.stdout


ATTACH_SCRIPT = """
import sys, esptool
from esptool.cmds import attach_flash, flash_id, read_flash_sfdp
with esptool.CHIP_DEFS["esp32"](port=sys.argv[1]) as esp:
    esp.connect()
    flash_id(esp); read_flash_sfdp(esp, 0, 4)
    print("-- attach --")
    attach_flash(esp)
    flash_id(esp); read_flash_sfdp(esp, 0, 4)
"""


def test_flash_is_detached_until_spi_attach():
    """esptool 5's Python API (esptool's own test_attach_flash does the same); run
    with the main matrix only, esptool 4's command functions take other arguments."""
    import subprocess

    env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(FASTCLIENT_DIR), str(REPO)]))
    with VirtualBoard(micropython=False, line_rate="unlimited", en_delay=0.02, flash_timing="fast") as board:
        run = subprocess.run([sys.executable, "-c", ATTACH_SCRIPT, board.url], env=env,
                             capture_output=True, text=True, timeout=120)
    assert run.returncode == 0, run.stdout + run.stderr
    before, after = run.stdout.split("-- attach --")
    assert "SFDP[0..3]: 0xff 0xff 0xff 0xff" in before and "Detected flash size: Unknown" in before
    assert "SFDP[0..3]: 0x53 0x46 0x44 0x50" in after and "Detected flash size: 4MB" in after


@pytest.mark.esptool
def test_a_running_stub_answers_a_new_sync():
    """esptool --after no-reset-stub leaves the stub running; the next esptool
    syncs with it (eight replies, value 0) instead of the ROM."""
    with VirtualBoard(micropython=False, line_rate="unlimited", en_delay=0.02, flash_timing="fast") as board:
        first = run_esptool(board.url, "--after", esptool_reset("no-reset-stub"), "flash-id", fast_client=True)
        again = run_esptool(board.url, "--before", esptool_reset("no-reset"), "flash-id", fast_client=True)
    assert first.returncode == 0, first.stdout + first.stderr
    assert again.returncode == 0, again.stdout + again.stderr
    # esptool 5: "Stub flasher is already running", esptool 4: "Stub is already running"
    assert re.search(r"Stub (flasher )?is already running", again.stdout), again.stdout
