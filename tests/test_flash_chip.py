"""Which chip a local image is written for: the image's header names it, only the board
says what the board is, and a refused or failed install leaves the board running its
firmware (esptool leaves it in the ROM bootloader when it fails).

Real esptool against the ESP32 and ESP32-S3 twins, real published images."""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.real_images import real_firmware_dir, real_image_path
from tests.virtualboard import VirtualBoard, synthetic_firmware
from tests.virtualboard.testing import FASTCLIENT_DIR
from thonnycontrib.esp32cam.core import esptool_cmd as ec
from thonnycontrib.esp32cam.core.catalog import load_bundled
from thonnycontrib.esp32cam.core.flasher import WRONG_CHIP, FlashOptions, Flasher
from thonnycontrib.esp32cam.core.image import ImageError
from thonnycontrib.esp32cam.core.prepare import prepare_file

REPO = Path(__file__).resolve().parent.parent
S3_BUILD = "kaki5-20230717-esp32-s3-xiao-sense-ov2640-wifi"
ESP32_BUILD = "lemariva-v1.21.0"


def _image(build_id: str) -> Path:
    return real_image_path(load_bundled().get(build_id).sha256)


def _cli(args, tmp_path, timeout=240):
    env = dict(os.environ, THONNY_USER_DIR=str(tmp_path / "user"),
               ESP32CAM_FIRMWARE_MIRROR=str(real_firmware_dir()),
               PYTHONPATH=os.pathsep.join([str(FASTCLIENT_DIR), str(REPO)]))
    return subprocess.run([sys.executable, "-m", "thonnycontrib.esp32cam", *args], env=env,
                          cwd=str(REPO), capture_output=True, text=True, timeout=timeout,
                          stdin=subprocess.DEVNULL)


def test_a_local_image_is_for_the_chip_its_header_names():
    assert prepare_file(str(_image(S3_BUILD))).chip == "esp32s3"
    assert prepare_file(str(_image(ESP32_BUILD))).chip == "esp32"
    with pytest.raises(ImageError, match=r"This image is for ESP32-S3, not for ESP32 as chosen\."):
        prepare_file(str(_image(S3_BUILD)), "esp32")


def test_wrong_chip_is_read_from_both_esptool_generations():
    # esptool 4.8.1 loader.py / esptool 5.x loader.py
    v4 = "A fatal error occurred: This chip is ESP32-S3 not ESP32. Wrong --chip argument?"
    v5 = "A fatal error occurred: This chip is ESP32-S3, not ESP32. Wrong chip argument?"
    for text in (v4, v5):
        assert ec.wrong_chip(text) == ("ESP32-S3", "ESP32")
        assert ec.classify("Connecting....\n" + text, 2, False) == ec.WRONG_CHIP


@pytest.mark.esptool
def test_s3_image_on_an_s3_board_without_chip_is_written(tmp_path):
    with VirtualBoard(chip="esp32s3", line_rate="unlimited", en_delay=0.02, flash_timing="fast",
                      erase_flash=True, micropython=False) as board:
        proc = _cli(["flash", "--port", board.url, "--file", str(_image(S3_BUILD)), "--yes",
                     "--no-erase", "--baud", "921600"], tmp_path)
        out = proc.stdout + proc.stderr
        assert proc.returncode == 0, out
        assert "but the board is ESP32" not in out
        assert "Board: ESP32-S3" in out  # said after asking the board (esptool flash-id)
        assert "write-flash 0x0 " in out or "write_flash 0x0 " in out
        assert board.flash.read(0, 4096) == _image(S3_BUILD).read_bytes()[:4096]


@pytest.mark.esptool
def test_s3_image_on_an_esp32_board_is_refused_after_asking_the_board(tmp_path):
    with VirtualBoard(wiring="classic", line_rate="unlimited", en_delay=0.02, flash_timing="fast",
                      micropython=False) as board:
        proc = _cli(["flash", "--port", board.url, "--file", str(_image(S3_BUILD)), "--yes"], tmp_path)
        assert board.events.all("flash_write") == [] and board.events.all("flash_erase") == []
    assert proc.returncode == 4, proc.stdout + proc.stderr
    assert "The board is an ESP32-D0WD" in proc.stderr and "this firmware is for an ESP32-S3" in proc.stderr
    assert "Nothing was written." in proc.stderr


@pytest.mark.esptool
@pytest.mark.parametrize("chip_args", [[], ["--chip", "esp32"]])
def test_esp32_image_on_an_s3_board_is_refused_and_the_board_restarted(tmp_path, chip_args):
    with VirtualBoard(chip="esp32s3", line_rate="unlimited", en_delay=0.02, flash_timing="fast",
                      firmware=synthetic_firmware("kaki5", chip="esp32s3")) as board:
        board.events.wait_for("firmware_started", timeout=20)
        proc = _cli(["flash", "--port", board.url, "--file", str(_image(ESP32_BUILD)), "--yes",
                     *chip_args], tmp_path)
        err = proc.stderr
        assert board.events.all("flash_write") == [] and board.events.all("flash_erase") == []
        assert proc.returncode == 4, proc.stdout + err
        assert "The board is an ESP32-S3, but this firmware is for an ESP32." in err
        assert "Wrong chip argument?" not in err.splitlines()[-1]
        assert "Nothing was written. It was reset and runs its firmware again." in err
        assert board.state == "running", board.state


@pytest.mark.esptool
def test_a_failed_write_resets_the_board_out_of_download_mode(tmp_path):
    """The link breaks at the pinned baud after esptool reached the ROM: the board would stay
    in download mode; it is reset, and the message says what it does now."""
    lines = []
    flasher = Flasher(ec.find_esptool(sys.executable), on_line=lines.append)
    with VirtualBoard(wiring="classic", max_baud=115200, flash_timing="fast",
                      firmware=synthetic_firmware("lemariva")) as board:
        board.events.wait_for("firmware_started", timeout=20)
        result = flasher.flash(str(_image(ESP32_BUILD)), FlashOptions(port=board.url, baud=460800, erase=False))
        assert not result.ok and result.outcome == ec.LINK_FAILURE, "\n".join(lines)
        assert "Resetting the board out of download mode..." in lines
        assert board.state != "download"
    assert "It was reset" in result.message
