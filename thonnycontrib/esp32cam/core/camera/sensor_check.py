"""After the camera failed to start: which sensor is on the board, and does this
firmware's driver drive it? (core.sensors reads the ID over SCCB; the catalog says
which sensors each build's esp32-camera drives.)"""
from __future__ import annotations

from typing import Any, List

from .. import sensors
from ..catalog import load_bundled
from . import families as fam
from . import problems
from .transfer import KIND_INFO
from thonnycontrib.esp32cam.core.i18n import _


def family_sensors(family: str) -> List[str]:
    """The sensors any catalog build of this driver family drives."""
    return sorted({s for b in load_bundled().builds if b.family == family for s in (b.sensors or ())})


def explain(session: Any, problem: problems.CameraProblem) -> problems.CameraProblem:
    """``problem`` (the camera did not start), or ``unsupported_sensor`` when the
    sensor on the board is one this driver family is built without. The session's
    runner runs the probe; its answer is one info frame."""
    try:
        result = session.runner.run(sensors.probe_code(session.profile, frame=True), session.timeout)
    except Exception:  # the probe is an extra: the original problem still stands
        return problem
    if result.frame is None or result.frame.kind != KIND_INFO:
        return problem
    facts = sensors.parse_probe(result.frame.text)
    family = session.family or ""
    drives = family_sensors(family)
    if not facts.sensor or facts.sensor == "unknown" or not drives or facts.sensor in drives:
        problem.details = (problem.details.rstrip() + "\n" + _("Camera sensor: {sensor}").format(
            sensor=facts.describe_sensor())).strip()
        return problem
    if session.info is not None and session.info.psram is not None:
        facts.psram = session.info.psram
    chip = facts.chip or session.profile.chip
    choice = sensors.preselect(load_bundled().builds, None, chip, facts.psram, facts.sensor)
    board = {"chip": chip, "psram": facts.psram, "sensor": facts.to_json()}
    return problems.unsupported_sensor(
        facts.sensor, fam.FAMILY_TITLES.get(family, family), ", ".join(drives),
        getattr(choice, "title", ""),
        problem.details + "\n" + _("Camera sensor: {sensor}").format(sensor=facts.describe_sensor()), board)
