"""Every window of the plug-in without a mouse (issue 21, item 5): real key presses
(xdotool, through the X server's XTEST extension, as a keyboard's) into the real windows
of a real Thonny Workbench under Xvfb, on the virtual board. For each window: the first
control has the focus when it opens, Tab follows the visual order, Enter runs the default
action (or the focused button), Escape closes; the camera view captures on F12.

Xvfb runs no window manager: ``focus_force`` stands for the window manager giving the
window the keyboard focus (as when the user opens or clicks it); everything after that
is keys.
"""
from __future__ import annotations

import os
import shutil
import subprocess
from typing import Any, Callable, Iterator, List

import pytest

from tests.thonny_harness import REPO_ROOT, run_scenario
from tests.virtualboard import VirtualBoard, synthetic_firmware
from tests.virtualboard.testing import FASTCLIENT_DIR

pytestmark = [pytest.mark.thonny, pytest.mark.slow, pytest.mark.ui,
              pytest.mark.skipif(not shutil.which("xdotool"), reason="xdotool is not installed (.ci/run installs it)")]

V127 = "MicroPython v1.27.0 on 2026-01-12; Generic ESP32 module with SPIRAM with ESP32"
PASSWORD = "classroom-2024"
Steps = Iterator[Callable[[], Any]]  # a script: conditions to wait for, one after another


# ------------------------------------------------------------ in the Workbench (child)
def press(window: Any, *keys: str) -> None:
    """Real key presses into ``window``. First the window manager's part: the X focus to the
    window, where Tk gives it back to the control that had it last (``focus -lastfor``)."""
    window.nametowidget(window.tk.call("focus", "-lastfor", window)).focus_force()
    window.update_idletasks()  # Tk's focus request reaches the X server before the keys
    if keys:
        subprocess.run(["xdotool", "key", "--delay", "40", *keys], check=True, timeout=30)


def name_of(window: Any, widget: Any, owners: tuple = ()) -> str:
    """The attribute that holds ``widget`` in the window (or its parts), else its text or class."""
    if widget is None:
        return "(none)"
    for owner in (window,) + owners:
        for attr, value in vars(owner).items():
            if value is widget and not attr.startswith("_"):
                return attr
    try:
        text = widget.cget("text")
    except Exception:
        text = ""
    return str(text) or widget.winfo_class()


def has_focus(window: Any) -> bool:
    """The focus is on a control of ``window`` (``focus_get`` answers for the whole application)."""
    widget = window.focus_get()
    return widget is not None and widget.winfo_toplevel() is window


def focused(window: Any, owners: tuple = ()) -> str:
    return name_of(window, window.focus_get(), owners)


def tab_order(window: Any, count: int, names: List[str], owners: tuple = (), key: str = "Tab") -> Steps:
    """Press Tab ``count`` times; ``names`` gets the focused control after each press."""
    for _step in range(count):
        before = window.focus_get()
        press(window, key)
        yield lambda: window.focus_get() is not before
        names.append(focused(window, owners))


def run_steps(h, steps: Steps, timeout: float = 15) -> None:
    """A script for a window that does not block (not modal): wait for each condition."""
    for condition in steps:
        h.wait_until(condition, timeout, "the window to answer the keys (the condition on line %d)"
                     % condition.__code__.co_firstlineno)


def doctor_steps(h, url: str, result: dict) -> Steps:
    from thonnycontrib.esp32cam.frontend.doctor_dialog import open_doctor_dialog

    dlg = open_doctor_dialog(url)  # diagnoses at once
    yield lambda: dlg.result is not None and not dlg.busy
    shown = []
    dlg.show = lambda diagnosis, show=dlg.show: (shown.append(diagnosis.code), show(diagnosis))
    press(dlg)
    yield lambda: has_focus(dlg)
    owners = (dlg.findings,)
    result["first"] = focused(dlg, owners)
    fixes = [name_of(dlg, b) for b in dlg.fix_frame.winfo_children()]
    order: List[str] = []
    yield from tab_order(dlg, 5 + len(fixes), order, owners)
    result["order"], result["fixes"] = order, fixes
    press(dlg, "Return")  # in the port box again (Tab went round): Diagnose
    yield lambda: shown and not dlg.busy
    result["enter"] = shown
    yield from tab_order(dlg, 3, [], owners)  # to "▸ Evidence": Enter opens it, Tab goes into it
    press(dlg, "Return")
    yield lambda: dlg.findings.evidence_text.winfo_ismapped()
    yield from tab_order(dlg, 1, order, owners)
    result["into_evidence"] = order[-1]
    result["cut_off"] = _cut_off_buttons(h, dlg)
    press(dlg, "Escape")
    yield lambda: not dlg.winfo_exists()
    result["closed"] = True


def tray_steps(h, url: str, result: dict) -> Steps:
    from thonnycontrib.esp32cam.frontend.classroom_dialog import doctor_tray

    tray = doctor_tray(h.wb, None, ports=[(url, "virtual board")])
    yield tray.winfo_viewable
    press(tray)
    yield lambda: has_focus(tray)
    result["first"] = focused(tray, (tray.table,))
    result["cut_off"] = _cut_off_buttons(h, tray)
    press(tray, "space")  # Space: leave the board under the cursor out
    yield lambda: not tray.table.checked[url]
    result["unchecked_run_disabled"] = tray.run_button.instate(["disabled"])
    press(tray, "space")
    yield lambda: tray.table.checked[url]
    order: List[str] = []
    yield from tab_order(tray, 7, order, (tray.table,))
    result["order"] = order
    press(tray, "KP_Enter")  # the keypad's Enter: "Check 1 board"
    yield lambda: tray.busy
    yield lambda: not tray.busy and tray.boards
    result["checked"] = {b.port: b.result for b in tray.boards}
    for _step in range(2):  # on to "None": Enter presses the focused button, not the default
        yield from tab_order(tray, 1, [], (tray.table,))
    result["focus_before_enter"] = focused(tray)
    press(tray, "Return")
    yield lambda: not tray.table.checked[url]
    result["none_pressed"] = not tray.busy
    press(tray, "Escape")
    yield lambda: not tray.winfo_exists()
    result["closed"] = True


def scenario_dialogs(h, url: str):
    result: dict = {"doctor": {}, "tray": {}}
    run_steps(h, doctor_steps(h, url, result["doctor"]))
    run_steps(h, tray_steps(h, url, result["tray"]), timeout=90)
    return result


def _cut_off_buttons(h, window: Any) -> List[str]:
    """Buttons narrower than their text (Thonny's themes give buttons a fixed width)."""
    import tkinter.font as tkfont
    from tkinter import ttk

    font = tkfont.nametofont(ttk.Style().lookup("TButton", "font") or "TkDefaultFont")
    buttons = [w for w in h.widgets(window) if isinstance(w, ttk.Button)]
    return [b.cget("text") for b in buttons if font.measure(b.cget("text")) > b.winfo_width()]


def scenario_files_question(h):
    from thonnycontrib.esp32cam.frontend.files_question import FilesAnswer, ask_about_files

    result = {}
    for case, keys in (("erase", ("Tab", "Return")), ("cancel", ("Escape",)), ("copy", ("Return",))):
        answer = FilesAnswer()
        question = ask_about_files(h.wb, "The board's files would be erased.", answer)
        h.wait_until(question.winfo_viewable, 10, "the question")
        press(question)
        h.wait_until(lambda: has_focus(question), 5, "the focus")
        result.setdefault("first", focused(question))
        result.setdefault("cut_off", _cut_off_buttons(h, question))
        if case == "erase":
            order: List[str] = []
            run_steps(h, tab_order(question, 5, order))
            result["order"] = order  # back on the copy button after going round
        press(question, *keys)
        h.wait_until(lambda: answer.given, 10, f"the answer ({case})")
        result[case] = answer.choice[0]
    return result


def scenario_wifi_and_camera(h, url: str):
    from thonnycontrib.esp32cam.frontend.keyboard import CAPTURE_COMMAND
    from thonnycontrib.esp32cam.frontend.registration import VIEW_ID, show_camera_view
    from thonnycontrib.esp32cam.frontend.wifi_dialog import open_wifi_dialog

    h.select_backend("ESP32CAM", port=url)
    h.wait_for_prompt(40)
    result: dict = {}
    # F12 is Thonny's for nothing: the only F12 binding is the plug-in's command
    script = h.wb.bind_all("<Key-F12>")
    result["f12_bindings"] = script.count("if {")
    result["f12_in_classes"] = [c for c in ("Text", "Entry", "TEntry", "Treeview", "TButton", "Listbox")
                                if "<Key-F12>" in h.wb.bind_class(c)]
    menu = h.wb.get_menu("tools")
    result["menu"] = [(menu.entrycget(i, "label"), menu.entrycget(i, "accelerator"))
                      for i in range(menu.index("end") + 1)
                      if menu.type(i) == "command" and "Capture" in menu.entrycget(i, "label")]
    result["shortcut_option"] = h.wb.get_option("shortcuts." + CAPTURE_COMMAND)

    # --- Wi-Fi
    dlg = open_wifi_dialog()
    h.wait_until(lambda: dlg.networks, 40, "the scan")
    press(dlg)
    h.wait_until(lambda: has_focus(dlg), 5, "the focus")
    wifi = result["wifi"] = {"first": focused(dlg), "cut_off": _cut_off_buttons(h, dlg)}
    order: List[str] = []
    run_steps(h, tab_order(dlg, 9, order))
    wifi["order"] = order
    run_steps(h, tab_order(dlg, 1, order, key="shift+Tab"))  # back from "Scan again" to the list
    h.wait_until(lambda: dlg.focus_get() is dlg.tree, 5, "the list to have the focus")  # X is slow
    for _step in range(len(dlg.networks)):  # the arrow keys pick a network, the list keeps the focus
        if dlg.tree.selection() == ("school",):
            break
        before = dlg.tree.selection()
        press(dlg, "Down")
        h.wait_until(lambda: dlg.tree.selection() != before, 10, "the selection to move")
    wifi.update(ssid=dlg.ssid_var.get(), focus_after_arrows=focused(dlg))
    press(dlg, "Return")  # Enter in the list: on to the password
    h.wait_until(lambda: dlg.focus_get() is dlg.password_entry, 5, "the password box")
    subprocess.run(["xdotool", "type", "--delay", "20", PASSWORD], check=True, timeout=30)
    h.wait_until(lambda: dlg.password_var.get() == PASSWORD, 10, "the typed password")
    press(dlg, "Return")  # Enter: Join
    h.wait_until(lambda: dlg.result is not None, 60, "the join")
    wifi["joined"] = dlg.status_var.get()
    press(dlg, "Escape")
    h.wait_until(lambda: not dlg.winfo_exists(), 5, "the dialog to close")

    # --- the interpreter page in Thonny's Options (Thonny's OK on Enter, Cancel on Escape)
    options, page = h.open_options("interpreter")
    options.deiconify()  # shown as show_dialog would (without its modal wait)
    h.wait_until(options.winfo_viewable, 10, "the Options dialog")
    page.port_combobox().focus_set()
    press(options)
    h.wait_until(lambda: has_focus(options), 5, "the focus")
    stops: List[str] = []
    for _step in range(40):
        before = options.focus_get()
        press(options, "Tab")
        h.wait_until(lambda: options.focus_get() is not before, 5, "Tab in the Options dialog")
        stops.append(str(options.focus_get()))
    ours = [w for w in page._lines.winfo_children() if w.winfo_class() == "TRadiobutton"]
    ours += [page._board_profile.combo, page._speed.combo]
    result["config"] = {"positions": [stops.index(str(w)) if str(w) in stops else -1 for w in ours]}
    press(options, "Escape")
    h.wait_until(lambda: not options.winfo_exists(), 5, "Options to close")

    # --- camera view: F12 from the editor (anywhere in Thonny), and in the view itself
    show_camera_view()
    h.pump(0.3)
    view = h.wb.get_view(VIEW_ID)
    editor = h.wb.get_editor_notebook().get_current_editor().get_text_widget()
    editor.focus_set()
    h.wait_for_prompt(20)
    camera = result["camera"] = {}
    press(h.wb, "F12")
    h.wait_until(lambda: getattr(view, "last_frame_info", None), 30, "a frame after F12")
    camera["first"] = dict(view.last_frame_info)
    camera["focus_was"] = h.wb.focus_get() is editor
    view.last_frame_info = None
    view.controls.capture_button.focus_set()
    h.wait_for_prompt(20)
    press(h.wb, "F12")
    h.wait_until(lambda: view.last_frame_info, 30, "a frame after F12 in the view")
    camera["second"] = dict(view.last_frame_info)
    return result


def install_steps(h, url: str, image_file: str):
    def script(dlg, result):
        press(dlg)
        yield lambda: has_focus(dlg)
        result["first"] = focused(dlg)
        result["cut_off"] = _cut_off_buttons(h, dlg)
        order: List[str] = []
        yield from tab_order(dlg, 10, order, (dlg.advanced_frame,))
        result["order"] = order
        dlg.port_combo.set(url)
        assert dlg.select_local_file(image_file)
        dlg.port_combo.focus_set()  # (a click into the port box)
        dlg.update_ui()
        press(dlg, "Return")  # Enter: Install
        yield lambda: not dlg.is_idle()
        result["started"] = True
        yield lambda: dlg.success or dlg.is_idle()  # done, or failed (idle again)
        dlg.update_ui()
        result.update(success=dlg.success, log=dlg.log_text.text.get("1.0", "end"),
                      focus_when_done=focused(dlg))
        press(dlg, "Escape")  # done: Escape closes (Thonny's WorkDialog.on_cancel)
        yield lambda: True
    return script


def scenario_install(h, url: str, image_file: str):
    from thonnycontrib.esp32cam.frontend.flash_dialog import FirmwareInstallerDialog, open_installer

    result = dict(h.drive_modal(FirmwareInstallerDialog, install_steps(h, url, image_file),
                                lambda: open_installer(h.wb), 90,
                                close=lambda dlg: dlg.close(), details=lambda dlg: getattr(dlg, "stdout", "")))
    result["closed"] = not any(isinstance(w, FirmwareInstallerDialog) for w in h.widgets())
    return result


# ------------------------------------------------------------ tests (parent)
def test_doctor_and_tray_by_keys(xdisplay, tmp_path):
    with VirtualBoard(firmware=synthetic_firmware("lemariva"), line_rate="unlimited") as board:
        board.events.wait_for("firmware_started", timeout=20)
        r = run_scenario(scenario_dialogs, tmp_path / "user", url=board.url, timeout=240)
    doctor, tray = r["doctor"], r["tray"]
    assert doctor["first"] == "port_box" and doctor["cut_off"] == [], doctor
    assert doctor["order"][:-1] == ["run_button", "tray_button", "evidence_button",
                                    *doctor["fixes"], "close_button", "port_box"], doctor
    assert doctor["enter"] and doctor["into_evidence"] == "evidence_text" and doctor["closed"], doctor
    assert tray["first"] == "tree" and tray["cut_off"] == [], tray
    assert tray["unchecked_run_disabled"]
    assert tray["order"] == ["all_button", "none_button", "refresh_button", "identify_button", "run_button",
                             "close_button", "tree"], tray
    assert tray["checked"] and all(tray["checked"].values()), tray
    assert tray["focus_before_enter"] == "none_button" and tray["none_pressed"] and tray["closed"]


def test_files_question_by_keys(xdisplay, tmp_path):
    r = run_scenario(scenario_files_question, tmp_path / "user", timeout=120)
    assert r["first"] == "copy_button" and r["cut_off"] == [], r
    assert r["order"] == ["erase_button", "cancel_button", "folder_entry", "browse_button", "copy_button"], r
    assert (r["erase"], r["cancel"], r["copy"]) == ("erase", "cancel", "backup"), r


def test_wifi_and_camera_capture_by_keys(xdisplay, tmp_path):
    board = VirtualBoard(firmware=synthetic_firmware("lemariva", banner=V127),
                         wifi={"school": PASSWORD, "guest": ""})
    with board:
        r = run_scenario(scenario_wifi_and_camera, tmp_path / "user", url=board.url, timeout=300)
    assert r["f12_bindings"] == 1 and r["f12_in_classes"] == [], r
    assert r["shortcut_option"] == "<F12>"
    assert r["menu"] == [["Capture a picture (ESP32-CAM camera)", "F12"]], r["menu"]
    wifi = r["wifi"]
    assert wifi["first"] == "tree" and wifi["cut_off"] == [], wifi
    assert wifi["order"] == ["scan_button", "ssid_entry", "password_entry", "Join at every boot (kept on the board, not in Thonny)",
                             "Allow WebREPL (connect Thonny over Wi-Fi, without the cable)",
                             "join_button", "Close", "tree", "scan_button", "tree"], wifi
    assert wifi["ssid"] == "school" and wifi["focus_after_arrows"] == "tree", wifi
    assert wifi["joined"].startswith("✓ Joined school."), wifi
    positions = r["config"]["positions"]  # the page's own sections, in their visual order
    assert -1 not in positions and positions == sorted(positions), r["config"]
    camera = r["camera"]
    assert camera["focus_was"], camera
    assert camera["first"]["bytes"] > 1000 and camera["second"]["bytes"] > 1000, camera


@pytest.mark.esptool
def test_installer_by_keys(xdisplay, tmp_path):
    image = tmp_path / "lemariva.bin"
    data = synthetic_firmware("lemariva")
    image.write_bytes(data)
    path = os.pathsep.join([str(FASTCLIENT_DIR), str(REPO_ROOT), os.environ.get("PYTHONPATH", "")])
    with VirtualBoard(wiring="classic", flash_timing="fast") as board:
        r = run_scenario(scenario_install, tmp_path / "user", env={"PYTHONPATH": path.rstrip(os.pathsep)},
                         timeout=240, url=board.url, image_file=str(image))
        assert board.flash.read(0x1000, len(data)) == data
    assert r["first"] == "port_combo" and r["cut_off"] == [], r
    assert r["order"] == ["tray_button", "board_combo", "build_combo", "local_button",
                          "Erase the whole flash first (also deletes the board's files)", "Advanced options",
                          "☰", "Install", "Cancel", "port_combo"], r["order"]
    assert r["started"] and r["success"], r.get("log")
    assert r["focus_when_done"] == "Close", r
    assert r["closed"]
