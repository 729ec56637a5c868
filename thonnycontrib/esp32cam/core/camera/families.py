"""The three incompatible MicroPython camera driver families, described as data.

Everything that differs between lemariva, KAKI5 (shariltumin) and cnadler86 —
constant names, frame-size numbering, JPEG-quality direction — lives here so
the rest of the plug-in (and the user) works with one vocabulary:
frame sizes by name ("QVGA", "VGA", ...) and quality 0..100, higher = better.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Dict, List, Tuple
from thonnycontrib.esp32cam.core.i18n import _

LEMARIVA = "lemariva"
KAKI5 = "kaki5"
CNADLER86 = "cnadler86"
FAMILIES: Tuple[str, ...] = (LEMARIVA, KAKI5, CNADLER86)

FAMILY_TITLES: Dict[str, str] = {
    LEMARIVA: "lemariva micropython-camera-driver",
    KAKI5: "KAKI5 / shariltumin esp32-cam-micropython",
    CNADLER86: "cnadler86 micropython-camera-API",
}

# Device-side detection, in the documented order (cnadler86 first: it is a class API).
DETECT_EXPRESSION = (
    "'cnadler86' if hasattr(camera, 'Camera') else "
    "('kaki5' if hasattr(camera, 'conf') else 'lemariva')"
)


@dataclass(frozen=True)
class FrameSize:
    name: str  # the name used by the plug-in, the CLI and cnadler86's FrameSize.<name>
    width: int
    height: int
    espidf_index: int  # esp32-camera framesize_t value (lemariva numbering)

    @property
    def lemariva_constant(self) -> str:
        return "FRAME_" + self.name

    @property
    def cnadler86_name(self) -> str:
        # FrameSize attributes cannot start with a digit: R96X96, R240X240
        return "R" + self.name if self.name[0].isdigit() else self.name

    @property
    def kaki5_number(self) -> int:
        # KAKI5's FRAMESIZE keys are 1-based (FRAMESIZE_VGA = 9).
        return self.espidf_index + 1

    @property
    def label(self) -> str:
        return "%s (%d×%d)" % (self.name, self.width, self.height)


_SIZES = [
    FrameSize("96X96", 96, 96, 0),
    FrameSize("QQVGA", 160, 120, 1),
    FrameSize("QCIF", 176, 144, 2),
    FrameSize("HQVGA", 240, 176, 3),
    FrameSize("240X240", 240, 240, 4),
    FrameSize("QVGA", 320, 240, 5),
    FrameSize("CIF", 400, 296, 6),
    FrameSize("HVGA", 480, 320, 7),
    FrameSize("VGA", 640, 480, 8),
    FrameSize("SVGA", 800, 600, 9),
    FrameSize("XGA", 1024, 768, 10),
    FrameSize("HD", 1280, 720, 11),
    FrameSize("SXGA", 1280, 1024, 12),
    FrameSize("UXGA", 1600, 1200, 13),
]
FRAME_SIZES: Dict[str, FrameSize] = {s.name: s for s in _SIZES}
DEFAULT_FRAME_SIZE = "VGA"


def frame_size(name: str) -> FrameSize:
    """Look a frame size up by name (case-insensitive); ValueError names the choices."""
    key = str(name).strip().upper()
    if key not in FRAME_SIZES:
        raise ValueError(
            _("Unknown frame size {name!r}. Choose one of: {sizes}").format(
                name=name, sizes=", ".join(FRAME_SIZES))
        )
    return FRAME_SIZES[key]


def frame_size_names() -> List[str]:
    return list(FRAME_SIZES)


# KAKI5 camera.conf() keys (integer API, no named constants on the device).
KAKI5_CONF_KEYS: Dict[str, int] = {
    "PIN_PWDN": 0, "PIN_RESET": 1, "PIN_XCLK": 2, "PIN_SIOD": 3, "PIN_SIOC": 4,
    "PIN_D7": 5, "PIN_D6": 6, "PIN_D5": 7, "PIN_D4": 8, "PIN_D3": 9, "PIN_D2": 10,
    "PIN_D1": 11, "PIN_D0": 12, "PIN_VSYNC": 13, "PIN_HREF": 14, "PIN_PCLK": 15,
    "XCLK_MHZ": 16, "PIXFORMAT": 17, "FRAMESIZE": 18, "JPEG_QUALITY": 19, "FB_COUNT": 20,
}
KAKI5_PIXFORMAT_JPEG = 5

# JPEG quality. The plug-in's scale: 0..100, higher = better (cnadler86's native scale).
# lemariva and KAKI5 take the esp32-camera value 10..63 where LOWER is better.
QUALITY_MIN, QUALITY_MAX = 0, 100
DEFAULT_QUALITY = 85
NATIVE_BEST, NATIVE_WORST = 10, 63  # lemariva / KAKI5


def clamp_quality(quality: int) -> int:
    return max(QUALITY_MIN, min(QUALITY_MAX, int(quality)))


def native_quality(family: str, quality: int) -> int:
    """Translate plug-in quality (0..100, higher better) to the family's own value."""
    q = clamp_quality(quality)
    if family == CNADLER86:
        return q
    if family in (LEMARIVA, KAKI5):
        return NATIVE_WORST - round(q * (NATIVE_WORST - NATIVE_BEST) / QUALITY_MAX)
    raise ValueError("Unknown camera driver family %r" % (family,))


def quality_from_native(family: str, native: int) -> int:
    """Inverse of native_quality (approximate for lemariva/KAKI5, which have 54 steps)."""
    if family == CNADLER86:
        return clamp_quality(native)
    n = max(NATIVE_BEST, min(NATIVE_WORST, int(native)))
    return round((NATIVE_WORST - n) * QUALITY_MAX / (NATIVE_WORST - NATIVE_BEST))
