"""After flashing: does the board start MicroPython, and does ``import camera`` work?

Opens the port with DTR and RTS released (so the board is neither reset nor
held in the bootloader), interrupts whatever runs, asks the friendly REPL to
print its banner again (Ctrl-B) and tries ``import camera``.
"""
from __future__ import annotations

import re
import time
from dataclasses import dataclass
from typing import Optional

from thonnycontrib.esp32cam.core.serial_port import close_port, open_port
from thonnycontrib.esp32cam.core.i18n import _

BANNER_RE = re.compile(rb"MicroPython v\S+ on \d{4}-\d{2}-\d{2}[^\r\n]*\r?\n")
PROMPT = b">>> "


@dataclass
class BootCheck:
    banner: Optional[str]
    camera: Optional[bool]  # None: not checked / no prompt / no clear answer
    transcript: str
    camera_answer: str = ""  # what `import camera` printed (its error, if any)
    flash_mb: Optional[int] = None  # as MicroPython reports them (esp.flash_size(), the heap)
    psram_mb: Optional[int] = None

    @property
    def hardware_summary(self) -> str:
        """"8 MB flash, 8 MB PSRAM" as the running MicroPython sees them ("" if not asked)."""
        if self.flash_mb is None:
            return ""
        if self.psram_mb:
            return _("{flash} MB flash, {psram} MB PSRAM").format(flash=self.flash_mb, psram=self.psram_mb)
        return _("{flash} MB flash, no PSRAM in use").format(flash=self.flash_mb)

    @property
    def started(self) -> bool:
        return self.banner is not None

    @property
    def camera_summary(self) -> str:
        """For the installer's log: "the camera module imports", or what went wrong."""
        last = self.camera_answer.strip().splitlines()[-1:]  # [] when nothing was said
        if self.camera is True:
            return _("the camera module imports")
        if self.camera is False:
            return _("NO camera module: {answer}").format(answer=last[0]) if last else _(
                    "NO camera module")
        if last:
            return _("camera not checked: import camera said {answer!r}").format(answer=last[0])
        return _("camera not checked")


def _read_until(ser, needle_re, deadline: float, buffer: bytearray) -> Optional[re.Match]:
    while time.monotonic() < deadline:
        m = needle_re.search(buffer)
        if m:
            return m
        chunk = ser.read(ser.in_waiting or 1)
        if chunk:
            buffer.extend(chunk)
    return needle_re.search(buffer)


# MicroPython's esp32 port: esp.flash_size() is the flash chip's size; esp32.idf_heap_info
# (HEAP_DATA) lists the IDF heap regions as (total, free, largest free, min free), the SPIRAM
# one is megabytes large when the build found its PSRAM (ports/esp32/modesp.c, modesp32.c).
HARDWARE_QUERY = (b"import esp, esp32; print('HW%d' % esp.flash_size(), "
                  b"max(h[0] for h in esp32.idf_heap_info(esp32.HEAP_DATA)))\r")
_HARDWARE_RE = re.compile(rb"HW(\d+) (\d+)\r?\n")
MB = 1024 * 1024


def _hardware(ser, deadline: float, buffer: bytearray):
    """(flash MB, PSRAM MB) as the running firmware reports them, or (None, None)."""
    if not _read_until(ser, re.compile(re.escape(PROMPT) + rb"$"), min(deadline, time.monotonic() + 2), buffer):
        return None, None
    mark = len(buffer)
    ser.write(HARDWARE_QUERY)
    end = time.monotonic() + 3.0
    while time.monotonic() < end:
        m = _HARDWARE_RE.search(buffer, mark)
        if m:
            largest = int(m.group(2))
            return int(m.group(1)) // MB, (round(largest / MB) if largest > MB else 0)
        buffer.extend(ser.read(ser.in_waiting or 1))
    return None, None


def check_board(port: str, timeout: float = 10.0, probe_camera: bool = True) -> BootCheck:
    """Talk to the freshly flashed board; never raises for board behaviour."""
    import serial  # pyserial: imported only when needed

    buffer = bytearray()
    try:
        ser = open_port(port, timeout=0.2)
    except (serial.SerialException, OSError, ValueError) as e:
        return BootCheck(None, None, _("could not open {port}: {error}").format(port=port, error=e))
    try:
        deadline = time.monotonic() + timeout
        # Boot output (if any) arrives first; then interrupt and reprint the banner.
        ser.write(b"\r\x03\x03")
        time.sleep(0.2)
        ser.write(b"\x02")
        banner_match = _read_until(ser, BANNER_RE, deadline, buffer)
        if not banner_match:
            ser.write(b"\r\x03\x02")  # once more: the board may have still been booting
            banner_match = _read_until(ser, BANNER_RE, deadline, buffer)
        banner = banner_match.group(0).decode("ascii", "replace").strip() if banner_match else None
        camera, said = None, ""
        if banner and probe_camera and _read_until(ser, re.compile(re.escape(PROMPT)), deadline, buffer):
            mark = len(buffer)
            ser.write(b"import camera\r")
            answer = re.compile(rb"import camera\r?\n(.*?)>>> ", re.S)
            end = time.monotonic() + min(5.0, max(1.0, deadline - time.monotonic()))
            while time.monotonic() < end:
                m = answer.search(buffer, mark)
                if m:
                    said = m.group(1).decode("utf-8", "replace").strip()
                    # only an ImportError means "no such module"; anything else is inconclusive
                    camera = True if not said else (False if "ImportError" in said else None)
                    break
                buffer.extend(ser.read(ser.in_waiting or 1))
        flash_mb, psram_mb = _hardware(ser, deadline, buffer) if banner else (None, None)
        return BootCheck(banner, camera, buffer.decode("utf-8", "replace"), said, flash_mb, psram_mb)
    except (serial.SerialException, OSError) as e:
        return BootCheck(None, None, buffer.decode("utf-8", "replace") + f"\n[{e}]")
    finally:
        close_port(ser)
