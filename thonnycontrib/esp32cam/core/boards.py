"""Camera pin profiles of common ESP32 camera boards (D0..D7 = Y2..Y9).

The profile is chosen on the ESP32-CAM configuration page (option
``ESP32CAM.board_profile``). It is used when a firmware build needs the pins
passed at init time (generic builds) and to find the flash LED.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Dict, List, Optional, Tuple
from thonnycontrib.esp32cam.core.i18n import _

OPTION_NAME = "ESP32CAM.board_profile"
DEFAULT_PROFILE = "ai_thinker"


@dataclass(frozen=True)
class BoardProfile:
    key: str
    title: str
    chip: str  # "esp32" | "esp32s3"
    pwdn: int
    reset: int
    xclk: int
    siod: int  # SCCB data (I2C SDA)
    sioc: int  # SCCB clock (I2C SCL)
    data: Tuple[int, int, int, int, int, int, int, int]  # D0..D7
    vsync: int
    href: int
    pclk: int
    flash_led: Optional[int] = None  # white flash LED (active high)
    status_led: Optional[int] = None  # e.g. AI-Thinker red LED (active low)
    cnadler86_build: Optional[str] = None  # cnadler86 board build with these pins built in

    def pins(self) -> Dict[str, int]:
        """Pins by role, D0..D7 included: the vocabulary the code generator uses."""
        result = {"pwdn": self.pwdn, "reset": self.reset, "xclk": self.xclk,
                  "siod": self.siod, "sioc": self.sioc, "vsync": self.vsync,
                  "href": self.href, "pclk": self.pclk}
        for i, pin in enumerate(self.data):
            result["d%d" % i] = pin
        return result


_M5_DATA = (32, 35, 34, 5, 39, 18, 36, 19)

_PROFILES = [
    BoardProfile("ai_thinker", "AI-Thinker ESP32-CAM", "esp32", 32, -1, 0, 26, 27,
                 (5, 18, 19, 21, 36, 39, 34, 35), 25, 23, 22,
                 flash_led=4, status_led=33, cnadler86_build="AI_THINKER"),
    BoardProfile("wrover_kit", "WROVER-KIT / Freenove ESP32-WROVER CAM", "esp32", -1, -1, 21, 26, 27,
                 (4, 5, 18, 19, 36, 39, 34, 35), 25, 23, 22, cnadler86_build="WROVER_KIT"),
    BoardProfile("esp_eye", "ESP-EYE", "esp32", -1, -1, 4, 18, 23,
                 (34, 13, 14, 35, 39, 38, 37, 36), 5, 27, 25,
                 status_led=22, cnadler86_build="ESP_EYE"),
    BoardProfile("m5stack_psram", "M5Stack Camera PSRAM / UnitCam", "esp32", -1, 15, 27, 25, 23,
                 _M5_DATA, 22, 26, 21),
    BoardProfile("m5stack_v2", "M5Stack Camera V2 PSRAM (B)", "esp32", -1, 15, 27, 22, 23,
                 _M5_DATA, 25, 26, 21),
    BoardProfile("m5stack_wide", "M5Stack Camera Wide", "esp32", -1, 15, 27, 22, 23,
                 _M5_DATA, 25, 26, 21, flash_led=2),
    BoardProfile("ttgo_t_journal", "TTGO T-Journal", "esp32", 0, 15, 27, 25, 23,
                 (17, 35, 34, 5, 39, 18, 36, 19), 22, 26, 21, cnadler86_build="TTGO_T_JOURNAL"),
    BoardProfile("esp32s3_eye", "ESP32-S3-EYE / Freenove ESP32-S3 CAM", "esp32s3", -1, -1, 15, 4, 5,
                 (11, 9, 8, 10, 12, 18, 17, 16), 6, 7, 13, cnadler86_build="ESP32S3_EYE"),
    BoardProfile("xiao_esp32s3_sense", "Seeed XIAO ESP32S3 Sense", "esp32s3", -1, -1, 10, 40, 39,
                 (15, 17, 18, 16, 14, 12, 11, 48), 38, 47, 13, cnadler86_build="XIAO_ESP32S3"),
]

PROFILES: Dict[str, BoardProfile] = {p.key: p for p in _PROFILES}


def profile_keys() -> List[str]:
    return list(PROFILES)


def get_profile(key: Optional[str]) -> BoardProfile:
    """The profile for a key; a missing or garbage value falls back to AI-Thinker."""
    if isinstance(key, str) and key.strip().lower() in PROFILES:
        return PROFILES[key.strip().lower()]
    return PROFILES[DEFAULT_PROFILE]


def is_valid_profile(key: object) -> bool:
    return isinstance(key, str) and key.strip().lower() in PROFILES


def describe_pins(profile: BoardProfile) -> str:
    """One-line pin summary for the configuration page."""
    led = (_("flash LED GPIO{pin}").format(pin=profile.flash_led) if profile.flash_led is not None
           else _("no flash LED"))
    return "XCLK %d, SIOD %d, SIOC %d, D0-D7 %s, VSYNC %d, HREF %d, PCLK %d, PWDN %d, RESET %d; %s" % (
        profile.xclk, profile.siod, profile.sioc, ",".join(map(str, profile.data)),
        profile.vsync, profile.href, profile.pclk, profile.pwdn, profile.reset, led)
