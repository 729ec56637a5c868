"""ESP32-S3 in a real Thonny Workbench (Xvfb) with the ESP32-CAM back-end: the installer
warns about an octal-PSRAM build on a quad-PSRAM module before writing, writes it on the
second press, reconnects the interpreter, and the Shell shows the S3 build running."""
from __future__ import annotations

import os

import pytest

from tests.real_images import real_firmware_dir, real_image
from tests.test_flash_dialog import _drive_modal, _press_install, _select_build
from tests.thonny_harness import REPO_ROOT, run_scenario
from tests.virtualboard import VirtualBoard, synthetic_firmware
from tests.virtualboard.testing import FASTCLIENT_DIR
from thonnycontrib.esp32cam.core.catalog import load_bundled

XIAO_BUILD = "kaki5-20230717-esp32-s3-xiao-sense-ov2640-wifi"
FREENOVE_BUILD = "kaki5-x23-esp32s3-freenove-wifi-ssl"


def scenario_s3_psram_warning_then_install(h, url: str, mirror: str):
    h.select_backend("ESP32CAM", port=url)
    h.wait_for_prompt(30)

    def script(dlg, result):
        dlg.set_mirror(mirror)
        dlg.port_combo.set(url)
        dlg.board_combo.select_value("xiao_esp32s3_sense")  # the user picks the board...
        dlg._fill_builds()
        result["offered"] = [b.id for b in dlg.build_combo.mapping.values()]
        _select_build(dlg, XIAO_BUILD)  # ...and the S3 build
        yield _press_install(dlg)
        result.update(first_success=dlg.success, first_log=dlg.log_text.text.get("1.0", "end"),
                      guidance=dlg.guidance_label["text"])
        yield _press_install(dlg)  # "write it anyway"
        result.update(success=dlg.success, log=dlg.log_text.text.get("1.0", "end"))
        yield h.is_at_prompt  # the installer reconnected the interpreter
        dlg._cancel_button.invoke()
        yield lambda: True

    result = _drive_modal(h, script, timeout=200)
    result["shell"] = h.run_in_shell("import sys, camera; print(sys.implementation._machine)")
    return result


@pytest.mark.thonny
@pytest.mark.esptool
def test_installer_warns_about_psram_then_installs_on_an_s3_and_the_shell_runs_it(xdisplay, tmp_path):
    build = load_bundled().get(XIAO_BUILD)
    path = os.pathsep.join([str(FASTCLIENT_DIR), str(REPO_ROOT), os.environ.get("PYTHONPATH", "")])
    # an N8R2 module (quad PSRAM) running a KAKI5 S3 build for octal PSRAM already
    with VirtualBoard(chip="esp32s3", psram="quad", firmware=synthetic_firmware("kaki5", chip="esp32s3"),
                      line_rate="unlimited", en_delay=0.02, flash_timing="fast") as board:
        result = run_scenario(scenario_s3_psram_warning_then_install, tmp_path / "user", timeout=300,
                              env={"PYTHONPATH": path.rstrip(os.pathsep)}, url=board.url,
                              mirror=str(real_firmware_dir()))
        assert board.flash.read(0x0, build.size) == real_image(build.sha256)
        writes = board.events.all("flash_write")
    assert XIAO_BUILD in result["offered"]
    assert all(load_bundled().get(i).chip == "esp32s3" for i in result["offered"])
    assert not result["first_success"]
    assert "Board: ESP32-S3 (QFN56) (revision v0.2), 8 MB flash, 2 MB quad" in result["first_log"]
    assert "This build is for octal (OPI, SPIRAM_OCT) PSRAM" in result["guidance"]
    assert "press the install button again" in result["guidance"]
    assert result["success"], result["log"]
    assert "write-flash --erase-all 0x0" in result["log"] or "write_flash --erase-all 0x0" in result["log"]
    assert len(writes) == 1  # only the second press wrote
    assert "ESP32S3-XIAO OV2640 (KAKI5) with ESP32-S3" in result["shell"]
    # flashed anyway: the running firmware shows it found no PSRAM
    assert "MicroPython reports: 8 MB flash, no PSRAM in use" in result["log"]


def scenario_s3_usb_files_and_camera_view(h, url):
    from tests.test_camera_view import _frame_after, _open_view

    view = _open_view(h, url)  # selects the ESP32-CAM interpreter on the S3's USB port
    view.controls.frame_size.set("QVGA")
    info = _frame_after(h, view, view.capture)
    result = {"info": info, "status": view.status_label.cget("text")}
    h.run_in_shell("open('s3.txt', 'w').write('on an S3')")
    h.wb.get_view("FilesView").remote_files.refresh_tree()
    h.wait_until(lambda: "s3.txt" in h.remote_files(), 15, "s3.txt in the Files view")
    result["files"] = h.remote_files()
    result["shell"] = h.run_in_shell("import esp; print(esp.flash_size())")
    return result


@pytest.mark.thonny
@pytest.mark.parametrize("usb, build_id", [(True, XIAO_BUILD), (False, FREENOVE_BUILD)],
                         ids=["own-usb", "usb-uart-bridge"])
def test_interpreter_files_view_and_camera_view_on_an_s3(xdisplay, tmp_path, usb, build_id):
    """Both ways an S3 board reaches the computer: its own USB-Serial/JTAG (XIAO) and a
    USB-UART bridge (Freenove's CH343)."""
    build = load_bundled().get(build_id)
    with VirtualBoard(chip="esp32s3", usb=usb, firmware=real_image(build.sha256)) as board:
        board.events.wait_for("firmware_started", timeout=20)
        r = run_scenario(scenario_s3_usb_files_and_camera_view, tmp_path / "user", url=board.url, timeout=120)
        assert board.events.all("camera_frame")
    assert r["info"]["size"] == [320, 240] and "kaki5" in r["status"]
    assert "s3.txt" in r["files"]
    assert "8388608" in r["shell"]
