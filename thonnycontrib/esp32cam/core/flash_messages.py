"""What the installer tells the user when an esptool run did not write the firmware."""
from __future__ import annotations

import re
from typing import Optional, Protocol

from thonnycontrib.esp32cam.core import esptool_cmd as ec
from thonnycontrib.esp32cam.core import port_errors as pe
from thonnycontrib.esp32cam.core.i18n import N_, _


class FlashTarget(Protocol):
    """What the messages need of ``flasher.FlashOptions`` (no import: flasher imports this)."""
    port: str
    baud: Optional[int]

# the constants are marked with N_: translate where shown (``failure_message`` does)
DOWNLOAD_MODE_STEPS = N_(
    "The board did not enter download mode by itself. Put it there by hand:\n"
    "  • ESP32-CAM-MB (USB daughterboard): hold the IO0 button, tap RST, release IO0.\n"
    "  • Bare ESP32-CAM on a USB-serial adapter: connect IO0 to GND with a jumper, tap RST "
    "(keep the jumper on while flashing; remove it and tap RST again afterwards).")
# the steps and what to press then, in one msgid: the dialog recognises the message by it
DOWNLOAD_MODE_HELP = N_(
    "The board did not enter download mode by itself. Put it there by hand:\n"
    "  • ESP32-CAM-MB (USB daughterboard): hold the IO0 button, tap RST, release IO0.\n"
    "  • Bare ESP32-CAM on a USB-serial adapter: connect IO0 to GND with a jumper, tap RST "
    "(keep the jumper on while flashing; remove it and tap RST again afterwards).\n"
    "Then press Retry: the installer will not try to reset the board this time.")


def download_mode_help() -> str:
    """``DOWNLOAD_MODE_HELP`` in the current language."""
    return _(DOWNLOAD_MODE_HELP)


def without_retry(message: str, then: str) -> str:
    """``message`` with the download-mode help's last line ("Then press Retry...") replaced
    by ``then`` (the command line and the classroom have no Retry button)."""
    return message.replace(_(DOWNLOAD_MODE_HELP), _(DOWNLOAD_MODE_STEPS) + "\n" + then)


FIRMWARE_ANSWERED = N_("The board answered as its running firmware, not as the bootloader: the "
                       "adapter's DTR/RTS lines do not reach EN and IO0 (no auto-reset wiring), so "
                       "the cable is not the problem.")


# a write (flasher) or a read (survey_run) that falls back to a slower rate says one of these
RETRY_GARBLED = N_("Retrying at {baud} baud: data was garbled at {previous} baud, as happens "
                   "with weak USB-serial adapters and long cables.")
RETRY_GARBLED_RESUME = N_("Retrying at {baud} baud: data was garbled at {previous} baud, as "
                          "happens with weak USB-serial adapters and long cables; continuing "
                          "from {address}.")
RETRY_READ = N_("Retrying at {baud} baud: data was garbled at {previous} baud.")


def retry_baud(line: str) -> Optional[int]:
    """The new rate when ``line`` is one of the retry messages above (in the current language)."""
    for template in (RETRY_GARBLED, RETRY_GARBLED_RESUME, RETRY_READ):
        prefix = _(template).split("{baud}")[0]
        found = re.match(r"\d+", line[len(prefix):]) if prefix and line.startswith(prefix) else None
        if found:
            return int(found.group(0))
    return None


def cancel_message(changed: bool) -> str:
    if not changed:
        return _("Cancelled before anything was written: the board is unchanged.")
    return _("Cancelled part-way: the board's flash was erased or partly written, so it will "
             "not start MicroPython now. It is safe to run the installer again; until then "
             "the board only shows boot messages.")


def wrong_chip_message(board_chip: str, image_chip: str) -> str:
    """esptool's names ("ESP32-S3", "ESP32") of the chip that answered and the one written for."""
    return _("The board is an {board_chip}, but this firmware is for an {image_chip}. Choose a "
             "build for the board's chip. Nothing was written.").format(board_chip=board_chip,
                                                                      image_chip=image_chip)


# The board was never reached in download mode: nothing to restart
UNTOUCHED = (ec.PORT_BUSY, ec.PORT_MISSING, ec.PORT_PERMISSION, ec.NEEDS_DOWNLOAD_MODE)

# esptool's lines once the ROM bootloader answered (esptool 4.8.1 and 5.x)
ROM_REACHED = ("Connected to", "Chip is ", "Chip type:", "Uploading stub", "This chip is ",
               "Changing baud rate", "Writing at")

MANUAL_BOOT_STATE = N_("The board stays in download mode: remove the IO0 jumper (or release IO0) "
                       "and tap RST to start it.")


def failure_message(outcome: str, changed: bool, baud: int, options: FlashTarget,
                    output: str = "") -> str:
    """``output``: esptool's own output (it names the chip that answered)."""
    state = (_("The flash is incomplete, so the board will not start MicroPython until an "
               "install succeeds; retrying is safe.") if changed else _(
                       "The board was not changed."))
    if outcome == ec.NEEDS_DOWNLOAD_MODE:
        if "Invalid head of packet" in output:  # its firmware answered, not the ROM bootloader
            return _(FIRMWARE_ANSWERED) + "\n" + download_mode_help()
        return download_mode_help()
    chips = ec.wrong_chip(output)
    if outcome == ec.WRONG_CHIP and chips:
        return wrong_chip_message(*chips)
    if outcome == ec.PORT_BUSY:
        return _("{port} is in use by another program (a terminal, Arduino IDE, "
                 "another Thonny). Close it and retry.").format(port=options.port)
    if outcome == ec.PORT_PERMISSION:
        problem = pe.classify_port_error(options.port, "Permission denied")
        return _("Could not open {port}: permission denied. {advice}").format(
            port=options.port, advice=problem.advice if problem else "").rstrip()
    if outcome == ec.PORT_MISSING:
        return _("Could not open {port}: it does not exist (any more) or another "
                 "program holds it. Check the USB cable, pick the right port, close other "
                 "serial programs and retry.").format(port=options.port)
    if outcome == ec.CONNECTION_LOST:
        return " ".join((_("The connection to the board was lost during flashing ({port}). "
                           "Check the USB cable and power, then retry.").format(port=options.port), state))
    if outcome == ec.LINK_FAILURE:
        hint = (_("Unpin the baud rate in the advanced options to let the installer try slower "
                  "speeds.") if options.baud else
                _("It failed at every speed down to {baud} baud: use a shorter cable, a better "
                  "adapter and a solid 5 V supply.").format(baud=baud))
        return " ".join((_("Writing failed: the serial link is unreliable."), hint, state))
    return " ".join((_("esptool failed; see the log above for its message."), state))
