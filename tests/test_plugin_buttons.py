"""Menu items and buttons that no other test pressed, used as the user would, in a
real Thonny Workbench (Xvfb).

What cannot exist here is replaced at the last step only: the system file
manager (``thonny.ui_utils.open_path_in_system_file_manager`` records its path)
and the human choosing a file or folder (``tkinter.filedialog``).

Every menu item and button of the plug-in, and the test that uses it
(``B`` = this file):

Tools menu
  Install MicroPython for ESP32-CAM…   test_flash_dialog::test_tools_menu_and_interpreter_page_open_the_installer
  Diagnose ESP32-CAM connection…       B::test_tools_menu_opens_doctor_and_camera_view
  ESP32-CAM camera                     B::test_tools_menu_opens_doctor_and_camera_view
  ESP32-CAM Wi-Fi… (list, Join, Enter, Escape)
                                       test_wifi_thonny::test_the_wifi_dialog_scans_joins_and_keeps_the_password_out_of_thonny
  Open system shell (Thonny's item)    test_plugin_e2e::test_system_shell_keeps_lines_released
  Capture a picture (ESP32-CAM camera), F12
                                       test_keyboard::test_wifi_and_camera_capture_by_keys
View menu: ESP32-CAM camera            test_plugin_workbench::test_menu_entries_and_camera_view_from_the_view_menu
Edit menu: ESP32-CAM template: … (4)   B::test_camera_view_capture_flip_and_save_as_buttons
Shell hint link "Diagnose …"           B::test_shell_hint_link_opens_the_doctor
Interpreter page
  port box, typed network port         test_plugin_workbench::test_page_cancel_reverts_ok_persists_across_restart,
                                       ::test_port_field_rejects_text_that_is_no_port
  DTR / RTS choices                    test_plugin_workbench (cancel/OK), test_thonny_generations::
                                       test_thonny_own_lines_choice_and_the_page_show_one_value (and Thonny's box)
  Camera board (pin profile)           test_camera_view::test_profile_chooser_templates_completion_and_flash_led
  Serial speed                         test_thonny_generations::test_ok_writes_the_settings_to_configuration_ini_at_once
  Install or update (camera firmware)  test_plugin_workbench::test_firmware_installer_link_only_when_an_installer_is_registered
  OK / Cancel                          test_plugin_workbench::test_page_cancel_reverts_ok_persists_across_restart
Installer
  Board / Firmware / Port, Install     test_flash_dialog::test_dialog_installs_camera_build_and_reconnects
  Retry (download mode), advanced      test_flash_dialog::test_dialog_guides_into_download_mode_and_retries
  Cancel (while writing) / Close       test_flash_dialog::test_dialog_cancel_mid_write_explains_and_retry_installs
  All boards…                          test_classroom_thonny::test_thonny_installs_on_all_boards_offline_then_diagnoses_them
  Select local file… (button), Erase   B::test_installer_menu_items_and_local_file_button
  Advanced options                     test_screens::test_installer_dialog_fits_with_long_url_paths_and_log
  ☰ Select local file…, Install on several boards…, Open firmware cache folder, Firmware mirror folder…,
    Refresh catalog (disabled without URL)   B::test_installer_menu_items_and_local_file_button
  ☰ Refresh catalog (with a URL)       test_flash_dialog::test_dialog_refuses_wrong_chip_html_corrupt_and_tampered_download
Doctor
  Diagnose (again)                     test_doctor_workbench::test_dialog_port_busy_then_diagnose_again
  fix buttons                          test_doctor_workbench::test_dialog_fixes_held_in_reset,
                                       ::test_dialog_download_mode_fix_and_installer_handoff
  evidence toggle                      test_doctor_workbench (toggle_evidence), test_screens
  All boards…                          test_classroom_thonny::test_thonny_installs_on_all_boards_offline_then_diagnoses_them
  Close                                B::test_tools_menu_opens_doctor_and_camera_view
Camera view
  Capture, Flip, Save as…              B::test_camera_view_capture_flip_and_save_as_buttons
  Live, Size, Quality, Mirror          test_camera_view::test_camera_view_shows_frames_live_saves_and_releases
  Flash LED                            test_camera_view::test_profile_chooser_templates_completion_and_flash_led
  Install camera firmware…             test_sensor_workbench::test_unsupported_sensor_in_the_camera_view_doctor_and_installer
Keyboard (Tab, Enter, Escape, Space, arrows) in every window: test_keyboard
Several-boards tray
  All, None, Close                     B::test_tray_all_and_none_buttons
  Refresh, Identify, Run, row toggle   test_classroom_thonny::test_thonny_installs_on_all_boards_offline_then_diagnoses_them
"""
from __future__ import annotations

import pytest

from tests.thonny_harness import run_scenario
from tests.virtualboard import VirtualBoard, synthetic_firmware

pytestmark = pytest.mark.thonny


def _menu_labels(menu):
    return {menu.entrycget(i, "label"): i for i in range(menu.index("end") + 1)
            if menu.type(i) == "command"}


# ------------------------------------------------------------ installer: ☰ menu and buttons
def scenario_installer_menu(h, image: str, mirror: str):
    import tkinter as tk
    from tkinter import filedialog

    import thonny.ui_utils

    from thonnycontrib.esp32cam.frontend.classroom_dialog import TrayDialog
    from thonnycontrib.esp32cam.frontend.flash_dialog import FirmwareInstallerDialog, open_installer

    opened, asked = [], []
    thonny.ui_utils.open_path_in_system_file_manager = opened.append
    filedialog.askopenfilename = lambda **kw: asked.append("file") or image
    filedialog.askdirectory = lambda **kw: asked.append("folder") or mirror
    tray_seen = []

    def close_tray_when_shown():
        tray = next((w for w in h.widgets() if isinstance(w, TrayDialog) and w.winfo_ismapped()), None)
        if tray is None:
            h.wb.after(50, close_tray_when_shown)
            return
        tray_seen.append(tray.title())
        tray.close()

    def script(dlg, result):
        menu = tk.Menu(dlg, tearoff=False)
        dlg.populate_action_menu(menu)  # what ☰ shows
        labels = _menu_labels(menu)
        result["labels"] = list(labels)
        menu.invoke(labels["Open firmware cache folder"])
        result["opened"] = list(opened)
        menu.invoke(labels["Select local file…"])
        result["local_info"] = dlg.info_label.cget("text")
        dlg.build_combo.select_none()
        dlg.local_button.invoke()  # the "Select local file…" button does the same
        result["local_button_info"] = dlg.info_label.cget("text")
        result["refresh_state"] = menu.entrycget(labels["Refresh catalog (set a URL first)"], "state")
        erase = next(w for w in h.widgets(dlg) if _text(w).startswith("Erase the whole flash"))
        result["erase_default"] = dlg.tray_choice()[2]["erase"]
        erase.invoke()  # the user ticks "Erase the whole flash first" (off: only what differs is written)
        result["erase_after_tick"] = dlg.tray_choice()[2]["erase"]
        menu.invoke(labels["Firmware mirror folder…"])
        result["mirror_info"] = dlg.info_label.cget("text")
        result["mirror_option"] = h.wb.get_option("ESP32CAM.firmware_mirror")
        menu2 = tk.Menu(dlg, tearoff=False)
        dlg.populate_action_menu(menu2)  # the menu names the mirror now
        result["labels_after"] = list(_menu_labels(menu2))
        result["asked"] = list(asked)
        h.wb.after(50, close_tray_when_shown)
        menu2.invoke(_menu_labels(menu2)["Install on several boards…"])  # closes the installer
        result["tray"] = list(tray_seen)
        yield lambda: True

    result = h.drive_modal(FirmwareInstallerDialog, script, lambda: open_installer(h.wb), 60,
                           close=lambda dlg: dlg.close())
    result["installer_closed"] = not any(isinstance(w, FirmwareInstallerDialog) for w in h.widgets())
    return result


def test_installer_menu_items_and_local_file_button(xdisplay, tmp_path):
    image = tmp_path / "camera.bin"
    image.write_bytes(synthetic_firmware("lemariva", chip="esp32"))
    mirror = tmp_path / "mirror"
    mirror.mkdir()
    user = tmp_path / "user"
    r = run_scenario(scenario_installer_menu, user, image=str(image), mirror=str(mirror), timeout=90)
    assert r["labels"] == ["Select local file…", "Refresh catalog (set a URL first)",
                           "Install on several boards…", "Open firmware cache folder", "Firmware mirror folder…"]
    # the cache folder button opens (creating it) the folder the installer caches images in
    assert r["opened"] == [str(user / "esp32cam" / "firmware")]
    assert (user / "esp32cam" / "firmware").is_dir()
    assert r["local_info"].startswith("Local file:"), r["local_info"]
    assert r["local_button_info"].startswith("Local file:"), r["local_button_info"]
    assert r["refresh_state"] == "disabled"  # no catalog URL set: nothing to refresh from
    assert r["mirror_option"] == str(mirror) and r["mirror_info"].startswith("Firmware mirror: " + str(mirror))
    assert f"Firmware mirror folder… ({mirror})" in r["labels_after"]
    assert r["asked"] == ["file", "file", "folder"]
    assert r["tray"] and r["installer_closed"]
    assert (r["erase_default"], r["erase_after_tick"]) == (False, True)  # what "Install"/"All boards…" get


# ------------------------------------------------------------ several-boards tray: All / None
def scenario_tray_all_none(h):
    from thonnycontrib.esp32cam.frontend.classroom_dialog import install_tray

    ports = [("/dev/ttyUSB0", "CH340"), ("/dev/ttyUSB1", "CP2102"), ("/dev/ttyUSB2", "CH340")]
    tray = install_tray(h.wb, "a build", lambda say: None, {}, ports=ports)
    h.pump(0.2)
    result = {"first": dict(tray.table.checked), "run_first": tray.run_button.cget("text")}
    tray.none_button.invoke()
    result["none"] = dict(tray.table.checked)
    result["run_none"] = [tray.run_button.cget("text"), tray.run_button.instate(["disabled"])]
    tray.all_button.invoke()
    result["all"] = dict(tray.table.checked)
    result["run_all"] = tray.run_button.cget("text")
    tray.close_button.invoke()
    h.pump(0.2)
    result["closed"] = not tray.winfo_exists()
    return result


def test_tray_all_and_none_buttons(xdisplay, tmp_path):
    r = run_scenario(scenario_tray_all_none, tmp_path / "user", ini={"run": {"backend_name": "LocalCPython"}})
    ports = ["/dev/ttyUSB0", "/dev/ttyUSB1", "/dev/ttyUSB2"]
    assert r["first"] == {p: True for p in ports}
    assert r["none"] == {p: False for p in ports}
    assert "0" in r["run_none"][0] and r["run_none"][1] is True  # nothing to run on
    assert r["all"] == {p: True for p in ports} and "3" in r["run_all"]
    assert r["closed"] is True


# ------------------------------------------------------------ Tools menu
def scenario_tools_menu(h):
    from thonnycontrib.esp32cam.frontend.doctor_dialog import DoctorDialog
    from thonnycontrib.esp32cam.frontend.registration import VIEW_ID

    menu = h.wb.get_menu("tools")
    labels = _menu_labels(menu)
    result = {}
    # "Diagnose ESP32-CAM connection…": the doctor's window
    menu.invoke(labels["Diagnose ESP32-CAM connection…"])
    h.pump(0.3)
    doctor = next((w for w in h.widgets() if isinstance(w, DoctorDialog)), None)
    result["doctor_title"] = doctor.title() if doctor is not None else None
    if doctor is not None:
        h.wait_until(lambda: not doctor.busy, 30, "the doctor to finish")
        doctor.close_button.invoke()
        h.pump(0.2)
    result["doctor_closed"] = not any(isinstance(w, DoctorDialog) for w in h.widgets())
    # "ESP32-CAM camera": enabled with the ESP32-CAM interpreter; opens the view
    h.wb.update_idletasks()
    menu.invoke(labels["ESP32-CAM camera"])
    h.pump(0.3)
    view = h.wb.get_view(VIEW_ID, create=False)
    result["view_shown"] = bool(view is not None and view.winfo_ismapped())
    return result


def test_tools_menu_opens_doctor_and_camera_view(xdisplay, tmp_path):
    r = run_scenario(scenario_tools_menu, tmp_path / "user", ini={"run": {"backend_name": "ESP32CAM"},
                                                                  "ESP32CAM": {"port": "auto"}}, timeout=90)
    assert r["doctor_title"] == "ESP32-CAM connection doctor"
    assert r["doctor_closed"] is True
    assert r["view_shown"] is True


# ------------------------------------------------------------ camera view buttons
def scenario_camera_buttons(h, url: str, save_path: str):
    from tkinter import filedialog

    from thonnycontrib.esp32cam.frontend.registration import VIEW_ID, show_camera_view

    h.select_backend("ESP32CAM", port=url)
    h.wait_for_prompt(40)
    show_camera_view()
    h.pump(0.3)
    view = h.wb.get_view(VIEW_ID)
    result = {"save_state_before": str(view.controls.save_button.cget("state"))}

    def frame_after(action):
        before = getattr(view, "last_frame_info", None)
        action()
        h.wait_until(lambda: getattr(view, "last_frame_info", None) is not before
                     or getattr(view, "last_problem", None), 30, "a camera frame")
        assert not getattr(view, "last_problem", None), view.last_problem
        return view.last_frame_info

    result["capture"] = frame_after(view.controls.capture_button.invoke)  # "Capture"
    flip = next(w for w in view.controls.winfo_children() if _text(w) == "Flip")
    frame_after(flip.invoke)  # "Flip" takes a new picture, upside down
    result["vflip"] = bool(view.controls.vflip.get())
    result["settings"] = view.settings()
    asked = []
    filedialog.asksaveasfilename = lambda **kw: asked.append(kw.get("initialfile")) or save_path
    view.controls.save_button.invoke()  # "Save as…"
    result["asked"] = asked
    result["status"] = view.status_label.cget("text")
    # Edit → "ESP32-CAM template: …": each template for this board's driver, in a new editor
    edit = h.wb.get_menu("edit")
    notebook = h.wb.get_editor_notebook()
    result["templates"] = {}
    for label, index in _menu_labels(edit).items():
        if not label.startswith("ESP32-CAM template: "):
            continue
        before = len(notebook.get_all_editors())
        edit.invoke(index)
        editor = h.wait_until(lambda: len(notebook.get_all_editors()) > before and notebook.get_current_editor(),
                              20, "the template in a new editor")
        result["templates"][label] = editor.get_text_widget().get("1.0", "end")
        editor.get_text_widget().edit_modified(False)  # no "save changes?" when the Workbench closes
    return result


def _text(widget) -> str:
    try:
        return str(widget.cget("text"))
    except Exception:
        return ""


@pytest.mark.timeout(240)
def test_camera_view_capture_flip_and_save_as_buttons(xdisplay, tmp_path):
    save = tmp_path / "shot.jpg"
    with VirtualBoard(firmware=synthetic_firmware("lemariva")) as board:
        board.events.wait_for("firmware_started", timeout=20)
        r = run_scenario(scenario_camera_buttons, tmp_path / "user", url=board.url,
                         save_path=str(save), timeout=200)
    assert r["save_state_before"] == "disabled"  # nothing to save before the first picture
    assert r["capture"]["size"]
    assert r["vflip"] is True and r["settings"].get("vflip") in (True, 1)
    assert r["asked"] == ["esp32cam.jpg"]
    assert save.read_bytes()[:2] == b"\xff\xd8"  # the JPEG as received
    assert str(save) in r["status"]
    templates = r["templates"]
    assert len(templates) == 4, list(templates)
    for label, code in templates.items():
        compile(code, label, "exec")  # real code, rendered for the board's driver
        assert "camera" in code, label
    assert "led = Pin(LED_PIN, Pin.OUT)" in templates["ESP32-CAM template: Flash LED"]


# ------------------------------------------------------------ the Shell hint's link
def scenario_shell_hint_link(h):
    from thonny import get_shell

    from thonnycontrib.esp32cam.core.backend_commands import BOARD_FINDING_EVENT
    from thonnycontrib.esp32cam.frontend.doctor_dialog import DoctorDialog
    from thonnycontrib.esp32cam.frontend.shell_hints import LINK_TEXT

    h.pump(0.5)
    h.wb.event_generate(BOARD_FINDING_EVENT, code="download_mode", evidence="waiting for download")
    text = get_shell().text
    h.wait_until(lambda: LINK_TEXT in text.get("1.0", "end"), 10, "the hint in the Shell")
    tag = next(t for t in text.tag_names() if t.startswith("link_handler_")
               and text.get(*text.tag_ranges(t)[:2]) == LINK_TEXT)
    start = text.tag_ranges(tag)[0]
    text.see(start)
    h.pump(0.2)
    x, y, _width, height = text.bbox(start)
    text.event_generate("<Motion>", x=x + 2, y=y + height // 2)  # the pointer over the link...
    text.event_generate("<Button-1>", x=x + 2, y=y + height // 2)  # ...and a click
    h.pump(0.3)
    doctor = next((w for w in h.widgets() if isinstance(w, DoctorDialog)), None)
    result = {"doctor": doctor.title() if doctor is not None else None}
    if doctor is not None:
        h.wait_until(lambda: not doctor.busy, 30, "the doctor to finish")
        doctor.close_button.invoke()
    return result


def test_shell_hint_link_opens_the_doctor(xdisplay, tmp_path):
    r = run_scenario(scenario_shell_hint_link, tmp_path / "user",
                     ini={"run": {"backend_name": "ESP32CAM"}, "ESP32CAM": {"port": "auto"}}, timeout=90)
    assert r["doctor"] == "ESP32-CAM connection doctor"
