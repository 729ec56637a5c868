"""esptool as a subprocess: which version will run, how to spell its
arguments for that version, and what its output means.

esptool 5 spells commands and options with hyphens (``write-flash``,
``--flash-mode``, ``default-reset``); esptool 4 with underscores. The
version is read from the interpreter and PYTHONPATH that will run it.
"""
from __future__ import annotations

import os
import re
import subprocess
import sys
from dataclasses import dataclass
from typing import Dict, List, Optional, Sequence, Tuple

from thonnycontrib.esp32cam.core import port_errors as pe
from thonnycontrib.esp32cam.core.i18n import _

MIN_VERSION = (4, 7)


class EsptoolMissing(RuntimeError):
    pass


def esptool_env(extra_paths: Sequence[str] = (), base: Optional[Dict[str, str]] = None) -> Dict[str, str]:
    """Environment for the esptool subprocess: ``extra_paths`` (e.g. Thonny's
    plug-in site-packages) prepended to PYTHONPATH, unbuffered output."""
    env = dict(os.environ if base is None else base)
    paths = [p for p in extra_paths if p] + [p for p in env.get("PYTHONPATH", "").split(os.pathsep) if p]
    if paths:
        env["PYTHONPATH"] = os.pathsep.join(dict.fromkeys(paths))
    env["PYTHONUNBUFFERED"] = "1"
    env.setdefault("PYTHONIOENCODING", "utf-8")
    return env


def parse_version(text: str) -> Tuple[int, ...]:
    m = re.match(r"\s*(\d+)\.(\d+)(?:\.(\d+))?", text)
    if not m:
        raise ValueError(f"not a version: {text!r}")
    return tuple(int(g) for g in m.groups() if g is not None)


@dataclass(frozen=True)
class Esptool:
    """The esptool that ``python -m esptool`` will run, and its spelling."""
    python: str
    env: Dict[str, str]
    version: Tuple[int, ...]

    @property
    def hyphenated(self) -> bool:
        return self.version[0] >= 5

    def spell(self, name: str) -> str:
        """``write-flash`` / ``default-reset`` style names, for this version."""
        return name if self.hyphenated else name.replace("-", "_")

    def base_command(self) -> List[str]:
        return [self.python, "-m", "esptool"]

    def write_command(self, *, port: str, chip: str, baud: int, image: str, offset: int,
                      erase: bool = True, manual_boot: bool = False,
                      flash_mode: Optional[str] = None, flash_size: Optional[str] = None,
                      flash_freq: Optional[str] = None, connect_attempts: int = 3,
                      usb_reset: bool = False, parts: Optional[Sequence[Tuple[int, str]]] = None,
                      stub_waiting: bool = False) -> List[str]:
        """Argument list (never a shell string) for writing ``image`` at ``offset``.

        ``manual_boot``: the user put the board into download mode by hand
        (IO0 held low, RST tapped), so esptool must not reset it. ``usb_reset``: the
        board is on the chip's own USB-Serial/JTAG (esptool's USBJTAGSerialReset; esptool
        picks it itself from a real port's VID/PID, not from a URL). ``parts``: several
        (address, file) pairs instead of ``offset``/``image`` (write-flash takes any number).
        ``stub_waiting``: the read before the write left the flasher stub running at 115200
        (``survey_command(keep_stub=True)``): no reset, esptool's sync finds the stub; and no
        reset after it either (the caller resets the board): the port's open asserted DTR,
        which esptool's hard reset leaves low, so it would pull IO0 low (classic auto-reset
        circuit) and restart the chip into download mode.
        """
        before = "no-reset" if stub_waiting else _before(manual_boot, usb_reset)
        after = "no-reset-stub" if stub_waiting else "hard-reset"
        option = lambda name: "--" + self.spell(name)  # noqa: E731  (--flash_mode in 4.x)
        cmd = self.base_command() + [
            "--chip", chip, "--port", port, "--baud", str(baud),
            "--before", self.spell(before), "--after", self.spell(after),
            "--connect-attempts", str(connect_attempts),
            self.spell("write-flash"),
        ]
        if erase:
            cmd.append("--erase-all")
        if flash_mode:
            cmd += [option("flash-mode"), flash_mode]
        if flash_size:
            cmd += [option("flash-size"), flash_size]
        if flash_freq:
            cmd += [option("flash-freq"), flash_freq]
        for address, path in parts or [(offset, image)]:
            cmd += [f"{address:#x}", path]
        return cmd


    def verify_command(self, *, port: str, chip: str, baud: int, image: str, offset: int,
                       manual_boot: bool = False, flash_mode: Optional[str] = None,
                       flash_size: Optional[str] = None, flash_freq: Optional[str] = None,
                       usb_reset: bool = False) -> List[str]:
        """``verify-flash``: the board hashes the region (the stub's SPI_FLASH_MD5) and esptool
        compares it with ``image`` (header updated by the same flash options as the write)."""
        option = lambda name: "--" + self.spell(name)  # noqa: E731
        cmd = self.base_command() + [
            "--chip", chip, "--port", port, "--baud", str(baud),
            "--before", self.spell(_before(manual_boot, usb_reset)), "--after", self.spell("hard-reset"),
            self.spell("verify-flash")]
        for name, value in (("flash-mode", flash_mode), ("flash-size", flash_size), ("flash-freq", flash_freq)):
            if value:
                cmd += [option(name), value]
        return cmd + [f"{offset:#x}", image]

    def survey_command(self, *, port: str, chip: str, baud: int, md5: Sequence[Tuple[int, int]],
                       probes: Sequence[int] = (), manual_boot: bool = False,
                       usb_reset: bool = False, keep_stub: bool = False,
                       reset_if: Optional[str] = None) -> List[str]:
        """core/board_survey.py in esptool's Python: esptool connects as for a write, then the
        board's partition table, flash size, filesystem blocks and per-region MD5 are read.
        By hand in download mode the flasher stub is left running for the write after it
        (``no-reset-stub``): esptool's plain ``no-reset`` would leave the stub with FLASH_END's
        reboot flag, and the stub then calls software_reset() (esptool 4.8.1 and 5.x
        ``soft_reset(True)``; flasher stub stub_flasher.c), which boots the firmware once IO0
        is released. The write then finds the stub ("already running", esptool's sync).
        ``keep_stub``: the same when a write follows at once (no second connect and stub
        upload); the stub is switched back to 115200 first, where the write's esptool syncs.
        ``reset_if``: unless the board's hashes give this digest (it holds the image: the board is
        reset, as without ``keep_stub``; core/board_survey.py)."""
        stay = manual_boot or keep_stub
        return [self.python, "-m", "thonnycontrib.esp32cam.core.board_survey",
                "--md5", ",".join(f"{a:#x}:{n:#x}" for a, n in md5),
                "--probe", ",".join(f"{a:#x}" for a in probes),
                *(["--to-baud", "115200"] if keep_stub else []),
                *(["--reset-if", reset_if] if keep_stub and reset_if else []), "--",
                "--chip", chip, "--port", port, "--baud", str(baud),
                "--before", self.spell(_before(manual_boot, usb_reset)),
                "--after", self.spell("no-reset-stub" if stay else "hard-reset"),
                "--connect-attempts", "3", self.spell("flash-id")]

    def flash_id_command(self, *, port: str, baud: int = 115200, manual_boot: bool = False,
                         chip: str = "auto", connect_attempts: int = 3, usb_reset: bool = False) -> List[str]:
        """``flash-id``: connect to the ROM (chip, revision, eFuse features, MAC) and read
        the flash chip's JEDEC id and size; then reset the board back into its firmware."""
        before = _before(manual_boot, usb_reset)
        return self.base_command() + [
            "--chip", chip, "--port", port, "--baud", str(baud),
            "--before", self.spell(before), "--after", self.spell("hard-reset"),
            "--connect-attempts", str(connect_attempts), self.spell("flash-id")]


def _before(manual_boot: bool, usb_reset: bool) -> str:
    return "no-reset" if manual_boot else ("usb-reset" if usb_reset else "default-reset")


def find_esptool(python: str, extra_paths: Sequence[str] = (), timeout: float = 30.0) -> Esptool:
    """Ask ``python`` (with ``extra_paths`` on PYTHONPATH) which esptool it imports."""
    env = esptool_env(extra_paths)
    probe = "import esptool; print(esptool.__version__)"
    try:
        proc = subprocess.run([python, "-c", probe], env=env, capture_output=True,
                              text=True, timeout=timeout)
    except (OSError, subprocess.TimeoutExpired) as e:
        raise EsptoolMissing(_("Could not run {python} to look for esptool: {error}").format(
            python=python, error=e)) from None
    if proc.returncode != 0:
        raise EsptoolMissing(_("esptool is not installed for Thonny's Python. Install it with "
                               "Tools → Manage plug-ins… (search 'esptool'), or `pip install "
                               "esptool`."))
    try:
        version = parse_version(proc.stdout.strip().splitlines()[-1])
    except (ValueError, IndexError):
        raise EsptoolMissing(_("Could not read esptool's version from {output!r}.").format(
            output=proc.stdout)) from None
    if version < MIN_VERSION:
        raise EsptoolMissing(_("esptool {version} is too old; version 4.7 or newer is needed "
                               "(pip install -U esptool).").format(version=".".join(map(str, version))))
    return Esptool(python=python, env=env, version=version)


# ---- output parsing -------------------------------------------------------

# esptool 5: "Writing at 0x00010000 [=====     ] 25.0% 1234/5678 bytes..."
# esptool 4: "Writing at 0x00010000... (12 %)"
_PROGRESS_RE = re.compile(r"Writing at 0x[0-9a-fA-F]+\D*?(?:\[[^\]]*\]\s*)?\(?(\d+(?:\.\d+)?)\s?%")


_WRITE_ADDRESS_RE = re.compile(r"Writing at (0x[0-9a-fA-F]+)")


def parse_write_address(line: str) -> Optional[int]:
    """The flash address a 'Writing at 0x...' line names (where the block being sent starts)."""
    m = _WRITE_ADDRESS_RE.search(line)
    return int(m.group(1), 16) if m else None


def parse_progress(line: str) -> Optional[float]:
    """Percentage from a 'Writing at ...' line of either esptool generation."""
    m = _PROGRESS_RE.search(line)
    return float(m.group(1)) if m else None


# Outcome kinds
OK = "ok"
NEEDS_DOWNLOAD_MODE = "download-mode"
PORT_BUSY = "port-busy"
PORT_MISSING = "port-missing"
PORT_PERMISSION = "port-permission"
LINK_FAILURE = "link"          # noise / weak adapter: a lower baud may help
CONNECTION_LOST = "connection-lost"
WRONG_CHIP = "wrong-chip"      # the ROM answered as another chip than --chip
FAILED = "failed"

# esptool 4.8.1 loader.py connect(): "This chip is %s not %s. Wrong --chip argument?";
# esptool 5.x loader.py connect(): "This chip is {chip_type}, not {CHIP_NAME}. Wrong chip argument?"
_WRONG_CHIP_RE = re.compile(r"This chip is (ESP32\S*?),? not (ESP32\S*?)\. Wrong (?:--)?chip argument")


def wrong_chip(output: str) -> Optional[Tuple[str, str]]:
    """(the board's chip, the --chip given) as esptool names them ("ESP32-S3", "ESP32"), or None."""
    m = _WRONG_CHIP_RE.search(output)
    return (m.group(1), m.group(2)) if m else None

_PORT_MISSING = ("could not open port", "Could not open", "No such file or directory",
                 "Connection refused", "FileNotFoundError", "does not exist")
_BOOT_MODE = ("Wrong boot mode detected", "No serial data received",
              "Timed out waiting for packet header")
_LOST = ("connection lost", "Connection reset", "Broken pipe", "returned no data",
         "Remote end closed", "connection closed", "Connection aborted", "device disconnected",
         "Input/output error")
_LINK = ("Invalid head of packet", "Timed out waiting for packet", "Packet content transfer stopped",
         "MD5 of file does not match", "Serial data stream stopped", "Corrupt data",
         "Failed to write compressed data", "Failed to write to target", "Invalid packet",
         "Possible serial noise", "Unexpected", "checksum", "Hash of data does not match",
         "Response doesn't match request", "Failed to read", "error code")


def classify(output: str, returncode: int, wrote: bool, port: str = "",
             platform: str = sys.platform) -> str:
    """What an esptool run's output says happened.

    ``wrote``: progress lines were seen (the write had started).
    """
    if returncode == 0 and "Hash of data verified" in output:
        return OK
    reached = wrote or any(s in output for s in ("Connected to", "Chip is ", "Uploading stub"))
    if "A fatal error occurred" not in output and "Traceback" not in output and returncode != 0:
        # esptool reports its own errors; a silent exit means the port went away under it
        return CONNECTION_LOST if reached else PORT_MISSING
    if wrong_chip(output):
        return WRONG_CHIP
    fatal = output[output.rfind("A fatal error occurred"):] if "A fatal error occurred" in output else output[-2000:]
    problem = None if wrote else pe.classify_port_error(port, fatal, platform=platform)
    if problem is not None and problem.kind in (pe.BUSY, pe.SERVER_REFUSED):
        return PORT_BUSY
    if problem is not None and problem.kind == pe.PERMISSION:
        return PORT_PERMISSION
    switched = "Changing baud rate" in output and "Changed." in output
    if not wrote and not switched and any(s in fatal for s in ("Wrong boot mode detected",
                                                                "No serial data received")):
        return NEEDS_DOWNLOAD_MODE  # (after the stub switched to the fast rate it is the link)
    if any(s.lower() in fatal.lower() for s in _LOST):
        return CONNECTION_LOST if reached else PORT_MISSING  # the port refused us at open
    if any(s in fatal for s in _PORT_MISSING) and not wrote:
        return PORT_MISSING
    if not reached and "Failed to connect to" in fatal:
        # esptool syncs at min(115200, --baud) (esptool 4.8.1 and 5.6 __init__.py: "don't sync
        # faster than the default baud rate"), so a connect that never reached the ROM is not a
        # fast link's noise: "Invalid head of packet" there is a running firmware (MicroPython's
        # REPL echoing the SYNC frames) on a board whose EN/IO0 the adapter's DTR/RTS do not reach
        return NEEDS_DOWNLOAD_MODE
    if wrote or switched or any(s in fatal for s in _LINK):
        return LINK_FAILURE  # broke after the fast baud was set or while writing
    if not wrote and any(s in fatal for s in _BOOT_MODE):
        return NEEDS_DOWNLOAD_MODE
    return FAILED
