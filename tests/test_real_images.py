"""The plug-in and the virtual board against the 33 real published images the
catalog pins (ground truth: the bytes users download)."""
from __future__ import annotations

import json

import pytest

from tests.real_images import pinned_builds, real_firmware_dir, real_image, real_image_path
from tests.virtualboard import inspect_flash
from tests.virtualboard.flash import Flash
from thonnycontrib.esp32cam import cli
from thonnycontrib.esp32cam.core.catalog import CHIP_OFFSETS, load_bundled
from thonnycontrib.esp32cam.core.image import CorruptImageError, inspect_image

BUILDS = pinned_builds()
ESP32_BUILDS = [b for b in BUILDS if b.chip == "esp32"]


def test_every_pinned_build_has_its_real_image():
    assert len(BUILDS) == 33
    assert len(list(real_firmware_dir().glob("*.bin"))) >= 33
    for build in BUILDS:
        assert real_image_path(build.sha256).stat().st_size == build.size, build.id


@pytest.mark.parametrize("build", BUILDS, ids=lambda b: b.id)
def test_catalog_agrees_with_the_real_image(build):
    info = inspect_image(real_image(build.sha256), build.chip)
    assert info.integrity == "ok" and info.kind == "combined"
    assert (info.chip, info.offset, info.family) == (build.chip, build.offset, build.family)
    assert info.banner == build.banner, "the banner as the board prints it"
    assert "; ;" not in info.banner and info.banner.count("; ") == 1
    assert info.version == build.micropython
    assert (info.flash_mode, info.flash_size) == (build.flash_mode, build.flash_size)
    assert info.offset == CHIP_OFFSETS[build.chip]


def test_kaki5_christmas_edition_is_a_kaki5_camera_build():
    build = load_bundled().get("kaki5-christmas-2023-edition-esp32")
    data = real_image(build.sha256)
    assert b"KAKI5" not in data  # the assumption real bytes disproved
    info = inspect_image(data, "esp32")
    assert info.family == "kaki5"
    assert info.banner == ("MicroPython v1.20.0-206-g33b403dfb-kaki5 on 2023-12-25; "
                           "ESP32 OV2640 X23 with ESP32")


def test_every_build_names_its_micropython_version():
    for build in load_bundled().builds:
        assert build.micropython and build.micropython[0].isdigit(), build.id


@pytest.mark.parametrize("build", ESP32_BUILDS, ids=lambda b: b.id)
def test_virtual_board_reads_the_real_image_on_its_own(tmp_path, build):
    """The twin's own reading of its flash (tests/virtualboard/firmware_info.py,
    which imports nothing of the plug-in) agrees with the real image."""
    with Flash(str(tmp_path / "flash.bin")) as flash:
        flash.write(0x1000, real_image(build.sha256))
        info = inspect_flash(flash)
    assert info.valid, info.problem
    assert info.banner == build.banner
    assert (info.camera_family or "none") == build.family
    assert info.psram_build


def _flip(data: bytes, offset: int) -> bytes:
    damaged = bytearray(data)
    damaged[offset] ^= 0x10
    return bytes(damaged)


@pytest.mark.parametrize("offset, part", [(0x30000, "application"), (0x200, "bootloader")])
def test_one_flipped_byte_is_refused(offset, part):
    build = ESP32_BUILDS[0]
    with pytest.raises(CorruptImageError, match=f"corrupt: its {part}.*checksum does not match"):
        inspect_image(_flip(real_image(build.sha256), offset), "esp32")


def test_flipped_byte_in_the_hashed_tail_is_refused_by_sha256():
    """A byte changed in the padding before the checksum leaves the checksum alone;
    the appended SHA-256 still catches it."""
    data = real_image(ESP32_BUILDS[0].sha256)
    info = inspect_image(data, "esp32")
    # the app image ends with padding, checksum byte, then 32 bytes of SHA-256
    app_start = 0x10000 - 0x1000
    from esptool.bin_image import ESP32FirmwareImage
    import io

    app = ESP32FirmwareImage(io.BytesIO(data[app_start:]))
    checksum_pos = app_start + app.data_length - 1
    damaged = bytearray(data)
    damaged[checksum_pos - 1] ^= 0x01  # a padding byte: not summed, but hashed
    assert info.integrity == "ok"
    with pytest.raises(CorruptImageError, match="SHA-256 does not match"):
        inspect_image(bytes(damaged), "esp32")


def test_inspect_cli_on_real_and_damaged_images(tmp_path, capsys):
    build = load_bundled().get("kaki5-christmas-2023-edition-esp32")
    path = real_image_path(build.sha256)
    assert cli.main(["inspect", str(path), "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["chip"] == "esp32" and out["family"] == "kaki5" and out["offset"] == "0x1000"
    assert out["banner"] == build.banner and out["version"] == "1.20.0"
    assert out["integrity"] == "ok" and out["sha256"] == build.sha256

    bad = tmp_path / "bad.bin"
    bad.write_bytes(_flip(real_image(build.sha256), 0x40000))
    assert cli.main(["inspect", str(bad), "--json"]) == 4
    out = json.loads(capsys.readouterr().out)
    assert out["integrity"] == "corrupt" and "checksum does not match" in out["reason"]
    assert out["family"] == "kaki5"  # what could be read is still reported

    assert cli.main(["inspect", str(path)]) == 0
    text = capsys.readouterr().out
    assert "Camera driver: kaki5" in text and "Integrity:     ok" in text

    html = tmp_path / "page.bin"
    html.write_text("<!DOCTYPE html><html>404</html>")
    assert cli.main(["inspect", str(html)]) == 4
    assert "HTML page" in capsys.readouterr().err


def test_virtual_board_refuses_a_damaged_app_like_the_idf_bootloader():
    """ESP-IDF v4.4's bootloader on a real image with one flipped byte: the esp_image error,
    no bootable app, bootloader_reset(), and again: a boot loop, never MicroPython."""
    from tests.virtualboard import VirtualBoard
    from tests.virtualboard.testing import open_client, read_until

    build = load_bundled().get("lemariva-v1.21.0")
    damaged = _flip(real_image(build.sha256), 0x30000)
    with VirtualBoard(wiring="classic", firmware=damaged, line_rate="unlimited") as board:
        board.events.wait_for("corrupt_app", timeout=10)
        port = open_client(board.url)
        try:
            log = read_until(port, b"rst:0x3 (SW_RESET)", timeout=5)
            log += read_until(port, b"esp_image: Checksum failed.", timeout=5)
        finally:
            port.close()
        assert board.events.all("firmware_started") == []
    text = log.decode()
    assert "E (347) boot: No bootable app partitions in the partition table" in text
    assert "boot:0x13 (SPI_FAST_FLASH_BOOT)" in text


def test_doctor_diagnoses_corrupt_firmware_with_the_reinstall_fix():
    import subprocess
    import sys

    from tests.conftest import REPO_ROOT
    from tests.virtualboard import VirtualBoard
    from thonnycontrib.esp32cam.core import diagnosis as dg
    from thonnycontrib.esp32cam.core import doctor

    build = load_bundled().get("kaki5-christmas-2023-edition-esp32")
    damaged = bytearray(real_image(build.sha256))
    app_end = 0xF000 + 0x100000  # a byte well inside MicroPython's app image
    damaged[app_end] ^= 0x80
    with VirtualBoard(wiring="classic", firmware=bytes(damaged)) as board:
        board.events.wait_for("corrupt_app", timeout=10)
        result = doctor.diagnose(board.url)
        cli_run = subprocess.run([sys.executable, "-m", "thonnycontrib.esp32cam", "doctor", "--port",
                                  board.url, "--json"], cwd=REPO_ROOT, capture_output=True, text=True,
                                 timeout=90)
    assert result.code == dg.CORRUPT_FIRMWARE
    assert dg.FIX_OPEN_INSTALLER in result.kind.fixes
    assert any("esp_image: Checksum failed" in line for line in result.evidence)
    data = json.loads(cli_run.stdout)
    assert cli_run.returncode == 1 and data["diagnosis"] == "corrupt_firmware"
    assert "Install the firmware again" in data["fix"]
