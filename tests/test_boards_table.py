"""The supported-boards table (docs/boards.md) against the catalog, the real images and
the virtual board set up like each row."""
from __future__ import annotations

import re

import pytest

from tests.real_images import real_image
from tests.thonny_harness import REPO_ROOT
from tests.virtualboard import VirtualBoard
from tests.virtualboard.testing import open_client, read_until
from thonnycontrib.esp32cam.core.catalog import load_bundled
from thonnycontrib.esp32cam.core.image import inspect_image

TABLE = REPO_ROOT / "docs" / "boards.md"
# a capture with each family's API, printed as "CAPTURED <bytes>"
CAPTURE = {
    "kaki5": b"import camera; camera.conf(17, 5); camera.conf(18, 10); camera.init(); "
             b"print('CAPTURED', len(camera.capture()))\r\n",
    "lemariva": b"import camera; camera.init(0, format=camera.JPEG, fb_location=camera.PSRAM); "
                b"print('CAPTURED', len(camera.capture()))\r\n",
    "cnadler86": b"from camera import Camera; c = Camera(); print('CAPTURED', len(c.capture()))\r\n",
}


def _rows():
    rows = []
    for line in TABLE.read_text().splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) == 7 and cells[0] not in ("Board",) and not cells[0].startswith("---"):
            rows.append(dict(zip(("board", "chip", "flash", "connection", "psram", "sensors", "build"), cells)))
    return rows


ROWS = _rows()


def test_table_lists_the_six_boards():
    assert [r["board"] for r in ROWS] == [
        "AI-Thinker ESP32-CAM", "Freenove ESP32-WROVER CAM", "Seeed XIAO ESP32S3 Sense",
        "Freenove ESP32-S3 WROOM CAM", "ESP32-S3-EYE", "LILYGO T-Camera S3"]


@pytest.mark.parametrize("row", ROWS, ids=lambda r: r["board"])
def test_each_board_boots_its_recommended_build_on_a_twin_like_it(row):
    catalog = load_bundled()
    build = catalog.get(row["build"].strip("`"))
    chip = "esp32s3" if row["chip"].startswith("ESP32-S3") else "esp32"
    assert build.chip == chip
    first_sensor, *others = re.findall(r"OV\d{4}", row["sensors"])
    assert first_sensor in build.sensors  # the recommended build drives the board's sensor
    for sensor in others:  # and for the other sensors it ships with, the catalog has a build
        assert any(sensor in b.sensors and b.chip == chip for b in catalog.builds), sensor
    flash_mb = int(re.match(r"(\d+) MB", row["flash"]).group(1))
    octal = "octal" in row["psram"]
    image = real_image(build.sha256)
    info = inspect_image(image, chip, flash_size=flash_mb << 20)
    if chip == "esp32s3":
        assert octal and "psram_octal" in build.requires and info.psram_mode == "octal"
    usb = row["connection"].startswith("USB-Serial/JTAG")
    assert not usb or chip == "esp32s3"
    psram = ("octal" if octal else "quad") if chip == "esp32s3" else True
    with VirtualBoard(chip=chip, psram=psram, usb=usb, flash_size=flash_mb << 20, firmware=image,
                      line_rate="unlimited") as board:
        board.events.wait_for("firmware_started", timeout=20)
        port = open_client(board.url)
        try:
            port.write(b"\x03\r\n" + CAPTURE[build.family])
            out = read_until(port, b"CAPTURED ", timeout=15)
            while not re.search(rb"CAPTURED \d+\r\n", out):
                out += read_until(port, b"\n", timeout=5)
        finally:
            port.close()
        assert board.info.banner == build.banner
        assert board.events.all("psram_error") == []
    assert int(re.search(rb"CAPTURED (\d+)\r\n", out).group(1)) > 1000
