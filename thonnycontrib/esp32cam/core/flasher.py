"""Writing a firmware image to the board with esptool, and what to tell the user.

Runs esptool as a subprocess (never through a shell), streams its output
line by line, follows its percentages, steps the baud rate down when the
adapter cannot keep up, and turns failures into instructions.
"""
from __future__ import annotations

import os
from dataclasses import dataclass, field
from typing import Callable, List, Optional, Sequence, Tuple

from thonnycontrib.esp32cam.core import board_restart, chipinfo, fastlink, usbjtag
from thonnycontrib.esp32cam.core import esptool_cmd as ec
from thonnycontrib.esp32cam.core.esptool_run import EsptoolRunner
from thonnycontrib.esp32cam.core import flash_messages as fm
from thonnycontrib.esp32cam.core.catalog import CHIP_OFFSETS
from thonnycontrib.esp32cam.core.flash_messages import DOWNLOAD_MODE_HELP  # noqa: F401 (public name)
from thonnycontrib.esp32cam.core.i18n import _

SECTOR = 0x1000  # esptool writes and erases whole 4 KB flash sectors
# esptool 4.8 cmds.py erase_flash / verify_flash; esptool 5.x cmds.py erase_flash / verify_flash
CHIP_ERASED = ("Chip erase completed successfully", "Flash memory erased successfully")
VERIFIED = ("-- verify OK (digest matched)", "Verification successful (digest matched)")

@dataclass
class FlashOptions:
    port: str
    chip: str = "esp32"
    offset: Optional[int] = None           # default: from the chip
    erase: bool = True
    baud: Optional[int] = None             # pinned baud: no automatic fallback
    bauds: Optional[Sequence[int]] = None  # rates to try; None: the adapter's (fastlink.flash_rates)
    manual_boot: bool = False              # board already in download mode (IO0 held, RST tapped)
    flash_mode: Optional[str] = None       # None: keep what the image declares
    flash_size: Optional[str] = None
    flash_freq: Optional[str] = None
    psram_mode: Optional[str] = None       # ESP32-S3 build's PSRAM driver: "octal" | "quad"
    check_board: bool = True               # S3: read chip and PSRAM first, refuse a mismatch
    usb_jtag: Optional[bool] = None        # on the chip's USB-Serial/JTAG; None: from the port's VID/PID
    work_dir: Optional[str] = None         # where a resumed write's rest of the image is put (default:
                                           # the image's folder, the firmware cache for catalog builds)
    regions: Optional[Sequence[Tuple[int, int]]] = None  # (flash address, length) to write: the parts
                                           # that differ from the board (core/reinstall.py); None: all
    stub_waiting: bool = False             # the read before left esptool's stub running at 115200:
                                           # the first write attempt connects to it without a reset

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
        self._log: List[str] = []  # the current install's lines (esptool's and ours)
        self._runner = EsptoolRunner(esptool.env, self._runner_line, on_progress)

    # -- public ---------------------------------------------------------------
    def flash(self, image_path: str, options: FlashOptions) -> FlashResult:
        self._runner.reset()
        board: Optional[chipinfo.ChipInfo] = None
        if options.chip == "esp32s3" and options.check_board and not options.manual_boot:
            refused, board = self.read_s3_board(options, image_path)
            if refused is not None:
                return refused
        serial_number = getattr(usbjtag.port_info(options.port), "serial_number", None)
        result = self._flash(image_path, options)
        result.board, result.port = board, options.port
        if not result.ok:
            restart_after_failure(result, options, self.on_line)
        if result.ok and options.on_usb_jtag() and not options.manual_boot:
            # leaving the bootloader, the chip's USB device drops off the bus and comes back
            self._say(_("Waiting for the board's USB port to come back after the reset..."), result.log)
            back = usbjtag.wait_for_port(options.port, timeout=10, serial_number=serial_number)
            if back is None:
                result.message += " " + _("The board's USB port ({port}) did not come back "
                                          "within 10 s: unplug and replug the board.").format(port=options.port)
            elif back != options.port:
                result.port = back
                result.message += " " + _("The board came back as {port}.").format(port=back)
        return result

    def read_s3_board(self, options: FlashOptions, image_path: str):
        """Read the S3's chip and PSRAM from its ROM (esptool flash-id) before writing:
        an octal-PSRAM build on a quad-PSRAM module (or the reverse) is refused with
        the reason. A board that cannot be read is left to the write's own errors."""
        log: List[str] = []
        self._say(_("Reading the chip before writing (esptool flash-id)..."), log)
        try:
            board = chipinfo.identify(self.esptool, options.port, usb_reset=options.on_usb_jtag())
        except chipinfo.ChipProbeError as error:
            self._say(_("{error} Continuing with the write.").format(error=error), log)
            return None, None
        self._say(_("Board: {board}").format(board=board.describe()), log)
        if options.on_usb_jtag():  # esptool's reset back into the app re-enumerated the USB device
            back = usbjtag.wait_for_port(options.port, timeout=10,
                                         serial_number=getattr(usbjtag.port_info(options.port), "serial_number", None))
            options.port = back or options.port
        if board.chip != options.chip:
            return FlashResult(False, WRONG_CHIP, fm.wrong_chip_message(board.description, "ESP32-S3"),
                               log=log, board=board), board
        wanted_mb = _flash_mb(options.flash_size) or _image_flash_mb(image_path)
        if board.flash_mb and wanted_mb and wanted_mb > board.flash_mb:
            message = _("This firmware is built for {wanted} MB of flash, but the board has "
                        "{board} MB: its file system would lie beyond the end of the flash. "
                        "Choose the build for your board. Nothing was written.").format(wanted=wanted_mb, board=board.flash_mb)
            return FlashResult(False, FLASH_TOO_SMALL, message, log=log, board=board), board
        warning = chipinfo.psram_mismatch(board, options.psram_mode)
        if warning is not None:
            return FlashResult(False, PSRAM_MISMATCH, " ".join((warning, _(
                    "Nothing was written."))),
                               log=log, board=board), board
        return None, board

    def _rates(self, options: FlashOptions, log: List[str]) -> List[int]:
        if options.baud:
            return [options.baud]
        if options.bauds:
            return list(options.bauds)
        adapter, rates = fastlink.flash_rates(options.port)
        self._say(_("Trying {baud} baud first: the fastest rate the {adapter} carries.").format(
            baud=rates[0], adapter=adapter), log)
        return rates

    def _flash(self, image_path: str, options: FlashOptions) -> FlashResult:
        log: List[str] = []
        bauds = self._rates(options, log)
        changed = False
        erase = options.erase
        resume: Optional[int] = None  # where the next attempt continues (a failed rate's progress)
        for index, baud in enumerate(bauds):
            if index:
                retry = _(fm.RETRY_GARBLED if resume is None else fm.RETRY_GARBLED_RESUME)
                self._say(retry.format(baud=baud, previous=bauds[index - 1],
                                       address=f"{resume:#x}" if resume is not None else ""), log)
            in_stub = options.stub_waiting
            outcome, wrote, erased, addresses = self._write(image_path, options, baud, erase, resume, log)
            options.stub_waiting = False  # a retry resets the board: the stub's state is unknown
            changed = changed or wrote or erased
            # the whole chip was erased: a later attempt need not erase it again
            erase = erase and not any(s in line for line in log for s in CHIP_ERASED)
            # the whole image hashed again: after a resumed write, and after a write of the parts
            # that differed (write-flash hashes each part it wrote; the rest matched the board's
            # hash just before). Not by hand in download mode: the write left the stub at the fast
            # rate, where a new esptool cannot reach it without a reset (it connects at 115200)
            partial = options.regions is not None and sum(n for _address, n in options.regions) < os.path.getsize(image_path)
            whole = resume is not None or (partial and not options.manual_boot)
            if outcome == ec.OK and in_stub and not whole:  # esptool left the chip in the stub
                self._say(board_restart.restart_into_firmware(options.port), log)
            if outcome == ec.OK and whole:
                outcome = self._verify_whole(image_path, options, baud, log, resume)
                resume = None if outcome != ec.OK else resume
            if outcome == ec.OK:
                return FlashResult(True, ec.OK, _done_message(bauds, index, resume, options.regions, whole), baud=baud,
                                   board_changed=True, log=log)
            if self._runner.cancelled:
                return FlashResult(False, "cancelled", self._cancel_message(changed),
                                   baud=baud, board_changed=changed, log=log)
            if outcome != ec.LINK_FAILURE or index == len(bauds) - 1:
                return FlashResult(False, outcome, self._failure_message(outcome, changed, baud, options,
                                                                             "\n".join(log)),
                                   baud=baud, board_changed=changed,
                                   needs_download_mode=outcome == ec.NEEDS_DOWNLOAD_MODE, log=log)
            resume = _resume_point(addresses, resume, options.start_offset())
        raise AssertionError("unreachable")

    def _write(self, image_path: str, options: FlashOptions, baud: int, erase: bool,
               resume: Optional[int], log: List[str]):
        """One esptool write: the whole image, or the parts of it still to write (the regions
        that differ, from ``resume`` on) as files beside it, removed afterwards."""
        offset = options.start_offset()
        if resume is None and options.regions is None:
            return self._run_once(self._write_command([(offset, image_path)], options, baud, erase), options, log)
        pieces = _pieces(options.regions, resume, offset, os.path.getsize(image_path))
        if not pieces:
            return ec.OK, False, False, []
        folder = options.work_dir or os.path.dirname(os.path.abspath(image_path))
        os.makedirs(folder, exist_ok=True)
        paths = [os.path.join(folder, f".{os.path.basename(image_path)}.{a:x}-{n:x}.part") for a, n in pieces]
        try:
            with open(image_path, "rb") as src:
                for (address, length), path in zip(pieces, paths):
                    src.seek(address - offset)
                    with open(path, "wb") as f:
                        f.write(src.read(length))
            parts = [(address, path) for (address, _length), path in zip(pieces, paths)]
            return self._run_once(self._write_command(parts, options, baud, False), options, log)
        finally:
            for path in paths:
                try:
                    os.remove(path)
                except OSError:
                    pass

    def _write_command(self, parts: List[Tuple[int, str]], options: FlashOptions, baud: int,
                       erase: bool) -> List[str]:
        # esptool rewrites the header's flash mode/size/frequency only in a file at the image's start
        at_image_start = any(address == options.start_offset() for address, _path in parts)
        return self.esptool.write_command(
            port=options.port, chip=options.chip, baud=baud, image=parts[0][1], offset=parts[0][0],
            erase=erase, parts=parts, stub_waiting=options.stub_waiting,
            manual_boot=options.manual_boot, flash_mode=options.flash_mode if at_image_start else None,
            flash_size=options.flash_size if at_image_start else None,
            flash_freq=options.flash_freq if at_image_start else None, usb_reset=options.on_usb_jtag())

    def _verify_whole(self, image_path: str, options: FlashOptions, baud: int, log: List[str],
                      resume: Optional[int] = None) -> str:
        """After a resumed write: the board hashes the whole image's region (the part written
        at the faster rate too) and esptool compares it with the image."""
        self._say(_("Verifying the whole image (part of it was written at the faster rate)...") if resume
                  else _("Verifying the whole image..."), log)
        if options.on_usb_jtag() and not options.manual_boot:  # the write's reset re-enumerated it
            options.port = usbjtag.wait_for_port(options.port, timeout=10, serial_number=getattr(
                usbjtag.port_info(options.port), "serial_number", None)) or options.port
        cmd = self.esptool.verify_command(
            port=options.port, chip=options.chip, baud=baud, image=image_path, offset=options.start_offset(),
            manual_boot=options.manual_boot, flash_mode=options.flash_mode, flash_size=options.flash_size,
            flash_freq=options.flash_freq, usb_reset=options.on_usb_jtag())
        return self._run_once(cmd, options, log, verify=True)[0]

    def cancel(self) -> None:  # stops esptool; from another thread
        self._runner.cancel()

    @property
    def cancelled(self) -> bool:
        return self._runner.cancelled

    # -- internals ------------------------------------------------------------
    def _say(self, text: str, log: List[str]) -> None:
        log.append(text)
        self.on_line(text)

    def _runner_line(self, line: str) -> None:
        self._say(line, self._log)

    def _run_once(self, cmd: List[str], options: FlashOptions, log: List[str], verify: bool = False):
        """Run one esptool command: (outcome, wrote, erased, the 'Writing at' addresses seen)."""
        self._log = log
        out = self._runner.run(cmd)
        if verify:
            verified = out.returncode == 0 and any(s in out.text for s in VERIFIED)
            return (ec.OK if verified else ec.LINK_FAILURE), False, False, out.addresses
        return ec.classify(out.text, out.returncode, out.wrote, port=options.port), out.wrote, out.erased, \
            out.addresses

    _cancel_message = staticmethod(fm.cancel_message)
    _failure_message = staticmethod(fm.failure_message)


def restart_after_failure(result: FlashResult, options: FlashOptions, on_line: Callable[[str], None]) -> None:
    """esptool leaves a board it reached in the ROM bootloader when it fails: reset it
    into its firmware and say what state it is in."""
    if result.outcome in fm.UNTOUCHED or not any(mark in line for line in result.log for mark in fm.ROM_REACHED):
        return
    if options.manual_boot:
        result.message += " " + _(fm.MANUAL_BOOT_STATE)
        return
    result.log.append(_("Resetting the board out of download mode..."))
    on_line(result.log[-1])
    state = board_restart.restart_into_firmware(options.port)
    result.log.append(state)
    on_line(state)
    result.message += " " + state


def _pieces(regions: Optional[Sequence[Tuple[int, int]]], resume: Optional[int], offset: int,
            size: int) -> List[Tuple[int, int]]:
    """(address, length) still to write: ``regions`` (None: the whole image), from ``resume`` on."""
    pieces = []
    for address, length in regions if regions is not None else [(offset, size)]:
        start = max(address, resume if resume is not None else address)
        if start < address + length:
            pieces.append((start, address + length - start))
    return pieces


def _done_message(bauds: List[int], index: int, resume: Optional[int],
                  regions: Optional[Sequence[Tuple[int, int]]] = None, whole: bool = True) -> str:
    text = _("Firmware written and verified at {baud} baud.").format(baud=bauds[index])
    if regions is not None:
        kb = sum(length for _address, length in regions) // 1024
        text = (_("Firmware written and verified at {baud} baud: only the parts that differed "
                  "({kb} KB) were written, then the whole image was verified.") if whole else
                _("Firmware written and verified at {baud} baud: only the parts that differed "
                  "({kb} KB) were written, and esptool verified each of them (the rest matched the "
                  "board's hash just before).")).format(baud=bauds[index], kb=kb)
    if index:
        text += " " + _("({baud} baud garbled data with this adapter and cable.)").format(baud=bauds[0])
    if resume is not None:
        text += " " + _("The write continued from {address} instead of starting over.").format(
            address=f"{resume:#x}")
    return text


def _resume_point(addresses: List[int], resume: Optional[int], start: int) -> Optional[int]:
    """Where to continue after a write failed: the start of the block before the one that
    failed (esptool's stub writes a block to flash while the next one arrives, so that one
    may be half written), down to its 4 KB sector. No progress: where this attempt began."""
    if len(addresses) < 2:
        return resume
    point = addresses[-2] - addresses[-2] % SECTOR
    return point if point > (start if resume is None else resume) else resume
