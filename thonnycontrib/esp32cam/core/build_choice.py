"""The catalog builds the installer offers for a board: which, under what labels, which one
is preselected, how one is described and why one would not fit (the dialog shows these)."""
from __future__ import annotations

from typing import Dict, List, Optional

from thonnycontrib.esp32cam.core import sensors
from thonnycontrib.esp32cam.core.boards import BoardProfile
from thonnycontrib.esp32cam.core.catalog import Build, Catalog
from thonnycontrib.esp32cam.core.i18n import _


def builds_for_board(catalog: Catalog, profile: BoardProfile) -> List[Build]:
    """The builds made for the board, else every build for its chip."""
    return catalog.for_board(profile.key) or [b for b in catalog.builds if b.chip == profile.chip]


def build_labels(builds: List[Build]) -> Dict[str, Build]:
    """Label shown in the list → build (★ marks the recommended ones)."""
    return {("★ " if b.recommended else "") + (_(
            "{title} — non-commercial licence").format(title=b.title)
                                              if b.non_commercial else b.title): b
            for b in builds}


def initial_build(catalog: Catalog, profile: BoardProfile, builds: List[Build],
                  facts: Optional[sensors.BoardFacts]) -> Optional[Build]:
    """The catalog's default for the board (or the first build); with what the board said
    about itself (chip, PSRAM, sensor), the first that fits when the default does not."""
    default = catalog.default_for(profile.key)
    choice = default if default in builds else (builds[0] if builds else None)
    if facts is None:
        return choice
    return sensors.preselect(builds, choice, facts.chip, facts.psram, facts.sensor) or choice


def fit_warning(build: Build, facts: Optional[sensors.BoardFacts]) -> str:
    why = sensors.mismatch(build, facts.chip, facts.psram, facts.sensor) if facts else ""
    return "\n" + _("⚠ This build does not fit your board: {reason}.").format(reason=why) if why else ""


def describe_build(b: Build) -> str:
    camera = (_("{family} camera driver").format(family=b.family) if b.has_camera
              else _("NO camera module (REPL only)"))
    size = (_("{size} bytes, SHA-256 {sha256}").format(size=f"{b.size:,}", sha256=b.sha256) if b.pinned
            else _("size/hash not pinned: inspected after download"))
    licence = (_("Licence: {licence} (non-commercial use only)") if b.non_commercial
               else _("Licence: {licence}")).format(licence=b.license)
    return "\n".join((
        _("MicroPython {version} · {camera} · {chip} at {offset}").format(
            version=b.micropython or "?", camera=camera, chip=b.chip.upper(), offset=f"{b.offset:#x}"),
        b.notes, f"{licence} · {size}", _("More: {url}").format(url=b.info_url)))
