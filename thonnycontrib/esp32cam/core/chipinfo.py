"""Know the hardware before choosing firmware: chip, revision, flash size and PSRAM
as the ROM bootloader reports them through esptool (no firmware needed), and whether
a build's PSRAM driver fits the board.

esptool prints what it reads from the chip's eFuses when it connects
(esptool 5: "Chip type:", "Features:", "Crystal frequency:"; esptool 4: "Chip is",
"Features:", "Crystal is") and, for ``flash-id``, "Detected flash size: 8MB".
On an ESP32-S3 the features name the PSRAM inside the package (esptool
targets/esp32s3.py get_chip_features: "Embedded PSRAM 8MB (AP_3v3)"). Whether it is
octal or quad follows from the package (ESP32-S3 Series Datasheet v1.9, table 1-1:
ESP32-S3R2 and S3FH4R2 2 MB quad SPI; S3R8, S3R8V 8 MB and S3R16V 16 MB octal SPI).
The classic ESP32's PSRAM (ESP32-CAM: an external chip) is invisible to the ROM.
"""
from __future__ import annotations

import re
import subprocess
from dataclasses import dataclass
from typing import Optional

from thonnycontrib.esp32cam.core import esptool_cmd as ec
from thonnycontrib.esp32cam.core.i18n import N_, _

S3_PSRAM_MODES = {2: "quad", 8: "octal", 16: "octal"}  # in-package PSRAM size (MB) -> bus
# marked with N_: translated where shown (``_mode``)
MODE_LABELS = {"octal": N_("octal (OPI, SPIRAM_OCT)"), "quad": N_("quad (QSPI, SPIRAM)")}


def _mode(mode: str) -> str:
    return _(MODE_LABELS[mode])

_CHIP_RE = re.compile(r"^(?:Chip type:\s+|Chip is )(?P<desc>ESP32\S*(?: \([^)]*\))*)", re.M)
_REV_RE = re.compile(r"\(revision v(\d+\.\d+)\)")
_FEATURES_RE = re.compile(r"^Features:\s+(.*)$", re.M)
_FLASH_RE = re.compile(r"^Detected flash size: (\d+)MB", re.M)
_MAC_RE = re.compile(r"^MAC:\s+([0-9a-f:]{17})", re.M)
_PSRAM_RE = re.compile(r"Embedded PSRAM (\d+)MB(?: \(([^)]*)\))?")
_DETECTED_RE = re.compile(r"Detecting chip type\.\.\. (ESP32\S*)")


@dataclass(frozen=True)
class ChipInfo:
    chip: str                      # "esp32" | "esp32s3" | other esptool chip names, lower case, no dash
    description: str               # "ESP32-S3 (QFN56) (revision v0.2)"
    revision: Optional[str] = None
    features: str = ""
    flash_mb: Optional[int] = None
    psram_mb: Optional[int] = None  # in-package PSRAM (None: none or not visible to the ROM)
    psram_vendor: Optional[str] = None
    mac: Optional[str] = None

    @property
    def psram_mode(self) -> Optional[str]:
        """"octal" | "quad" for an S3's in-package PSRAM; None if there is none or it is unknown."""
        if self.chip == "esp32s3" and self.psram_mb is not None:
            return S3_PSRAM_MODES.get(self.psram_mb)
        return None

    @property
    def psram_visible(self) -> bool:
        """The ROM can tell whether there is PSRAM (S3: eFuse); on an ESP32 it cannot."""
        return self.chip == "esp32s3"

    def describe(self) -> str:
        parts = [self.description]
        if self.flash_mb:
            parts.append(_("{size} MB flash").format(size=self.flash_mb))
        if self.psram_mb:
            mode = self.psram_mode
            parts.append(_("{size} MB {mode} PSRAM").format(size=self.psram_mb, mode=_mode(mode)) if mode
                         else _("{size} MB PSRAM").format(size=self.psram_mb))
        elif self.psram_visible:
            parts.append(_("no PSRAM"))
        else:
            parts.append(_("PSRAM not visible before MicroPython runs (external chip)"))
        return ", ".join(parts)


def parse_esptool_output(text: str) -> Optional[ChipInfo]:
    """ChipInfo from what esptool 4 or 5 printed while connecting, or None."""
    match = _CHIP_RE.search(text)
    if match is None:
        detected = _DETECTED_RE.search(text)
        if detected is None:
            return None
        description = detected.group(1)
    else:
        description = match.group("desc").strip()
    family = re.match(r"ESP32(-[SCHP]\d+)?", description)  # ESP32-D0WDQ6 / ESP32-PICO-D4 are ESP32s
    chip = "esp32" + (family.group(1) or "").replace("-", "").lower() if family else description.lower()
    revision = _REV_RE.search(description)
    features = _FEATURES_RE.search(text)
    feature_text = features.group(1).strip() if features else ""
    psram = _PSRAM_RE.search(feature_text)
    flash = _FLASH_RE.search(text)
    mac = _MAC_RE.search(text)
    return ChipInfo(chip=chip, description=description,
                    revision=revision.group(1) if revision else None, features=feature_text,
                    flash_mb=int(flash.group(1)) if flash else None,
                    psram_mb=int(psram.group(1)) if psram else None,
                    psram_vendor=(psram.group(2) or None) if psram else None,
                    mac=mac.group(1) if mac else None)


class ChipProbeError(RuntimeError):
    pass


def identify(esptool: ec.Esptool, port: str, *, baud: int = 115200, manual_boot: bool = False,
             usb_reset: bool = False, timeout: float = 60.0) -> ChipInfo:
    """Run ``esptool flash-id`` (reset into the ROM, read, hard reset) and parse it."""
    cmd = esptool.flash_id_command(port=port, baud=baud, manual_boot=manual_boot, usb_reset=usb_reset)
    try:
        proc = subprocess.run(cmd, stdin=subprocess.DEVNULL, capture_output=True, text=True,
                              env=esptool.env, timeout=timeout,
                              creationflags=getattr(subprocess, "CREATE_NO_WINDOW", 0))
    except subprocess.TimeoutExpired:
        raise ChipProbeError(_("esptool did not finish reading the chip on {port} within "
                               "{seconds} s.")
                             .format(port=port, seconds=f"{timeout:.0f}")) from None
    output = proc.stdout + proc.stderr
    info = parse_esptool_output(output)
    if proc.returncode != 0 or info is None:
        tail = output.strip().splitlines()[-1:] or [_("no output")]
        raise ChipProbeError(_("Could not read the chip on {port}: {reason}").format(port=port,
                                                                                  reason=tail[0]))
    return info


def psram_mismatch(board: ChipInfo, build_mode: Optional[str]) -> Optional[str]:
    """A warning when an S3 build's PSRAM driver (``build_mode``, from the image or the
    catalog) cannot work with the board's PSRAM; None when it fits or cannot be known."""
    if board.chip != "esp32s3" or build_mode not in MODE_LABELS:
        return None
    board_mode = board.psram_mode
    if board_mode == build_mode:
        return None
    consequence = _("MicroPython would report a PSRAM error (\"wrong PSRAM line mode\"), start "
                    "without PSRAM, and the camera would fail to initialise.")
    if board.psram_mb is None:
        return " ".join((_("This build needs {mode} PSRAM, but the board's ESP32-S3 has no PSRAM "
                           "({board}).").format(mode=_mode(build_mode), board=board.description),
                         consequence))
    if board_mode is None:
        return None  # a PSRAM size the datasheet does not list: cannot tell
    found = _("This build is for {mode} PSRAM, but the board's ESP32-S3 has {size} MB {board_mode} "
              "PSRAM (module {modules}).").format(
                  mode=_mode(build_mode), size=board.psram_mb, board_mode=_mode(board_mode),
                  modules="N8R8/N16R8" if board_mode == "octal" else "N4R2/N8R2/N16R2")
    choose = (_("Choose a build for {mode} PSRAM (cnadler86: ESP32_GENERIC_S3-SPIRAM_OCT).")
              if board_mode == "octal" else _("Choose a build for {mode} PSRAM.")).format(
                  mode=_mode(board_mode))
    return " ".join((found, consequence, choose))
