"""The mouse wheel scrolls the interpreter page; it never changes a choice on it.

A real Thonny Workbench at 1366×768 (the page scrolls there), real X wheel clicks
(``xdotool click 4/5``) with the pointer resting on the *Camera board* and the
*Serial speed* comboboxes, as when a user scrolls the page the README points to and
a combobox slides under the still pointer. Tk's class bindings of a combobox change
its value with the wheel (Tk 8.6 ``ttk::combobox::Scroll``); the page must scroll and
both values stay, focused or not.
"""
from __future__ import annotations

import shutil
import subprocess
from typing import Any, Dict

import pytest

from tests.screen_sizes import xvfb_screen
from tests.test_screens import _modal, interpreter_page, open_interpreter_options
from tests.thonny_harness import run_scenario

pytestmark = [pytest.mark.thonny, pytest.mark.ui, pytest.mark.timeout(300),
              pytest.mark.skipif(shutil.which("xdotool") is None, reason="needs xdotool (.ci/run installs it)")]


def _wheel(h, widget, button: int, notches: int) -> None:
    """Rest the real pointer on ``widget``'s middle and turn the wheel there."""
    widget.update()
    x = widget.winfo_rootx() + widget.winfo_width() // 2
    y = widget.winfo_rooty() + widget.winfo_height() // 2
    subprocess.run(["xdotool", "mousemove", str(x), str(y)], check=True, timeout=10)
    h.pump(0.2)
    for _notch in range(notches):
        subprocess.run(["xdotool", "click", str(button)], check=True, timeout=10)
        h.pump(0.15)


def scenario_wheel_over_comboboxes(h) -> Dict[str, Any]:
    from thonny import ui_utils

    dlg = open_interpreter_options(h)
    result: Dict[str, Any] = {}

    def inspect():
        page = interpreter_page(dlg)
        canvas = page.scroller.canvas
        board, speed = page._board_profile.combo, page._speed.combo
        result["scrolls"] = page.scroller.scrolls
        result["before"] = [board.get(), speed.get()]
        # the board combobox in view near the top of the visible part, the wheel turned down on it
        canvas.yview_moveto(0.0)
        dlg.update()
        first = canvas.yview()[0]
        _wheel(h, board, 5, 4)
        result["down"] = [first, canvas.yview()[0]]
        result["after_board"] = [board.get(), speed.get()]
        # the speed combobox (the page's last field) in view, the wheel turned up on it
        canvas.yview_moveto(1.0)
        dlg.update()
        last = canvas.yview()[0]
        _wheel(h, speed, 4, 4)
        result["up"] = [last, canvas.yview()[0]]
        # even the focused combobox keeps its value: the keyboard or its list changes it
        speed.focus_force()
        canvas.yview_moveto(1.0)
        dlg.update()
        _wheel(h, speed, 4, 2)
        _wheel(h, speed, 5, 2)
        result["after_speed"] = [board.get(), speed.get()]
        dlg._ok_button.invoke()

    _modal(h, lambda: ui_utils.show_dialog(dlg, h.wb), inspect)
    result["stored"] = [h.wb.get_option("ESP32CAM.board_profile"), h.wb.get_option("ESP32CAM.serial_speed")]
    return result


def test_wheel_scrolls_the_page_and_changes_no_choice(tmp_path):
    with xvfb_screen(1366, 768) as display:
        r = run_scenario(scenario_wheel_over_comboboxes, tmp_path / "user", env={"DISPLAY": display})
    assert r["scrolls"], r  # at 1366x768 the page is taller than the dialog may be
    assert r["down"][1] > r["down"][0], r  # the wheel over the board combobox scrolled the page down
    assert r["up"][1] < r["up"][0], r  # and over the speed combobox up
    assert r["after_board"] == r["before"], r
    assert r["after_speed"] == r["before"], r
    from thonnycontrib.esp32cam.core.boards import DEFAULT_PROFILE

    assert r["stored"] == [DEFAULT_PROFILE, "auto"], r  # OK stored what the user had not changed
