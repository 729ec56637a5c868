"""The installer dialog writes a local image for the chip its header names; what the board
is, only the board says (real Thonny Workbench under Xvfb, real esptool, the twins)."""
from __future__ import annotations

import os

import pytest

from tests.real_images import real_image_path
from tests.test_flash_dialog import _drive_modal, _press_install
from tests.thonny_harness import REPO_ROOT, run_scenario
from tests.virtualboard import VirtualBoard, synthetic_firmware
from tests.virtualboard.testing import FASTCLIENT_DIR
from thonnycontrib.esp32cam.core.catalog import load_bundled

S3_BUILD = "kaki5-20230717-esp32-s3-xiao-sense-ov2640-wifi"
ESP32_BUILD = "lemariva-v1.21.0"


def scenario_local_file(h, url: str, image: str):
    def script(dlg, result):
        dlg.port_combo.set(url)
        result["accepted"] = dlg.select_local_file(image)
        result["info"] = dlg.info_label["text"]
        yield _press_install(dlg)
        dlg.update_ui()
        result.update(success=dlg.success, log=dlg.log_text.text.get("1.0", "end"))
        dlg._cancel_button.invoke()
        yield lambda: True

    return _drive_modal(h, script)


def _env() -> dict:
    path = os.pathsep.join([str(FASTCLIENT_DIR), str(REPO_ROOT), os.environ.get("PYTHONPATH", "")])
    return {"PYTHONPATH": path.rstrip(os.pathsep)}


@pytest.mark.thonny
@pytest.mark.esptool
def test_s3_image_on_an_esp32_board_is_refused_after_asking_the_board(xdisplay, tmp_path):
    image = real_image_path(load_bundled().get(S3_BUILD).sha256)
    with VirtualBoard(wiring="classic", line_rate="unlimited", en_delay=0.02, flash_timing="fast",
                      firmware=synthetic_firmware("lemariva")) as board:
        result = run_scenario(scenario_local_file, tmp_path / "user", env=_env(), url=board.url,
                              image=str(image), timeout=240)
        assert board.events.all("flash_write") == [] and board.events.all("flash_erase") == []
    assert result["accepted"] is True and "ESP32-S3 combined image" in result["info"]
    assert "but the board is" not in result["info"]
    assert result["success"] is False
    assert "The board is an ESP32-D0WD" in result["log"] and "this firmware is for an ESP32-S3" in result["log"]


@pytest.mark.thonny
@pytest.mark.esptool
def test_esp32_image_on_an_s3_board_is_refused_and_the_board_restarted(xdisplay, tmp_path):
    image = real_image_path(load_bundled().get(ESP32_BUILD).sha256)
    with VirtualBoard(chip="esp32s3", line_rate="unlimited", en_delay=0.02, flash_timing="fast",
                      firmware=synthetic_firmware("kaki5", chip="esp32s3")) as board:
        board.events.wait_for("firmware_started", timeout=20)
        result = run_scenario(scenario_local_file, tmp_path / "user", env=_env(), url=board.url,
                              image=str(image), timeout=240)
        assert board.events.all("flash_write") == [] and board.events.all("flash_erase") == []
        assert board.state == "running", board.state
    assert result["accepted"] is True and result["success"] is False
    assert "The board is an ESP32-S3, but this firmware is for an ESP32." in result["log"]
    assert "It was reset and runs its firmware again." in result["log"]
