"""The doctor's verdicts: what the evidence a probe gathered means (``diagnosis``
codes with their evidence and details). No serial I/O here: the probe
(``doctor.Doctor``) and the checks at the prompt (``doctor_prompt``) read the
board, these functions name the problem."""
from __future__ import annotations

from typing import Any, List, Optional, Protocol, Sequence

from thonnycontrib.esp32cam.core import bootlog as bl
from thonnycontrib.esp32cam.core import diagnosis as dg
from thonnycontrib.esp32cam.core import port_sharers, portcheck
from thonnycontrib.esp32cam.core import sensors as sn
from thonnycontrib.esp32cam.core.i18n import N_, _, ngettext
from thonnycontrib.esp32cam.core.serialprobe import Session


class PortFacts(Protocol):
    """What a verdict needs to know about the probed port (``doctor.Doctor`` has it)."""
    port: str
    platform: str

    @property
    def ports(self) -> Sequence[Any]: ...

    @property
    def usb_jtag(self) -> bool: ...


# The ESP32-S3's USB-Serial/JTAG reads the CDC line state itself (no transistors on EN/IO0):
# RTS without DTR resets the chip, DTR without RTS sets the force-download flag that the next
# reset through USB boots from (esptool reset.py USBJTAGSerialReset; targets/esp32s3.py clears
# RTC_CNTL_OPTION1 FORCE_DOWNLOAD_BOOT in hard_reset, espressif/arduino-esp32 #6762).
# (marked with N_: translated where a diagnosis takes them)
USB_JTAG_HELD_DETAIL = N_(
    "This board is connected through the ESP32-S3's own USB port (USB-Serial/JTAG, USB id 303A:1001): "
    "there is no auto-reset circuit, the chip's USB peripheral itself holds the chip in reset while RTS "
    "is on and DTR off, so your interpreter's DTR/RTS settings keep it silent.")
USB_JTAG_DOWNLOAD_DETAIL = N_(
    "The board is on the ESP32-S3's own USB port (USB-Serial/JTAG): a reset through USB does not read "
    "the BOOT button again, and the chip's force-download flag (set while DTR was on and RTS off, e.g. "
    "by a flashing tool's reset sequence or a terminal) survives such resets, so it keeps starting "
    "its bootloader.")

# what a port that another program reads too looks like from here
SHARED_PORT_SYMPTOMS = (dg.NOT_INTERRUPTIBLE, dg.SILENT, dg.BAUD_MISMATCH)


def conclusive(log: bl.BootLog, since: int = 0) -> bool:
    """Enough boot log to name a problem without resetting (again)."""
    return (log.has(bl.DOWNLOAD_MODE, since) or log.count(bl.BROWNOUT, since) >= 1
            or log.count(bl.NO_FIRMWARE, since) >= 2 or log.count(bl.CORRUPT_FIRMWARE, since) >= 2
            or log.count(bl.PSRAM_FAILURE, since) >= 2)


def download_mode(ctx: PortFacts, s: Session, after_reset: bool) -> dg.Diagnosis:
    d = dg.Diagnosis(dg.DOWNLOAD_MODE, evidence=s.evidence([bl.RESET, bl.DOWNLOAD_MODE]))
    if after_reset and ctx.usb_jtag:
        d.detail = _(USB_JTAG_DOWNLOAD_DETAIL)
        d.fix_detail = _("Press RST on the board (or unplug and replug its USB cable) "
                         "to clear the flag.")
        d.extra["usb_jtag_download_flag"] = True
    elif after_reset:
        d.detail = _("It happened again after the doctor reset the board with DTR released, "
                     "so IO0 is held low on the board: BOOT button or IO0-GND jumper.")
        d.extra["io0_held"] = True
    return d


def boot_problem(s: Session, problems: List[str]) -> Optional[dg.Diagnosis]:
    """A boot log that names why the firmware cannot start; None for a normal boot."""
    # a damaged app also prints "No bootable app partitions": the specific reason wins
    for code in (bl.BROWNOUT, bl.CORRUPT_FIRMWARE, bl.NO_FIRMWARE, bl.PSRAM_WRONG_MODE, bl.PSRAM_FAILURE):
        if code in problems:
            if code in (bl.PSRAM_WRONG_MODE, bl.PSRAM_FAILURE):
                return psram(s)
            return dg.Diagnosis(code, evidence=s.evidence([bl.RESET, code]))
    return None


def psram(s: Session) -> dg.Diagnosis:
    """PSRAM did not start: on an ESP32-S3 whose build's driver names the other bus
    mode (octal vs quad), that mismatch; otherwise missing or failing PSRAM."""
    wrong = s.log.first(bl.PSRAM_WRONG_MODE)
    if wrong is None:
        return dg.Diagnosis(dg.PSRAM_FAILURE, evidence=s.evidence([bl.RESET, bl.PSRAM_FAILURE]))
    s3 = bool(bl.S3_ROM.search(s.log.text()))
    return dg.psram_mode_diagnosis(s.evidence([bl.RESET, bl.PSRAM_WRONG_MODE, bl.PSRAM_FAILURE]),
                                   bl.psram_build_mode(wrong.line), s3)


def not_interruptible(ctx: PortFacts, s: Session) -> dg.Diagnosis:
    if s.lost:
        return lost(ctx, s)
    tail = s.log.evidence()[-8:]
    return dg.Diagnosis(dg.NOT_INTERRUPTIBLE, evidence=s.notes + tail + [
        _("(Ctrl-C sent 3 times: no >>> prompt)")])


def garbled(ctx: PortFacts, s: Session, test: str = "") -> dg.Diagnosis:
    raw = bytes(s.log.raw[-48:])
    ratio = bl.garbage_ratio(bytes(s.log.raw))
    evidence = s.notes + ([test] if test else []) + [
        ngettext("{count} byte received, {ratio} not text", "{count} bytes received, {ratio} not text",
                 len(s.log.raw)).format(count=len(s.log.raw), ratio=f"{ratio:.0%}"),
        _("last bytes: {hex}").format(hex=raw.hex(" "))]
    if ratio == 0:  # nothing garbled: the missing bytes vanished (another reader took them)
        return shared(ctx, evidence)
    return dg.Diagnosis(dg.BAUD_MISMATCH, evidence=evidence)


def shared(ctx: PortFacts, evidence: List[str], others: Optional[List[str]] = None) -> dg.Diagnosis:
    """``port_shared``, naming the port's other openers when the system tells them."""
    if others is None:
        others = [] if portcheck.is_url(ctx.port) else port_sharers.other_openers(ctx.port)
    d = dg.Diagnosis(dg.PORT_SHARED, evidence=evidence + [
        _("also open by: {programs}").format(programs=", ".join(others)) if others
        else _("the other program could not be named")])
    if others:
        d.detail = _("{port} is also open in {programs}.").format(port=ctx.port,
                                                                 programs=", ".join(others))
    return d


def name_other_readers(ctx: PortFacts, d: dg.Diagnosis) -> dg.Diagnosis:
    """Silence, noise or a busy program on a port another process has open: bytes that
    reader took look like that, so it is named instead."""
    if d.code not in SHARED_PORT_SYMPTOMS or portcheck.is_url(ctx.port):
        return d
    others = port_sharers.other_openers(ctx.port)
    return shared(ctx, d.evidence, others) if others else d


def lost(ctx: PortFacts, s: Session) -> dg.Diagnosis:
    """The port went away after it opened: unplugged, or the network link dropped;
    or pyserial found the bytes it was told about taken by another reader."""
    if not portcheck.is_url(ctx.port) and portcheck.port_exists(ctx.port, ctx.ports, ctx.platform):
        # still there: whatever pyserial said (its "multiple access" guess, or a failed read
        # or write), a port another process holds open lost its bytes to that process
        others = port_sharers.other_openers(ctx.port)
        if others or any(port_sharers.PYSERIAL_SHARED_READ in note for note in s.notes):
            return shared(ctx, s.evidence(), others)
    if portcheck.is_url(ctx.port):
        return dg.Diagnosis(
            dg.PORT_MISSING, evidence=s.evidence(), replace_generic=True,
            detail=_("The connection to the serial server broke during the probe."),
            fix_detail=_("Check the network and the serial server (RFC 2217 bridge), then retry."))
    d = portcheck.missing_port_diagnosis(ctx.port, ctx.ports, ctx.platform, s.evidence())
    d.detail = _("The port disappeared during the probe: the adapter was unplugged, or it lost "
                 "power (a weak supply can reset the USB adapter too).")
    return d


def add_facts(d: dg.Diagnosis, facts: sn.BoardFacts) -> None:
    d.extra["chip"] = facts.chip
    d.extra["psram"] = facts.psram
    d.extra["sensor"] = facts.to_json()


def unsupported_sensor(facts: sn.BoardFacts, profile_chip: str, cam_log: List[str],
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
    d.detail = _("This board's camera module has an {sensor} sensor.").format(sensor=facts.sensor)
    if choice is not None:
        d.fix_detail = _("\"{build}\" drives the {sensor}.").format(
            build=getattr(choice, "title", ""), sensor=facts.sensor)
        d.extra["suggest_build"] = getattr(choice, "id", None)
    else:
        d.fix_detail = _("No build in the catalog drives the {sensor} on this chip.").format(
            sensor=facts.sensor)
    add_facts(d, facts)
    return d
