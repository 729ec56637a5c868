"""What an ESP32 / ESP32-S3 prints on its console while it boots (ROM, 2nd-stage, faults)."""
from __future__ import annotations

from typing import Optional

ROM_BANNER = "ets Jun  8 2016 00:22:57\r\n\r\n"

RESET_CAUSES = {
    "poweron": "rst:0x1 (POWERON_RESET)",
    "software": "rst:0xc (SW_CPU_RESET)",
    "brownout": "rst:0xc (SW_CPU_RESET)",  # the brownout handler restarts the CPU
    "bootloader_reset": "rst:0x3 (SW_RESET)",  # bootloader_reset(): esp_rom_software_reset_system()
}


def _rst(cause: str) -> str:
    return RESET_CAUSES.get(cause, RESET_CAUSES["poweron"])


# ESP32-S3 ROM (revision v0.x, ROM build "esp32s3-20210327"): its banner and reset
# causes as the ROM prints them (esp-idf components/esp_rom/include/esp32s3/rom/rtc.h
# RESET_REASON: 0x1 POWERON, 0x3 RTC_SW_SYS_RST, 0xc RTC_SW_CPU_RST, 0x15
# USB_UART_CHIP_RESET), boot modes 0x8 SPI_FAST_FLASH_BOOT and 0x0 DOWNLOAD(USB/UART0)
# (GPIO0 low), as in the boot logs published by Espressif (esptool docs, "Boot Mode
# Selection", ESP32-S3) and by users of S3 boards.
S3_ROM_BANNER = "ESP-ROM:esp32s3-20210327\r\nBuild:Mar 27 2021\r\n"
S3_RESET_CAUSES = {
    "poweron": "rst:0x1 (POWERON)",
    "software": "rst:0xc (RTC_SW_CPU_RST)",
    "brownout": "rst:0xc (RTC_SW_CPU_RST)",
    "bootloader_reset": "rst:0x3 (RTC_SW_SYS_RST)",
    "usb": "rst:0x15 (USB_UART_CHIP_RESET)",  # reset requested over USB-Serial/JTAG
}


def _s3_rst(cause: str) -> str:
    text = S3_RESET_CAUSES.get(cause, S3_RESET_CAUSES["poweron"])
    return text


def download_mode(cause: str = "poweron", chip: str = "esp32") -> str:
    if chip == "esp32s3":
        return S3_ROM_BANNER + f"{_s3_rst(cause)},boot:0x0 (DOWNLOAD(USB/UART0))\r\nwaiting for download\r\n"
    return (ROM_BANNER
            + f"{_rst(cause)},boot:0x3 (DOWNLOAD_BOOT(UART0/UART1/SDIO_REI_REO_V2))\r\n"
            + "waiting for download\r\n")


def rom_normal_boot(cause: str = "poweron", chip: str = "esp32") -> str:
    """ROM lines up to the SPI boot strap line."""
    if chip == "esp32s3":
        saved_pc = "" if cause == "poweron" else "Saved PC:0x420a2f2e\r\n"  # the ROM reports it after a CPU reset
        return S3_ROM_BANNER + f"{_s3_rst(cause)},boot:0x8 (SPI_FAST_FLASH_BOOT)\r\n" + saved_pc
    return ROM_BANNER + f"{_rst(cause)},boot:0x13 (SPI_FAST_FLASH_BOOT)\r\n"


def no_bootloader(chip: str = "esp32") -> str:
    if chip == "esp32s3":  # the S3 ROM finds no image header at 0x0 and retries
        return "invalid header: 0xffffffff\r\n" * 3
    return "flash read err, 1000\r\nets_main.c 371 \r\n"


def second_stage_load(chip: str = "esp32") -> str:
    """ROM loading the 2nd-stage bootloader from 0x1000 (ESP32) or 0x0 (ESP32-S3)."""
    if chip == "esp32s3":
        return ("SPIWP:0xee\r\n"
                "mode:DIO, clock div:1\r\n"
                "load:0x3fce3810,len:0x178c\r\n"
                "load:0x403c9700,len:0x4\r\n"
                "load:0x403c9704,len:0xcbc\r\n"
                "load:0x403cc700,len:0x2d9c\r\n"
                "entry 0x403c9914\r\n")
    return ("configsip: 0, SPIWP:0xee\r\n"
            "clk_drv:0x00,q_drv:0x00,d_drv:0x00,cs0_drv:0x00,hd_drv:0x00,wp_drv:0x00\r\n"
            "mode:DIO, clock div:2\r\n"
            "load:0x3fff0030,len:4540\r\n"
            "ho 0 tail 12 room 4\r\n"
            "load:0x40078000,len:12344\r\n"
            "load:0x40080400,len:4124\r\n"
            "entry 0x400805cc\r\n")


def no_app() -> str:
    return ("E (70) boot: No bootable app partitions in the partition table\r\n"
            "user code done\r\n")


def corrupt_app(error: str) -> str:
    """ESP-IDF v4.4 bootloader on a damaged factory app (esp_image_format.c, then
    bootloader_utility.c bootloader_utility_load_boot_image: no app left, so
    bootloader_reset(), and the ROM boots again: a boot loop)."""
    return (f"E (346) esp_image: {error}\r\n"
            "E (347) boot: Factory app partition is not bootable\r\n"
            "E (347) boot: No bootable app partitions in the partition table\r\n")


def psram_failure() -> str:
    return ("E (536) psram: PSRAM ID read error: 0xffffffff\r\n"
            "E (536) cpu_start: Failed to init external RAM!\r\n"
            "\r\n"
            "abort() was called at PC 0x40082c1a on core 0\r\n"
            "\r\n"
            "\r\n"
            "Backtrace:0x40087a3e:0x3ffe3b50 0x400882ad:0x3ffe3b70 0x4008d0a5:0x3ffe3b90 "
            "0x40082c1a:0x3ffe3c00 0x40079252:0x3ffe3c20 |<-CORRUPTED\r\n"
            "\r\n"
            "\r\n"
            "ELF file SHA256: 0000000000000000\r\n"
            "\r\n"
            "Rebooting...\r\n")


def brownout() -> str:
    return "\r\nBrownout detector was triggered\r\n\r\n"


def s3_psram_mismatch(build_mode: str, board_psram: Optional[str], idf_major: int) -> str:
    """What an ESP32-S3 MicroPython build logs when its PSRAM driver does not find the
    PSRAM it was built for. MicroPython's S3 SPIRAM boards set CONFIG_SPIRAM_IGNORE_NOTFOUND
    (ports/esp32/boards/sdkconfig.spiram_sx), so the app continues without PSRAM; their log
    level is ERROR, so only the E lines appear.
    - IDF v4.4 (the KAKI5 S3 images, "IDFv4.4.5"/"IDFv4.4.6"): octal driver opi_psram.c, TAG
      "opi psram", "PSRAM ID read error: 0x%08x, PSRAM chip not found or not supported, or
      wrong PSRAM line mode"; then port/esp32s3/spiram.c (TAG "spiram") "SPI RAM enabled but
      initialization failed. Bailing out." (both strings are in the 12 images). The quad
      driver (TAG "psram") on an octal chip reads 0x00ffffff, as published Arduino-ESP32 2.x
      (IDF 4.4) logs of N8R8 boards show; what the octal driver reads from a quad chip is
      not published: the twin prints 0x00000000.
    - IDF v5 (cnadler86 v0.6.2 uses 5.5.1): esp_psram/device/esp_psram_impl_octal.c (TAG
      "octal_psram") and esp_psram_impl_quad.c (TAG "quad_psram") both log "PSRAM chip is
      not connected, or wrong PSRAM line mode", then esp_psram.c (TAG "esp_psram") "PSRAM
      enabled but initialization failed. Bailing out."."""
    if idf_major >= 5:
        tag = "octal_psram" if build_mode == "octal" else "quad_psram"
        return (f"E (318) {tag}: PSRAM chip is not connected, or wrong PSRAM line mode\r\n"
                "E (318) esp_psram: PSRAM enabled but initialization failed. Bailing out.\r\n")
    tag, read = ("opi psram", "0x00000000") if build_mode == "octal" else ("psram", "0x00ffffff")
    return (f"E (336) {tag}: PSRAM ID read error: {read}, PSRAM chip not found or not supported, "
            "or wrong PSRAM line mode\r\n"
            "E (337) spiram: SPI RAM enabled but initialization failed. Bailing out.\r\n")
