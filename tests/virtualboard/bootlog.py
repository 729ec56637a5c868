"""What an ESP32 prints on UART0 while it boots (ROM, 2nd-stage, faults)."""
from __future__ import annotations

ROM_BANNER = "ets Jun  8 2016 00:22:57\r\n\r\n"

RESET_CAUSES = {
    "poweron": "rst:0x1 (POWERON_RESET)",
    "software": "rst:0xc (SW_CPU_RESET)",
    "brownout": "rst:0xc (SW_CPU_RESET)",  # the brownout handler restarts the CPU
    "bootloader_reset": "rst:0x3 (SW_RESET)",  # bootloader_reset(): esp_rom_software_reset_system()
}


def _rst(cause: str) -> str:
    return RESET_CAUSES.get(cause, RESET_CAUSES["poweron"])


def download_mode(cause: str = "poweron") -> str:
    return (ROM_BANNER
            + f"{_rst(cause)},boot:0x3 (DOWNLOAD_BOOT(UART0/UART1/SDIO_REI_REO_V2))\r\n"
            + "waiting for download\r\n")


def rom_normal_boot(cause: str = "poweron") -> str:
    """ROM lines up to the SPI boot strap line."""
    return ROM_BANNER + f"{_rst(cause)},boot:0x13 (SPI_FAST_FLASH_BOOT)\r\n"


def no_bootloader() -> str:
    return "flash read err, 1000\r\nets_main.c 371 \r\n"


def second_stage_load() -> str:
    """ROM loading the 2nd-stage bootloader from 0x1000."""
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
