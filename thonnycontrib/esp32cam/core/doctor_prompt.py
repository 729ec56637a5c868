"""The doctor's checks once MicroPython answers: the user's DTR/RTS, a test program
through the raw REPL, the camera module and sensor, and the fastest serial speed."""
from __future__ import annotations

import re
from typing import List, Optional, Protocol

from thonnycontrib.esp32cam.core import bootlog as bl
from thonnycontrib.esp32cam.core import diagnosis as dg
from thonnycontrib.esp32cam.core import doctor_verdicts as vd
from thonnycontrib.esp32cam.core import fastlink
from thonnycontrib.esp32cam.core import boards as bd
from thonnycontrib.esp32cam.core import sensors as sn
from thonnycontrib.esp32cam.core.camera import families as fam
from thonnycontrib.esp32cam.core.i18n import _
from thonnycontrib.esp32cam.core.serialprobe import RELEASED, Lines, Session, Timings

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


class DoctorSettings(vd.PortFacts, Protocol):
    """What the checks need of ``doctor.Doctor``: the port and the user's choices."""
    configured: Optional[Lines]
    t: Timings
    check_camera: bool
    check_speed: bool
    profile: bd.BoardProfile


class PromptCheck:
    """Everything the doctor checks at a working prompt, on one session."""

    def __init__(self, ctx: DoctorSettings, s: Session) -> None:
        self.ctx = ctx
        self.s = s
        self.t = ctx.t

    def evidence(self) -> List[str]:
        """The banner (reprinted on leaving raw REPL) and the prompt."""
        s = self.s
        return s.notes + s.log.evidence([bl.BANNER])[-1:] + [">>>"]

    def run(self) -> dg.Diagnosis:
        s, ctx = self.s, self.ctx
        s.say(_("MicroPython answers"))
        problems = s.log.problems()
        if bl.PSRAM_WRONG_MODE in problems or bl.PSRAM_FAILURE in problems:
            return vd.psram(s)  # non-fatal variant: REPL runs, camera will not
        configured = ctx.configured
        if configured is not None and (configured.dtr or configured.rts):
            held = self.try_configured(configured)
            if held is not None:
                return held
            working = configured
        else:
            working = RELEASED

        s.say(_("Checking the line and the camera module") if ctx.check_camera
              else _("Checking the line"))
        out = s.run_raw(LINE_CHECK + (CAMERA_CHECK if ctx.check_camera else b""), self.t.camera)
        if s.lost:
            return vd.lost(ctx, s)
        if out is None or "DOCTOR_OK 42" not in out:
            # The prompt answers but a short test program does not come back intact:
            # bytes are lost or corrupted on the way (one direction is enough).
            test = (_("print('DOCTOR_OK', 6*7) in raw REPL: no answer") if out is None
                    else _("print('DOCTOR_OK', 6*7) in raw REPL: answer corrupted: {answer}").format(
                        answer=repr(out[:60])))
            return vd.garbled(ctx, s, test)
        facts = None
        if ctx.check_camera:
            facts, problem = self.camera(out)
            if problem is not None:
                return problem
        if s.log.garbled():
            return vd.garbled(ctx, s)
        d = dg.Diagnosis(dg.REPL_OK, evidence=self.evidence(), dtr=working.dtr, rts=working.rts)
        if facts is not None:
            vd.add_facts(d, facts)
        if ctx.check_speed:
            self.measure_speed(d)
        if working.dtr:
            d.detail = _("DTR is asserted: IO0 stays low, so pressing RST or machine.reset() "
                         "starts the bootloader instead of MicroPython. Releasing DTR and RTS "
                         "is safer.")
        return d

    def camera(self, out: str):
        """(board facts or None, a camera problem or None) from CAMERA_CHECK's output."""
        s = self.s
        line = next((ln for ln in out.splitlines() if ln.startswith("DOCTOR_CAM")), "")
        cam_log = [ln.strip() for ln in out.splitlines() if ln.strip() and not ln.startswith("DOCTOR_")]
        if line.startswith("DOCTOR_CAM none"):
            return None, dg.Diagnosis(dg.NO_CAMERA_MODULE, evidence=self.evidence() + [
                ">>> import camera", "ImportError: " + line.split(" ", 2)[-1]],
                extra={"suggest_camera_build": True})
        facts = self.board_facts(out)
        if line.startswith("DOCTOR_CAM fail"):
            why = line[len("DOCTOR_CAM fail"):].strip() or _("camera.init() returned False")
            psram = self.s3_without_psram(cam_log)
            if psram is not None:
                return facts, psram
            failed = self.evidence() + cam_log + [
                _("camera initialisation failed: {reason}").format(reason=why)]
            unsupported = vd.unsupported_sensor(facts, self.ctx.profile.chip, cam_log, failed)
            if unsupported is not None:
                return facts, unsupported
            d = dg.Diagnosis(dg.CAMERA_PROBE_FAILED, evidence=failed + s.notes[-1:])
            vd.add_facts(d, facts)
            return facts, d
        if line.startswith("DOCTOR_CAM ok"):
            s.notes.append(_("camera module present, sensor answered"))
        return facts, None

    def s3_without_psram(self, cam_log: List[str]) -> Optional[dg.Diagnosis]:
        """An ESP32-S3 build whose camera ran out of memory (esp32-camera cam_hal: "frame buffer
        malloc failed", ESP_ERR_NO_MEM 0x101) started without PSRAM: MicroPython's S3 builds go
        on when their PSRAM driver fails (CONFIG_SPIRAM_IGNORE_NOTFOUND). Only the boot log
        says why, so reset once and read it."""
        s = self.s
        banner = (s.log.evidence([bl.BANNER])[-1:] or [""])[0]
        no_memory = any("frame buffer malloc failed" in ln or "error 0x101" in ln for ln in cam_log)
        if not no_memory or not re.search(r"with ESP32-?S3", banner):
            return None
        s.say(_("The camera has no memory for frames on an ESP32-S3: "
                "resetting to read the PSRAM start-up"))
        since = len(s.log.findings)
        if not s.pulse_reset():
            return None
        # until the banner of the new boot (the log still ends with the old prompt)
        s.listen(self.t.boot, lambda: s.log.has(bl.BANNER, since), quiet=self.t.quiet_after_boot,
                 need_data=True, first_data=self.t.first_boot_byte)
        if s.log.has(bl.PSRAM_WRONG_MODE, since) or s.log.has(bl.PSRAM_FAILURE, since):
            return vd.psram(s)
        return None

    def board_facts(self, camera_out: str) -> sn.BoardFacts:
        """Chip, PSRAM and camera sensor: the driver's own report first, else the sensor's
        ID over SCCB on the profile's pins (core.sensors)."""
        s, profile = self.s, self.ctx.profile
        facts = sn.BoardFacts()
        for ln in camera_out.splitlines():
            name = ln[len("DOCTOR_SENSOR"):].strip() if ln.startswith("DOCTOR_SENSOR") else ""
            if name and name != "None":
                facts.sensor, facts.source = name.upper(), "driver"
        s.say(_("Reading the camera sensor's ID ({profile} pins)").format(profile=profile.title))
        # run even after a driver report: it also tells the chip and PSRAM
        out = s.run_raw(sn.probe_code(profile).encode(), self.t.camera)
        if out is not None:
            sn.parse_probe(out, facts)
        if facts.chip or facts.psram is not None:
            psram = {True: _("yes"), False: _("no")}.get(facts.psram, "?")
            s.notes.append(_("chip: {chip}, PSRAM: {psram}").format(
                chip=(facts.chip or "?").upper(), psram=psram))
        s.notes.append(_("camera sensor: {sensor}").format(sensor=facts.describe_sensor()))
        return facts

    def measure_speed(self, d: dg.Diagnosis) -> None:
        """Negotiate the fast link as the back-end would, report it, put the board back at 115200."""
        from .camera.rawrepl import RawRepl, ReplBusy

        s = self.s
        adapter, cap = fastlink.adapter_cap(self.ctx.port)
        s.say(_("Measuring the fastest serial speed ({adapter}, up to {rate} baud)").format(
            adapter=adapter, rate=cap))
        try:
            repl = RawRepl(s.ser)
            negotiator = fastlink.Negotiator(repl.link_io(), repl.submit)
            result = negotiator.negotiate(fastlink.candidate_rates(fastlink.SpeedSetting("auto"), cap))
            back = negotiator.restore(result.rate) if result.fast else True
            repl.leave()
        except (ReplBusy, fastlink.LinkLost, OSError) as e:
            d.evidence.append(_("serial speed: not measured ({error})").format(error=e))
            return
        d.extra["link"] = {"rate": result.rate, "adapter": adapter, "unsupported": result.unsupported,
                           "attempts": [(a.rate, a.outcome) for a in result.attempts]}
        speed = fastlink.describe(result, adapter)
        d.evidence.append(_("serial speed: {speed}; board back at 115200").format(speed=speed)
                          if back and result.fast else
                          _("serial speed: {speed}").format(speed=speed))

    def try_configured(self, lines: Lines) -> Optional[dg.Diagnosis]:
        """None if the REPL also answers with ``lines``; else ``held_in_reset``."""
        s = self.s
        s.say(_("Trying your interpreter's settings ({lines})").format(lines=lines))
        s.listen(0.5, quiet=0.1)  # drain late answers: only a prompt after the change counts
        if not s.set_lines(lines):
            return None  # the lines cannot be changed, so they cannot hold the board either
        ok = s.poke(self.t.prompt)
        s.set_lines(RELEASED)
        if ok:
            return None
        # released again: a board held in reset boots now; wait until it is back
        mark = len(s.log.findings)
        s.wait_boot(mark)
        back = s.poke(self.t.prompt)
        boot = [f.line for f in s.log.findings[mark:] if f.code in (bl.RESET, bl.BANNER)]
        restarted = _("the board restarted") if s.log.has(bl.RESET, mark) else _("no reset seen")
        again = (_("back to {lines}: {restarted}, prompt again") if back
                 else _("back to {lines}: {restarted}, no prompt yet"))
        d = dg.Diagnosis(
            dg.HELD_IN_RESET, dtr=False, rts=False,
            evidence=[_("with {lines}: MicroPython prompt").format(lines=RELEASED),
                      _("with {lines}: no answer to Ctrl-C").format(lines=lines),
                      again.format(lines=RELEASED, restarted=restarted)]
            + boot[-2:])
        if self.ctx.usb_jtag:
            d.detail, d.replace_generic = _(vd.USB_JTAG_HELD_DETAIL), True
        return d
