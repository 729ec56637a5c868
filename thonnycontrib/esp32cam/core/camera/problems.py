"""Turn what the board said into an explanation the user can act on."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Dict, Optional

from thonnycontrib.esp32cam.core import menu_items
from thonnycontrib.esp32cam.core.i18n import _

NO_CAMERA_MODULE = "no_camera_module"
NO_PSRAM = "no_psram"
INIT_FAILED = "init_failed"
UNSUPPORTED_SENSOR = "unsupported_sensor"
CAPTURE_FAILED = "capture_failed"
NO_FLASH_LED = "no_flash_led"
TRANSFER = "transfer"
BUSY = "busy"
OTHER = "other"

ACTION_INSTALL_FIRMWARE = "install_firmware"

# A MicroPython heap this small means the firmware found no PSRAM (PSRAM builds
# put the heap there: 2-4 MiB on ESP32, more on ESP32-S3).
PSRAM_HEAP_THRESHOLD = 1024 * 1024


@dataclass
class CameraProblem(Exception):
    kind: str
    title: str
    explanation: str
    details: str = ""
    action: Optional[str] = None  # e.g. ACTION_INSTALL_FIRMWARE: the view offers a button
    board: Optional[Dict[str, Any]] = None  # chip/psram/sensor (doctor JSON keys) for the installer

    def __str__(self) -> str:
        text = "%s\n%s" % (self.title, self.explanation)
        if self.details:
            text += "\n\n" + _("The board said:") + "\n" + self.details.strip()
        return text


def no_camera_module(details: str = "") -> CameraProblem:
    return CameraProblem(
        NO_CAMERA_MODULE, _("This firmware has no camera driver"),
        _("The MicroPython on the board has no 'camera' module: official MicroPython builds "
          "never include one. Install a camera firmware — lemariva (MicroPython 1.21), "
          "KAKI5 (1.20) or cnadler86 (1.27, ESP32-S3 boards too) — with "
          "“Tools → {menu_item}”. Your files on the board are lost when the flash is erased."
          ).format(menu_item=_(menu_items.INSTALL_FIRMWARE)),
        details, ACTION_INSTALL_FIRMWARE)


def no_psram(details: str = "", heap: Optional[int] = None, no_module: bool = False) -> CameraProblem:
    small = bool(heap and heap < PSRAM_HEAP_THRESHOLD)
    where = (_("Camera frame buffers live in PSRAM (external RAM) (the MicroPython heap is only "
               "{kib} KiB).") if small else
             _("Camera frame buffers live in PSRAM (external RAM).")).format(kib=(heap or 0) // 1024)
    why = _("Either the board has no PSRAM (ESP32-CAM clones without the 8-pin PSRAM chip), the "
            "PSRAM did not answer at boot (\"PSRAM ID read error\": often a weak 5 V supply), or "
            "the firmware was built without SPIRAM support. Use a board with PSRAM, a solid 5 V / "
            "2 A supply, and a camera firmware with PSRAM support.")
    missing = [_("The firmware found no PSRAM, and without it the camera driver is not available.")
               ] if no_module else []
    return CameraProblem(
        NO_PSRAM, _("The camera needs PSRAM, and the firmware found none"),
        " ".join(missing + [where, why]),
        details, ACTION_INSTALL_FIRMWARE)


def init_failed(details: str = "", profile_title: str = "") -> CameraProblem:
    profile = (_("• the board profile in Tools → Options → Interpreter (now: {profile}) matches "
                 "your board — a wrong pin map is the usual cause on non-AI-Thinker boards;").format(
                     profile=profile_title) if profile_title else
               _("• the board profile in Tools → Options → Interpreter matches your board — a "
                 "wrong pin map is the usual cause on non-AI-Thinker boards;"))
    return CameraProblem(
        INIT_FAILED, _("The camera did not start (Camera Init Failed)"),
        _("The driver could not talk to the camera sensor. Check, in this order:") + "\n" + profile
        + "\n" + _(
        "• the ribbon cable: lift the connector latch, push the cable fully in (contacts "
        "towards the board), close the latch;\n"
        "• power: a 5 V supply that can give 500 mA or more (weak USB adapters brown out when "
        "the camera starts);\n"
        "• a program on the board already initialised the camera: press RST (or Stop/Restart) and "
        "try again."),
        details)


def unsupported_sensor(sensor: str, family: str, drives: str, suggestion: str, details: str = "",
                       board: Optional[Dict[str, Any]] = None) -> CameraProblem:
    """A sensor answered that this firmware's camera driver was built without
    (esp32-camera: "Detected camera not supported.", ESP_ERR_NOT_SUPPORTED)."""
    fix = (_("Install a build that drives the {sensor} — e.g. \"{build}\" — with the firmware "
             "installer (it preselects one). Your files on the board are lost when the flash is "
             "erased.") if suggestion else
           _("No build in the catalog drives the {sensor} on this chip.")).format(
               sensor=sensor, build=suggestion)
    said = _("The camera module on this board has an {sensor} sensor, but the {family} camera "
             "driver in this firmware drives only the {drives}, so the camera does not start.").format(
                 sensor=sensor, family=family, drives=drives)
    return CameraProblem(
        UNSUPPORTED_SENSOR,
        _("This firmware does not drive the {sensor} camera sensor").format(sensor=sensor),
        " ".join((said, fix)),
        details, ACTION_INSTALL_FIRMWARE if suggestion else None, board)


def capture_failed(details: str = "") -> CameraProblem:
    return CameraProblem(
        CAPTURE_FAILED, _("The camera started but delivered no image"),
        _("Try a smaller frame size or a lower JPEG quality (big frames may not fit the frame "
          "buffer), check the 5 V supply, and press RST if it keeps failing."), details)


def transfer_problem(details: str = "") -> CameraProblem:
    return CameraProblem(
        TRANSFER, _("The image was damaged on the way from the board"),
        _("Bytes were lost or changed on the serial line. Use a shorter or better USB cable, "
          "avoid USB hubs, and try again."), details)


def link_garbled(rate: int, details: str = "") -> CameraProblem:
    """The board read the plug-in's code (which compiles: tests check every piece) as a
    syntax error: bytes changed on the way, at a rate above 115200."""
    return CameraProblem(
        TRANSFER, _("The serial link garbled data at {rate} baud").format(rate=rate),
        _("The code sent to the board arrived damaged (the board read it as a syntax error): the "
          "USB-serial adapter or cable does not carry long transfers at this speed. Use a lower "
          "serial speed for this board (115200 always works)."), details)


def busy() -> CameraProblem:
    return CameraProblem(
        BUSY, _("The board is busy"),
        _("A program is running on the board. The camera view only works at the idle prompt: "
          "stop the program (Stop button or Ctrl+C) and try again."))


def no_flash_led(profile_title: str) -> CameraProblem:
    return CameraProblem(
        NO_FLASH_LED, _("This board has no flash LED"),
        _("The board profile {profile} has no flash LED. Choose the right profile in "
          "Tools → Options → Interpreter if your board has one.").format(profile=profile_title))


def classify(error_text: str, *, heap: Optional[int] = None, psram: Optional[bool] = None,
             profile_title: str = "", during: str = "") -> CameraProblem:
    """Map a device error (a MicroPython traceback or message) to a problem.

    ``psram`` is what detection found (None = unknown), ``heap`` the
    MicroPython heap size (used when PSRAM could not be checked); ``during`` is
    the operation ("import", "start", "snap", "flash", ...)."""
    text = error_text or ""
    low = text.lower()
    no_module = "no module named" in low and "camera" in low
    if no_module and psram is False:
        return no_psram(text, heap, no_module=True)
    if no_module:
        return no_camera_module(text)
    if during == "flash" and ("pin" in low or "machine" in low):
        return CameraProblem(NO_FLASH_LED, _("The flash LED could not be switched"),
                             _("The board did not accept the LED pin. Check the board profile."), text)
    psram_words = ("psram", "spiram", "esp_err_no_mem", "0x101", "malloc failed", "no memory")
    small_heap = psram is False or (psram is None and heap is not None and heap < PSRAM_HEAP_THRESHOLD)
    if any(w in low for w in psram_words) or (small_heap and during in ("start", "")):
        return no_psram(text, heap if small_heap else None)
    init_words = ("camera init failed", "probe failed", "esp_err_not_found", "0x105",
                  "sensor not", "already init", "camera not initialized", "init failed")
    if any(w in low for w in init_words) or during == "start":
        return init_failed(text, profile_title)
    if during == "snap" or "returned no image" in low:
        return capture_failed(text)
    last = text.strip().splitlines()[-1] if text.strip() else _("unknown error")
    return CameraProblem(OTHER, _("The camera reported an error"), last, text)
