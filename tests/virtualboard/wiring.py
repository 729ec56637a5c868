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
