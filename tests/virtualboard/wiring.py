"""How the USB-serial adapter's DTR/RTS reach EN and IO0.

DTR/RTS are active low: asserted (True) pulls the pin at the adapter to 0 V.
"""
from __future__ import annotations

from typing import NamedTuple

WIRINGS = ("classic", "direct", "none")


class Pins(NamedTuple):
    en_low: bool   # EN (reset) pulled low by the adapter
    io0_low: bool  # IO0 (boot strap) pulled low by the adapter


def pins_for(wiring: str, dtr: bool, rts: bool) -> Pins:
    if wiring == "classic":
        # Two-transistor auto-reset circuit: both asserted = no effect.
        return Pins(en_low=rts and not dtr, io0_low=dtr and not rts)
    if wiring == "direct":
        # ESP32-CAM-MB style: an asserted line holds its pin low.
        return Pins(en_low=rts, io0_low=dtr)
    if wiring == "none":
        return Pins(False, False)
    raise ValueError(f"unknown wiring {wiring!r}; choose one of {', '.join(WIRINGS)}")


class UsbJtagLines(NamedTuple):
    reset: bool          # the chip is held in reset
    force_download: bool  # the force-download-boot flag is set (sampled when reset ends)


def usb_serial_jtag(dtr: bool, rts: bool) -> UsbJtagLines:
    """The ESP32-S3's own USB-Serial/JTAG has no EN/IO0 wires: it reads the CDC line state.
    RTS without DTR holds the chip in reset (a core reset; the USB link stays); DTR without
    RTS sets the force-download-boot flag (RTC_CNTL_OPTION1_REG bit 0, which esptool's
    hard_reset clears before resetting: targets/esp32s3.py, espressif/arduino-esp32 #6762).
    That is what esptool's USBJTAGSerialReset walks through: (DTR 1, RTS 0), then (0, 1),
    then (0, 0). Both asserted (a freshly opened tty) or both released: nothing."""
    return UsbJtagLines(reset=rts and not dtr, force_download=dtr and not rts)
