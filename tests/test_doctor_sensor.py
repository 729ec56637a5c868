"""The doctor names the camera sensor: a real KAKI5 image (it drives only the
OV2640) on a board with an OV3660 is diagnosed by name with the fix; on an OV2640
board nothing changes but the sensor shown."""
from __future__ import annotations

import json
import os
import subprocess
import sys

from tests.conftest import REPO_ROOT
from tests.real_images import real_image
from tests.virtualboard import VirtualBoard
from thonnycontrib.esp32cam.core import diagnosis as dg
from thonnycontrib.esp32cam.core import doctor
from thonnycontrib.esp32cam.core.catalog import load_bundled

KAKI5 = load_bundled().get("kaki5-x23-esp32-aithinker-wifi-ssl")


def _cli_json(url: str, *extra: str) -> dict:
    run = subprocess.run([sys.executable, "-m", "thonnycontrib.esp32cam", "doctor", "--port", url, "--json", *extra],
                         cwd=REPO_ROOT, capture_output=True, text=True, timeout=90,
                         env={**os.environ, "PYTHONPATH": str(REPO_ROOT)})
    assert run.stdout, run.stderr
    return json.loads(run.stdout)


def test_kaki5_with_an_ov3660_is_diagnosed_by_name_with_a_build_that_drives_it():
    with VirtualBoard(firmware=real_image(KAKI5.sha256), sensor="OV3660") as board:
        board.events.wait_for("firmware_started", timeout=15)
        data = _cli_json(board.url)
    assert data["diagnosis"] == dg.UNSUPPORTED_SENSOR, data
    assert data["sensor"]["model"] == "OV3660" and data["sensor"]["id"] == "0x3660"
    assert data["sensor"]["address"] == "0x3c" and data["sensor"]["source"] == "sccb"
    assert data["chip"] == "esp32" and data["psram"] is True
    assert "OV3660" in data["meaning"] and "OV3660" in data["fix"]
    assert any("Detected camera not supported." in line for line in data["evidence"])
    suggested = load_bundled().get(data["suggest_build"])
    assert "OV3660" in suggested.sensors and suggested.chip == "esp32"
    assert suggested.title in data["fix"]
    assert data["fixes"] == [dg.FIX_OPEN_INSTALLER]


def test_the_doctor_cli_probes_on_the_chosen_board_profiles_pins():
    """--board esp_eye on an AI-Thinker board: the sensor's pins are elsewhere, nobody answers."""
    with VirtualBoard(firmware=real_image(KAKI5.sha256)) as board:
        board.events.wait_for("firmware_started", timeout=15)
        data = _cli_json(board.url, "--board", "esp_eye", "--no-speed-check")
    assert data["diagnosis"] == dg.REPL_OK and not (data.get("sensor") or {}).get("model"), data


def test_kaki5_on_an_ov2640_board_is_unchanged_and_shows_the_sensor():
    with VirtualBoard(firmware=real_image(KAKI5.sha256)) as board:
        board.events.wait_for("firmware_started", timeout=15)
        d = doctor.diagnose(board.url, ports=[], check_speed=False)
    assert d.code == dg.REPL_OK
    assert d.extra["sensor"]["model"] == "OV2640" and d.extra["sensor"]["id"] == "0x2642"
    assert d.extra["chip"] == "esp32" and d.extra["psram"] is True
    assert "camera sensor: OV2640 (ID 0x2642 read over SCCB at 0x30)" in d.evidence


def test_the_drivers_own_report_comes_first():
    from tests.virtualboard import synthetic_firmware

    with VirtualBoard(firmware=synthetic_firmware("cnadler86"), sensor="OV5640") as board:
        board.events.wait_for("firmware_started", timeout=15)
        d = doctor.diagnose(board.url, ports=[], check_speed=False)
    assert d.code == dg.REPL_OK
    assert d.extra["sensor"]["model"] == "OV5640" and d.extra["sensor"]["source"] == "driver"
    assert "chip: ESP32, PSRAM: yes" in d.evidence
    assert "camera sensor: OV5640 (reported by the camera driver)" in d.evidence
