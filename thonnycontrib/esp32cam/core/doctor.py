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

The serial plumbing is in ``serialprobe``, the fixes the core can apply in
``doctor_fixes`` (both re-exported here for callers).
"""
from __future__ import annotations

import re
import sys
import time
from typing import Any, Callable, List, Optional, Sequence

from thonnycontrib.esp32cam.core import bootlog as bl
from thonnycontrib.esp32cam.core import diagnosis as dg
from thonnycontrib.esp32cam.core import port_errors as pe
from thonnycontrib.esp32cam.core import fastlink, port_sharers, portcheck, usbjtag
from thonnycontrib.esp32cam.core import boards as bd
from thonnycontrib.esp32cam.core import sensors as sn
from thonnycontrib.esp32cam.core.camera import families as fam
from thonnycontrib.esp32cam.core.doctor_fixes import (
    DISABLE_MAIN, InterruptResult, apply_fix, interrupt_at_boot, release_and_reset)
from thonnycontrib.esp32cam.core.serialprobe import (
    BAUDRATE, RELEASED, SYNC_FRAME, SYNC_REPLY, Lines, Progress, Session, Timings, close_serial, open_serial)

__all__ = ["Doctor", "diagnose", "CAMERA_CHECK", "LINE_CHECK", "SYNC_FRAME",
           # re-exported for callers of the doctor
           "DISABLE_MAIN", "InterruptResult", "apply_fix", "interrupt_at_boot", "release_and_reset",
           "BAUDRATE", "RELEASED", "Lines", "Progress", "Session", "Timings", "close_serial", "open_serial"]


# Proves the line carries a program and its answer intact.
LINE_CHECK = b"print('DOCTOR_OK', 6*7)\n"
# A tiny MicroPython program run in raw REPL: which camera driver, does the sensor answer.
CAMERA_CHECK = b"""\
try:
    import camera
except ImportError as e:
    print('DOCTOR_CAM none', e)
else:
    try:
        if hasattr(camera, 'Camera'):
            c = camera.Camera()
            r = True
            try:  # cnadler86 reports the sensor it detected (property, or get_ in older builds)
                print('DOCTOR_SENSOR', getattr(c, 'sensor_name', None) or c.get_sensor_name())
            except Exception:
                pass
            c.deinit()
        else:
            try:
                camera.deinit()
            except Exception:
                pass
            if hasattr(camera, 'conf'):  # KAKI5: format and size must be set before init()
                camera.conf(%(pixformat)d, %(jpeg)d)
                camera.conf(%(framesize)d, 5)
                r = camera.init()
            else:
                kw = {'fb_location': camera.PSRAM} if hasattr(camera, 'PSRAM') else {}
                r = camera.init(0, format=camera.JPEG, **kw)
            try:
                camera.deinit()
            except Exception:
                pass
        print('DOCTOR_CAM', 'ok' if r is not False else 'fail')
    except Exception as e:
        print('DOCTOR_CAM fail', repr(e))
""" % {b"pixformat": fam.KAKI5_CONF_KEYS["PIXFORMAT"], b"jpeg": fam.KAKI5_PIXFORMAT_JPEG,
       b"framesize": fam.KAKI5_CONF_KEYS["FRAMESIZE"]}


# what a port that another program reads too looks like from here
SHARED_PORT_SYMPTOMS = (dg.NOT_INTERRUPTIBLE, dg.SILENT, dg.BAUD_MISMATCH)


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
        d = self._run()
        if d.code in SHARED_PORT_SYMPTOMS and not portcheck.is_url(self.port):
            others = port_sharers.other_openers(self.port)
            if others:  # bytes that another reader took look like silence, noise or a busy program
                d = self._shared(d.evidence, others)
        d.port = self.port
        d.extra["seconds"] = round(time.monotonic() - start, 3)
        return d

    def _run(self) -> dg.Diagnosis:
        if pe.malformed_port(self.port):
            return portcheck.open_error_diagnosis(self.port, ValueError("malformed URL"), [], self.platform)
        if not portcheck.is_url(self.port) and not portcheck.port_exists(self.port, self.ports, self.platform):
            return portcheck.missing_port_diagnosis(self.port, self.ports, self.platform)
        self.progress(f"Opening {self.port} with DTR and RTS released")
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
            s.listen(self.t.busy_listen, lambda: _conclusive(s.log), quiet=self.t.settle)
        if s.lost:
            return self._lost(s)
        if _conclusive(s.log) and not s.log.has(bl.DOWNLOAD_MODE):
            # a boot loop is on the line: keep listening a little for the evidence
            s.listen(self.t.quiet_after_boot, quiet=self.t.quiet_after_boot / 2)
            return self._from_boot_log(s, since=0, after_reset=False)
        if s.log.has(bl.DOWNLOAD_MODE):
            # in the ROM bootloader right now: does a reset with DTR released bring it out?
            return self._reset_and_read(s, printing=False)

        # 2. Poke for a prompt.
        s.say("Asking for the MicroPython prompt (Ctrl-C)")
        if s.poke(self.t.prompt):
            return self._at_prompt(s)
        if s.lost:
            return self._lost(s)
        if s.log.garbled():
            return self._garbled(s)
        if _conclusive(s.log) and not s.log.has(bl.DOWNLOAD_MODE):
            return self._from_boot_log(s, since=0, after_reset=False)  # it booted meanwhile
        printing = len(s.log.raw) > 0 and not s.log.ends_with_prompt()
        if printing and not s.log.has(bl.RESET):
            # output keeps coming and Ctrl-C did not stop it: one more try, then conclude
            if s.poke(self.t.prompt):
                return self._at_prompt(s)
            return self._not_interruptible(s)

        return self._reset_and_read(s, printing)

    def _reset_and_read(self, s: Session, printing: bool) -> dg.Diagnosis:
        # 3. Reset and read the boot log.
        s.say("Resetting the board through RTS and reading its boot log")
        since = len(s.log.findings)
        raw_before = len(s.log.raw)
        s.pulse_reset()
        self._wait_boot(s, since)
        if s.lost:
            return self._lost(s)
        if s.log.has(bl.RESET, since) or _conclusive(s.log, since):
            return self._from_boot_log(s, since, after_reset=True)
        if s.log.garbled():
            return self._garbled(s)
        if len(s.log.raw) > raw_before or printing:
            # output, but no boot log and no prompt: a program that ignores Ctrl-C
            # on a board whose reset the adapter cannot reach
            if s.poke(self.t.prompt):
                return self._at_prompt(s)
            return self._not_interruptible(s)

        # 4. Nothing at all. A chip waiting in download mode prints nothing: ask the ROM.
        s.say("No answer; checking for the ROM bootloader (download mode)")
        mark = len(s.log.raw)
        s.write(SYNC_FRAME)
        s.listen(0.3, lambda: SYNC_REPLY in s.log.raw[mark:])
        if SYNC_REPLY in s.log.raw[mark:]:
            return dg.Diagnosis(
                dg.DOWNLOAD_MODE, evidence=s.notes + ["the ROM bootloader answered a SYNC request"],
                detail="The board did not react to the reset through RTS, so its RST button must be "
                       "pressed by hand.")
        if self.wait_for_rst > 0:
            s.say(f"Press the RST button on the board now (listening for {self.wait_for_rst:.0f} s)")
            since = len(s.log.findings)
            s.listen(self.wait_for_rst, lambda: _conclusive(s.log, since) or s.log.ends_with_prompt(),
                     quiet=self.t.quiet_after_boot, need_data=True)
            if s.log.has(bl.RESET, since) or _conclusive(s.log, since):
                s.notes.append("boot log after RST was pressed by hand")
                return self._from_boot_log(s, since, after_reset=True)
            if s.log.garbled():
                return self._garbled(s)
        return dg.Diagnosis(dg.SILENT, evidence=s.notes + [
            "no bytes received after Ctrl-C, a reset pulse through RTS and a bootloader SYNC request"
            + (f", nor within {self.wait_for_rst:.0f} s of listening for RST" if self.wait_for_rst > 0 else "")])

    def _wait_boot(self, s: Session, since: int) -> None:
        """Read the boot log after a reset until it is clearly finished."""
        def done() -> bool:
            log = s.log
            return (log.ends_with_prompt() or log.has(bl.DOWNLOAD_MODE, since)
                    or log.count(bl.BROWNOUT, since) >= 2 or log.count(bl.NO_FIRMWARE, since) >= 2
                    or log.count(bl.CORRUPT_FIRMWARE, since) >= 2
                    or log.count(bl.PSRAM_FAILURE, since) >= 2)
        s.listen(self.t.boot, done, quiet=self.t.quiet_after_boot, need_data=True,
                 first_data=self.t.first_boot_byte)

    def _from_boot_log(self, s: Session, since: int, after_reset: bool) -> dg.Diagnosis:
        log = s.log
        problems = log.problems(since)
        if bl.DOWNLOAD_MODE in problems:
            d = dg.Diagnosis(dg.DOWNLOAD_MODE, evidence=s.evidence([bl.RESET, bl.DOWNLOAD_MODE]))
            if after_reset and self.usb_jtag:
                d.detail = USB_JTAG_DOWNLOAD_DETAIL
                d.fix_detail = "Press RST on the board (or unplug and replug its USB cable) to clear the flag."
                d.extra["usb_jtag_download_flag"] = True
            elif after_reset:
                d.detail = ("It happened again after the doctor reset the board with DTR released, "
                            "so IO0 is held low on the board: BOOT button or IO0-GND jumper.")
                d.extra["io0_held"] = True
            return d
        # a damaged app also prints "No bootable app partitions": the specific reason wins
        for code in (bl.BROWNOUT, bl.CORRUPT_FIRMWARE, bl.NO_FIRMWARE, bl.PSRAM_WRONG_MODE, bl.PSRAM_FAILURE):
            if code in problems:
                if code in (bl.PSRAM_WRONG_MODE, bl.PSRAM_FAILURE):
                    return self._psram(s)
                return dg.Diagnosis(code, evidence=s.evidence([bl.RESET, code]))
        # a normal boot: the firmware is starting
        if after_reset:
            before = ("it was in download mode" if log.has(bl.DOWNLOAD_MODE)
                      else "no answer to Ctrl-C at first")
            s.notes.append(f"{before}; the board started normally after the doctor reset it through RTS")
        if log.ends_with_prompt() or s.poke(self.t.prompt):
            return self._at_prompt(s)
        if log.garbled():
            return self._garbled(s)
        if s.poke(self.t.prompt):
            return self._at_prompt(s)
        return self._not_interruptible(s)

    def _s3_without_psram(self, s: Session, cam_log: List[str]) -> Optional[dg.Diagnosis]:
        """An ESP32-S3 build whose camera ran out of memory (esp32-camera cam_hal: "frame buffer
        malloc failed", ESP_ERR_NO_MEM 0x101) started without PSRAM: MicroPython's S3 builds go
        on when their PSRAM driver fails (CONFIG_SPIRAM_IGNORE_NOTFOUND). Only the boot log
        says why, so reset once and read it."""
        banner = (s.log.evidence([bl.BANNER])[-1:] or [""])[0]
        no_memory = any("frame buffer malloc failed" in ln or "error 0x101" in ln for ln in cam_log)
        if not no_memory or not re.search(r"with ESP32-?S3", banner):
            return None
        s.say("The camera has no memory for frames on an ESP32-S3: resetting to read the PSRAM start-up")
        since = len(s.log.findings)
        if not s.pulse_reset():
            return None
        # until the banner of the new boot (the log still ends with the old prompt)
        s.listen(self.t.boot, lambda: s.log.has(bl.BANNER, since), quiet=self.t.quiet_after_boot,
                 need_data=True, first_data=self.t.first_boot_byte)
        if s.log.has(bl.PSRAM_WRONG_MODE, since) or s.log.has(bl.PSRAM_FAILURE, since):
            return self._psram(s)
        return None

    def _psram(self, s: Session) -> dg.Diagnosis:
        """PSRAM did not start: on an ESP32-S3 whose build's driver names the other bus
        mode (octal vs quad), that mismatch; otherwise missing or failing PSRAM."""
        wrong = s.log.first(bl.PSRAM_WRONG_MODE)
        if wrong is None:
            return dg.Diagnosis(dg.PSRAM_FAILURE, evidence=s.evidence([bl.RESET, bl.PSRAM_FAILURE]))
        s3 = bool(bl.S3_ROM.search(s.log.text()))
        return dg.psram_mode_diagnosis(s.evidence([bl.RESET, bl.PSRAM_WRONG_MODE, bl.PSRAM_FAILURE]),
                                       bl.psram_build_mode(wrong.line), s3)

    def _not_interruptible(self, s: Session) -> dg.Diagnosis:
        if s.lost:
            return self._lost(s)
        tail = s.log.evidence()[-8:]
        return dg.Diagnosis(dg.NOT_INTERRUPTIBLE, evidence=s.notes + tail + [
            "(Ctrl-C sent 3 times: no >>> prompt)"])

    def _at_prompt(self, s: Session) -> dg.Diagnosis:
        s.say("MicroPython answers")

        def prompt_evidence() -> List[str]:  # the banner (reprinted on leaving raw REPL) and the prompt
            return s.notes + s.log.evidence([bl.BANNER])[-1:] + [">>>"]

        problems = s.log.problems()
        if bl.PSRAM_WRONG_MODE in problems or bl.PSRAM_FAILURE in problems:
            return self._psram(s)  # non-fatal variant: REPL runs, camera will not
        configured = self.configured
        if configured is not None and (configured.dtr or configured.rts):
            held = self._try_configured(s, configured)
            if held is not None:
                return held
            working = configured
        else:
            working = RELEASED

        s.say("Checking the line" + (" and the camera module" if self.check_camera else ""))
        out = s.run_raw(LINE_CHECK + (CAMERA_CHECK if self.check_camera else b""), self.t.camera)
        if s.lost:
            return self._lost(s)
        if out is None or "DOCTOR_OK 42" not in out:
            # The prompt answers but a short test program does not come back intact:
            # bytes are lost or corrupted on the way (one direction is enough).
            return self._garbled(s, "print('DOCTOR_OK', 6*7) in raw REPL: "
                                    + ("no answer" if out is None else "answer corrupted: " + repr(out[:60])))
        if self.check_camera:
            line = next((ln for ln in out.splitlines() if ln.startswith("DOCTOR_CAM")), "")
            cam_log = [ln.strip() for ln in out.splitlines()
                       if ln.strip() and not ln.startswith("DOCTOR_")]
            if line.startswith("DOCTOR_CAM none"):
                return dg.Diagnosis(dg.NO_CAMERA_MODULE, evidence=prompt_evidence() + [
                    ">>> import camera", "ImportError: " + line.split(" ", 2)[-1]],
                    extra={"suggest_camera_build": True})
            facts = self._board_facts(s, out)
            if line.startswith("DOCTOR_CAM fail"):
                why = line[len("DOCTOR_CAM fail"):].strip() or "camera.init() returned False"
                psram = self._s3_without_psram(s, cam_log)
                if psram is not None:
                    return psram
                unsupported = _unsupported_sensor(facts, self.profile.chip, cam_log, prompt_evidence() + cam_log + [
                    "camera initialisation failed: " + why])
                if unsupported is not None:
                    return unsupported
                d = dg.Diagnosis(dg.CAMERA_PROBE_FAILED, evidence=prompt_evidence() + cam_log + [
                    "camera initialisation failed: " + why] + s.notes[-1:])
                _add_facts(d, facts)
                return d
            if line.startswith("DOCTOR_CAM ok"):
                s.notes.append("camera module present, sensor answered")
        else:
            facts = None
        if s.log.garbled():
            return self._garbled(s)
        d = dg.Diagnosis(dg.REPL_OK, evidence=prompt_evidence(), dtr=working.dtr, rts=working.rts)
        if facts is not None:
            _add_facts(d, facts)
        if self.check_speed:
            self._measure_speed(s, d)
        if working.dtr:
            d.detail = ("DTR is asserted: IO0 stays low, so pressing RST or machine.reset() starts "
                        "the bootloader instead of MicroPython. Releasing DTR and RTS is safer.")
        return d

    def _board_facts(self, s: Session, camera_out: str) -> sn.BoardFacts:
        """Chip, PSRAM and camera sensor: the driver's own report first, else the sensor's
        ID over SCCB on the profile's pins (core.sensors)."""
        facts = sn.BoardFacts()
        for ln in camera_out.splitlines():
            name = ln[len("DOCTOR_SENSOR"):].strip() if ln.startswith("DOCTOR_SENSOR") else ""
            if name and name != "None":
                facts.sensor, facts.source = name.upper(), "driver"
        s.say("Reading the camera sensor's ID (%s pins)" % self.profile.title)
        # run even after a driver report: it also tells the chip and PSRAM
        out = s.run_raw(sn.probe_code(self.profile).encode(), self.t.camera)
        if out is not None:
            sn.parse_probe(out, facts)
        if facts.chip or facts.psram is not None:
            s.notes.append("chip: %s, PSRAM: %s" % ((facts.chip or "?").upper(),
                                                    {True: "yes", False: "no"}.get(facts.psram, "?")))
        s.notes.append("camera sensor: " + facts.describe_sensor())
        return facts

    def _measure_speed(self, s: Session, d: dg.Diagnosis) -> None:
        """Negotiate the fast link as the back-end would, report it, put the board back at 115200."""
        from .camera.rawrepl import RawRepl, ReplBusy

        adapter, cap = fastlink.adapter_cap(self.port)
        s.say("Measuring the fastest serial speed (%s, up to %d baud)" % (adapter, cap))
        try:
            repl = RawRepl(s.ser)
            negotiator = fastlink.Negotiator(repl.link_io(), repl.submit)
            result = negotiator.negotiate(fastlink.candidate_rates(fastlink.SpeedSetting("auto"), cap))
            back = negotiator.restore(result.rate) if result.fast else True
            repl.leave()
        except (ReplBusy, fastlink.LinkLost, OSError) as e:
            d.evidence.append("serial speed: not measured (%s)" % e)
            return
        d.extra["link"] = {"rate": result.rate, "adapter": adapter, "unsupported": result.unsupported,
                           "attempts": [(a.rate, a.outcome) for a in result.attempts]}
        d.evidence.append("serial speed: " + fastlink.describe(result, adapter)
                          + ("; board back at 115200" if back and result.fast else ""))

    def _try_configured(self, s: Session, lines: Lines) -> Optional[dg.Diagnosis]:
        """None if the REPL also answers with ``lines``; else ``held_in_reset``."""
        s.say(f"Trying your interpreter's settings ({lines})")
        s.listen(0.5, quiet=0.1)  # drain late answers: only a prompt after the change counts
        if not s.set_lines(lines):
            return None  # the lines cannot be changed, so they cannot hold the board either
        ok = s.poke(self.t.prompt)
        s.set_lines(RELEASED)
        if ok:
            return None
        # released again: a board held in reset boots now; wait until it is back
        mark = len(s.log.findings)
        self._wait_boot(s, mark)
        back = s.poke(self.t.prompt)
        boot = [f.line for f in s.log.findings[mark:] if f.code in (bl.RESET, bl.BANNER)]
        restarted = "the board restarted" if s.log.has(bl.RESET, mark) else "no reset seen"
        d = dg.Diagnosis(
            dg.HELD_IN_RESET, dtr=False, rts=False,
            evidence=[f"with {RELEASED}: MicroPython prompt", f"with {lines}: no answer to Ctrl-C",
                      f"back to {RELEASED}: {restarted}, " + ("prompt again" if back else "no prompt yet")]
            + boot[-2:])
        if self.usb_jtag:
            d.detail, d.replace_generic = USB_JTAG_HELD_DETAIL, True
        return d

    def _garbled(self, s: Session, test: str = "") -> dg.Diagnosis:
        raw = bytes(s.log.raw[-48:])
        ratio = bl.garbage_ratio(bytes(s.log.raw))
        evidence = s.notes + ([test] if test else []) + [
            f"{len(s.log.raw)} bytes received, {ratio:.0%} not text", "last bytes: " + raw.hex(" ")]
        if ratio == 0:  # nothing garbled: the missing bytes vanished (another reader took them)
            return self._shared(evidence)
        return dg.Diagnosis(dg.BAUD_MISMATCH, evidence=evidence)

    def _shared(self, evidence: List[str], others: Optional[List[str]] = None) -> dg.Diagnosis:
        if others is None:
            others = [] if portcheck.is_url(self.port) else port_sharers.other_openers(self.port)
        d = dg.Diagnosis(dg.PORT_SHARED, evidence=evidence + [
            f"also open by: {', '.join(others)}" if others else "the other program could not be named"])
        if others:
            d.detail = f"{self.port} is also open in {', '.join(others)}."
        return d

    def _lost(self, s: Session) -> dg.Diagnosis:
        """The port went away after it opened: unplugged, or the network link dropped;
        or pyserial found the bytes it was told about taken by another reader."""
        if any(port_sharers.PYSERIAL_SHARED_READ in note for note in s.notes) and (
                portcheck.is_url(self.port) or portcheck.port_exists(self.port, self.ports, self.platform)):
            return self._shared(s.evidence())
        if portcheck.is_url(self.port):
            return dg.Diagnosis(
                dg.PORT_MISSING, evidence=s.evidence(), replace_generic=True,
                detail="The connection to the serial server broke during the probe.",
                fix_detail="Check the network and the serial server (RFC 2217 bridge), then retry.")
        d = portcheck.missing_port_diagnosis(self.port, self.ports, self.platform, s.evidence())
        d.detail = ("The port disappeared during the probe: the adapter was unplugged, or it lost "
                    "power (a weak supply can reset the USB adapter too).")
        return d


def _add_facts(d: dg.Diagnosis, facts: sn.BoardFacts) -> None:
    d.extra["chip"] = facts.chip
    d.extra["psram"] = facts.psram
    d.extra["sensor"] = facts.to_json()


def _unsupported_sensor(facts: sn.BoardFacts, profile_chip: str, cam_log: List[str],
                        evidence: List[str]) -> Optional[dg.Diagnosis]:
    """``unsupported_sensor`` when a sensor answered that this firmware's driver does not
    drive: esp32-camera says so itself ("Detected camera not supported.",
    ESP_ERR_NOT_SUPPORTED; driver/esp_camera.c camera_probe)."""
    refused = any("camera not supported" in ln.lower() or "0x106" in ln for ln in cam_log)
    if not refused or not facts.sensor or facts.sensor == "unknown":
        return None
    from thonnycontrib.esp32cam.core.catalog import load_bundled

    catalog = load_bundled()
    chip = facts.chip or profile_chip
    fits = sn.matching_builds(catalog.builds, chip, facts.psram, facts.sensor)
    choice = sn.preselect(fits, None, chip, facts.psram, facts.sensor)
    d = dg.Diagnosis(dg.UNSUPPORTED_SENSOR, evidence=evidence)
    d.detail = "This board's camera module has an %s sensor." % facts.sensor
    if choice is not None:
        d.fix_detail = ("\"%s\" drives the %s." % (getattr(choice, "title", ""), facts.sensor))
        d.extra["suggest_build"] = getattr(choice, "id", None)
    else:
        d.fix_detail = "No build in the catalog drives the %s on this chip." % facts.sensor
    _add_facts(d, facts)
    return d


# The ESP32-S3's USB-Serial/JTAG reads the CDC line state itself (no transistors on EN/IO0):
# RTS without DTR resets the chip, DTR without RTS sets the force-download flag that the next
# reset through USB boots from (esptool reset.py USBJTAGSerialReset; targets/esp32s3.py clears
# RTC_CNTL_OPTION1 FORCE_DOWNLOAD_BOOT in hard_reset, espressif/arduino-esp32 #6762).
USB_JTAG_HELD_DETAIL = (
    "This board is connected through the ESP32-S3's own USB port (USB-Serial/JTAG, USB id 303A:1001): "
    "there is no auto-reset circuit, the chip's USB peripheral itself holds the chip in reset while RTS "
    "is on and DTR off, so your interpreter's DTR/RTS settings keep it silent.")
USB_JTAG_DOWNLOAD_DETAIL = (
    "The board is on the ESP32-S3's own USB port (USB-Serial/JTAG): a reset through USB does not read "
    "the BOOT button again, and the chip's force-download flag (set while DTR was on and RTS off, e.g. "
    "by a flashing tool's reset sequence or a terminal) survives such resets, so it keeps starting "
    "its bootloader.")


def _conclusive(log: bl.BootLog, since: int = 0) -> bool:
    """Enough boot log to name a problem without resetting (again)."""
    return (log.has(bl.DOWNLOAD_MODE, since) or log.count(bl.BROWNOUT, since) >= 1
            or log.count(bl.NO_FIRMWARE, since) >= 2 or log.count(bl.CORRUPT_FIRMWARE, since) >= 2
            or log.count(bl.PSRAM_FAILURE, since) >= 2)


def diagnose(port: str, configured: Optional[Lines] = None, **kwargs: Any) -> dg.Diagnosis:
    return Doctor(port, configured, **kwargs).run()
