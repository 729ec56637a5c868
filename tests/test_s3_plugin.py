"""The plug-in on ESP32-S3 camera boards (the S3 twin): chip and PSRAM read through
esptool before flashing, `flash --build` of real S3 images through the firmware mirror,
post-flash check, `snapshot`, the octal/quad PSRAM warning and its boot-log diagnosis."""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from PIL import Image

from tests.real_images import pinned_builds, real_firmware_dir, real_image
from tests.virtualboard import VirtualBoard, synthetic_firmware
from tests.virtualboard.testing import FASTCLIENT_DIR
from thonnycontrib.esp32cam.core import bootlog as bl
from thonnycontrib.esp32cam.core import chipinfo
from thonnycontrib.esp32cam.core import diagnosis as dg
from thonnycontrib.esp32cam.core import doctor
from thonnycontrib.esp32cam.core import esptool_cmd as ec
from thonnycontrib.esp32cam.core.catalog import load_bundled
from thonnycontrib.esp32cam.core.image import inspect_image

REPO = Path(__file__).resolve().parent.parent
XIAO_BUILD = "kaki5-20230717-esp32-s3-xiao-sense-ov2640-wifi"


def _cli(args, env, timeout=240):
    return subprocess.run([sys.executable, "-m", "thonnycontrib.esp32cam", *args], env=env,
                          cwd=str(REPO), capture_output=True, text=True, timeout=timeout)


def _env(tmp_path):
    return dict(os.environ, THONNY_USER_DIR=str(tmp_path / "user"),
                ESP32CAM_FIRMWARE_MIRROR=str(real_firmware_dir()),
                PYTHONPATH=os.pathsep.join([str(FASTCLIENT_DIR), str(REPO)]))


def test_real_s3_images_are_octal_psram_builds_and_the_catalog_says_so():
    s3 = [b for b in load_bundled().builds if b.chip == "esp32s3"]
    assert len(s3) == 14
    for build in s3:
        assert "psram_octal" in build.requires, build.id
    for build in (b for b in pinned_builds() if b.chip == "esp32s3"):
        info = inspect_image(real_image(build.sha256), "esp32s3", flash_size=16 * 1024 * 1024)
        assert info.psram_mode == "octal" and info.offset == 0x0, build.id
        assert "octal PSRAM" in info.describe()
    esp32 = next(b for b in pinned_builds() if b.chip == "esp32")
    assert inspect_image(real_image(esp32.sha256), "esp32").psram_mode is None


@pytest.mark.esptool
def test_chip_psram_and_flash_read_from_the_rom_of_n8r8_n16r2_and_an_esp32():
    tool = ec.find_esptool(sys.executable, [str(FASTCLIENT_DIR)])
    with VirtualBoard(chip="esp32s3", micropython=False) as board:
        octal = chipinfo.identify(tool, board.url)
    with VirtualBoard(chip="esp32s3", psram="quad", flash_size=16 * 1024 * 1024, micropython=False) as board:
        quad = chipinfo.identify(tool, board.url)
    with VirtualBoard(micropython=False) as board:
        esp32 = chipinfo.identify(tool, board.url)
    assert (octal.chip, octal.revision, octal.flash_mb, octal.psram_mb, octal.psram_mode) == (
        "esp32s3", "0.2", 8, 8, "octal")
    assert octal.psram_vendor == "AP_3v3"
    assert (quad.flash_mb, quad.psram_mb, quad.psram_mode) == (16, 2, "quad")
    assert (esp32.chip, esp32.flash_mb, esp32.psram_mb) == ("esp32", 4, None)
    assert "not visible" in esp32.describe()
    assert chipinfo.psram_mismatch(octal, "octal") is None
    assert "2 MB quad" in chipinfo.psram_mismatch(quad, "octal")
    assert "8 MB octal" in chipinfo.psram_mismatch(octal, "quad")
    assert chipinfo.psram_mismatch(esp32, "octal") is None


@pytest.mark.esptool
@pytest.mark.slow
def test_flash_build_boot_check_and_snapshot_on_an_s3(tmp_path):
    build = load_bundled().get(XIAO_BUILD)
    env = _env(tmp_path)
    with VirtualBoard(chip="esp32s3", line_rate="unlimited", en_delay=0.02, flash_timing="fast") as board:
        proc = _cli(["flash", "--port", board.url, "--build", XIAO_BUILD, "--yes", "--baud", "921600"], env)
        out = proc.stdout + proc.stderr
        assert proc.returncode == 0, out
        assert "Board: ESP32-S3 (QFN56) (revision v0.2), 8 MB flash, 8 MB octal" in out
        assert "write-flash --erase-all 0x0 " in out or "write_flash --erase-all 0x0 " in out
        assert f"Board started: {build.banner} (the camera module imports)" in out
        assert board.flash.read(0x0, build.size) == real_image(build.sha256)
        photo = tmp_path / "photo.jpg"
        snap = _cli(["snapshot", "--port", board.url, "-o", str(photo), "--size", "QVGA"], env)
    assert snap.returncode == 0, snap.stdout + snap.stderr
    with Image.open(photo) as image:
        assert image.format == "JPEG" and image.size == (320, 240)


@pytest.mark.esptool
def test_octal_build_on_a_quad_psram_s3_is_refused_before_writing(tmp_path):
    env = _env(tmp_path)
    with VirtualBoard(chip="esp32s3", psram="quad", line_rate="unlimited", en_delay=0.02,
                      flash_timing="fast", erase_flash=True, micropython=False) as board:
        proc = _cli(["flash", "--port", board.url, "--build", XIAO_BUILD, "--yes", "--baud", "921600"], env)
        assert board.events.all("flash_write") == [] and board.events.all("flash_erase") == []
    err = proc.stderr
    assert proc.returncode == 4, proc.stdout + err
    assert "This build is for octal (OPI, SPIRAM_OCT) PSRAM, but the board's ESP32-S3 has 2 MB quad" in err
    assert "Nothing was written." in err and "--ignore-psram" in err


def test_esp32_build_on_an_s3_is_still_refused_by_the_image_check(tmp_path):
    env = _env(tmp_path)
    proc = _cli(["flash", "--port", "rfc2217://127.0.0.1:9", "--build", "lemariva-v1.21.0", "--chip", "esp32s3",
                 "--yes"], env)
    assert proc.returncode == 4 and "is for esp32, not esp32s3" in proc.stderr


def test_boot_log_of_an_octal_build_on_a_quad_s3_is_diagnosed():
    """The doctor on the twin running the real octal image on an N8R2: MicroPython runs (the
    build ignores missing PSRAM), the camera has no memory for frames, so the doctor resets
    once and reads the boot log: the IDF lines are evidence, the fix is the installer."""
    with VirtualBoard(chip="esp32s3", psram="quad", firmware=real_image(
            load_bundled().get(XIAO_BUILD).sha256), line_rate="unlimited") as board:
        board.events.wait_for("firmware_started", timeout=20)
        result = doctor.diagnose(board.url, check_speed=False)
    assert result.code == dg.PSRAM_WRONG_MODE, result.to_text()
    assert "built for octal PSRAM" in result.meaning
    assert dg.FIX_OPEN_INSTALLER in result.fixes
    assert any("opi psram: PSRAM ID read error" in line for line in result.evidence)
    assert any("SPI RAM enabled but initialization failed" in line for line in result.evidence)


def test_quad_driver_lines_mean_a_mode_mismatch_only_on_an_s3():
    s3_log = ("ESP-ROM:esp32s3-20210327\r\nE (318) quad_psram: PSRAM chip is not connected, or wrong PSRAM "
              "line mode\r\nE (318) esp_psram: PSRAM enabled but initialization failed. Bailing out.\r\n")
    log = bl.BootLog()
    log.feed(s3_log.encode())
    assert log.problems() == [bl.PSRAM_WRONG_MODE, bl.PSRAM_FAILURE]
    wrong = log.first(bl.PSRAM_WRONG_MODE)
    assert bl.psram_build_mode(wrong.line) == "quad"
    assert dg.psram_mode_diagnosis([wrong.line], "quad", s3=True).code == dg.PSRAM_WRONG_MODE
    assert dg.psram_mode_diagnosis([wrong.line], "quad", s3=False).code == dg.PSRAM_FAILURE
    tracker = bl.EpisodeTracker()
    hints = [f.code for f in tracker.feed_text(s3_log)]
    assert hints[0] == bl.PSRAM_WRONG_MODE and dg.SHELL_HINTS[hints[0]].startswith("The firmware is built")


def test_synthetic_quad_build_is_read_as_quad_by_the_plugin():
    image = synthetic_firmware("cnadler86", chip="esp32s3", psram_mode="quad")
    assert inspect_image(image, "esp32s3").psram_mode == "quad"


# --- the chip's own USB-Serial/JTAG ------------------------------------------------------

@pytest.mark.esptool
@pytest.mark.slow
def test_flash_over_usb_serial_jtag_uses_the_usb_reset_and_waits_for_the_port(tmp_path):
    build = load_bundled().get(XIAO_BUILD)
    env = _env(tmp_path)
    with VirtualBoard(chip="esp32s3", usb=True, en_delay=0.02, flash_timing="fast") as board:
        proc = _cli(["flash", "--port", board.url, "--build", XIAO_BUILD, "--yes", "--usb-jtag"], env)
        out = proc.stdout + proc.stderr
        assert proc.returncode == 0, out
        assert board.flash.read(0x0, build.size) == real_image(build.sha256)
        assert len(board.events.all("usb_gone")) == 2  # after the chip probe and after the write
        photo = tmp_path / "photo.jpg"
        snap = _cli(["snapshot", "--port", board.url, "-o", str(photo), "--size", "QVGA"], env)
    assert snap.returncode == 0, snap.stdout + snap.stderr
    with Image.open(photo) as image:
        assert image.format == "JPEG" and image.size == (320, 240)
    assert "--before usb-reset" in out or "--before usb_reset" in out
    assert "Waiting for the board's USB port to come back" in out
    assert f"Board started: {build.banner} (the camera module imports)" in out
    assert "MicroPython reports: 8 MB flash, 8 MB PSRAM" in out


class _Port:  # what pyserial's comports() lists, for the USB bus as the OS sees it
    def __init__(self, device, vid=None, pid=None, serial_number=None):
        self.device, self.vid, self.pid, self.serial_number = device, vid, pid, serial_number


def test_usb_serial_jtag_port_is_recognised_and_found_again_under_its_new_name():
    from thonnycontrib.esp32cam.core import usbjtag

    bridge = _Port("/dev/ttyACM0", 0x303A, 0x1001, "34:85:18:6A:2B:10")
    assert usbjtag.is_usb_serial_jtag("/dev/ttyACM0", [bridge, _Port("/dev/ttyUSB0", 0x1A86, 0x55D3)])
    assert not usbjtag.is_usb_serial_jtag("/dev/ttyUSB0", [_Port("/dev/ttyUSB0", 0x1A86, 0x55D3)])
    assert not usbjtag.is_usb_serial_jtag("rfc2217://127.0.0.1:1", [bridge])
    listings = iter([[], [], [_Port("/dev/ttyACM1", 0x303A, 0x1001, "34:85:18:6A:2B:10")]])
    found = usbjtag.wait_for_port("/dev/ttyACM0", timeout=5, serial_number="34:85:18:6A:2B:10",
                                  list_ports=lambda: next(listings, []), settle=0)
    assert found == "/dev/ttyACM1"
    assert usbjtag.wait_for_port("/dev/ttyACM0", timeout=0.3, serial_number="x", list_ports=lambda: [],
                                 settle=0) is None


def test_doctor_on_usb_serial_jtag_explains_the_force_download_flag_and_rts_reset():
    from thonnycontrib.esp32cam.core.serialprobe import Lines
    from tests.virtualboard.testing import open_client

    with VirtualBoard(chip="esp32s3", usb=True, firmware=synthetic_firmware("kaki5", chip="esp32s3")) as board:
        board.events.wait_for("firmware_started", timeout=20)
        held = doctor.diagnose(board.url, Lines(False, True), usb_jtag=True, check_camera=False,
                               check_speed=False)
        # a tool left the flag set (DTR on, RTS off), then reset the chip through USB
        port = open_client(board.url, dtr=True, rts=False)
        port.dtr, port.rts = False, True
        port.rts = False
        port.close()
        board.events.wait_for("boot", mode="download", timeout=5)
        stuck = doctor.diagnose(board.url, usb_jtag=True, check_camera=False, check_speed=False)
    assert held.code == dg.HELD_IN_RESET and "USB-Serial/JTAG" in held.meaning
    assert stuck.code == dg.DOWNLOAD_MODE, stuck.to_text()
    assert "force-download flag" in stuck.meaning and "Press RST" in stuck.fix
    assert any("rst:0x15 (USB_UART_CHIP_RESET)" in line for line in stuck.evidence)


@pytest.mark.esptool
def test_flashed_anyway_the_post_flash_check_sees_no_psram_and_says_why(tmp_path):
    env = _env(tmp_path)
    with VirtualBoard(chip="esp32s3", psram="quad", line_rate="unlimited", en_delay=0.02,
                      flash_timing="fast") as board:
        proc = _cli(["flash", "--port", board.url, "--build", XIAO_BUILD, "--yes", "--baud", "921600",
                     "--ignore-psram"], env)
    out = proc.stdout + proc.stderr
    assert proc.returncode == 0, out
    assert "Reading the chip before writing" not in out  # --ignore-psram: no probe
    assert "MicroPython reports: 8 MB flash, no PSRAM in use" in out
    assert "Warning: this octal-PSRAM build started without PSRAM" in out


@pytest.mark.esptool
def test_a_16mb_build_on_an_8mb_s3_is_refused_before_writing(tmp_path):
    with VirtualBoard(chip="esp32s3", line_rate="unlimited", en_delay=0.02, flash_timing="fast",
                      micropython=False) as board:
        proc = _cli(["flash", "--port", board.url, "--build", "kaki5-x23-esp32s3-lilygo-wifi-ssl", "--yes"],
                    _env(tmp_path))
        assert board.events.all("flash_write") == []
    assert proc.returncode == 4, proc.stdout + proc.stderr
    assert "built for 16 MB of flash, but the board has 8 MB" in proc.stderr


def test_a_multi_board_install_refuses_the_psram_mismatch_and_warns_like_a_single_one(tmp_path):
    """One install sequence (issue 22 item 0): the classroom path gets the image's PSRAM
    mode too, so an octal build is refused on a quad-PSRAM S3 before anything is written,
    and written with --ignore-psram it gets the "started without PSRAM" warning."""
    import json

    env = _env(tmp_path)
    with VirtualBoard(chip="esp32s3", psram="quad", line_rate="unlimited", en_delay=0.02,
                      flash_timing="fast", erase_flash=True, micropython=False) as quad, \
            VirtualBoard(chip="esp32s3", psram="octal", line_rate="unlimited", en_delay=0.02,
                         flash_timing="fast", erase_flash=True) as octal:
        proc = _cli(["flash", "--port", quad.url, "--port", octal.url, "--build", XIAO_BUILD, "--yes",
                     "--baud", "921600", "--json"], env)
        assert quad.events.all("flash_write") == [] and quad.events.all("flash_erase") == []
        assert octal.events.all("flash_write")
    rows = {row["port"]: row for row in json.loads(proc.stdout)}
    assert proc.returncode == 1, proc.stdout + proc.stderr
    assert rows[quad.url]["result"] == "psram-mismatch" and not rows[quad.url]["ok"]
    assert "but the board's ESP32-S3 has 2 MB quad" in rows[quad.url]["message"]
    assert rows[octal.url]["ok"] and rows[octal.url]["result"] == "ok", rows[octal.url]

    boards = [VirtualBoard(chip="esp32s3", psram="quad", line_rate="unlimited", en_delay=0.02,
                           flash_timing="fast") for _ in range(2)]
    try:
        proc = _cli(["flash", "--port", boards[0].url, "--port", boards[1].url, "--build", XIAO_BUILD,
                     "--yes", "--baud", "921600", "--json", "--ignore-psram"], env)
    finally:
        for board in boards:
            board.close()
    rows = json.loads(proc.stdout)
    assert proc.returncode == 0 and [row["ok"] for row in rows] == [True, True], proc.stdout + proc.stderr
    for row in rows:
        assert "Warning: this octal-PSRAM build started without PSRAM" in row["message"], row
