"""The ESP32 ROM serial bootloader (and the flasher stub esptool uploads).

Answers esptool's SLIP protocol: sync, register reads for chip detection,
SPI flash id, stub upload, plain and compressed flash writes, MD5, erase,
read, and CHANGE_BAUDRATE, which really switches the chip's UART speed once
the answer has been sent.
"""
from __future__ import annotations

import hashlib
import queue
import struct
import threading
import zlib
from collections import deque
from dataclasses import dataclass, field
from typing import Callable, Dict, Optional

from . import rom_s3, slip
from .events import EventLog
from .flash import BLOCK_SIZE, SECTOR_SIZE, Flash, FlashTiming
from .uart import Uart

# Command opcodes (esptool's ESPLoader.ESP_CMDS)
FLASH_BEGIN, FLASH_DATA, FLASH_END = 0x02, 0x03, 0x04
MEM_BEGIN, MEM_END, MEM_DATA = 0x05, 0x06, 0x07
SYNC, WRITE_REG, READ_REG = 0x08, 0x09, 0x0A
SPI_SET_PARAMS, SPI_ATTACH, READ_FLASH_SLOW, CHANGE_BAUDRATE = 0x0B, 0x0D, 0x0E, 0x0F
FLASH_DEFL_BEGIN, FLASH_DEFL_DATA, FLASH_DEFL_END = 0x10, 0x11, 0x12
SPI_FLASH_MD5, GET_SECURITY_INFO = 0x13, 0x14
ERASE_FLASH, ERASE_REGION, READ_FLASH, RUN_USER_CODE = 0xD0, 0xD1, 0xD2, 0xD3

ROM_INVALID_MESSAGE, ROM_BAD_CHECKSUM = 0x05, 0x07
STUB_BAD_CHECKSUM, STUB_UNIMPLEMENTED = 0xC1, 0xFF
CHECKSUM_SEED = 0xEF

# ESP32 registers esptool reads (values of an ESP32-D0WDQ6 rev 1 with the 40 MHz crystal of
# the ESP32-S / ESP32-WROVER modules on ESP32-CAM boards; esptool derives the crystal from
# UART_CLKDIV in ROM mode and from RTCCALICFG1 and the CK8M eFuse with the stub)
CHIP_DETECT_MAGIC_REG, ESP32_MAGIC = 0x40001000, 0x00F01D83
EFUSE_BASE = 0x3FF5A000
RTCCALICFG1 = 0x3FF5F06C
UART_CLKDIV_REG = 0x3FF40014
SPI_BASE = 0x3FF42000
SPI_CMD, SPI_ADDR, SPI_USR2, SPI_W0 = SPI_BASE + 0x00, SPI_BASE + 0x04, SPI_BASE + 0x24, SPI_BASE + 0x80
SPI_CMD_USR = 1 << 18
CRYSTAL_HZ = 40_000_000
FLASH_SIZE_CODES = {4: 0x16, 8: 0x17, 16: 0x18}  # JEDEC capacity byte (2**code bytes)
# The factory MAC in eFuse block 0 (Espressif's OUI 24:0A:C4). esptool reads it as
# read_mac: words 2 and 1 of EFUSE_RD_REG_BASE, big-endian, the top 2 bytes dropped
# (esptool 5.x targets/esp32.py read_mac). Word 2 bits 16-23 hold MAC_CRC, the CRC-8
# (reflected polynomial 0x8C, init 0) of the six bytes that ESP-IDF's
# esp_efuse_mac_get_default checks (components/esp_rom/patches/esp_rom_efuse.c esp_crc8);
# MicroPython's machine.unique_id() returns these same six bytes (ports/esp32/modmachine.c).
MAC = bytes([0x24, 0x0A, 0xC4, 0x5C, 0xA3, 0x01])
MAC_S3 = bytes([0x34, 0x85, 0x18, 0x6A, 0x2B, 0x10])


def mac_crc8(mac: bytes) -> int:
    crc = 0
    for byte in mac:
        crc ^= byte
        for _ in range(8):
            crc = (crc >> 1) ^ 0x8C if crc & 1 else crc >> 1
    return crc


def parse_mac(text: str) -> bytes:
    """``24:0a:c4:00:00:01`` (or with '-') -> 6 bytes; a unicast address only, as the chip's."""
    parts = text.replace("-", ":").split(":")
    if len(parts) != 6 or not all(len(p) == 2 for p in parts):
        raise ValueError(f"not a MAC address: {text!r} (use six hex pairs, 24:0a:c4:00:00:01)")
    mac = bytes(int(p, 16) for p in parts)
    if mac[0] & 1:
        raise ValueError(f"{text} is a multicast address; a chip's MAC is unicast")
    return mac


def efuse_mac_words(mac: bytes) -> dict:
    word1, = struct.unpack(">I", mac[2:6])
    word2 = (mac_crc8(mac) << 16) | (mac[0] << 8) | mac[1]
    return {EFUSE_BASE + 4: word1, EFUSE_BASE + 8: word2}


def sfdp_table(flash_size: int) -> bytes:
    """The flash chip's SFDP table (JESD216): "SFDP" signature, revision 1.6, one parameter
    header pointing at the Basic Flash Parameter Table at 0x80 (its density dword gives the
    size in bits - 1); what is not defined reads 0xFF. esptool reads it with RDSFDP (0x5A)
    at an address (loader.py read_spiflash_sfdp: 24 address bits, 8 dummy bits)."""
    return (b"SFDP" + bytes([0x06, 0x01, 0x00, 0xFF]) + bytes([0x00, 0x06, 0x01, 0x10, 0x80, 0x00, 0x00, 0xFF])
            ).ljust(0x80, b"\xff") + struct.pack("<II", 0xFFF120E5, flash_size * 8 - 1).ljust(64, b"\xff")


# Further ESP32 registers esptool 4.8.1 and 5.x read (targets/esp32.py: get_chip_description,
# get_chip_features, get_flash_voltage, get_secure_boot_enabled, get_flash_crypt_config;
# loader.py run_spiflash_command reads SPI_USR/SPI_USR2 to restore them afterwards). Values:
# ESP-IDF's register headers (components/soc/esp32/include/soc/*_reg.h, "default:" per field).
APB_CTRL_DATE_REG, APB_CTRL_DATE = 0x3FF6607C, 0x16042000   # bit 31 clear: not a v3 chip
SPI_USR_REG, SPI_USR_RESET = SPI_BASE + 0x1C, 0x80000040      # USR_COMMAND, CK_I_EDGE
SPI_USR2_RESET = 0x70000000                                   # USR_COMMAND_BITLEN 7
RTC_CNTL_SDIO_CONF_REG = 0x3FF48074
RTC_CNTL_SDIO_CONF_RESET = 0x02A00000  # DREFL 1, SDIO_TIEH, SDIO_PD_EN; SDIO_FORCE clear: eFuse/strap decide
GPIO_STRAP_REG = 0x3FF44038
# The strapping pins as latched at reset; the ROM prints this value as "boot:0x.." in its
# reset line (0x13 SPI_FAST_FLASH_BOOT, 0x3 DOWNLOAD_BOOT: bit 4 is GPIO0; bit 5, MTDI,
# low = 3.3 V flash, esptool GPIO_STRAP_VDDSPI_MASK).
STRAP_DOWNLOAD, STRAP_GPIO0_HIGH = 0x03, 0x10


def _esp32_registers(mac: bytes = MAC) -> dict:
    return {
        CHIP_DETECT_MAGIC_REG: ESP32_MAGIC,
        # eFuse block 0 of an unburnt ESP32-D0WDQ6 v1.0: word 0 (write/read protection,
        # FLASH_CRYPT_CNT), word 5 (SPI pad config, FLASH_CRYPT_CONFIG, revision bits) and
        # word 6 (coding scheme None, ABS_DONE, DISABLE_DL_*) are all zero; esptool reads them.
        EFUSE_BASE: 0,
        **efuse_mac_words(mac),
        EFUSE_BASE + 12: 1 << 15,      # chip revision bit 0; package ESP32-D0WDQ6
        EFUSE_BASE + 16: 128,          # CK8M calibration
        EFUSE_BASE + 20: 0,
        EFUSE_BASE + 24: 0,
        RTCCALICFG1: 800 << 7,         # 800 * 15625 * 128 / 40 = 40 MHz (esp32.py get_rom_cal_crystal_freq)
        APB_CTRL_DATE_REG: APB_CTRL_DATE,
        SPI_USR_REG: SPI_USR_RESET,
        SPI_USR2: SPI_USR2_RESET,
        RTC_CNTL_SDIO_CONF_REG: RTC_CNTL_SDIO_CONF_RESET,
    }


@dataclass
class ChipModel:
    """What differs between the chips' ROM loaders as esptool sees them."""
    name: str
    registers: Dict[int, int]
    spi_cmd: int
    spi_addr: int
    spi_usr2: int
    spi_w0: int
    spi_addr_msb: bool          # the address sits in the top bits of SPI_ADDR (ESP32) or the low ones
    uart_clkdiv_reg: int
    security_info: Optional[bytes] = None   # GET_SECURITY_INFO answer; None: the ROM lacks the command
    flash_size: int = 4 * 1024 * 1024
    sfdp: bytes = field(default=b"")
    gpio_strap_reg: int = GPIO_STRAP_REG
    strap_download: int = STRAP_DOWNLOAD     # strapping value with GPIO0 low at reset
    strap_gpio0_high: int = STRAP_GPIO0_HIGH  # the GPIO0 bit of it
    force_download_reg: Optional[int] = None  # RTC register of the USB force-download flag

    def boot_registers(self, gpio0_high: bool, force_download: bool) -> Dict[int, int]:
        """Registers that depend on how this boot came into the ROM."""
        registers = {self.gpio_strap_reg: self.strap_download | (self.strap_gpio0_high if gpio0_high else 0)}
        if self.force_download_reg is not None:
            registers[self.force_download_reg] = int(force_download)
        return registers

    @property
    def flash_jedec_id(self) -> int:
        """RDID: manufacturer 0x20 (XMC), memory type 0x40, capacity code by size."""
        return 0x4020 | (FLASH_SIZE_CODES[self.flash_size >> 20] << 16)


def esp32_chip(flash_size: int = 4 * 1024 * 1024, mac: bytes = MAC) -> ChipModel:
    return ChipModel("esp32", _esp32_registers(mac), SPI_CMD, SPI_ADDR, SPI_USR2, SPI_W0, True,
                     UART_CLKDIV_REG, None, flash_size, sfdp_table(flash_size))


def esp32s3_chip(flash_size: int = 8 * 1024 * 1024, psram: Optional[str] = "octal",
                 usb_jtag: bool = False, mac: bytes = MAC_S3) -> ChipModel:
    return ChipModel("esp32s3", rom_s3.registers(mac, psram, usb_jtag), rom_s3.SPI_CMD,
                     rom_s3.SPI_ADDR, rom_s3.SPI_USR2, rom_s3.SPI_W0, False, rom_s3.UART_CLKDIV_REG,
                     rom_s3.security_info(), flash_size, sfdp_table(flash_size), rom_s3.GPIO_STRAP_REG,
                     rom_s3.STRAP_DOWNLOAD, rom_s3.STRAP_GPIO0_HIGH, rom_s3.RTC_CNTL_OPTION1_REG)


def checksum(data: bytes) -> int:
    value = CHECKSUM_SEED
    for byte in data:
        value ^= byte
    return value


class RomBootloader:
    def __init__(self, flash: Flash, uart: Uart, events: EventLog,
                 run_user_code: Callable[[], None] = lambda: None,
                 timing: Optional[FlashTiming] = None, chip: Optional[ChipModel] = None,
                 on_write_reg: Callable[[int, int], None] = lambda addr, value: None,
                 gpio0_high: bool = False, force_download: bool = False) -> None:
        self.flash = flash
        self.on_write_reg = on_write_reg
        self.chip = chip or esp32_chip(flash.size)
        self.timing = timing or FlashTiming()
        self.uart = uart
        self.events = events
        self.run_user_code = run_user_code
        self.stub = False
        self._registers = {**self.chip.registers, **self.chip.boot_registers(gpio0_high, force_download)}
        self._spi_command = 0
        # The ROM talks to the SPI flash only after SPI_ATTACH; the flasher stub attaches
        # it when it starts (esptool's flasher_stub). Detached, the bus reads back 0xFF.
        self._attached = False
        self._inbox: "queue.Queue[bytes]" = queue.Queue()
        self._frames: deque = deque()
        self._decoder = slip.Decoder()
        self._stop = threading.Event()
        self._write: Optional[dict] = None
        self._thread = threading.Thread(target=self._run, name="virtualboard-rom", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def feed(self, data: bytes) -> None:
        self._inbox.put(data)

    def stop(self) -> None:
        self._stop.set()
        self._inbox.put(b"")

    # --- frame plumbing --------------------------------------------------
    def _next_frame(self, timeout: float) -> Optional[bytes]:
        while not self._frames:
            try:
                data = self._inbox.get(timeout=timeout)
            except queue.Empty:
                return None
            if self._stop.is_set():
                return None
            self._frames.extend(self._decoder.feed(data))
        return self._frames.popleft()

    def _run(self) -> None:
        while not self._stop.is_set():
            frame = self._next_frame(0.5)
            if frame is None or len(frame) < 8 or frame[0] != 0x00:
                continue
            op, size, chk = struct.unpack_from("<BHI", frame, 1)
            data = frame[8:8 + size]
            try:
                self._handle(op, data, chk)
            except (struct.error, ValueError):
                self._reply(op, error=ROM_INVALID_MESSAGE if not self.stub else STUB_UNIMPLEMENTED)

    def _send(self, data: bytes) -> None:
        if not self._stop.is_set():
            self.uart.chip_send(data)

    def _reply(self, op: int, value: int = 0, body: bytes = b"", error: int = 0) -> None:
        status = bytes([1 if error else 0, error]) + (b"" if self.stub else b"\x00\x00")
        payload = body + status
        self._send(slip.encode(struct.pack("<BBHI", 1, op, len(payload), value) + payload))

    # --- commands ----------------------------------------------------------
    def _handle(self, op: int, data: bytes, chk: int) -> None:
        if op == SYNC:
            self.uart.lock_baud()  # auto-baud detection is done: this is the baud from now on
            value = 0 if self.stub else 0x20120707
            # the ROM and the flasher stub both answer a SYNC eight times (esptool's
            # sync() reads seven more replies and tells the stub by their zero value)
            for _ in range(8):
                self._reply(SYNC, value=value)
        elif op == READ_REG:
            self._reply(op, value=self._read_reg(struct.unpack_from("<I", data)[0]))
        elif op == WRITE_REG:
            for offset in range(0, len(data) - 15, 16):
                addr, value, mask, _delay = struct.unpack_from("<IIII", data, offset)
                self._write_reg(addr, value, mask)
            self._reply(op)
        elif op in (SPI_SET_PARAMS, SPI_ATTACH):
            if op == SPI_ATTACH:
                self._attached = True
            self._reply(op)
        elif op == GET_SECURITY_INFO:
            if self.chip.security_info is None:
                self._reply(op, error=ROM_INVALID_MESSAGE)  # the ESP32 ROM has no such command
            else:
                self._reply(op, body=self.chip.security_info)
        elif op == MEM_BEGIN or op == MEM_DATA:
            if op == MEM_DATA and not self._checksum_ok(data, chk):
                return self._reply(op, error=self._bad_checksum())
            self._reply(op)
        elif op == MEM_END:
            _stay, entry = struct.unpack_from("<II", data)
            self._reply(op)
            if entry:
                self.stub = True  # the uploaded flasher stub starts and says hello
                self._attached = True
                self._send(slip.encode(b"OHAI"))
        elif op in (FLASH_BEGIN, FLASH_DEFL_BEGIN):
            self._flash_begin(op, data)
        elif op in (FLASH_DATA, FLASH_DEFL_DATA):
            self._flash_data(op, data, chk)
        elif op in (FLASH_END, FLASH_DEFL_END):
            self._finish_write()
            self._reply(op)
            if data and struct.unpack_from("<I", data)[0] == 0:
                self.uart.chip_send_then(self.run_user_code)  # "reboot" flag
        elif op == RUN_USER_CODE and self.stub:
            self.uart.chip_send_then(self.run_user_code)
        elif op == CHANGE_BAUDRATE:
            new_baud = struct.unpack_from("<I", data)[0]
            self._reply(op)
            self.uart.chip_send_then(lambda: self.uart.set_chip_baud(new_baud))
        elif op == SPI_FLASH_MD5:
            addr, size = struct.unpack_from("<II", data)
            digest = hashlib.md5(self.flash.read(addr, size)).digest()
            self._reply(op, body=digest if self.stub else digest.hex().encode())
        elif op == READ_FLASH_SLOW and not self.stub:
            addr, length = struct.unpack_from("<II", data)
            block = self.flash.read(addr, min(length, 64)).ljust(64, b"\xff")
            self._reply(op, body=block)
        elif op == READ_FLASH and self.stub:
            self._read_flash(*struct.unpack_from("<IIII", data))
        elif op == ERASE_FLASH and self.stub:
            self.flash.erase_all()
            self._busy(self.timing.chip_erase())
            self.events.emit("flash_erase", addr=0, size=self.flash.size)
            self._reply(op)
        elif op == ERASE_REGION and self.stub:
            addr, size = struct.unpack_from("<II", data)
            self.flash.erase(addr, size)
            self._busy(self.timing.erase(addr, size))
            self.events.emit("flash_erase", addr=addr, size=size)
            self._reply(op)
        else:
            self._reply(op, error=STUB_UNIMPLEMENTED if self.stub else ROM_INVALID_MESSAGE)

    def _busy(self, seconds: float) -> None:
        """The flash chip is erasing or programming: the reply waits for it."""
        if seconds > 0:
            self._stop.wait(seconds)

    def _checksum_ok(self, data: bytes, chk: int) -> bool:
        length = struct.unpack_from("<I", data)[0]
        return checksum(data[16:16 + length]) == (chk & 0xFF)

    def _bad_checksum(self) -> int:
        return STUB_BAD_CHECKSUM if self.stub else ROM_BAD_CHECKSUM

    # --- registers ---------------------------------------------------------
    def _read_reg(self, addr: int) -> int:
        if addr == self.chip.uart_clkdiv_reg:
            return int(CRYSTAL_HZ / self.uart.chip_baud) & 0xFFFFF
        if addr == self.chip.spi_cmd:
            return 0  # SPI command finished
        if addr == self.chip.spi_w0:
            return self._spi_result(self._spi_command & 0xFF)
        if addr not in self._registers:
            # The chip answers every address with what is there; the twin knows only the
            # words above. A read outside them is a gap in the twin, not a chip's answer:
            # it is reported (tests assert there is none) and answered 0.
            self.events.emit("unmodelled_read", addr=addr, stub=self.stub)
        return self._registers.get(addr, 0)

    def _spi_result(self, command: int) -> int:
        """What a user SPI command left in SPI_W0."""
        if not self._attached:
            return 0xFFFFFFFF
        if command == 0x9F:  # RDID
            return self.chip.flash_jedec_id
        if command == 0x5A:  # RDSFDP at the address in SPI_ADDR (24 bits, MSB-aligned on ESP32)
            sfdp_addr = self._registers.get(self.chip.spi_addr, 0)
            sfdp_addr = (sfdp_addr >> 8 if self.chip.spi_addr_msb else sfdp_addr) & 0xFFFFFF
            sfdp = self.chip.sfdp
            return int.from_bytes(sfdp[sfdp_addr:sfdp_addr + 4].ljust(4, b"\xff"), "little")
        return 0  # status registers: not busy, nothing protected

    def _write_reg(self, addr: int, value: int, mask: int) -> None:
        old = self._registers.get(addr, 0)
        self._registers[addr] = (old & ~mask) | (value & mask)
        self.on_write_reg(addr, self._registers[addr])
        if addr == self.chip.spi_usr2:
            self._spi_command = value & 0xFFFF

    # --- flash writes --------------------------------------------------------
    def _flash_begin(self, op: int, data: bytes) -> None:
        self._finish_write()
        size, blocks, block_size, addr = struct.unpack_from("<IIII", data)
        compressed = op == FLASH_DEFL_BEGIN
        # a plain ROM FLASH_BEGIN names the erase size; deflate names the uncompressed size
        erase_end = min(self.flash.size, -(-(addr + size) // SECTOR_SIZE) * SECTOR_SIZE)
        if size and addr < erase_end:
            self.flash.erase(addr, erase_end - addr)
            if not self.stub:  # the ROM erases the whole region before it answers
                self._busy(self.timing.erase(addr, erase_end - addr))
        self._write = {
            "erased_to": addr if self.stub else erase_end,  # the stub erases as data arrives
            "addr": addr, "pos": addr, "expected": size if compressed else blocks * block_size,
            "written": 0, "block_size": block_size,
            "inflater": zlib.decompressobj() if compressed else None,
        }
        self._reply(op)

    def _flash_data(self, op: int, data: bytes, chk: int) -> None:
        write = self._write
        if write is None:
            return self._reply(op, error=ROM_INVALID_MESSAGE if not self.stub else STUB_UNIMPLEMENTED)
        if not self._checksum_ok(data, chk):
            return self._reply(op, error=self._bad_checksum())
        length, seq = struct.unpack_from("<II", data)
        block = data[16:16 + length]
        if write["inflater"] is not None:
            try:
                block = write["inflater"].decompress(block)
            except zlib.error:
                return self._reply(op, error=0x0C if not self.stub else 0xC4)
            pos = write["pos"]
        else:
            pos = write["addr"] + seq * write["block_size"]
        # the chip writes what FLASH_BEGIN announced, and no further
        block = block[:max(0, min(self.flash.size - pos, write["expected"] - write["written"]))]
        if self.stub:
            # the stub ACKs a data block as soon as it is checked, then erases and programs it
            # while the UART interrupt buffers the next one (esptool-legacy-flasher-stub
            # stub_flasher.c cmd_loop: "ACK DATA commands immediately, then process them a few
            # lines down, allowing next command to buffer"; double-buffered buf_a/buf_b). The
            # next command waits here for the chip, as cmd_loop takes it only afterwards.
            self._reply(op)
        if pos + len(block) > write["erased_to"]:  # the stub erases ahead, block by block
            end = min(self.flash.size, -(-(pos + len(block)) // BLOCK_SIZE) * BLOCK_SIZE)
            self._busy(self.timing.erase(write["erased_to"], end - write["erased_to"]))
            write["erased_to"] = end
        self._busy(self.timing.program(len(block)))
        self.flash.program(pos, block)
        write["pos"] = pos + len(block)
        write["written"] += len(block)
        if not self.stub:  # the ROM answers once the block is in the flash
            self._reply(op)
        if write["written"] >= write["expected"]:
            self._finish_write()

    def _finish_write(self) -> None:
        write, self._write = self._write, None
        if write is not None and write["written"]:
            self.flash.flush()
            self.events.emit("flash_write", addr=write["addr"], size=write["written"])

    # --- stub read-flash -----------------------------------------------------
    def _read_flash(self, addr: int, length: int, packet_size: int, max_in_flight: int) -> None:
        self._reply(READ_FLASH)
        sent = acked = 0
        while acked < length and not self._stop.is_set():
            while sent < length and sent - acked < packet_size * max(1, max_in_flight):
                chunk = self.flash.read(addr + sent, min(packet_size, length - sent))
                self._send(slip.encode(chunk))
                sent += len(chunk)
            ack = self._next_frame(10.0)
            if ack is None or len(ack) < 4:
                return  # host gave up
            acked = struct.unpack_from("<I", ack)[0]
        self._send(slip.encode(hashlib.md5(self.flash.read(addr, length)).digest()))
