"""The camera view in a real Thonny Workbench (under Xvfb) with Thonny's real
back-end process talking to the virtual board: frames shown on screen
(screenshot pixels checked), live mode, settings, save, the camera released
before the user's code runs and when the view closes, explanations for a
firmware without camera driver, the board-profile chooser, templates and stubs."""
from __future__ import annotations

import io
import os
from pathlib import Path

import pytest
from PIL import Image

from tests.thonny_harness import run_scenario
from tests.virtualboard import VirtualBoard, synthetic_firmware
from tests.virtualboard.camera_frames import BAR_COLOURS

pytestmark = [pytest.mark.thonny, pytest.mark.timeout(240)]


def _completes_in_the_back_end() -> bool:
    """Thonny 4.1/5.0 complete code with Jedi in the back-end (``editor_autocomplete``,
    where the plug-in's back-end adds the board family's stubs). The development head
    completes in the front-end, through the basedpyright language server, which reads the
    family's ``camera.pyi`` that the plug-in puts into the interpreter's stub folder
    (``frontend/completion_stubs.py``)."""
    from thonnycontrib.esp32cam import thonny_compat

    return thonny_compat.generation() == thonny_compat.CLASSIC


@pytest.fixture
def completion(xdisplay):
    """On the development head: basedpyright's language server where Thonny runs it from
    (``tests/language_server.py``); a skip with the reason when node or basedpyright is missing."""
    if not _completes_in_the_back_end():
        from tests.language_server import language_server_missing

        missing = language_server_missing()
        if missing:
            pytest.skip(f"Thonny's development head completes code through basedpyright: {missing}")
    return xdisplay


def camera_completions(h, family):
    """What the editor's completion offers after ``camera.`` with the board connected."""
    source = "import camera\ncamera."
    if _completes_in_the_back_end():
        from thonny.common import InlineCommand

        answers = []
        h.wb.bind("editor_autocomplete_response", lambda msg: answers.append(msg), True)
        h.wait_until(h.runner.is_waiting_toplevel_command, 20, "idle")
        h.runner.send_command(InlineCommand("editor_autocomplete", source=source, row=2, column=7, filename=None))
        h.wait_until(lambda: answers, 30, "completions")
        return sorted({getattr(c, "name", None) or c["name"] for c in answers[0].completions})
    from tests.language_server import editor_completions
    from thonnycontrib.esp32cam.frontend.completion_stubs import MARKER, STUB_NAME

    # the plug-in put the board's family's stub where the language server looks (and
    # restarted the server when it changed)
    stub = Path(h.proxy.get_user_stubs_location()) / STUB_NAME
    h.wait_until(lambda: stub.is_file() and stub.read_text().startswith(f"{MARKER} ({family})"), 60,
                 f"the {family} camera.pyi in {stub.parent}")
    return editor_completions(h, source)


SCREENSHOT = Path(__file__).resolve().parent.parent / "docs" / "screenshots" / "camera-view.png"


def _open_view(h, url):
    h.select_backend("ESP32CAM", port=url)
    h.wait_for_prompt(40)
    from thonnycontrib.esp32cam.frontend.registration import VIEW_ID, show_camera_view

    show_camera_view()
    h.pump(0.3)
    return h.wb.get_view(VIEW_ID)


def _frame_after(h, view, action, timeout=30):
    """Run ``action`` (a capture or a settings change) and wait for the frame it brings."""
    before = getattr(view, "last_frame_info", None)
    action()
    h.wait_until(lambda: getattr(view, "last_frame_info", None) is not before
                 or getattr(view, "last_problem", None), timeout, "a camera frame")
    assert not getattr(view, "last_problem", None), view.last_problem
    return view.last_frame_info


def _text(widget) -> str:
    try:
        return str(widget.cget("text"))
    except Exception:
        return ""


def _bars_on_screen(shot, label_box, shown):
    """(the pixel at the middle of each colour bar, whether all are the bars' colours) of
    the picture centred in ``label_box`` (x, y, w, h) at size ``shown`` in screenshot ``shot``."""
    x, y, w, h = label_box
    img_w, img_h = shown
    screen = Image.open(shot).convert("RGB")
    left, top = x + (w - img_w) // 2, y + (h - img_h) // 2
    pixels = [screen.getpixel((left + (2 * i + 1) * img_w // 16, top + img_h // 3)) for i in range(len(BAR_COLOURS))]
    return pixels, all(abs(a - b) < 40 for px, colour in zip(pixels, BAR_COLOURS) for a, b in zip(px, colour))


def scenario_capture_live_save_release(h, url, save_path, screenshot_path):
    view = _open_view(h, url)
    h.wb.geometry("1200x760+0+0")
    view.controls.frame_size.set("QVGA")
    def capture():
        assert view.capture(), "the view refused to capture"

    info = _frame_after(h, view, capture)
    result = {"first": info, "status": view.status_label.cget("text")}
    h.pump(0.5)
    # pixels on screen: the image label's area in a screenshot of the X display (taken again
    # when the window was still settling: label and picture the same before and after it)
    def on_screen():
        label = view.image_label
        return ([label.winfo_rootx(), label.winfo_rooty(), label.winfo_width(), label.winfo_height()],
                list(view.shown_size))

    for _ in range(10):  # on a loaded machine the X server may show the frame a moment later
        before = on_screen()
        h.screenshot(screenshot_path)
        if on_screen() == before and _bars_on_screen(screenshot_path, *before)[1]:
            break
        h.pump(1.0)
    result["label_box"], result["shown_on_screen"] = before
    home = view.home_widget if hasattr(view, "home_widget") else view
    result["view_box"] = [home.winfo_rootx(), home.winfo_rooty(), home.winfo_width(), home.winfo_height()]
    # live: successive frames, fps shown
    live_jpegs = []
    h.wb.bind("Esp32CamFrame", lambda m: live_jpegs.append(getattr(m, "jpeg", None)), True)
    view.controls.live.set(True)
    view._on_live_toggled()
    h.wait_until(lambda: len(view._frame_times) >= 4 or getattr(view, "last_problem", None), 40, "live frames")
    # a Shell command while Live streams: the stream gives way, the command runs, Live resumes
    result["while_live"] = h.run_in_shell("print('WHILE', 6 * 7)")
    seen = len(live_jpegs)
    h.wait_until(lambda: len(live_jpegs) >= seen + 2, 40, "live frames after the Shell command")
    # a new size while Live streams: the next frames have it
    view.controls.frame_size.set("QQVGA")
    view._settings_changed()
    h.wait_until(lambda: view.last_frame_info["size"] == (160, 120), 40, "live frames at the new size")
    view.controls.frame_size.set("QVGA")
    view.controls.live.set(False)
    view._on_live_toggled()
    h.wait_until(lambda: view._pending is None, 20, "live mode to stop")
    result["live_frames"] = len(view._frame_times)
    from tests.virtualboard.camera_frames import decode_frame_number

    result["live_numbers"] = [decode_frame_number(Image.open(io.BytesIO(j))) for j in live_jpegs if j]
    result["live_status"] = view.status_label.cget("text")
    # settings: frame size
    view.controls.frame_size.set("QQVGA")
    result["small"] = _frame_after(h, view, view._settings_changed)
    view.save_to(save_path)
    # the Mirror checkbox and the Quality field, as the user works them
    widgets = list(h.widgets(view))
    mirror = next(w for w in widgets if _text(w) == "Mirror")
    spin = next(w for w in widgets if w.winfo_class() == "TSpinbox")

    def new_frame(action):
        _frame_after(h, view, action)
        return view._jpeg

    from tests.virtualboard.camera_frames import bar_colour_at

    mirrored = Image.open(io.BytesIO(new_frame(mirror.invoke))).convert("RGB")
    result["mirrored_left_bar"] = list(bar_colour_at(mirrored, 0))

    def type_quality(q):
        spin.focus_force()
        spin.update()
        spin.delete(0, "end")
        spin.insert(0, str(q))
        spin.event_generate("<KeyPress-Return>", when="tail")

    result["quality_sizes"] = [len(new_frame(lambda: type_quality(q))) for q in (100, 10)]
    new_frame(mirror.invoke)  # back to normal for what follows
    # the user's own script initialises the camera: works, because the view's camera was released first
    result["user_init"] = h.run_in_shell("import camera\nprint('INIT', camera.init(0, format=camera.JPEG))\ncamera.deinit()")
    # the view takes it again afterwards; Run (soft reboot + the editor's program) gets it released too
    _frame_after(h, view, view.capture)
    notebook = h.wb.get_editor_notebook()
    notebook.open_new_file()
    editor = notebook.get_current_editor()
    editor.get_text_widget().insert("1.0", "import camera\nprint('RUN', camera.init(0, format=camera.JPEG))\ncamera.deinit()\n")
    h.runner.execute_editor_content("Run", [])
    editor.get_text_widget().edit_modified(False)  # no "save changes?" when the Workbench closes
    h.wait_until(lambda: "RUN " in h.shell_text(), 30, "the program's output")  # the Shell is re-laid on Run
    h.wait_for_prompt(30)
    result["run"] = h.shell_text()[-300:]
    editor.get_text_widget().edit_modified(False)
    # after Run's soft reboot the board lost the view's helper: the view recovers by itself
    result["after_run"] = _frame_after(h, view, view.capture)
    # closing the view releases the camera
    from thonnycontrib.esp32cam.frontend.registration import VIEW_ID

    h.wb.hide_view(VIEW_ID)
    h.wait_until(h.runner.is_waiting_toplevel_command, 20, "release")
    h.pump(0.5)
    result["after_close"] = h.run_in_shell("print('AGAIN', camera.init(0, format=camera.JPEG))\ncamera.deinit()")
    return result


def test_camera_view_shows_frames_live_saves_and_releases(xdisplay, tmp_path):
    save = tmp_path / "saved.jpg"
    shot = tmp_path / "screen.png"
    with VirtualBoard(firmware=synthetic_firmware("lemariva")) as board:
        board.events.wait_for("firmware_started", timeout=20)
        r = run_scenario(scenario_capture_live_save_release, tmp_path / "user", url=board.url,
                         save_path=str(save), screenshot_path=str(shot), timeout=200)
    assert r["first"]["size"] == [320, 240] and "320×240" in r["status"] and "lemariva" in r["status"]
    assert "% of 921600 baud" in r["status"]
    assert r["live_frames"] >= 4 and "fps" in r["live_status"]
    assert "WHILE 42" in r["while_live"], r["while_live"]
    numbers = r["live_numbers"]
    assert len(numbers) >= 4 and numbers == sorted(set(numbers)), numbers  # successive, different frames
    assert r["small"]["size"] == [160, 120]
    assert r["mirrored_left_bar"][0] < 40  # Mirror: the black bar is now on the left
    best, worst = r["quality_sizes"]  # JPEG bytes at Quality 100 and 10
    assert best > worst  # 100 = best on the view's scale, whatever the driver's own convention
    assert Image.open(save).size == (160, 120)
    assert "INIT True" in r["user_init"], r["user_init"]
    assert "AGAIN True" in r["after_close"], r["after_close"]
    assert "RUN True" in r["run"], r["run"]
    assert r["after_run"]["size"] == [160, 120]
    # the screenshot shows the colour bars where the view's image is
    x, y, w, h = r["label_box"]
    screen = Image.open(shot).convert("RGB")
    img_w, img_h = r["shown_on_screen"]  # the picture is scaled to the view, 4:3 kept
    assert abs(img_w / img_h - 4 / 3) < 0.02 and img_w <= w and img_h <= h, (r["first"], w, h)
    pixels, match = _bars_on_screen(shot, r["label_box"], r["shown_on_screen"])
    assert match, list(zip(pixels, BAR_COLOURS))
    if os.environ.get("UPDATE_SCREENSHOTS"):  # UPDATE_SCREENSHOTS=1 refreshes the docs image
        SCREENSHOT.parent.mkdir(parents=True, exist_ok=True)
        vx, vy, vw, vh = r["view_box"]
        screen.crop((vx, vy, vx + vw, vy + vh)).save(SCREENSHOT)


def scenario_family_capture(h, url):
    from thonny import get_shell

    view = _open_view(h, url)
    view.controls.frame_size.set("QQVGA")
    info = _frame_after(h, view, view.capture)
    result = {"info": info, "status": view.status_label.cget("text"), "jpeg_head": list(view._jpeg[:2])}
    # a running user program is never disturbed: the view refuses to send while it runs
    get_shell().submit_python_code("import time\nwhile True:\n    time.sleep(0.05)\n\n")
    h.wait_until(lambda: not h.runner.is_waiting_toplevel_command(), 10, "the program to start")
    h.pump(0.3)
    result["sent_while_busy"] = view.capture()
    result["busy_status"] = view.status_label.cget("text")
    h.interrupt()
    h.wait_for_prompt(20)
    result["shell"] = h.shell_text()[-300:]
    return result


@pytest.mark.parametrize("family", ["kaki5", "cnadler86"])
def test_camera_view_works_with_the_other_families(xdisplay, tmp_path, family):
    with VirtualBoard(firmware=synthetic_firmware(family)) as board:
        board.events.wait_for("firmware_started", timeout=20)
        r = run_scenario(scenario_family_capture, tmp_path / "user", url=board.url, timeout=120)
        assert board.events.all("camera_frame")
        frames_after_busy = len(board.events.all("camera_frame"))
    assert r["info"]["size"] == [160, 120] and family in r["status"] and r["jpeg_head"] == [0xFF, 0xD8]
    assert r["sent_while_busy"] is False and "busy" in r["busy_status"]
    assert frames_after_busy == 1 and "KeyboardInterrupt" in r["shell"]


def scenario_no_camera_problem_then_template(h, url):
    view = _open_view(h, url)
    view.capture()
    h.wait_until(lambda: getattr(view, "last_problem", None), 30, "an explanation")
    h.pump(0.2)
    return {"problem": view.last_problem, "button": view.problem_frame.install_button.winfo_ismapped(),
            "text": view.problem_frame.problem_text.cget("text")}


@pytest.mark.parametrize("board_kwargs, kind, words, button", [
    ({"firmware": synthetic_firmware(None)}, "no_camera_module", "Install a camera firmware", True),
    ({"firmware": synthetic_firmware("kaki5"), "camera_missing": True}, "init_failed", "ribbon", False),
    ({"firmware": synthetic_firmware("lemariva", psram=False), "psram": False}, "no_psram", "PSRAM", True),
], ids=["no-camera-module", "camera-missing", "no-psram"])
def test_camera_view_explains_camera_problems(xdisplay, tmp_path, board_kwargs, kind, words, button):
    with VirtualBoard(**board_kwargs) as board:
        board.events.wait_for("firmware_started", timeout=20)
        r = run_scenario(scenario_no_camera_problem_then_template, tmp_path / "user", url=board.url, timeout=120)
    assert r["problem"]["kind"] == kind, r
    assert words in r["text"], r["text"]
    assert bool(r["button"]) is button  # the installer button only where firmware can be the cure


def scenario_profile_template_completion_flash(h, url):
    from thonnycontrib.esp32cam.core import boards
    from thonnycontrib.esp32cam.frontend import camera_templates

    h.select_backend("ESP32CAM", port=url)
    h.wait_for_prompt(40)
    result = {}
    # the board-profile chooser on the configuration page: Cancel keeps, OK stores
    dlg, page = h.open_options("interpreter")
    chooser = page._board_profile
    result["initial"] = chooser.selected_key()
    chooser.variable.set(boards.PROFILES["m5stack_wide"].title)
    h.press_cancel(dlg)
    result["after_cancel"] = h.wb.get_option(boards.OPTION_NAME)
    h.wait_for_prompt(40)
    dlg, page = h.open_options("interpreter")
    page._board_profile.variable.set(boards.PROFILES["m5stack_wide"].title)
    h.press_ok(dlg)
    result["after_ok"] = h.wb.get_option(boards.OPTION_NAME)
    h.wait_for_prompt(40)
    # a template for the board's driver and the chosen profile, in a new editor
    assert camera_templates.request_template("flash_led")
    notebook = h.wb.get_editor_notebook()

    def template_editor():
        editor = notebook.get_current_editor()
        return editor if editor and "camera_start" in editor.get_text_widget().get("1.0", "end") else None

    editor = h.wait_until(template_editor, 20, "the template in a new editor")
    result["template"] = editor.get_text_widget().get("1.0", "end")
    editor.get_text_widget().edit_modified(False)  # no "save changes?" when the Workbench closes
    # code completion knows `camera` (the stubs of the family on the board)
    result["completions"] = camera_completions(h, "cnadler86")
    # flash LED through the view, with the AI-Thinker profile (GPIO4)
    h.wb.set_option(boards.OPTION_NAME, "ai_thinker")
    from thonnycontrib.esp32cam.frontend.registration import VIEW_ID, show_camera_view

    show_camera_view()
    view = h.wb.get_view(VIEW_ID)
    h.pump(0.2)
    view.controls.flash.set(True)
    view._on_flash_toggled()
    h.wait_until(lambda: view._pending is None, 30, "flash on")
    result["flash_status"] = view.status_label.cget("text")
    view.controls.flash.set(False)
    view._on_flash_toggled()
    h.wait_until(lambda: view._pending is None, 30, "flash off")
    return result


def test_profile_chooser_templates_completion_and_flash_led(completion, tmp_path):
    with VirtualBoard(firmware=synthetic_firmware("cnadler86")) as board:
        board.events.wait_for("firmware_started", timeout=20)
        r = run_scenario(scenario_profile_template_completion_flash, tmp_path / "user", url=board.url, timeout=200)
        led = [e.data["value"] for e in board.events.all("pin") if e.data.get("pin") == 4]
    assert r["initial"] == "ai_thinker" and r["after_cancel"] == "ai_thinker" and r["after_ok"] == "m5stack_wide"
    t = r["template"]
    assert "cnadler86" in t and "Camera(" in t and "LED_PIN = 2" in t and "M5Stack Camera Wide pins" in t
    assert {"Camera", "FrameSize", "PixelFormat"} <= set(r["completions"]), r["completions"]
    assert not {"conf", "FRAME_VGA"} & set(r["completions"]), r["completions"]  # not another family's
    assert "Flash LED on" in r["flash_status"]
    assert led[-2:] == [1, 0], led


def scenario_completion(h, url, family):
    h.select_backend("ESP32CAM", port=url)
    h.wait_for_prompt(40)
    result = {"editor": camera_completions(h, family), "shell": None}
    if not _completes_in_the_back_end():
        # the Shell asks the same language server (4.1/5.0: the live board's dir() and Jedi)
        from tests.language_server import shell_completions

        result["shell"] = shell_completions(h, "import camera; camera.")
    return result


@pytest.mark.parametrize("family, names, others", [
    ("lemariva", {"init", "capture", "framesize", "quality", "mirror", "JPEG", "FRAME_VGA"}, {"conf", "Camera"}),
    ("kaki5", {"conf", "init", "capture", "capture_jpg", "deinit"}, {"FRAME_VGA", "Camera"}),
])
def test_completion_knows_the_camera_module_of_the_board(completion, tmp_path, family, names, others):
    with VirtualBoard(firmware=synthetic_firmware(family), line_rate="unlimited") as board:
        board.events.wait_for("firmware_started", timeout=20)
        r = run_scenario(scenario_completion, tmp_path / "user", url=board.url, family=family, timeout=180)
    for completions in [r["editor"]] + ([r["shell"]] if r["shell"] is not None else []):
        assert names <= set(completions), r
        assert not others & set(completions), r  # the board's family, no other


def scenario_completion_follows_the_board(h, boards, no_camera_url):
    result = {}
    for family, url in boards:
        h.select_backend("ESP32CAM", port=url)
        h.wait_for_prompt(40)
        result[family] = camera_completions(h, family)
    result["stub_without_camera_module"] = None
    if not _completes_in_the_back_end():
        from thonnycontrib.esp32cam.frontend.completion_stubs import STUB_NAME

        stub = Path(h.proxy.get_user_stubs_location()) / STUB_NAME
        h.select_backend("ESP32CAM", port=no_camera_url)
        h.wait_for_prompt(40)
        h.wait_until(lambda: not stub.exists(), 30, "the plug-in's camera.pyi taken out")
        result["stub_without_camera_module"] = stub.exists()
    return result


def test_completion_follows_the_board_and_its_firmware(completion, tmp_path):
    """Another board (or new firmware) on the same interpreter: completion knows its family,
    and nothing of the last one; a firmware without camera module: no camera stub."""
    with VirtualBoard(firmware=synthetic_firmware("lemariva"), line_rate="unlimited") as lemariva, \
            VirtualBoard(firmware=synthetic_firmware("kaki5"), line_rate="unlimited") as kaki5, \
            VirtualBoard(firmware=synthetic_firmware(None), line_rate="unlimited") as bare:
        for board in (lemariva, kaki5, bare):
            board.events.wait_for("firmware_started", timeout=20)
        r = run_scenario(scenario_completion_follows_the_board, tmp_path / "user",
                         boards=[["lemariva", lemariva.url], ["kaki5", kaki5.url]], no_camera_url=bare.url,
                         timeout=200)
    assert {"FRAME_VGA", "JPEG"} <= set(r["lemariva"]) and "conf" not in r["lemariva"], r
    assert {"conf", "capture_jpg"} <= set(r["kaki5"]) and not {"FRAME_VGA", "JPEG"} & set(r["kaki5"]), r
    assert r["stub_without_camera_module"] in (None, False), r
