"""The connection doctor: probe an ESP32-CAM's serial line and say what is wrong.

Pure Python (pyserial only, no Tk, no Thonny). The probe is built to be quick
on a real board and over RFC2217, where every line change costs >= 50 ms:

1. open the port with DTR and RTS released, listen briefly (stop early);
2. poke with Ctrl-C and wait for the ``>>>`` prompt;
3. with a prompt: check the camera module, then (if the interpreter uses
   other DTR/RTS settings) try those once and restore;
4. without one: pulse EN through RTS (works on both auto-reset wirings), capture
   the boot log at 115200 and classify it; if nothing at all comes back, ask
   the ROM bootloader for a sync answer (a chip silently waiting in download
   mode answers it).

One owner per concern: this module probes (the order of listening, poking and
resetting); ``doctor_prompt`` checks a working prompt (line, camera, sensor,
speed, the user's DTR/RTS); ``doctor_verdicts`` names what the evidence means;
``doctor_fixes`` applies the fixes the core can apply; ``serialprobe`` is the
serial plumbing (re-exported here for callers).
"""
from __future__ import annotations

import sys
import time
from typing import Any, Callable, Optional, Sequence

from thonnycontrib.esp32cam.core import bootlog as bl
from thonnycontrib.esp32cam.core import diagnosis as dg
from thonnycontrib.esp32cam.core import doctor_rates as rates
from thonnycontrib.esp32cam.core import doctor_verdicts as vd
from thonnycontrib.esp32cam.core import port_errors as pe
from thonnycontrib.esp32cam.core import portcheck, usbjtag
from thonnycontrib.esp32cam.core import boards as bd
from thonnycontrib.esp32cam.core.doctor_fixes import (
    DISABLE_MAIN, InterruptResult, apply_fix, interrupt_at_boot, release_and_reset)
from thonnycontrib.esp32cam.core.doctor_prompt import CAMERA_CHECK, LINE_CHECK, PromptCheck
from thonnycontrib.esp32cam.core.i18n import _
from thonnycontrib.esp32cam.core.doctor_verdicts import USB_JTAG_DOWNLOAD_DETAIL, USB_JTAG_HELD_DETAIL
from thonnycontrib.esp32cam.core.serialprobe import (
    BAUDRATE, RELEASED, SYNC_FRAME, SYNC_REPLY, Lines, Progress, Session, Timings, close_serial, open_serial)

__all__ = ["Doctor", "diagnose", "CAMERA_CHECK", "LINE_CHECK", "SYNC_FRAME",
           "USB_JTAG_DOWNLOAD_DETAIL", "USB_JTAG_HELD_DETAIL",
           # re-exported for callers of the doctor
           "DISABLE_MAIN", "InterruptResult", "apply_fix", "interrupt_at_boot", "release_and_reset",
           "BAUDRATE", "RELEASED", "Lines", "Progress", "Session", "Timings", "close_serial", "open_serial"]


class Doctor:
    """Probe one port. ``configured`` = the DTR/RTS the user's interpreter uses
    (None: only released lines are tried)."""

    def __init__(self, port: str, configured: Optional[Lines] = None, *,
                 ports: Optional[Sequence[Any]] = None, platform: str = sys.platform,
                 timings: Optional[Timings] = None, progress: Optional[Progress] = None,
                 check_camera: bool = True, wait_for_rst: float = 0.0, check_speed: bool = True,
                 opener: Callable[..., Any] = open_serial,
                 profile: Optional[bd.BoardProfile] = None, usb_jtag: Optional[bool] = None) -> None:
        self.port = port
        self.profile = profile or bd.get_profile(None)  # camera pins for the sensor probe
        self._usb_jtag = usb_jtag  # None: from the port's USB VID/PID
        self.configured = configured
        self.platform = platform
        self.t = timings or Timings()
        self.progress = progress or (lambda msg: None)
        self.check_camera = check_camera
        self.check_speed = check_speed  # at a working prompt: the fastest rate the link sustains
        self.wait_for_rst = wait_for_rst  # > 0: finally listen this long for a manual RST press
        self._ports = ports
        self._opener = opener

    @property
    def ports(self) -> Sequence[Any]:
        if self._ports is None:
            self._ports = portcheck.list_ports()
        return self._ports

    @property
    def usb_jtag(self) -> bool:
        """The board is on the chip's own USB-Serial/JTAG (ESP32-S3 by its USB socket)."""
        if self._usb_jtag is None:
            self._usb_jtag = usbjtag.is_usb_serial_jtag(self.port, self.ports)
        return self._usb_jtag

    def run(self) -> dg.Diagnosis:
        start = time.monotonic()
        d = vd.name_other_readers(self, self._run())
        d.port = self.port
        d.extra["seconds"] = round(time.monotonic() - start, 3)
        return d

    def _run(self) -> dg.Diagnosis:
        if pe.malformed_port(self.port):
            return portcheck.open_error_diagnosis(self.port, ValueError(_("malformed URL")), [], self.platform)
        if not portcheck.is_url(self.port) and not portcheck.port_exists(self.port, self.ports, self.platform):
            return portcheck.missing_port_diagnosis(self.port, self.ports, self.platform)
        self.progress(_("Opening {port} with DTR and RTS released").format(port=self.port))
        try:
            ser = self._opener(self.port, RELEASED)
        except Exception as e:
            return portcheck.open_error_diagnosis(self.port, e, self.ports, self.platform)
        s = Session(ser, self.t, self.progress)
        try:
            return self._probe(s)
        finally:
            close_serial(ser)

    # -- the probe -------------------------------------------------------
    def _probe(self, s: Session) -> dg.Diagnosis:
        # 1. Something already printing (boot loop, running program)?
        s.listen(self.t.first_listen)
        if s.log.raw:  # yes: listen on until it pauses or names a problem
            s.listen(self.t.busy_listen, lambda: vd.conclusive(s.log), quiet=self.t.settle)
        if s.lost:
            return vd.lost(self, s)
        if vd.conclusive(s.log) and not s.log.has(bl.DOWNLOAD_MODE):
            # a boot loop is on the line: keep listening a little for the evidence
            s.listen(self.t.quiet_after_boot, quiet=self.t.quiet_after_boot / 2)
            return self._from_boot_log(s, since=0, after_reset=False)
        if s.log.has(bl.DOWNLOAD_MODE):
            # in the ROM bootloader right now: does a reset with DTR released bring it out?
            return self._reset_and_read(s, printing=False)

        # 2. Poke for a prompt.
        s.say(_("Asking for the MicroPython prompt (Ctrl-C)"))
        if s.poke(self.t.prompt):
            return PromptCheck(self, s).run()
        if s.lost:
            return vd.lost(self, s)
        if s.log.garbled():
            return self._stuck(s, vd.garbled)
        if vd.conclusive(s.log) and not s.log.has(bl.DOWNLOAD_MODE):
            return self._from_boot_log(s, since=0, after_reset=False)  # it booted meanwhile
        printing = len(s.log.raw) > 0 and not s.log.ends_with_prompt()
        if printing and not s.log.has(bl.RESET):
            # output keeps coming and Ctrl-C did not stop it: one more try, then conclude
            if s.poke(self.t.prompt):
                return PromptCheck(self, s).run()
            return self._stuck(s, vd.not_interruptible)

        return self._reset_and_read(s, printing)

    def _reset_and_read(self, s: Session, printing: bool) -> dg.Diagnosis:
        # 3. Reset and read the boot log; when nothing at all answered, first look for a console
        # moved to another rate (its garbled echo may be lost): a reset would hide it.
        if not printing and not s.log.raw:
            moved = self._elsewhere(s)
            if moved is not None:
                return moved
        s.say(_("Resetting the board through RTS and reading its boot log"))
        since = len(s.log.findings)
        raw_before = len(s.log.raw)
        s.pulse_reset()
        s.wait_boot(since)
        if s.lost:
            return vd.lost(self, s)
        if s.log.has(bl.RESET, since) or vd.conclusive(s.log, since):
            return self._from_boot_log(s, since, after_reset=True)
        if s.log.garbled():
            return self._stuck(s, vd.garbled)
        if len(s.log.raw) > raw_before or printing:
            # output, but no boot log and no prompt: a program that ignores Ctrl-C
            # on a board whose reset the adapter cannot reach
            if s.poke(self.t.prompt):
                return PromptCheck(self, s).run()
            return self._stuck(s, vd.not_interruptible)

        # 4. Nothing at all. A chip waiting in download mode prints nothing: ask the ROM.
        s.say(_("No answer; checking for the ROM bootloader (download mode)"))
        mark = len(s.log.raw)
        s.write(SYNC_FRAME)
        s.listen(0.3, lambda: SYNC_REPLY in s.log.raw[mark:])
        if SYNC_REPLY in s.log.raw[mark:]:
            return dg.Diagnosis(
                dg.DOWNLOAD_MODE, evidence=s.notes + [_(
                        "the ROM bootloader answered a SYNC request")],
                detail=_("The board did not react to the reset through RTS, so its RST button "
                         "must be pressed by hand."))
        if self.wait_for_rst > 0:
            s.say(_("Press the RST button on the board now (listening for {seconds} s)").format(
                seconds=f"{self.wait_for_rst:.0f}"))
            since = len(s.log.findings)
            s.listen(self.wait_for_rst, lambda: vd.conclusive(s.log, since) or s.log.ends_with_prompt(),
                     quiet=self.t.quiet_after_boot, need_data=True)
            if s.log.has(bl.RESET, since) or vd.conclusive(s.log, since):
                s.notes.append(_("boot log after RST was pressed by hand"))
                return self._from_boot_log(s, since, after_reset=True)
            if s.log.garbled():
                return self._stuck(s, vd.garbled)
        moved = self._elsewhere(s)
        if moved is not None:
            return moved
        silent = (_("no bytes received after Ctrl-C, a reset pulse through RTS and a bootloader "
                    "SYNC request, nor within {seconds} s of listening for RST")
                  if self.wait_for_rst > 0 else
                  _("no bytes received after Ctrl-C, a reset pulse through RTS and a bootloader "
                    "SYNC request"))
        return dg.Diagnosis(dg.SILENT, evidence=s.notes + [
            silent.format(seconds=f"{self.wait_for_rst:.0f}")])

    def _stuck(self, s: Session, verdict: Callable[[Any, Session], dg.Diagnosis]) -> dg.Diagnosis:
        """No prompt at 115200: a board whose console moved to another rate, else ``verdict``."""
        moved = self._elsewhere(s)
        return moved if moved is not None else verdict(self, s)

    def _elsewhere(self, s: Session) -> Optional[dg.Diagnosis]:
        if s.lost:
            return None
        s.say(_("Looking for the board at other baud rates"))
        found = rates.find_console_rate(s)
        if found is None:
            return None
        rate, answered = found
        back = answered and s.poke(self.t.prompt)
        return rates.console_rate(s, rate, back, answered)

    def _from_boot_log(self, s: Session, since: int, after_reset: bool) -> dg.Diagnosis:
        log = s.log
        problems = log.problems(since)
        if bl.DOWNLOAD_MODE in problems:
            return vd.download_mode(self, s, after_reset)
        problem = vd.boot_problem(s, problems)
        if problem is not None:
            return problem
        # a normal boot: the firmware is starting
        if after_reset:
            s.notes.append(
                _("it was in download mode; the board started normally after the doctor reset it "
                  "through RTS") if log.has(bl.DOWNLOAD_MODE) else
                _("no answer to Ctrl-C at first; the board started normally after the doctor reset "
                  "it through RTS"))
        if log.ends_with_prompt() or s.poke(self.t.prompt):
            return PromptCheck(self, s).run()
        if log.garbled():
            return self._stuck(s, vd.garbled)
        if s.poke(self.t.prompt):
            return PromptCheck(self, s).run()
        return self._stuck(s, vd.not_interruptible)




def diagnose(port: str, configured: Optional[Lines] = None, **kwargs: Any) -> dg.Diagnosis:
    return Doctor(port, configured, **kwargs).run()
