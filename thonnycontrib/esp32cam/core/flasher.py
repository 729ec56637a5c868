"""Writing a firmware image to the board with esptool, and what to tell the user.

Runs esptool as a subprocess (never through a shell), streams its output
line by line, follows its percentages, steps the baud rate down when the
adapter cannot keep up, and turns failures into instructions.
"""
from __future__ import annotations

import signal
import subprocess
import sys
import threading
from dataclasses import dataclass, field
from typing import Callable, List, Optional, Sequence

from thonnycontrib.esp32cam.core import board_restart, chipinfo, usbjtag
from thonnycontrib.esp32cam.core import esptool_cmd as ec
from thonnycontrib.esp32cam.core import flash_messages as fm
from thonnycontrib.esp32cam.core.catalog import CHIP_OFFSETS
from thonnycontrib.esp32cam.core.flash_messages import DOWNLOAD_MODE_HELP  # noqa: F401 (public name)

DEFAULT_BAUDS = (460800, 115200, 38400)

@dataclass
class FlashOptions:
    port: str
    chip: str = "esp32"
    offset: Optional[int] = None           # default: from the chip
    erase: bool = True
    baud: Optional[int] = None             # pinned baud: no automatic fallback
    bauds: Sequence[int] = DEFAULT_BAUDS
    manual_boot: bool = False              # board already in download mode (IO0 held, RST tapped)
    flash_mode: Optional[str] = None       # None: keep what the image declares
    flash_size: Optional[str] = None
    flash_freq: Optional[str] = None
    psram_mode: Optional[str] = None       # ESP32-S3 build's PSRAM driver: "octal" | "quad"
    check_board: bool = True               # S3: read chip and PSRAM first, refuse a mismatch
    usb_jtag: Optional[bool] = None        # on the chip's USB-Serial/JTAG; None: from the port's VID/PID

    def on_usb_jtag(self) -> bool:
        if self.usb_jtag is None:
            self.usb_jtag = usbjtag.is_usb_serial_jtag(self.port)
        return self.usb_jtag

    def start_offset(self) -> int:
        return CHIP_OFFSETS.get(self.chip, 0x1000) if self.offset is None else self.offset


@dataclass
class FlashResult:
    ok: bool
    outcome: str              # one of esptool_cmd's outcome kinds, or "cancelled"
    message: str
    baud: Optional[int] = None
    board_changed: bool = False   # flash was erased or partly written
    needs_download_mode: bool = False
    log: List[str] = field(default_factory=list)
    board: Optional[chipinfo.ChipInfo] = None  # what the ROM reported before writing
    port: Optional[str] = None  # the board's port afterwards (USB-Serial/JTAG: maybe a new name)


PSRAM_MISMATCH = "psram-mismatch"
WRONG_CHIP = ec.WRONG_CHIP
FLASH_TOO_SMALL = "flash-too-small"


def _flash_mb(name: Optional[str]) -> Optional[int]:
    """8 from "8MB" (esptool's --flash-size names); None for keep/detect/None."""
    return int(name[:-2]) if name and name.upper().endswith("MB") and name[:-2].isdigit() else None


def _image_flash_mb(path: str) -> Optional[int]:
    """The flash size an ESP image's header declares (byte 3, high nibble: 0 = 1 MB ... 4 = 16 MB,
    esp-idf esp_image_header_t.spi_size)."""
    try:
        with open(path, "rb") as f:
            head = f.read(4)
    except OSError:
        return None
    if len(head) < 4 or head[0] != 0xE9 or head[3] >> 4 > 7:
        return None
    return 1 << (head[3] >> 4)


class Flasher:
    """One install at a time; ``cancel()`` may be called from another thread."""

    def __init__(self, esptool: ec.Esptool, on_line: Callable[[str], None] = lambda s: None,
                 on_progress: Callable[[float], None] = lambda p: None) -> None:
        self.esptool = esptool
        self.on_line = on_line
        self.on_progress = on_progress
        self._proc: Optional[subprocess.Popen] = None
        self._cancelled = threading.Event()
        self._lock = threading.Lock()

    # -- public ---------------------------------------------------------------
    def flash(self, image_path: str, options: FlashOptions) -> FlashResult:
        self._cancelled.clear()
        board: Optional[chipinfo.ChipInfo] = None
        if options.chip == "esp32s3" and options.check_board and not options.manual_boot:
            refused, board = self._check_board(options, _image_flash_mb(image_path))
            if refused is not None:
                return refused
        serial_number = getattr(usbjtag.port_info(options.port), "serial_number", None)
        result = self._flash(image_path, options)
        result.board = board
        result.port = options.port
        if not result.ok:
            self._restart_after_failure(result, options)
        if result.ok and options.on_usb_jtag() and not options.manual_boot:
            # leaving the bootloader, the chip's USB device drops off the bus and comes back
            self._say("Waiting for the board's USB port to come back after the reset...", result.log)
            back = usbjtag.wait_for_port(options.port, timeout=10, serial_number=serial_number)
            if back is None:
                result.message += (f" The board's USB port ({options.port}) did not come back within "
                                   "10 s: unplug and replug the board.")
            elif back != options.port:
                result.port = back
                result.message += f" The board came back as {back}."
        return result

    def _restart_after_failure(self, result: FlashResult, options: FlashOptions) -> None:
        """esptool leaves a board it reached in the ROM bootloader when it fails: reset it
        into its firmware and say what state it is in."""
        if result.outcome in fm.UNTOUCHED or not any(mark in line for line in result.log
                                                      for mark in fm.ROM_REACHED):
            return
        if options.manual_boot:
            result.message += fm.MANUAL_BOOT_STATE
            return
        self._say("Resetting the board out of download mode...", result.log)
        state = board_restart.restart_into_firmware(options.port)
        self._say(state, result.log)
        result.message += " " + state

    def _check_board(self, options: FlashOptions, image_flash_mb: Optional[int] = None):
        """Read the S3's chip and PSRAM from its ROM (esptool flash-id) before writing:
        an octal-PSRAM build on a quad-PSRAM module (or the reverse) is refused with
        the reason. A board that cannot be read is left to the write's own errors."""
        log: List[str] = []
        self._say("Reading the chip before writing (esptool flash-id)...", log)
        try:
            board = chipinfo.identify(self.esptool, options.port, usb_reset=options.on_usb_jtag())
        except chipinfo.ChipProbeError as error:
            self._say(f"{error} Continuing with the write.", log)
            return None, None
        self._say(f"Board: {board.describe()}", log)
        if options.on_usb_jtag():  # esptool's reset back into the app re-enumerated the USB device
            back = usbjtag.wait_for_port(options.port, timeout=10,
                                         serial_number=getattr(usbjtag.port_info(options.port), "serial_number", None))
            options.port = back or options.port
        if board.chip != options.chip:
            return FlashResult(False, WRONG_CHIP, fm.wrong_chip_message(board.description, "ESP32-S3"),
                               log=log, board=board), board
        wanted_mb = _flash_mb(options.flash_size) or image_flash_mb
        if board.flash_mb and wanted_mb and wanted_mb > board.flash_mb:
            return FlashResult(False, FLASH_TOO_SMALL, f"This firmware is built for {wanted_mb} MB of flash, but "
                               f"the board has {board.flash_mb} MB: its file system would lie beyond the end "
                               "of the flash. Choose the build for your board. Nothing was written.",
                               log=log, board=board), board
        warning = chipinfo.psram_mismatch(board, options.psram_mode)
        if warning is not None:
            return FlashResult(False, PSRAM_MISMATCH, warning + " Nothing was written.", log=log,
                               board=board), board
        return None, board

    def _flash(self, image_path: str, options: FlashOptions) -> FlashResult:
        bauds = [options.baud] if options.baud else list(options.bauds)
        changed = False
        log: List[str] = []
        for index, baud in enumerate(bauds):
            if index:
                self._say(f"Retrying at {baud} baud: data was garbled at {bauds[index - 1]} baud, "
                          "as happens with weak USB-serial adapters and long cables.", log)
            outcome, wrote, erased = self._run_once(image_path, options, baud, log)
            changed = changed or wrote or erased
            if outcome == ec.OK:
                return FlashResult(True, ec.OK, f"Firmware written and verified at {baud} baud.",
                                   baud=baud, board_changed=True, log=log)
            if self._cancelled.is_set():
                return FlashResult(False, "cancelled", self._cancel_message(changed),
                                   baud=baud, board_changed=changed, log=log)
            if outcome != ec.LINK_FAILURE or index == len(bauds) - 1:
                return FlashResult(False, outcome, self._failure_message(outcome, changed, baud, options,
                                                                             "\n".join(log)),
                                   baud=baud, board_changed=changed,
                                   needs_download_mode=outcome == ec.NEEDS_DOWNLOAD_MODE, log=log)
        raise AssertionError("unreachable")

    def cancel(self) -> None:
        """Stop esptool: interrupt first (it closes the port), then terminate."""
        self._cancelled.set()
        with self._lock:
            proc = self._proc
        if proc is None or proc.poll() is not None:
            return
        try:
            if sys.platform != "win32":
                proc.send_signal(signal.SIGINT)
                try:
                    proc.wait(3)
                    return
                except subprocess.TimeoutExpired:
                    pass
            proc.terminate()
            proc.wait(3)
        except (OSError, subprocess.TimeoutExpired):
            proc.kill()

    @property
    def cancelled(self) -> bool:
        return self._cancelled.is_set()

    # -- internals ------------------------------------------------------------
    def _say(self, text: str, log: List[str]) -> None:
        log.append(text)
        self.on_line(text)

    def _run_once(self, image_path: str, options: FlashOptions, baud: int, log: List[str]):
        cmd = self.esptool.write_command(
            port=options.port, chip=options.chip, baud=baud, image=image_path,
            offset=options.start_offset(), erase=options.erase, manual_boot=options.manual_boot,
            flash_mode=options.flash_mode, flash_size=options.flash_size,
            flash_freq=options.flash_freq, usb_reset=options.on_usb_jtag())
        self._say("$ python " + subprocess.list2cmdline(cmd[1:]), log)
        creationflags = getattr(subprocess, "CREATE_NO_WINDOW", 0)
        proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                stderr=subprocess.STDOUT, env=self.esptool.env, bufsize=0,
                                creationflags=creationflags)
        with self._lock:
            self._proc = proc
        if self._cancelled.is_set():
            self.cancel()
        wrote = erased = False
        last_decile = -1
        output: List[str] = []
        pending = b""
        assert proc.stdout is not None
        while True:
            chunk = proc.stdout.read(4096)  # unbuffered pipe: returns what is available
            if not chunk:
                break
            pending += chunk
            *lines, pending = pending.replace(b"\r\n", b"\n").replace(b"\r", b"\n").split(b"\n")
            for raw in lines:
                line = raw.decode("utf-8", "replace").rstrip()
                if not line:
                    continue
                output.append(line)
                percent = ec.parse_progress(line)
                if percent is not None:
                    wrote = True
                    self.on_progress(percent)
                    if percent < 100 and int(percent) // 10 == last_decile:
                        continue  # log one progress line per 10 %
                    last_decile = int(percent) // 10
                if "Erasing flash" in line or "Chip erase" in line or "erased" in line.lower():
                    erased = True
                self._say(line, log)
        if pending.strip():
            line = pending.decode("utf-8", "replace").rstrip()
            output.append(line)
            self._say(line, log)
        returncode = proc.wait()
        with self._lock:
            self._proc = None
        return ec.classify("\n".join(output), returncode, wrote, port=options.port), wrote, erased

    _cancel_message = staticmethod(fm.cancel_message)
    _failure_message = staticmethod(fm.failure_message)
