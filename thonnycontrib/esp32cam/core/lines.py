"""Serial control-line policy for ESP32-CAM boards (pure: no Tk, no Thonny).

USB-serial adapters drive the ESP32's EN (reset) and IO0 (boot mode) pins from
their RTS and DTR outputs. Both lines are active low: ``True`` ("asserted")
puts the pin at 0 V. pyserial asserts both when it opens a port, which on
ESP32-CAM programmers holds the chip in reset or in the bootloader, so this
plug-in keeps both released (``False``) unless the user chooses otherwise.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, List, Optional
from thonnycontrib.esp32cam.core.i18n import N_, _

# Released lines are the only safe choice for ESP32-CAM boards.
DEFAULT_DTR = False
DEFAULT_RTS = False

_TRUE_WORDS = {"true", "yes", "on", "1", "asserted", "low"}
_FALSE_WORDS = {"false", "no", "off", "0", "released", "high"}

# marked with N_ (import-time texts): translated where shown
LINES_EXPLANATION = N_(
    "Adapters wire DTR to IO0 and RTS to EN (reset): an asserted line holds the "
    "ESP32-CAM in reset or in the bootloader, and the Shell stays black."
)

# Per line: (label, text for released, text for asserted)
LINE_CHOICES = {
    "dtr": (
        N_("DTR (drives IO0 / BOOT)"),
        N_("released (IO0 high) — recommended for ESP32-CAM"),
        N_("asserted (IO0 low) — board enters the bootloader on the next reset"),
    ),
    "rts": (
        N_("RTS (drives EN / RESET)"),
        N_("released (EN high) — recommended for ESP32-CAM"),
        N_("asserted (EN low) — board may be held in reset"),
    ),
}


@dataclass(frozen=True)
class CoercedOption:
    """The value a line option really has, and why, if the stored one was ignored."""

    value: bool
    note: Optional[str] = None  # None when the stored value was a proper boolean


def coerce_line_option(name: str, raw: Any, default: bool = False) -> CoercedOption:
    """Turn whatever ``configuration.ini`` holds for ``dtr``/``rts`` into a bool.

    Real booleans pass through. Common spellings (``false``, ``no``, ``0``,
    ``on`` ...) are understood, with a note, because Thonny would otherwise read
    ``false`` as a non-empty, truthy string. Anything else (``maybe``, empty,
    ``None``) falls back to ``default`` with a note saying what was ignored.
    """
    if isinstance(raw, bool):
        return CoercedOption(raw)
    if isinstance(raw, int) and raw in (0, 1):
        return CoercedOption(bool(raw), _("{name} = {raw!r} read as {value}").format(
            name=name, raw=raw, value=bool(raw)))
    if isinstance(raw, str):
        word = raw.strip().lower()
        if word in _TRUE_WORDS:
            return CoercedOption(True, _("{name} = {raw!r} read as True (write True or False)").format(
                name=name, raw=raw))
        if word in _FALSE_WORDS:
            return CoercedOption(False, _("{name} = {raw!r} read as False (write True or False)").format(
                name=name, raw=raw))
    shown = _("empty") if raw in ("", None) else repr(raw)
    return CoercedOption(
        default,
        (_("{name} = {shown} is not True or False; ignored, using {default} (asserted)") if default
         else _("{name} = {shown} is not True or False; ignored, using {default} (released)")).format(
            name=name, shown=shown, default=default),
    )


def describe_line(name: str, asserted: bool) -> str:
    """One-line electrical meaning of a line state, e.g. for logs and the doctor."""
    released_text, asserted_text = LINE_CHOICES[name][1:]
    return f"{name.upper()} " + _(asserted_text if asserted else released_text)


def release_order() -> List[str]:
    """Order in which to release the lines before closing a port.

    RTS first: releasing DTR while RTS is still asserted would pull EN low on
    the classic two-transistor circuit and reset the board.
    """
    return ["rts", "dtr"]


def miniterm_args(port: str, dtr: bool, rts: bool, baudrate: int = 115200) -> List[str]:
    """Arguments for Thonny's miniterm wrapper that keep the chosen line states.

    miniterm applies ``--dtr``/``--rts`` before opening the port (and opens
    ``rfc2217://``/``socket://`` URLs itself).
    """
    return [
        "--exit-char", "20",
        "--menu-char", "29",
        "--filter", "direct",
        "--quiet",
        "--dtr", str(int(dtr)),
        "--rts", str(int(rts)),
        port,
        str(baudrate),
    ]
