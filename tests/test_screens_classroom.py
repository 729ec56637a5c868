"""The several-boards windows fit small laptop screens (1366×768, 1280×720), with a
whole class of 30 boards listed, long statuses and a long failure explanation
(the pattern and the helpers of test_screens.py)."""
from __future__ import annotations

import pytest

from tests.test_screens import _keep, _modal, _photo, _shot, assert_fits, measure, screen  # noqa: F401
from tests.thonny_harness import run_scenario

pytestmark = [pytest.mark.timeout(300)]

CLASS = [(f"/dev/ttyUSB{i}", "CH340") for i in range(28)] + [
    ("rfc2217://classroom-rack.example.org:4000", "network"), ("COM12", "CP210x")]


def _top_rate(adapter: str) -> int:
    """The rate the installer starts at for this adapter (the fast link's table)."""
    from thonnycontrib.esp32cam.core import fastlink

    caps = {a.name: a.max_baud for a in fastlink.ADAPTERS.values()}
    return caps.get(adapter, fastlink.NETWORK_CAP)


def _results(tray, ok_text):
    """Results for every row, through the dialog's own end-of-run path."""
    from thonnycontrib.esp32cam.core import classroom as cr
    from thonnycontrib.esp32cam.core.flash_messages import download_mode_help

    boards = []
    for i, (port, adapter) in enumerate(CLASS):
        board = cr.BoardRun(port, mac=f"24:0a:c4:7e:b0:{i:02x}")
        board.seconds = 20.0 + i
        if i % 9 == 4:
            board.finish(False, "download-mode", download_mode_help(), exit_code=3)
        else:
            board.firmware = ok_text
            rate = _top_rate(adapter)
            board.detail["baud"] = rate
            board.finish(True, "ok", f"Firmware written and verified at {rate} baud.")
        boards.append(board)
    tray._finished(boards, record=True)


def _buttons(tray):
    return {b.cget("text"): b for b in (tray.all_button, tray.none_button, tray.refresh_button,
                                         tray.identify_button, tray.run_button, tray.close_button)}


def scenario_trays(h, shot):
    import os

    from thonny.ui_utils import show_dialog

    from thonnycontrib.esp32cam.frontend.classroom_dialog import doctor_tray, install_tray

    from thonnycontrib.esp32cam.core.catalog import load_bundled

    result = {}
    # photographed for the README: the catalog's recommended build, as a user sees it; else
    # a title three times as long, which must wrap inside the window too
    title = load_bundled().get("lemariva-v1.21.0").title
    if not shot:
        title = title.replace("(", "(" + "a long build title " * 3)
    tray = install_tray(h.wb, title, lambda say: None, {}, ports=CLASS)

    def inspect():
        h.pump(0.3)
        files = tray.files_choice  # what a board whose files another layout would erase gets
        files.choose("backup")
        if shot:  # the folder a teacher's computer proposes, not the test machine's home
            files.folder_var.set(files.folder_var.get().replace(os.path.expanduser("~"), "/home/teacher", 1))
        h.pump(0.1)
        result["install_first"] = measure(tray, dict(_buttons(tray), files=files.choice_box,
                                                     folder=files.folder_entry, browse=files.browse_button))
        _results(tray, "lemariva-v1.21.0")
        h.pump(0.3)
        result["install_done"] = measure(tray, _buttons(tray))
        result["run_text"] = tray.run_button.cget("text")
        if shot:
            _shot(tray, shot)
        tray.close()

    _modal(h, lambda: show_dialog(tray, h.wb), inspect)
    doctor = doctor_tray(h.wb, ports=CLASS)
    h.pump(0.3)
    _results(doctor, "MicroPython REPL reachable")
    h.pump(0.3)
    result["doctor"] = measure(doctor, _buttons(doctor))
    doctor.close()
    return result


def test_several_boards_windows_fit_with_a_whole_class(screen, tmp_path):
    env, size = screen
    shot = _photo(size, "classroom-install.png", tmp_path)
    r = run_scenario(scenario_trays, tmp_path / "user", env=env, shot=shot)
    for state in ("install_first", "install_done", "doctor"):
        assert_fits(r[state])
    assert r["run_text"] == "Install on 30 boards"
    _keep(shot, "classroom-install.png")
