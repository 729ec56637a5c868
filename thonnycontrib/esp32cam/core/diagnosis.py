"""What the connection doctor can conclude, in plain words.

Each diagnosis has a stable code (used in ``--json`` output and tests), a
title, what it means, the fix, and the ids of the fixes the doctor can apply
itself (see ``FIX_*``). The texts are shared by the doctor dialog, the CLI and
the Shell hints.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Dict, List, Optional

from thonnycontrib.esp32cam.core.i18n import N_, _

# Fixes the doctor (or its dialog) can apply itself.
FIX_SET_LINES = "set_lines"                # store the DTR/RTS that worked in the interpreter's options
FIX_RELEASE_AND_RESET = "release_and_reset"  # release DTR/RTS and pulse EN
FIX_OPEN_INSTALLER = "open_installer"      # firmware installer with a camera build preselected
FIX_INTERRUPT_AT_BOOT = "interrupt_at_boot"  # reset and send Ctrl-C during start-up
FIX_RETRY = "retry"                        # run the doctor again
FIX_WAIT_FOR_RST = "wait_for_rst"          # listen while the user presses RST by hand


@dataclass(frozen=True)
class Kind:
    """The texts are marked with ``N_``: translated when read (``Diagnosis.title`` ...)."""
    code: str
    title: str
    meaning: str
    fix: str
    fixes: tuple = ()


REPL_OK = "repl_ok"
HELD_IN_RESET = "held_in_reset"
DOWNLOAD_MODE = "download_mode"
NO_FIRMWARE = "no_firmware"
CORRUPT_FIRMWARE = "corrupt_firmware"
BROWNOUT = "brownout"
PSRAM_FAILURE = "psram_failure"
PSRAM_WRONG_MODE = "psram_wrong_mode"
NO_CAMERA_MODULE = "no_camera_module"
CAMERA_PROBE_FAILED = "camera_probe_failed"
NOT_INTERRUPTIBLE = "not_interruptible"
PORT_BUSY = "port_busy"
PERMISSION_DENIED = "permission_denied"
PORT_MISSING = "port_missing"
SILENT = "silent"
BAUD_MISMATCH = "baud_mismatch"
PORT_SHARED = "port_shared"
UNSUPPORTED_SENSOR = "unsupported_sensor"
CONSOLE_RATE = "console_rate"

KINDS: Dict[str, Kind] = {k.code: k for k in [
    Kind(REPL_OK, N_("MicroPython REPL reachable"),
         N_("The board answers with a MicroPython prompt."),
         N_("Nothing to fix. Use the \"MicroPython (ESP32-CAM)\" interpreter with these DTR/RTS "
            "settings."),
         (FIX_SET_LINES,)),
    Kind(HELD_IN_RESET, N_("Held in reset by DTR/RTS"),
         N_("With the DTR/RTS settings of your interpreter the USB adapter pulls the ESP32's EN "
            "pin low: the chip stays in reset and prints nothing (Thonny says \"Device is busy "
            "or does not respond\"). With both lines released the REPL answers."),
         N_("Set the interpreter's DTR and RTS to released (off). The doctor can store this "
            "setting for you."),
         (FIX_SET_LINES, FIX_RELEASE_AND_RESET)),
    Kind(DOWNLOAD_MODE, N_("Stuck in download (flashing) mode"),
         N_("The chip started its ROM bootloader (\"boot:0x3 (DOWNLOAD_BOOT...)\", \"waiting "
            "for download\") because IO0 was low when it reset: the BOOT button held down, an "
            "IO0-GND jumper left in place, or DTR asserted at reset."),
         N_("Remove the IO0-GND jumper (or release BOOT), then press RST. The doctor can "
            "release DTR/RTS and reset the board for you."),
         (FIX_RELEASE_AND_RESET, FIX_RETRY)),
    Kind(NO_FIRMWARE, N_("No firmware on the board"),
         N_("The boot ROM found nothing it can start at 0x1000 (0x0 on an ESP32-S3) (\"flash "
            "read err\" / \"invalid header\"): the flash is erased, or an image was written at "
            "the wrong offset."),
         N_("Install a MicroPython camera build with the firmware installer (it writes at the "
            "right offset)."),
         (FIX_OPEN_INSTALLER,)),
    Kind(CORRUPT_FIRMWARE, N_("The firmware on the board is corrupt"),
         N_("The board's bootloader refuses to start MicroPython because the image in flash is "
            "damaged (\"esp_image: Checksum failed\" / \"Image hash failed - image is "
            "corrupt\", then \"No bootable app partitions\"), and the board restarts over and "
            "over. A write that was interrupted, a corrupt download flashed by another tool, or "
            "worn flash cause it."),
         N_("Install the firmware again with the firmware installer (it checks every image "
            "before writing). If it happens again right after a verified install, the board's "
            "flash is failing."),
         (FIX_OPEN_INSTALLER,)),
    Kind(BROWNOUT, N_("Brownout: the power supply is too weak"),
         N_("\"Brownout detector was triggered\": the supply voltage dropped while the chip "
            "started (Wi-Fi and camera draw current peaks), so it resets over and over."),
         N_("Power the board with a stable 5 V supply (at least 500 mA) on the 5V pin, use a "
            "short, good USB cable or a powered hub, do not power it from the adapter's 3.3 V "
            "pin; then press RST."),
         (FIX_RETRY,)),
    Kind(PSRAM_FAILURE, N_("PSRAM does not work"),
         N_("The firmware needs the board's external RAM (PSRAM) but it did not answer "
         "(\"PSRAM ID read error\" / \"SPI RAM enabled but initialization failed\"). Camera builds "
         "need PSRAM."),
         N_("Make sure the board is an ESP32-CAM with PSRAM (AI-Thinker has it), power it with "
            "a stable 5 V supply and press RST. A board without PSRAM cannot run the camera "
            "builds."),
         (FIX_RETRY,)),
    Kind(PSRAM_WRONG_MODE, N_("The firmware is built for another kind of PSRAM"),
         N_("The firmware's PSRAM driver does not find the PSRAM it was built for (\"wrong "
            "PSRAM line mode\"). ESP32-S3 modules have either octal PSRAM (N8R8, N16R8: XIAO "
            "ESP32S3 Sense, Freenove ESP32-S3 CAM, ESP32-S3-EYE, LILYGO T-Camera S3) or quad "
            "PSRAM (N4R2, N8R2), and a build works with one kind only. MicroPython starts "
            "without PSRAM, so the camera cannot initialise."),
         N_("Install the build for your module's PSRAM with the firmware installer (it reads "
            "the chip's PSRAM before writing and warns about a mismatch)."),
         (FIX_OPEN_INSTALLER,)),
    Kind(NO_CAMERA_MODULE, N_("Firmware without a camera module"),
         N_("MicroPython runs, but \"import camera\" fails: this is a build without the camera "
            "driver (official MicroPython builds have none)."),
         N_("Install a MicroPython build with the camera driver with the firmware installer."),
         (FIX_OPEN_INSTALLER,)),
    Kind(CAMERA_PROBE_FAILED, N_("Camera not found"),
         N_("The camera driver is there but could not talk to the sensor (\"Camera probe "
            "failed\"): loose or reversed ribbon cable, a pin map for another board, weak "
            "power, or the camera already initialised."),
         N_("Switch off, reseat the camera ribbon (contacts facing the board, latch closed), "
            "power with 5 V, press RST; use the AI-Thinker pin profile; call camera.deinit() "
            "before initialising again."),
         (FIX_RETRY,)),
    Kind(NOT_INTERRUPTIBLE, N_("A running program ignores Ctrl-C"),
         N_("A program (main.py or boot.py) keeps running and catches KeyboardInterrupt, so no "
            "prompt appears and Thonny cannot take over."),
         N_("Let the doctor reset the board and send Ctrl-C continuously while it starts; once "
            "the prompt appears it renames main.py to main.py.disabled (or the next free name, "
            "main.py.disabled-2...: no file is replaced), so the board starts into the REPL. "
            "Fix the program and rename it back. If that does not work, reinstall the firmware "
            "(this erases the files)."),
         (FIX_INTERRUPT_AT_BOOT, FIX_OPEN_INSTALLER)),
    Kind(PORT_BUSY, N_("The port is busy"),
         N_("Another program has the serial port open: Thonny itself (another window, or this "
            "window's interpreter), an Arduino serial monitor, PuTTY, esptool, mpremote..."),
         N_("Close the other program or disconnect it (in Thonny: Stop/Disconnect), then retry."),
         (FIX_RETRY,)),
    Kind(PERMISSION_DENIED, N_("No permission to open the port"),
         N_("The operating system refuses to open the serial port for your user."),
         N_("On Linux add yourself to the port's group: sudo usermod -a -G dialout $USER, then "
            "log out and in again (or reboot)."),
         (FIX_RETRY,)),
    Kind(PORT_MISSING, N_("The port does not exist"),
         N_("There is no serial device with this name: the adapter is unplugged, the cable is "
            "charge-only, the driver is missing, or the port got another name."),
         N_("Plug the adapter in with a data cable and choose its port."),
         (FIX_RETRY,)),
    Kind(SILENT, N_("Nothing comes back from the board"),
         N_("The port opens but the board sends nothing, not even after a reset: wrong port, "
            "TX/RX not crossed, no common GND, no power, or an adapter whose DTR/RTS cannot "
            "reset the board."),
         N_("Check the port, connect adapter TX to U0R and RX to U0T, GND to GND, 5 V to 5V. "
            "Then let the doctor listen while you press RST on the board: the boot log tells "
            "the rest."),
         (FIX_WAIT_FOR_RST, FIX_RETRY)),
    Kind(BAUD_MISMATCH, N_("Garbled output (baud rate or signal quality)"),
         N_("Bytes arrive but they are not text at 115200 baud: the line is too weak or noisy "
            "for this speed (long or poor cable, weak adapter), or the other side uses another "
            "baud rate."),
         N_("Use a short, good cable and a solid GND connection; try another USB adapter. The "
            "ESP32-CAM console runs at 115200 baud."),
         (FIX_RETRY,)),
    Kind(PORT_SHARED, N_("Another program reads this port"),
         N_("Bytes from the board vanish: another program has the port open and reads it too (a "
            "serial monitor, another Thonny, ModemManager on Linux), so each byte reaches only "
            "one of the two. What does arrive is clean text, so the baud rate is not the "
            "problem."),
         N_("Close the other program (named below when the system tells), then retry. On Linux, "
         "ModemManager probes new serial ports: sudo systemctl stop ModemManager."),
         (FIX_RETRY,)),
    Kind(CONSOLE_RATE, N_("The board's console runs at another baud rate"),
         N_("The board answers, but not at 115200 baud: a program (main.py or boot.py) or a "
            "line typed at the REPL called machine.UART(0, baudrate=...), which moves the "
            "REPL's console to that rate until the next reset. The program, the cable and the "
            "firmware are fine."),
         N_("The doctor set the console back to 115200 for now (no file was changed): connect "
            "again. If main.py or boot.py sets UART 0's rate, remove that line (use UART 1 or "
            "2, on other pins, for your own serial device), or the next start moves the console "
            "again."),
         (FIX_RETRY,)),
    Kind(UNSUPPORTED_SENSOR, N_("Camera sensor not supported by this firmware"),
         N_("The camera driver found a sensor it was built without (\"Detected camera not "
            "supported.\", ESP_ERR_NOT_SUPPORTED): each firmware build drives only the sensors "
            "compiled into it, and some boards ship with an OV3660 or OV5640 instead of the "
            "OV2640."),
         N_("Install a build whose camera driver drives this sensor with the firmware installer "
         "(it preselects one)."),
         (FIX_OPEN_INSTALLER,)),
]}


@dataclass
class Diagnosis:
    """The doctor's conclusion: code + evidence (lines seen) + the fix in plain words."""
    code: str
    evidence: List[str] = field(default_factory=list)
    detail: str = ""                      # situation-specific addition to the meaning
    fix_detail: str = ""                  # situation-specific addition, before the generic fix
    fix_note: str = ""                    # situation-specific addition, after the generic fix
    replace_generic: bool = False         # detail/fix_detail replace the generic texts
    dtr: Optional[bool] = None            # lines with which the REPL answered (repl_ok) or that would work
    rts: Optional[bool] = None
    port: str = ""
    extra: Dict[str, Any] = field(default_factory=dict)

    @property
    def kind(self) -> Kind:
        return KINDS[self.code]

    @property
    def ok(self) -> bool:
        return self.code == REPL_OK

    @property
    def title(self) -> str:
        return _(self.kind.title)

    @property
    def meaning(self) -> str:
        if self.replace_generic and self.detail:
            return self.detail
        return " ".join(x for x in (_(self.kind.meaning), self.detail) if x)

    @property
    def fix(self) -> str:
        generic = "" if self.replace_generic and self.fix_detail else _(self.kind.fix)
        return " ".join(x for x in (self.fix_detail, generic, self.fix_note) if x)

    @property
    def fixes(self) -> List[str]:
        return list(self.extra.get("fixes", self.kind.fixes))

    def to_json(self) -> Dict[str, Any]:
        data: Dict[str, Any] = {
            "diagnosis": self.code,
            "ok": self.ok,
            "title": self.title,
            "meaning": self.meaning,
            "fix": self.fix,
            "fixes": self.fixes,
            "evidence": list(self.evidence),
            "port": self.port,
        }
        if self.dtr is not None or self.rts is not None:
            data["lines"] = {"dtr": self.dtr, "rts": self.rts}
        for key, value in self.extra.items():
            if key != "fixes":
                data[key] = value
        return data

    def to_text(self) -> str:
        out = [_("Diagnosis: {title} [{code}]").format(title=self.title, code=self.code), "",
               self.meaning, "", _("Fix: {fix}").format(fix=self.fix)]
        if self.dtr is not None or self.rts is not None:
            out.insert(1, _("DTR={dtr} RTS={rts}").format(dtr=_onoff(self.dtr), rts=_onoff(self.rts)))
        if self.evidence:
            out += ["", _("Evidence (what the board printed / the system said):")]
            out += ["  " + line for line in self.evidence]
        return "\n".join(out)


def _onoff(value: Optional[bool]) -> str:
    if value is None:
        return _("default")
    return _("asserted") if value else _("released")


# One-line explanations printed in Thonny's Shell, keyed by bootlog signature codes
# (marked with N_: translate where shown, or use ``shell_hint``).
SHELL_HINTS: Dict[str, str] = {
    "download_mode": N_("The ESP32-CAM is in download (flashing) mode: IO0 was low when it reset. "
                     "Remove the IO0-GND jumper or release BOOT, then press RST."),
    "no_firmware": N_("The board has no bootable firmware (\"flash read err\" / \"invalid "
                      "header\"). Install a MicroPython camera build with the firmware "
                      "installer."),
    "corrupt_firmware": N_("The firmware in the board's flash is damaged, so its bootloader "
                           "refuses to start it and the board restarts in a loop. Install the "
                           "firmware again with the firmware installer."),
    "brownout": N_("Brownout: the power supply is too weak, so the board keeps resetting. Use a "
                   "stable 5 V supply (500 mA or more) and a short, good USB cable."),
    "psram_failure": N_("The board's PSRAM did not start; camera builds need it. Check that the "
                        "board has PSRAM and a stable 5 V supply, then press RST."),
    "psram_wrong_mode": N_("The firmware is built for another kind of PSRAM than the board has "
                           "(\"wrong PSRAM line mode\"): ESP32-S3 N8R8/N16R8 modules need an "
                           "octal-PSRAM build (SPIRAM_OCT), N4R2/N8R2 a quad one. Install the "
                           "build for your module."),
    "camera_probe_failed": N_("The camera sensor did not answer: reseat the ribbon cable, use "
                              "the AI-Thinker pin profile, power with 5 V, and deinit the "
                              "camera before initialising it again."),
    "unsupported_sensor": N_("The camera driver found a sensor this firmware was built without "
                             "(\"Detected camera not supported.\"): the camera module is not an "
                             "OV2640, or not a sensor this build drives. The doctor names the "
                             "sensor and a firmware build that drives it."),
    "no_camera_module": N_("This firmware has no camera module (official MicroPython builds "
                           "have none). Install a camera build with the firmware installer."),
    "no_response": N_("An ESP32-CAM that does not answer is usually held in reset or in "
                      "download mode by the adapter's DTR/RTS lines, or runs a program that "
                      "ignores Ctrl-C."),
    "lost_sync": N_("The board stopped answering in the middle of a command: it probably reset "
                    "(brownout, RST button, machine.reset()) or went into download mode."),
    "connect_failed": N_("The ESP32-CAM interpreter could not open the port: it may be missing, "
                         "used by another program, or not permitted for your user."),
}


def shell_hint(code: str) -> Optional[str]:
    """The Shell hint for a bootlog signature code, translated; None for an unknown code."""
    text = SHELL_HINTS.get(code)
    return _(text) if text else None


def psram_mode_diagnosis(evidence: List[str], build_mode: Optional[str], s3: bool) -> "Diagnosis":
    """The PSRAM-mode mismatch of an ESP32-S3 in plain words, from the driver that complained
    (``build_mode`` "octal" | "quad"). Without the S3 ROM in the log a quad driver's complaint
    is the ordinary missing-PSRAM case (an ESP32 board without PSRAM)."""
    if build_mode == "octal":
        return Diagnosis(PSRAM_WRONG_MODE, evidence=evidence,
                         detail=_("Here the firmware is built for octal PSRAM (SPIRAM_OCT) and "
                                  "the board's PSRAM is quad (N4R2/N8R2) or missing."),
                         fix_detail=_("Install a build for quad PSRAM, or check that the board "
                                      "is the module you think it is (esptool's chip info shows "
                                      "\"Embedded PSRAM 2MB\" for quad, \"8MB\" for octal)."))
    if build_mode == "quad" and s3:
        return Diagnosis(PSRAM_WRONG_MODE, evidence=evidence,
                         detail=_("Here the firmware is built for quad PSRAM and the board's "
                                  "ESP32-S3 has octal PSRAM (N8R8/N16R8), like every S3 camera "
                                  "board in the catalog."),
                         fix_detail=_("Install a build for octal PSRAM (cnadler86: "
                                      "ESP32_GENERIC_S3-SPIRAM_OCT; KAKI5: the build for your "
                                      "board)."))
    return Diagnosis(PSRAM_FAILURE, evidence=evidence)
