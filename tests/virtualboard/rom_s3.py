"""The ESP32-S3 ROM as esptool sees it: registers, eFuses, security info, flash.

Values follow esptool's own description of the chip (esptool v4.8.1, v4.12 and v5.6,
esptool/targets/esp32s3.py) and the ESP32-S3 datasheet (v1.9, table 1-1 "ESP32-S3
Series Comparison": ESP32-S3R2 has 2 MB quad SPI PSRAM in the package, ESP32-S3R8
8 MB octal SPI PSRAM; modules N8R8/N16R8 are built on S3R8, N4R2/N8R2 on S3R2).
Nothing here comes from the plug-in.
"""
from __future__ import annotations

import struct
from typing import Dict, Optional

CHIP_ID = 9  # IMAGE_CHIP_ID; also the chip_id word of GET_SECURITY_INFO (S3 ROM and later)

EFUSE_BASE = 0x60007000
EFUSE_BLOCK1 = EFUSE_BASE + 0x44      # MAC words 0/1, then the package/revision/PSRAM words
EFUSE_BLOCK2 = EFUSE_BASE + 0x5C
SPI_BASE = 0x60002000
SPI_CMD, SPI_ADDR, SPI_USR2, SPI_W0 = SPI_BASE + 0x00, SPI_BASE + 0x04, SPI_BASE + 0x20, SPI_BASE + 0x58
UART_CLKDIV_REG = 0x60000014
# ROM word esptool 4.x reads at the chip-detect address (loader.py connect, and
# cmds.py detect_chip's "dummy read"); esptool 4.8.1 targets/esp32s3.py
# CHIP_DETECT_MAGIC_VALUE = [0x9]. Read as 0 it names an ESP32-P4 to esptool 4.8.1.
CHIP_DETECT_MAGIC_REG, CHIP_DETECT_MAGIC = 0x40001000, 0x9
# SPI1 user registers esptool reads before a flash command to restore them afterwards
# (loader.py run_spiflash_command); reset values of ESP-IDF
# components/soc/esp32s3/include/soc/spi_mem_reg.h: USR_COMMAND; USR_COMMAND_BITLEN 7.
SPI_USR, SPI_USR_RESET, SPI_USR2_RESET = SPI_BASE + 0x18, 0x80000000, 0x70000000
# eFuse BLOCK0 read words (EFUSE_RD_REPEAT_DATA0..3): esptool reads them for download-mode
# encryption, flash crypt count, key purposes, VDD_SPI, secure boot and flash type;
# all zero on a chip with nothing burnt (quad flash, 3.3 V by strapping pin).
EFUSE_RD_REPEAT_DATA0 = EFUSE_BASE + 0x30
# Strapping pins latched at power-on/EN reset, the value the ROM prints as "boot:0x.."
# (0x8 SPI_FAST_FLASH_BOOT; 0x0 DOWNLOAD(USB/UART0) with GPIO0 low): bit 3 is GPIO0
# (esptool GPIO_STRAP_SPI_BOOT_MASK), bit 4 GPIO45 (VDD_SPI, low = 3.3 V). A USB core
# reset does not latch them again: in a USB force-download GPIO0 still reads high.
GPIO_STRAP_REG, STRAP_DOWNLOAD, STRAP_GPIO0_HIGH = 0x60004038, 0x0, 0x8
RTC_CNTL_OPTION1_REG = 0x6000812C  # bit 0: FORCE_DOWNLOAD_BOOT (the USB-Serial/JTAG's flag)
# RTC super watchdog: esptool sets SWD_AUTO_FEED_EN over USB-Serial/JTAG
# (targets/esp32s3.py disable_watchdogs); reset value SWD_SIGNAL_WIDTH 300
# (ESP-IDF components/soc/esp32s3/include/soc/rtc_cntl_reg.h).
RTC_CNTL_SWD_CONF_REG, RTC_CNTL_SWD_CONF_RESET = 0x600080B4, 300 << 18
# ROM .bss variable naming the console the ROM talks on (esptool 4.x reads it to tell
# a USB-Serial/JTAG connection: 4, USB-OTG: 3; UART0: 0)
UARTDEV_BUF_NO = 0x3FCEF14C
UARTDEV_BUF_NO_USB_JTAG_SERIAL = 4

# eFuse PSRAM_CAP (BLOCK1 word 4 bits 3..4, word 5 bit 19 as the high bit) and
# PSRAM_VENDOR (word 4 bits 7..8: 1 = AP_3v3) for each in-package PSRAM (esptool
# get_psram_cap / get_chip_features: 1 "Embedded PSRAM 8MB", 2 "Embedded PSRAM 2MB").
PSRAM_EFUSES = {"octal": (1, 1), "quad": (2, 1), None: (0, 0)}
PSRAM_SIZES = {"octal": 8 * 1024 * 1024, "quad": 2 * 1024 * 1024, None: 0}
MINOR_REVISION = 2  # v0.2, what ESP32-S3 modules have shipped with since 2022


def registers(mac: bytes, psram: Optional[str], usb_jtag: bool = False) -> Dict[int, int]:
    """eFuse and ROM variable words esptool reads on an ESP32-S3 (all others read 0)."""
    mac0, = struct.unpack(">I", mac[2:6])
    mac1 = (mac[0] << 8) | mac[1]
    cap, vendor = PSRAM_EFUSES[psram]
    word3 = (MINOR_REVISION & 0x7) << 18          # minor revision low bits; pkg 0 = QFN56; no embedded flash
    word4 = ((cap & 0x3) << 3) | (vendor << 7)    # PSRAM capacity and vendor
    word5 = ((cap >> 2) & 1) << 19                # PSRAM capacity high bit; major revision 0
    return {
        CHIP_DETECT_MAGIC_REG: CHIP_DETECT_MAGIC,
        **{EFUSE_RD_REPEAT_DATA0 + 4 * n: 0 for n in range(4)},
        EFUSE_BLOCK1: mac0,
        EFUSE_BLOCK1 + 4: mac1,
        EFUSE_BLOCK1 + 12: word3,
        EFUSE_BLOCK1 + 16: word4,
        EFUSE_BLOCK1 + 20: word5,
        EFUSE_BLOCK2 + 16: 1,                     # eFuse block version 1.x
        UARTDEV_BUF_NO: UARTDEV_BUF_NO_USB_JTAG_SERIAL if usb_jtag else 0,
        SPI_USR: SPI_USR_RESET,
        SPI_USR2: SPI_USR2_RESET,
        RTC_CNTL_SWD_CONF_REG: RTC_CNTL_SWD_CONF_RESET,
    }


def security_info() -> bytes:
    """GET_SECURITY_INFO answer of a chip with no security feature burnt: flags (u32),
    flash_crypt_cnt (u8), 7 key purposes (u8), chip_id (u32), eco/api version (u32)
    (esptool loader.get_security_info, "<IBBBBBBBBII")."""
    return struct.pack("<IBBBBBBBBII", 0, 0, 0, 0, 0, 0, 0, 0, 0, CHIP_ID, 0)
