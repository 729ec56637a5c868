"""An unsupported camera sensor in a real Thonny Workbench (Xvfb): a real KAKI5 image
(OV2640 only) on a board whose camera module has an OV3660. The camera view names
the sensor and offers the installer; the doctor dialog shows chip, PSRAM and sensor;
both open the installer with a build that drives the OV3660 preselected (so does the
installer opened from the Tools menu, which asks the board), and the
installer warns, with the reason, when the KAKI5 build is chosen."""
from __future__ import annotations

import pytest

from tests.real_images import real_image
from tests.thonny_harness import run_scenario
from tests.virtualboard import VirtualBoard
from thonnycontrib.esp32cam.core.catalog import load_bundled

pytestmark = [pytest.mark.thonny, pytest.mark.timeout(240)]

KAKI5_ID = "kaki5-x23-esp32-aithinker-wifi-ssl"


def _installer_seen(h, opener, result_key, result):
    """Run ``opener`` (it opens the installer modally); record what it preselected and
    what it says for the preselected build and for the KAKI5 build (once it knows the
    board: opened from the Tools menu it asks the board itself)."""
    from thonnycontrib.esp32cam.frontend.flash_dialog import FirmwareInstallerDialog

    seen = {}

    def inspect():
        for child in h.wb.winfo_children():
            if (isinstance(child, FirmwareInstallerDialog) and child.winfo_ismapped()
                    and child._board_facts is not None):
                build = child.build_combo.get_selected_value()
                seen.update(selected=getattr(build, "id", None), info=child.info_label.cget("text"))
                kaki5 = next(b for b in child.build_combo.mapping.values() if b.id == KAKI5_ID)
                child.build_combo.select_value(kaki5)
                child._on_build_selected()
                seen["kaki5_info"] = child.info_label.cget("text")
                child.destroy()
                return
        h.wb.after(100, inspect)

    h.wb.after(300, inspect)
    h.call_modal(opener, timeout=60)
    result[result_key] = seen


def scenario_unsupported_sensor(h, url):
    from thonnycontrib.esp32cam.frontend.doctor_dialog import open_doctor_dialog

    result = {}
    h.select_backend("ESP32CAM", port=url)
    h.wait_for_prompt(40)
    view = h.camera_view()
    view.capture()
    h.wait_until(lambda: getattr(view, "last_problem", None), 40, "an explanation")
    h.pump(0.2)
    result["view"] = {"kind": view.last_problem["kind"], "title": view.problem_frame.problem_title.cget("text"),
                      "text": view.problem_frame.problem_text.cget("text"), "button": bool(view.problem_frame.install_button.winfo_ismapped())}
    _installer_seen(h, view.problem_frame.install_button.invoke, "view_installer", result)
    # Tools → Install MicroPython for ESP32-CAM…: the installer asks the board itself
    from thonnycontrib.esp32cam.frontend.actions import open_installer

    _installer_seen(h, open_installer, "menu_installer", result)

    dlg = open_doctor_dialog(url)
    h.wait_until(lambda: dlg.result is not None, 60, "the diagnosis")
    result["doctor"] = {"code": dlg.result.code, "status": dlg.status_var.get(), "fix": dlg.result.fix,
                        "buttons": [b.cget("text") for b in dlg.fix_frame.winfo_children()]}
    _installer_seen(h, lambda: dlg.apply_fix("open_installer"), "doctor_installer", result)
    return result


def test_unsupported_sensor_in_the_camera_view_doctor_and_installer(xdisplay, tmp_path):
    kaki5 = load_bundled().get(KAKI5_ID)
    with VirtualBoard(firmware=real_image(kaki5.sha256), sensor="OV3660") as board:
        board.events.wait_for("firmware_started", timeout=20)
        r = run_scenario(scenario_unsupported_sensor, tmp_path / "user", url=board.url, timeout=200)
    view = r["view"]
    assert view["kind"] == "unsupported_sensor", view
    assert view["title"] == "\u2716 This firmware does not drive the OV3660 camera sensor"  # ✖: not colour alone
    assert "drives only the OV2640" in view["text"] and view["button"]
    doctor = r["doctor"]
    assert doctor["code"] == "unsupported_sensor", doctor
    assert "ESP32 · PSRAM · OV3660 camera" in doctor["status"]
    assert "Open firmware installer…" in doctor["buttons"]
    for key in ("view_installer", "menu_installer", "doctor_installer"):
        seen = r[key]
        chosen = load_bundled().get(seen["selected"])
        assert "OV3660" in chosen.sensors and chosen.chip == "esp32", seen
        assert "does not fit" not in seen["info"], seen
        assert ("This build does not fit your board: its camera driver does not drive the OV3660 "
                "(it drives: OV2640).") in seen["kaki5_info"], seen
