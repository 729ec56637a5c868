"""Installing at the adapter's speed (issue 22 item 1): esptool starts at the fastest rate
the adapter carries (the fast link's table), falls back rate by rate when data is garbled,
and a write that failed part-way continues where it stopped, then the whole image is
verified. Real esptool against the virtual board."""
from __future__ import annotations

import random
import sys

import pytest

from tests.test_flash import _image, fast_client  # noqa: F401 (fixture)
from tests.virtualboard import VirtualBoard
from thonnycontrib.esp32cam.core import esptool_cmd as ec
from thonnycontrib.esp32cam.core import fastlink
from thonnycontrib.esp32cam.core.flasher import FlashOptions, Flasher

pytestmark = pytest.mark.esptool


def test_flash_rates_follow_the_adapter_table():
    assert fastlink.flash_rates("rfc2217://localhost:1") == (
        "network port", [921600, 460800, 230400, 115200, 38400])
    assert fastlink.adapter_cap("/dev/ttyUSB0", 0x1A86, 0x7523)[1] == 2000000  # CH340: the same table


def test_a_rate_the_adapter_cannot_carry_falls_back_and_says_why(tmp_path, fast_client):  # noqa: F811
    lines = []
    with VirtualBoard(flash_timing="fast", max_baud=460800) as board:
        result = Flasher(ec.find_esptool(sys.executable), on_line=lines.append).flash(
            str(_image(tmp_path, "kaki5")), FlashOptions(port=board.url))
    log = "\n".join(lines)
    assert result.ok and result.baud == 460800, log
    assert "Trying 921600 baud first: the fastest rate the network port carries." in log
    assert "Retrying at 460800 baud: data was garbled at 921600 baud" in log
    assert "verified at 460800 baud. (921600 baud garbled data with this adapter and cable.)" in result.message


def test_a_write_that_fails_part_way_continues_where_it_stopped(tmp_path, fast_client):  # noqa: F811
    """A link that holds at 921600 for 300 KB and then fails: the write gets part of the
    way; at 460800 only the rest is written, then the board hashes the whole image and
    esptool compares it."""
    image = _image(tmp_path, "lemariva", noise=600 * 1024)
    lines = []
    with VirtualBoard(flash_timing="fast", max_baud=460800, fail_after=300 * 1024, erase_flash=True) as board:
        result = Flasher(ec.find_esptool(sys.executable), on_line=lines.append).flash(
            str(image), FlashOptions(port=board.url, erase=False))
        writes = [e.data for e in board.events.all("flash_write")]
        on_flash = board.flash.read(0x1000, image.stat().st_size)
    log = "\n".join(lines)
    assert result.ok and result.baud == 460800, log
    assert "continuing from 0x" in log and "The write continued from 0x" in result.message, log
    assert on_flash == image.read_bytes()  # the part written fast and the rest: all of it
    resumed = int(result.message.split("continued from ")[1].split()[0], 16)
    assert 0x1000 < resumed < 0x1000 + image.stat().st_size
    assert any("Verifying the whole image" in line for line in lines)
    assert not list(tmp_path.glob(".*.part"))  # the rest's file is gone
    assert writes, "the board saw no flash writes"


def test_the_resume_point_is_the_block_before_the_failed_one_on_its_sector():
    from thonnycontrib.esp32cam.core.flasher import _resume_point

    assert _resume_point([0x1000, 0x145AD, 0x2059C, 0x30588], None, 0x1000) == 0x20000
    assert _resume_point([0x1000], None, 0x1000) is None  # no block got through: from the start
    assert _resume_point([0x20000, 0x24000], 0x20000, 0x1000) == 0x20000  # no further than before
