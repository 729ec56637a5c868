"""Every register read of this interpreter's esptool is answered by the twin's model.

The CI legs run this file on esptool 5.x (Thonny 5.0 and the development head) and on
esptool 4.8.1 (the Thonny 4.1 leg: the esptool Thonny's installers bundle). esptool 4.x
reads more than 5.x: the chip-detect word again after detection (loader.py connect; an
ESP32-S3 read as 0 is an ESP32-P4 to 4.8.1: "Wrong --chip argument?"), SPI_USR/SPI_USR2
to restore them (loader.py run_spiflash_command), the eFuse and strapping words of
get_flash_voltage / get_secure_boot_enabled (targets/esp32.py, targets/esp32s3.py).
The twin reports each read outside its model as an ``unmodelled_read`` event.
"""
from __future__ import annotations

import struct

import pytest

from tests.real_images import real_image, real_image_path
from tests.test_virtualboard_rom import SYNC_PAYLOAD, command
from tests.virtualboard import VirtualBoard, rom, rom_s3
from tests.virtualboard.testing import esptool_major, open_client, read_until, run_esptool

# a real image of each chip (reference/firmware-builds.tsv): lemariva's v1.21 build at
# 0x1000 on the ESP32, KAKI5's 20230717 XIAO Sense build at 0x0 on the ESP32-S3
CASES = {
    "esp32": ("d23e4e4e35844537f2b7f4693c80bc7d603cdbd51c09013b304326607cc138ab", "0x1000",
              "ESP32-D0WDQ6 (revision v1.0)", "24:0a:c4:5c:a3:01", "4MB"),
    "esp32s3": ("e89986372c8e0edaed8844a202f578725e2f779f9b5ba50a41fb31f0fd579590", "0x0",
                "ESP32-S3 (QFN56) (revision v0.2)", "34:85:18:6a:2b:10", "8MB"),
}


def _unmodelled(board) -> list:
    return sorted({f"{e.data['addr']:#010x}{' (stub)' if e.data['stub'] else ''}"
                   for e in board.events.all("unmodelled_read")})


def _ok(result) -> str:
    output = result.stdout + result.stderr
    assert result.returncode == 0, output[-3000:]
    assert "doesn't appear to be" not in output and "Wrong --chip" not in output, output
    return output


@pytest.mark.esptool
@pytest.mark.parametrize("chip", sorted(CASES))
def test_esptool_identifies_writes_and_verifies_a_real_image_reading_only_modelled_registers(chip):
    sha, offset, description, mac, size = CASES[chip]
    image = real_image(sha)
    with VirtualBoard(chip=chip, micropython=False, flash_timing="fast", line_rate="unlimited") as board:
        def esptool(*args):
            return _ok(run_esptool(board.url, *args, fast_client=True))

        detected = esptool("flash-id")                  # detection by esptool itself
        named = esptool("--chip", chip, "chip-id")      # the chip named, as the plug-in does
        rom_mac = esptool("--chip", chip, "--no-stub", "read-mac")  # answered by the ROM itself
        rom_flash = esptool("--chip", chip, "--no-stub", "flash-id")
        status = esptool("--chip", chip, "--no-stub", "read-flash-status", "--bytes", "2")  # RDSR, RDSR2
        # as the plug-in's installer writes (core/esptool_cmd.py): the whole flash erased first
        write = esptool("--chip", chip, "write-flash", "--erase-all", offset, str(real_image_path(sha)))
        verify = esptool("--chip", chip, "verify-flash", offset, str(real_image_path(sha)))
        assert board.flash.read(int(offset, 16), len(image)) == image
        assert _unmodelled(board) == []
    for output in (detected, named, rom_mac, rom_flash, write):
        assert description in output
    assert f"Detected flash size: {size}" in detected and f"Detected flash size: {size}" in rom_flash
    assert mac in named and mac in rom_mac
    assert "strapping pin" in detected and "3.3V" in detected  # VDD_SPI by GPIO12/GPIO45 low
    assert "0x0000" in status.split("Status value:" if esptool_major() < 5 else "Flash memory status:")[1]  # not busy, unprotected
    assert "Hash of data verified" in write
    assert "digest matched" in verify


@pytest.mark.esptool
def test_esptool_over_the_s3s_usb_serial_jtag_reads_only_modelled_registers():
    """esptool turns the RTC watchdogs off over USB-Serial/JTAG (targets/esp32s3.py
    disable_watchdogs: a read of RTC_CNTL_SWD_CONF_REG) and clears the force-download flag."""
    with VirtualBoard(chip="esp32s3", usb=True, micropython=False, flash_timing="fast") as board:
        before = "usb-reset" if esptool_major() >= 5 else "usb_reset"
        output = _ok(run_esptool(board.url, "--before", before, "--chip", "esp32s3", "flash-id",
                                 fast_client=True))
        assert _unmodelled(board) == []
    assert "Detected flash size: 8MB" in output


def _read_reg(port, addr: int) -> int:
    answer = command(port, rom.READ_REG, struct.pack("<I", addr))
    assert answer is not None, f"no answer to READ_REG {addr:#x}"
    return answer[0]


def test_the_strapping_register_holds_gpio0_as_latched_and_the_s3_rom_word_is_its_magic():
    """GPIO0 low at reset → the download-mode strapping value the ROM prints (ESP32 boot:0x3,
    S3 boot:0x0); the USB force-download flag is RTC_CNTL_OPTION1 bit 0, GPIO0 stays high."""
    for chip, expected in (("esp32", rom.STRAP_DOWNLOAD), ("esp32s3", rom_s3.STRAP_DOWNLOAD)):
        with VirtualBoard(chip=chip, wiring="none", micropython=False) as board:
            board.hold_boot(True)
            with open_client(board.url, timeout=0.05) as port:
                board.press_reset()
                read_until(port, b"waiting for download")
                assert command(port, rom.SYNC, SYNC_PAYLOAD) is not None
                port.reset_input_buffer()
                strap = rom.GPIO_STRAP_REG if chip == "esp32" else rom_s3.GPIO_STRAP_REG
                assert _read_reg(port, strap) == expected
                if chip == "esp32s3":
                    assert _read_reg(port, rom_s3.CHIP_DETECT_MAGIC_REG) == 0x9
                    assert _read_reg(port, rom_s3.RTC_CNTL_OPTION1_REG) == 0
            assert _unmodelled(board) == []

    with VirtualBoard(chip="esp32s3", usb=True, micropython=False) as board:
        with open_client(board.url, timeout=0.05) as port:
            port.dtr, port.rts = True, False   # DTR alone: the force-download flag
            port.rts = True
            port.dtr = False                   # RTS alone: reset held
            port.rts = False                   # released: a core reset into the ROM
            read_until(port, b"waiting for download")
            assert command(port, rom.SYNC, SYNC_PAYLOAD) is not None
            port.reset_input_buffer()
            assert _read_reg(port, rom_s3.GPIO_STRAP_REG) == rom_s3.STRAP_GPIO0_HIGH  # GPIO0 was high
            assert _read_reg(port, rom_s3.RTC_CNTL_OPTION1_REG) == 1
            _read_reg(port, 0x3FF00000)        # a word the twin does not model...
        assert _unmodelled(board) == ["0x3ff00000"]  # ...is reported, not silently answered
