"""Colour contrast as WCAG 2.1 defines it, and the choice of readable colours.

Relative luminance and contrast ratio: WCAG 2.1, "relative luminance" and
"contrast ratio" definitions (https://www.w3.org/TR/WCAG21/#dfn-relative-luminance);
success criterion 1.4.3 (AA) asks for at least 4.5:1 for normal text.

Colours are ``(r, g, b)`` tuples of floats in 0..1 (sRGB) or ``#rrggbb`` strings.
Pure Python: the front-end turns Tk's colour names into tuples (``winfo_rgb``).
"""
from __future__ import annotations

from typing import Dict, Iterable, Optional, Sequence, Tuple, Union

RGB = Tuple[float, float, float]
Colour = Union[str, RGB]

AA_NORMAL_TEXT = 4.5  # WCAG 2.1 SC 1.4.3

OK, WARNING, ERROR = "ok", "warning", "error"
# Status texts carry a symbol too: they stay distinguishable without colour (WCAG 2.1 SC 1.4.1)
STATUS_MARKS = {OK: "\u2714", WARNING: "\u26a0", ERROR: "\u2716"}  # ✔ ⚠ ✖
WHITE, BLACK = "#ffffff", "#000000"

# Status colours to choose from, darkest first: the first one readable (>= 4.5:1) on the
# actual background wins (dark ones on light themes, light ones on dark themes).
STATUS_CANDIDATES: Dict[str, Tuple[str, ...]] = {
    OK: ("#1e6b2e", "#2e7d32", "#81c784", "#a5d6a7", "#c8e6c9"),
    WARNING: ("#8a3a00", "#9a3b00", "#ffb74d", "#ffcc80", "#ffe0b2"),
    ERROR: ("#a00018", "#b00020", "#ff8a80", "#ffab91", "#ffcdd2"),
}
# Link colours, when the theme's own is not readable on the background
LINK_CANDIDATES: Tuple[str, ...] = ("#1a4fb5", "#0b3d91", "#8ab4f8", "#aecbfa")


def to_rgb(colour: Colour) -> RGB:
    """``#rgb``/``#rrggbb``/``#rrrrggggbbbb`` or an ``(r, g, b)`` tuple in 0..1."""
    if not isinstance(colour, str):
        r, g, b = colour
        return (float(r), float(g), float(b))
    text = colour.strip().lstrip("#")
    if len(text) not in (3, 6, 9, 12) or any(c not in "0123456789abcdefABCDEF" for c in text):
        raise ValueError(f"not a hexadecimal colour: {colour!r}")
    digits = len(text) // 3
    top = 16 ** digits - 1
    return tuple(int(text[i * digits:(i + 1) * digits], 16) / top for i in range(3))  # type: ignore[return-value]


def from_16bit(rgb: Sequence[int]) -> RGB:
    """Tk's ``winfo_rgb`` answer (0..65535 per channel) as 0..1."""
    r, g, b = rgb
    return (r / 65535, g / 65535, b / 65535)


def to_hex(colour: Colour) -> str:
    return "#" + "".join("%02x" % round(max(0.0, min(1.0, c)) * 255) for c in to_rgb(colour))


def _linear(channel: float) -> float:
    return channel / 12.92 if channel <= 0.03928 else ((channel + 0.055) / 1.055) ** 2.4


def relative_luminance(colour: Colour) -> float:
    r, g, b = (_linear(c) for c in to_rgb(colour))
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def contrast_ratio(a: Colour, b: Colour) -> float:
    """(L1 + 0.05) / (L2 + 0.05), L1 the lighter: 1.0 .. 21.0."""
    la, lb = relative_luminance(a), relative_luminance(b)
    lighter, darker = max(la, lb), min(la, lb)
    return (lighter + 0.05) / (darker + 0.05)


def is_dark(background: Colour) -> bool:
    """Black text would be less readable on it than white text."""
    return contrast_ratio(background, "#ffffff") > contrast_ratio(background, "#000000")


def plain_text(background: Colour) -> str:
    """Black or white, whichever reads better on ``background``."""
    return WHITE if is_dark(background) else BLACK


def marked(kind: str, text: str) -> str:
    """``text`` led by the status' symbol (once), e.g. "⚠ The catalog could not be read"."""
    mark = STATUS_MARKS[kind]
    return text if not text or text.startswith(mark) else f"{mark} {text}"


def first_readable(candidates: Iterable[Optional[Colour]], background: Colour,
                   minimum: float = AA_NORMAL_TEXT) -> str:
    """The first candidate with at least ``minimum`` contrast to ``background``; if none has,
    the one with the most (``None`` candidates, e.g. a theme colour not set, are skipped)."""
    best, best_ratio = None, 0.0
    for candidate in candidates:
        if candidate is None:
            continue
        ratio = contrast_ratio(candidate, background)
        if ratio >= minimum:
            return to_hex(candidate)
        if ratio > best_ratio:
            best, best_ratio = candidate, ratio
    if best is None:
        raise ValueError("no candidate colour")
    return to_hex(best)


def mix(a: Colour, b: Colour, share_of_b: float) -> str:
    """``a`` moved ``share_of_b`` (0..1) of the way towards ``b``."""
    ra, rb = to_rgb(a), to_rgb(b)
    return to_hex(tuple(x + (y - x) * share_of_b for x, y in zip(ra, rb)))  # type: ignore[arg-type]


def muted(foreground: Colour, background: Colour, share: float = 0.35,
          minimum: float = AA_NORMAL_TEXT + 0.1) -> str:
    """``foreground`` faded towards ``background`` by up to ``share``, keeping at least
    ``minimum`` contrast (a little above AA, so rounding never drops it below); the plain
    foreground when it has no contrast to spare."""
    if contrast_ratio(foreground, background) < minimum:
        return to_hex(foreground)
    low, high = 0.0, share
    if contrast_ratio(mix(foreground, background, high), background) >= minimum:
        return mix(foreground, background, high)
    for _step in range(20):  # bisection: the largest fade still readable
        middle = (low + high) / 2
        if contrast_ratio(mix(foreground, background, middle), background) >= minimum:
            low = middle
        else:
            high = middle
    return mix(foreground, background, low)


def status_colour(kind: str, background: Colour, preferred: Optional[Colour] = None) -> str:
    """The colour for an ``OK``/``WARNING``/``ERROR`` text on ``background``: ``preferred``
    (e.g. the theme's own error colour) if readable, else the first readable candidate."""
    return first_readable([preferred, *STATUS_CANDIDATES[kind]], background)


def link_colour(background: Colour, preferred: Iterable[Optional[Colour]] = ()) -> str:
    return first_readable([*preferred, *LINK_CANDIDATES], background)
