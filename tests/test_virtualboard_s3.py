"""The ESP32-S3 twin (`VirtualBoard(chip="esp32s3")`) against stock esptool and the 12
real published S3 images: chip detection, eFuse PSRAM, write + verify at 0x0, boot."""
from __future__ import annotations

import time

import pytest

from tests.real_images import pinned_builds, real_image, real_image_path
from tests.virtualboard import VirtualBoard, inspect_flash, synthetic_firmware
from tests.virtualboard.flash import Flash
from tests.virtualboard.testing import esptool_command, open_client, read_until, run_esptool

S3_BUILDS = [b for b in pinned_builds() if b.chip == "esp32s3"]
# KAKI5's camera: pixel format (key 17) JPEG (5) and frame size (key 18) VGA (10) before init()
KAKI5_INIT = b"import camera, sys; camera.conf(17, 5); camera.conf(18, 10); "
XIAO = "e89986372c8e0edaed8844a202f578725e2f779f9b5ba50a41fb31f0fd579590"  # KAKI5 20230717 XIAO Sense


def test_all_twelve_real_s3_images_are_pinned():
    assert len(S3_BUILDS) == 12


def _boot_log(board, until: bytes, code: bytes = b"", answer: bytes = b"", timeout: float = 5.0,
              settle: bool = False) -> bytes:
    """Press RST and read the board's log up to ``until``; then type ``code`` (if any) and
    read on up to ``answer``. ``settle``: first let the power-on boot reach its prompt (its
    ``>>> `` must not pass for the reset's, nor the reset cut its filesystem set-up short)."""
    port = open_client(board.url)
    try:
        if settle:
            port.write(b"\r\n")
            read_until(port, b">>> ", timeout=30)
            time.sleep(0.3)  # the prompt's answer to the Enter, if the boot's came first
            port.reset_input_buffer()
        board.press_reset()
        log = read_until(port, until, timeout=timeout)
        if code:
            port.write(code)
            log += read_until(port, answer, timeout=10)
        return log
    finally:
        port.close()


@pytest.mark.parametrize("build", S3_BUILDS, ids=lambda b: b.id)
def test_s3_twin_reads_each_real_s3_image_on_its_own(tmp_path, build):
    with Flash(str(tmp_path / "flash.bin"), 8 * 1024 * 1024) as flash:
        flash.write(0x0, real_image(build.sha256))
        info = inspect_flash(flash, "esp32s3")
        on_an_esp32 = inspect_flash(flash, "esp32")
    assert info.valid, info.problem
    assert info.banner == build.banner
    assert info.camera_family == build.family == "kaki5"
    # every KAKI5 S3 image carries IDF v4.4's octal driver only (its "opi psram" log tag)
    assert (info.psram_mode, info.idf_major) == ("octal", 4)
    assert not on_an_esp32.valid and on_an_esp32.problem == "no ESP32 bootloader at 0x1000"


@pytest.mark.parametrize("build", S3_BUILDS, ids=lambda b: b.id)
def test_each_real_s3_image_boots_to_its_banner_with_its_camera_module(build):
    with VirtualBoard(chip="esp32s3", firmware=real_image(build.sha256), line_rate="unlimited") as board:
        log = _boot_log(board, b">>> ", KAKI5_INIT + b"print(camera.init(), len(camera.capture()) > 1000)\r\n",
                        b"True True", timeout=20, settle=True)
    assert f"entry 0x403c9914\r\n{build.banner}\r\n".encode() in log, log


@pytest.mark.esptool
def test_esptool_identifies_the_s3_writes_and_verifies_a_real_image_and_it_boots(tmp_path):
    path = real_image_path(XIAO)
    with VirtualBoard(chip="esp32s3", flash_timing="fast", line_rate="unlimited") as board:
        write = run_esptool(board.url, "write-flash", "0x0", str(path), fast_client=True)
        assert write.returncode == 0, write.stdout + write.stderr
        assert board.flash.read(0, len(real_image(XIAO))) == real_image(XIAO)
        verify = run_esptool(board.url, "verify-flash", "0x0", str(path), fast_client=True)
        assert verify.returncode == 0, verify.stdout + verify.stderr
        # esptool's hard reset (RTS) booted the image: KAKI5's banner and camera module
        board.events.wait_for("firmware_started", timeout=20)
        port = open_client(board.url)
        try:
            port.write(b"\x03\r\n" + KAKI5_INIT + b"print(sys.platform, camera.init())\r\n")
            out = read_until(port, b"esp32 True", timeout=10)
        finally:
            port.close()
    text = write.stdout
    assert "ESP32-S3 (QFN56) (revision v0.2)" in text
    assert "Embedded PSRAM 8MB (AP_3v3)" in text
    assert "at 0x00000000" in text and "Wrote 1239280 bytes" in text
    assert "Hash of data verified" in text
    assert board.info.banner == ("MicroPython v1.20.0-206-g33b403dfb-kaki5 on 2023-07-10; "
                                 "ESP32S3-XIAO OV2640 (KAKI5) with ESP32-S3")
    assert b"Traceback" not in out


@pytest.mark.esptool
def test_esptool_flash_id_sees_the_quad_psram_and_flash_size_of_an_n16r2():
    with VirtualBoard(chip="esp32s3", psram="quad", flash_size=16 * 1024 * 1024, micropython=False) as board:
        result = run_esptool(board.url, "flash-id", fast_client=True)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Detecting chip type... ESP32-S3" in result.stdout
    assert "Embedded PSRAM 2MB (AP_3v3)" in result.stdout
    assert "Detected flash size: 16MB" in result.stdout


def test_s3_rom_download_and_normal_boot_logs():
    with VirtualBoard(chip="esp32s3", firmware=synthetic_firmware("kaki5", chip="esp32s3"),
                      micropython=False, line_rate="unlimited") as board:
        port = open_client(board.url)
        try:
            board.hold_boot(True)
            board.press_reset()
            download = read_until(port, b"waiting for download\r\n")
            board.hold_boot(False)
            board.press_reset()
            normal = read_until(port, b"entry 0x403c9914\r\n")
        finally:
            port.close()
    assert download.endswith(b"ESP-ROM:esp32s3-20210327\r\nBuild:Mar 27 2021\r\n"
                             b"rst:0x1 (POWERON),boot:0x0 (DOWNLOAD(USB/UART0))\r\nwaiting for download\r\n")
    assert b"rst:0x1 (POWERON),boot:0x8 (SPI_FAST_FLASH_BOOT)\r\nSPIWP:0xee\r\nmode:DIO, clock div:1\r\n" in normal
    assert b"ets Jun  8 2016" not in download + normal  # that is the ESP32's ROM


def test_an_esp32_image_on_an_s3_finds_no_bootloader_at_0x0():
    with VirtualBoard(chip="esp32s3", firmware=synthetic_firmware("kaki5"), micropython=False,
                      line_rate="unlimited") as board:
        log = _boot_log(board, b"invalid header: 0xffffffff\r\n")
        assert board.events.all("no_firmware")[-1].data["problem"] == "no ESP32-S3 bootloader at 0x0"
    assert b"rst:0x1 (POWERON),boot:0x8 (SPI_FAST_FLASH_BOOT)\r\ninvalid header" in log


def test_octal_build_on_a_quad_psram_s3_logs_the_idf_error_and_runs_without_psram():
    with VirtualBoard(chip="esp32s3", psram="quad", firmware=real_image(XIAO), line_rate="unlimited") as board:
        board.events.wait_for("firmware_started", timeout=20)
        log = _boot_log(board, b">>> ", KAKI5_INIT + b"print(sys.platform, camera.init())\r\n", b"esp32 False",
                        timeout=20)
        assert board.events.all("psram_error")[-1].data == {"build": "octal", "board": "quad"}
    text = log.decode()
    assert ("E (336) opi psram: PSRAM ID read error: 0x00000000, PSRAM chip not found or not supported, "
            "or wrong PSRAM line mode") in text
    assert "E (337) spiram: SPI RAM enabled but initialization failed. Bailing out." in text
    assert text.index("Bailing out.") < text.index("MicroPython v1.20.0")


def test_s3_board_parameters_are_checked():
    with pytest.raises(ValueError, match="chip must be one of"):
        VirtualBoard(chip="esp32c3")
    with pytest.raises(ValueError, match="psram must be"):
        VirtualBoard(chip="esp32s3", psram="hex")


def test_quad_build_on_an_octal_psram_s3_logs_the_quad_driver_error():
    """A synthetic IDF v4.4 quad build (the twin reads the driver from the image) on an N8R8."""
    firmware = synthetic_firmware("cnadler86", chip="esp32s3", psram_mode="quad")
    with VirtualBoard(chip="esp32s3", firmware=firmware, micropython=False, line_rate="unlimited") as board:
        log = _boot_log(board, b"Bailing out.\r\n")
        assert board.events.all("psram_error")[-1].data == {"build": "quad", "board": "octal"}
    assert (b"E (336) psram: PSRAM ID read error: 0x00ffffff, PSRAM chip not found or not supported, "
            b"or wrong PSRAM line mode\r\nE (337) spiram: SPI RAM enabled but initialization failed.") in log


# --- USB-Serial/JTAG (the S3's own USB port, VID 303A PID 1001) ---------------------------

@pytest.mark.esptool
def test_esptool_usb_reset_writes_over_usb_serial_jtag_and_the_port_comes_back(tmp_path):
    path = real_image_path(XIAO)
    with VirtualBoard(chip="esp32s3", usb=True, flash_timing="fast") as board:
        result = run_esptool(board.url, "--before", esptool_command("usb-reset"), "write-flash", "0x0", str(path),
                             fast_client=True)
        assert result.returncode == 0, result.stdout + result.stderr
        # esptool's reset into the ROM went through the USB lines (a core reset, the port stays)
        assert board.events.wait_for("boot", mode="download").data == {"mode": "download"}
        assert board.events.all("reset")[1].data == {"reason": "usb"}
        # its hard reset out of the bootloader makes the device leave the bus for a moment
        board.events.wait_for("usb_gone", timeout=5)
        board.events.wait_for("firmware_started", timeout=20)
        with pytest.raises(OSError):
            open_client(board.url)  # still re-enumerating
        port = _open_when_back(board.url)
        try:
            port.write(b"\r\n")
            read_until(port, b">>> ")
        finally:
            port.close()
    assert "Hash of data verified" in result.stdout


def _open_when_back(url, seconds=5.0):
    import time
    deadline = time.monotonic() + seconds
    while True:
        try:
            return open_client(url)
        except OSError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.1)


def test_usb_serial_jtag_lines_reset_and_force_download_and_ignore_the_baud():
    with VirtualBoard(chip="esp32s3", usb=True, firmware=synthetic_firmware("kaki5", chip="esp32s3"),
                      micropython=False) as board:
        port = open_client(board.url, dtr=True, rts=True, baudrate=9600)  # a fresh tty: both asserted
        try:
            assert board.state != "reset"  # (1, 1) does nothing
            port.dtr, port.rts = True, False   # DTR alone: the force-download flag
            port.rts = True
            port.dtr = False                   # RTS alone: reset held
            assert board.state == "reset"
            port.rts = False                   # released: boots into the ROM, rst 0x15
            log = read_until(port, b"waiting for download\r\n")
            assert (b"ESP-ROM:esp32s3-20210327\r\nBuild:Mar 27 2021\r\n"
                    b"rst:0x15 (USB_UART_CHIP_RESET),boot:0x0 (DOWNLOAD(USB/UART0))\r\n") in log
            port.rts = True                    # a plain RTS pulse: the flag survives a core reset
            port.rts = False
            read_until(port, b"rst:0x15 (USB_UART_CHIP_RESET),boot:0x0 (DOWNLOAD(USB/UART0))")
            mark = board.events.mark()
            board.press_reset()                # EN clears it: the app starts...
            assert board.events.wait_for("boot", since=mark).data == {"mode": "normal"}
            board.events.wait_for("usb_gone", since=mark)  # ...and the port re-enumerates
        finally:
            port.close()
    assert board.events.all("garbled") == []  # 9600 on the host side means nothing on USB


def test_cli_runs_an_s3_on_its_usb_serial_jtag(tmp_path):
    import signal

    from tests.test_virtualboard_cli import start_cli

    proc = start_cli("--chip", "esp32s3", "--usb", "--firmware", "kaki5", "--flash", str(tmp_path / "f.bin"))
    try:
        url = proc.stdout.readline().strip()
        with open_client(url) as port:
            port.rts = True   # RTS alone: the USB-Serial/JTAG resets the chip
            port.rts = False
            log = read_until(port, b"rst:0x15 (USB_UART_CHIP_RESET),boot:0x8 (SPI_FAST_FLASH_BOOT)")
        # the power-on boot's end may arrive first (a loaded host), its ">>> " right before it
        assert b"ESP-ROM:esp32s3-20210327\r\nBuild:" in log, log
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=10) == 0
    finally:
        if proc.poll() is None:
            proc.kill()
    assert (tmp_path / "f.bin").stat().st_size == 8 * 1024 * 1024
