"""Synthetic firmware images and flash inspection of the virtual board."""
from __future__ import annotations

import hashlib

import pytest

from tests.virtualboard import inspect_flash, synthetic_firmware
from tests.virtualboard.esp_image import parse_partition_table
from tests.virtualboard.flash import Flash
from tests.virtualboard.images import default_banner


@pytest.fixture
def flash(tmp_path):
    with Flash(str(tmp_path / "flash.bin")) as f:
        yield f


@pytest.mark.parametrize("family", ["lemariva", "kaki5", "cnadler86", None])
def test_each_family_is_recognised_with_its_banner(flash, family):
    image = synthetic_firmware(family)
    assert 0xF000 < len(image) < 100 * 1024
    flash.write(0x1000, image)
    info = inspect_flash(flash)
    assert info.valid and info.problem == ""
    assert info.banner == default_banner(family)
    assert info.camera_family == family
    assert info.psram_build


def test_banner_and_psram_options(flash):
    flash.write(0x1000, synthetic_firmware(None, banner="MicroPython v1.23.0 on 2024-06-02; Generic ESP32 module with ESP32", psram=False))
    info = inspect_flash(flash)
    assert info.banner == "MicroPython v1.23.0 on 2024-06-02; Generic ESP32 module with ESP32"
    assert not info.psram_build and info.camera_family is None


def test_a_build_name_alone_makes_no_camera_module(flash):
    """On the chip, `import camera` works when the module was compiled in, whatever the
    build is called: a banner that names a camera without the module's names is REPL only."""
    flash.write(0x1000, synthetic_firmware(None, banner="MicroPython v1.14-122-g9fef1c0bd-dirty on 2021-03-30; Camera Module (i2s) with ESP32"))
    info = inspect_flash(flash)
    assert info.valid and info.camera_family is None
    assert info.banner.endswith("; Camera Module (i2s) with ESP32")


def test_header_layout_matches_real_combined_images():
    esp32 = synthetic_firmware("kaki5")
    s3 = synthetic_firmware("kaki5", chip="esp32s3")
    assert esp32[0] == 0xE9 and esp32[3] >> 4 == 2 and esp32[2] == 2  # 4MB, DIO
    assert esp32[12:14] == b"\x00\x00" and s3[12:14] == b"\x09\x00"
    assert esp32[0xF000] == 0xE9 and s3[0x10000] == 0xE9
    table = esp32[0x7000:0x7C00]
    entries = parse_partition_table(table)
    assert [p.label for p in entries] == ["nvs", "phy_init", "factory", "vfs"]
    md5_row = table[32 * len(entries):32 * len(entries) + 32]
    assert md5_row[:2] == b"\xeb\xeb" and md5_row[16:] == hashlib.md5(table[:32 * len(entries)]).digest()


def test_esptool_parses_the_images(tmp_path):
    bin_image = pytest.importorskip("esptool.bin_image")
    image = synthetic_firmware("cnadler86")
    for name, data in [("bootloader.bin", image[:0x7000]), ("app.bin", image[0xF000:])]:
        path = tmp_path / name
        path.write_bytes(data.rstrip(b"\xff") if name == "bootloader.bin" else data)
        parsed = bin_image.LoadFirmwareImage("esp32", str(path))
        assert parsed.checksum == parsed.calculate_checksum()
        assert parsed.stored_digest == parsed.calc_digest


@pytest.mark.parametrize("problem_setup, problem", [
    (lambda f: None, "no ESP32 bootloader at 0x1000"),
    (lambda f: f.write(0x1000, synthetic_firmware("lemariva", chip="esp32s3")), "no ESP32 bootloader at 0x1000"),
    (lambda f: f.write(0x0, synthetic_firmware("lemariva")), "no ESP32 bootloader at 0x1000"),
    (lambda f: (f.write(0x1000, synthetic_firmware("lemariva")), f.erase(0x10000, 0x1000)), "no app image at 0x10000"),
])
def test_unbootable_flash_is_explained(flash, problem_setup, problem):
    problem_setup(flash)
    info = inspect_flash(flash)
    assert not info.valid and info.problem == problem


def test_stale_bytes_after_the_image_do_not_count(flash):
    """A smaller image flashed over a camera build: leftovers past its end are ignored."""
    flash.write(0x1000, synthetic_firmware("kaki5"))
    flash.write(0x20000, b"KAKI5 speffect spiram")  # stale data of an old, larger firmware
    official = synthetic_firmware(None, psram=False)
    flash.write(0x1000, official)
    info = inspect_flash(flash)
    assert info.camera_family is None and not info.psram_build
