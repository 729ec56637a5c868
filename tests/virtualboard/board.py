"""The virtual ESP32-CAM (or ESP32-S3 camera board): wiring, reset/boot logic, ROM,
faults, firmware.

The chip is held in reset while EN is low. When EN rises it comes out of
reset `en_delay` seconds later (the RC delay on EN) and samples IO0 then:
low -> ROM download mode, high -> normal boot from flash.
"""
from __future__ import annotations

import threading
from typing import Any, Callable, Mapping, Optional, Tuple, Union

from . import bootlog
from .events import Event, EventLog
from .firmware_info import FirmwareInfo, inspect_flash
from .flash import Flash, FlashTiming
from .images import firmware_offset
from .rom import MAC, MAC_S3, RomBootloader, esp32_chip, esp32s3_chip, parse_mac
from .sccb import MODELS as SENSOR_MODELS
from .transport import PtyPort, Rfc2217Server
from .uart import ADAPTER_LATENCY, ADAPTER_MODELS, ADAPTER_USB_FRAME, ROM_BAUD, Uart
from .wifi import DEFAULT_RSSI, WifiNetworks
from .wiring import WIRINGS, pins_for, usb_serial_jtag

CHIPS = ("esp32", "esp32s3")
DEFAULT_FLASH_SIZES = {"esp32": 4 * 1024 * 1024, "esp32s3": 8 * 1024 * 1024}
S3_PSRAM = ("octal", "quad")
# The USB device leaves the bus when the chip goes from its ROM bootloader to the app (esptool's
# hard reset after flashing: esp_pylib serial_reset.hard_reset keeps RTS released 0.2 s "for
# chips talking over their internal USB peripheral: the device disappears from the bus while
# reset is asserted and needs a moment to re-enumerate"); the host sees the port vanish.
USB_REENUMERATE_SECONDS = 0.5
RTC_CNTL_OPTION1_REG = 0x6000812C  # bit 0: FORCE_DOWNLOAD_BOOT (esptool targets/esp32s3.py)
APP_START_SECONDS = 0.15  # 2nd-stage bootloader + app start-up, before faults strike
FAULT_LOOP_SECONDS = 0.4  # pause between crash and the next boot in a fault loop


class VirtualBoard:
    def __init__(self, wiring: str = "classic", firmware: Optional[bytes] = None,
                 flash_path: Optional[str] = None, psram: Union[bool, str] = True, brownout: bool = False,
                 camera_missing: bool = False, max_baud: Optional[int] = None,
                 weak_after: Optional[int] = None, drop_after: Optional[int] = None,
                 line_rate: str = "real", en_delay: float = 0.1,
                 mode: str = "rfc2217", firmware_factory: Optional[Callable[..., Any]] = None,
                 micropython: bool = True, erase_flash: bool = False, on_event: Optional[Callable[[Event], None]] = None,
                 tty_open: str = "none", flash_timing: str = "real", adapter: Optional[str] = None,
                 sensor: str = "OV2640", mac: Optional[str] = None,
                 chip: str = "esp32", flash_size: Optional[int] = None, usb: bool = False,
                 fail_after: Optional[int] = None, wifi: Optional[Mapping[str, Any]] = None,
                 wifi_rssi: int = DEFAULT_RSSI, wifi_lan: str = "home", cpu: str = "host") -> None:
        """`chip="esp32s3"`: an ESP32-S3 module (8 MB flash by default) whose `psram` is
        True/"octal" (N8R8: in-package octal PSRAM), "quad" (N8R2) or False. `usb=True`: the
        board reaches the host through the S3's own USB-Serial/JTAG (VID 303A PID 1001)
        instead of a USB-UART bridge (see wiring.usb_serial_jtag). `wifi={"SSID": "password"}`
        (a value may be a dict: password, band "2.4GHz"/"5GHz", channel, rssi, dhcp=False for a
        router that hands out no address): the access points
        its radio hears, at `wifi_rssi` dBm; `wifi_address(port)` finds a server it runs (wifi.py).
        `wifi_lan="loopback"`: the board's address is on the host's loopback, where a host program
        reaches its servers (ports from 1024) at the address and port the board reports.
        `cpu="esp32"`: MicroPython's code takes a 240 MHz ESP32's time and its sleeps are the
        ESP32 port's (cpu.py, hostcosts.py); "host" (default): the host's."""
        if chip not in CHIPS:
            raise ValueError(f"chip must be one of {CHIPS}")
        if usb and chip != "esp32s3":
            raise ValueError("usb=True (USB-Serial/JTAG) needs chip='esp32s3'")
        if cpu not in ("esp32", "host"):
            raise ValueError("cpu must be 'esp32' or 'host'")
        self.cpu = cpu
        self.usb = usb
        self._force_download = False  # USB-Serial/JTAG's force-download-boot flag
        self._usb_reset = False       # the current reset came from the USB-Serial/JTAG lines
        self._strap_gpio0_high = True  # GPIO0 as the strapping register latched it (pulled up)
        self._in_download = False
        if chip == "esp32s3" and psram not in (True, False) + S3_PSRAM:
            raise ValueError(f"psram must be True, False or one of {S3_PSRAM} on an ESP32-S3")
        self.chip = chip
        self.psram_mode: Optional[str] = None
        if chip == "esp32s3" and psram:
            self.psram_mode = "octal" if psram is True else str(psram)
        psram = bool(psram)
        if wiring not in WIRINGS:
            raise ValueError(f"wiring must be one of {WIRINGS}")
        if mode not in ("rfc2217", "pty"):
            raise ValueError("mode must be 'rfc2217' or 'pty'")
        self.wiring = wiring
        self.psram = psram
        self.brownout = brownout
        self.camera_missing = camera_missing
        if sensor not in SENSOR_MODELS:
            raise ValueError(f"sensor must be one of {sorted(SENSOR_MODELS)}")
        self.sensor = sensor  # the camera module's sensor (sccb.py)
        self.en_delay = en_delay
        # the chip's factory MAC (eFuse), its identity
        self.mac = parse_mac(mac) if mac else (MAC_S3 if chip == "esp32s3" else MAC)
        if flash_timing not in ("real", "fast"):
            raise ValueError("flash_timing must be 'real' or 'fast'")
        self.flash_timing = FlashTiming(1.0 if flash_timing == "real" else 0.0)
        self.events = EventLog()
        if on_event is not None:
            self.events.add_listener(on_event)
        self._wifi_configured = wifi is not None
        self.wifi = WifiNetworks(wifi, rssi=wifi_rssi, lan=wifi_lan)
        self.flash = Flash(flash_path, flash_size or DEFAULT_FLASH_SIZES[chip])
        self.chip_model = (esp32s3_chip(self.flash.size, self.psram_mode, usb_jtag=usb, mac=self.mac)
                           if chip == "esp32s3" else esp32_chip(self.flash.size, mac=self.mac))
        if erase_flash:
            self.flash.erase_all()
        if firmware is not None:
            image_chip = "esp32s3" if firmware[12:14] == b"\x09\x00" else "esp32"
            self.flash.write(firmware_offset(image_chip), firmware)
            self.flash.flush()
        if adapter is not None:
            if adapter not in ADAPTER_MODELS:
                raise ValueError(f"adapter must be one of {sorted(ADAPTER_MODELS)}")
            max_baud = ADAPTER_MODELS[adapter] if max_baud is None else min(max_baud, ADAPTER_MODELS[adapter] or max_baud)
        self.uart = Uart(self.events, line_rate=line_rate, max_baud=max_baud, weak_after=weak_after, usb=usb,
                         fail_after=fail_after)
        self.uart.chip_rx = self._chip_rx
        if adapter is not None:
            self.uart.set_adapter_latency(ADAPTER_LATENCY.get(adapter))
            self.uart.set_usb_frame(ADAPTER_USB_FRAME.get(adapter))
        self._firmware_factory = firmware_factory
        self._run_micropython = micropython
        self._lock = threading.RLock()
        self._generation = 0
        self._wakeup = threading.Condition(self._lock)
        self._program: Any = None  # RomBootloader or firmware currently fed by UART RX
        self._dtr = self._rts = False
        self._reset_button = False
        self._boot_button = False
        self._en_high = False
        self._io0_high = True
        self._last_lines: tuple = ()
        self.state = "reset"
        self.info: Optional[FirmwareInfo] = None
        self._closed = False
        if mode == "pty":
            self.transport: Any = PtyPort(self.uart, self.events)
            self.device: Optional[str] = self.transport.device
        else:
            self.transport = Rfc2217Server(self.uart, self.events, self._lines_from_adapter,
                                           self._adapter_disconnected, drop_after, tty_open)
            self.device = None
        self.url = self.transport.url
        self._update_pins()  # power on

    # --- public controls ---------------------------------------------------
    def press_reset(self, hold: float = 0.05) -> None:
        """Tap the RST button: EN low for `hold` seconds, then released."""
        with self._lock:
            self._reset_button = True
            self._update_pins()
        threading.Event().wait(hold)
        with self._lock:
            self._reset_button = False
            self._update_pins()

    def hold_boot(self, held: bool = True) -> None:
        """Hold (True) or release the BOOT button / IO0 jumper."""
        with self._lock:
            self._boot_button = held
            self._update_pins()

    def wifi_address(self, port: int, timeout: float = 10.0) -> Tuple[str, int]:
        """Where the host reaches a server the board runs on `port` over Wi-Fi: ("127.0.0.1", H),
        once the board has an IP address and listens there (TimeoutError otherwise)."""
        return self.wifi.address(port, timeout)

    @property
    def lines(self) -> dict:
        return {"dtr": self._dtr, "rts": self._rts, "en": self._en_high, "io0": self._io0_high}

    def close(self) -> None:
        if self._closed:
            return
        self._closed = True
        self.transport.close()
        with self._lock:
            self._generation += 1
            program, self._program = self._program, None
            self._wakeup.notify_all()
        _stop(program)
        self.uart.close()
        self.flash.close()

    def __enter__(self) -> "VirtualBoard":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    # --- adapter side ----------------------------------------------------------
    def _lines_from_adapter(self, dtr: bool, rts: bool) -> None:
        with self._lock:
            self._dtr, self._rts = dtr, rts
            self._update_pins()

    def _adapter_disconnected(self) -> None:
        """The port was closed: the adapter releases RTS first, then DTR (a CDC-ACM device
        gets both in one SET_CONTROL_LINE_STATE)."""
        if not self.usb:
            self._lines_from_adapter(self._dtr, False)
        self._lines_from_adapter(False, False)
        self.uart.set_host_baud(None)

    def _rom_wrote(self, addr: int, value: int) -> None:
        if addr == RTC_CNTL_OPTION1_REG and not value & 1:
            self._force_download = False  # esptool's hard_reset clears FORCE_DOWNLOAD_BOOT

    def _chip_rx(self, data: bytes) -> None:
        program = self._program
        if program is not None:
            program.feed(data)

    # --- pins and reset --------------------------------------------------------
    def _update_pins(self) -> None:
        if self.usb:
            usb = usb_serial_jtag(self._dtr, self._rts)
            if usb.force_download:
                self._force_download = True
            en_high = not (usb.reset or self._reset_button)
            io0_high = not self._boot_button
            if self._en_high and not en_high:
                self._usb_reset = usb.reset and not self._reset_button
        else:
            pins = pins_for(self.wiring, self._dtr, self._rts)
            en_high = not (pins.en_low or self._reset_button)
            io0_high = not (pins.io0_low or self._boot_button)
        if self._closed:
            return
        lines = (self._dtr, self._rts, en_high, io0_high)
        if lines != self._last_lines:
            self._last_lines = lines
            self.events.emit("lines", dtr=self._dtr, rts=self._rts, en=en_high, io0=io0_high)
        was_high = self._en_high
        self._en_high, self._io0_high = en_high, io0_high
        if was_high and not en_high:
            self._hold_in_reset()
        elif en_high and not was_high:
            generation = self._generation
            threading.Thread(target=self._power_up, args=(generation,), daemon=True).start()

    def _hold_in_reset(self) -> None:
        self._generation += 1
        self._wakeup.notify_all()
        program, self._program = self._program, None
        self.state = "reset"
        self.uart.discard_output()
        self.uart.lock_baud()
        self.uart.set_chip_baud(ROM_BAUD)
        if program is not None:
            threading.Thread(target=_stop, args=(program,), daemon=True).start()

    def _sleep(self, generation: int, seconds: float) -> bool:
        """Wait unless the chip is reset meanwhile; True if still the same boot."""
        with self._lock:
            self._wakeup.wait_for(lambda: self._generation != generation, timeout=seconds)
            return self._generation == generation

    def _power_up(self, generation: int) -> None:
        if not self._sleep(generation, self.en_delay):
            return  # EN went low again before the RC delay elapsed
        if self.usb and not self._usb_reset:
            self._force_download = False  # EN (RST button) resets the RTC domain and its flag
        self._boot(generation, "usb" if self.usb and self._usb_reset else "poweron")

    def _software_reset(self, reason: str) -> None:
        with self._lock:
            if not self._en_high or self._closed:
                return
            self._hold_in_reset()
            generation = self._generation
        self._boot(generation, "software")

    def _request_reset(self, reason: str = "software") -> None:
        threading.Thread(target=self._software_reset, args=(reason,), daemon=True).start()

    # --- boot ---------------------------------------------------------------
    def _send(self, generation: int, text: str) -> bool:
        with self._lock:
            if generation != self._generation:
                return False
            self.uart.chip_send(text.encode())
            return True

    def _boot(self, generation: int, cause: str) -> None:
        while True:
            with self._lock:
                if generation != self._generation:
                    return
                if cause == "usb":  # a core reset: GPIO0 is not sampled again, the USB flag counts
                    download = self._force_download
                else:
                    download = (not self._io0_high and cause == "poweron") or (self.usb and self._force_download)
                if cause == "poweron":
                    self._strap_gpio0_high = self._io0_high  # the strapping pins are latched here
                left_bootloader = self._in_download and not download
                self._in_download = download
                self.events.emit("reset", reason=cause)
                self.events.emit("boot", mode="download" if download else "normal")
                if download:
                    self.state = "download"
                    self._send(generation, bootlog.download_mode(cause, self.chip))
                    self.uart.chip_send_then(self.uart.start_autobaud)  # after the banner, at 115200
                    rom = RomBootloader(self.flash, self.uart, self.events, self._request_reset,
                                        self.flash_timing, self.chip_model, self._rom_wrote,
                                        gpio0_high=self._strap_gpio0_high,
                                        force_download=self._force_download)
                    self._program = rom
                    rom.start()
                    return
                self.state = "booting"
                if left_bootloader and self.usb and hasattr(self.transport, "vanish"):
                    self.transport.vanish(USB_REENUMERATE_SECONDS)
                self._send(generation, bootlog.rom_normal_boot(cause, self.chip))
            cause = self._boot_from_flash(generation)
            if cause is None:
                return

    def _boot_from_flash(self, generation: int) -> Optional[str]:
        """Run the normal boot; returns the reset cause if it ends in a reset loop."""
        try:
            info = self.info = inspect_flash(self.flash, self.chip)
        except ValueError:  # "mmap closed": the board was closed while this boot began
            if self._closed:
                return None
            raise
        if not info.has_bootloader:
            self._fail(generation, bootlog.no_bootloader(self.chip), info)
            return None
        self._send(generation, bootlog.second_stage_load(self.chip))
        if info.app_error is not None:
            self._send(generation, bootlog.corrupt_app(info.app_error))
            self.events.emit("corrupt_app", error=info.app_error)
            return "bootloader_reset" if self._sleep(generation, FAULT_LOOP_SECONDS) else None
        if not info.valid:
            self._fail(generation, bootlog.no_app(), info)
            return None
        psram_ok = self.psram
        if info.psram_mode is not None and info.psram_mode != self.psram_mode:
            # an S3 build whose PSRAM driver does not match the board's PSRAM: logged,
            # then the app runs without PSRAM (CONFIG_SPIRAM_IGNORE_NOTFOUND)
            if not self._sleep(generation, APP_START_SECONDS):
                return None
            self._send(generation, bootlog.s3_psram_mismatch(info.psram_mode, self.psram_mode, info.idf_major))
            self.events.emit("psram_error", build=info.psram_mode, board=self.psram_mode)
            psram_ok = False
        elif info.psram_build and not self.psram and self.chip == "esp32":
            if not self._sleep(generation, APP_START_SECONDS):
                return None
            self._send(generation, bootlog.psram_failure())
            self.events.emit("psram_error")
            return "software" if self._sleep(generation, FAULT_LOOP_SECONDS) else None
        if self.brownout:
            if not self._sleep(generation, APP_START_SECONDS):
                return None
            self._send(generation, bootlog.brownout())
            self.events.emit("brownout")
            return "brownout" if self._sleep(generation, FAULT_LOOP_SECONDS) else None
        self._start_firmware(generation, info, psram_ok)
        return None

    def _fail(self, generation: int, text: str, info: FirmwareInfo) -> None:
        with self._lock:
            if self._send(generation, text):
                self.state = "failed"
                self.events.emit("no_firmware", problem=info.problem)

    def _start_firmware(self, generation: int, info: FirmwareInfo, psram: bool) -> None:
        factory = self._firmware_factory or (_micropython_factory() if self._run_micropython else None)
        with self._lock:
            if generation != self._generation:
                return
            if factory is None:
                self.state = "running"  # no firmware runner available: the chip runs silently
                return

            def emit(data: bytes) -> None:
                if generation == self._generation:
                    self.uart.chip_send(data)
                    # like print() on a real chip: return once the bytes are on the wire, so a
                    # print loop runs at UART speed and Ctrl-C is not followed by a huge backlog
                    sent = threading.Event()
                    self.uart.chip_send_then(sent.set)
                    while not sent.wait(0.05) and generation == self._generation:
                        pass

            def event(kind: str, data: Optional[dict] = None) -> None:
                self.events.emit(kind, **(data or {}))

            extra = {"wifi": self.wifi} if self._firmware_factory is None or self._wifi_configured else {}
            if self._firmware_factory is None:
                extra["cpu"] = self.cpu
            firmware = factory(self.flash, info, psram=psram, camera_missing=self.camera_missing,
                               sensor=self.sensor, emit=emit, event=event, request_reset=self._request_reset,
                               uart=self.uart, mac=self.mac, **extra)
            self._program = firmware
            self.state = "running"
        try:
            firmware.start()
        except Exception as error:  # e.g. the MicroPython unix port is not installed
            with self._lock:
                if generation == self._generation:
                    self.state = "failed"
            self.events.emit("firmware_error", error=str(error))
            return
        with self._lock:
            stale = generation != self._generation
        if stale:  # reset while starting
            _stop(firmware)
            return
        self.events.emit("firmware_started", banner=info.banner)


def _micropython_factory() -> Optional[Callable[..., Any]]:
    try:
        from .firmware import MicroPythonFirmware
    except ImportError:
        return None
    return MicroPythonFirmware


def _stop(program: Any) -> None:
    if program is not None:
        try:
            program.stop()
        except Exception:
            pass
