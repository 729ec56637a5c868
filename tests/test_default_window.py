"""The plug-in's texts fit Thonny's default window (800 px wide: ``layout.width`` in
Thonny 4.1.7 and 5.0.1, ``Workbench._init_window``) and do not widen their dialogs:
the status bar's link rate, the camera view's explanation and installer button
(official firmware, no camera module), the interpreter page's port error."""
from __future__ import annotations

from typing import Any, Dict, List

import pytest

from tests.test_screens import _box, _modal, _walk, interpreter_page, open_interpreter_options
from tests.thonny_harness import run_scenario
from tests.virtualboard import VirtualBoard, synthetic_firmware

pytestmark = [pytest.mark.thonny, pytest.mark.ui, pytest.mark.timeout(300)]

DEFAULT_WIDTH = 800
LANGUAGES = ["en_US", "de_DE", "es_ES"]  # English and the plug-in's catalogs (German runs longest)


@pytest.fixture(params=LANGUAGES)
def language_ini(request):
    """Thonny's language setting (its back-end gets it as THONNY_LANGUAGE)."""
    return {"general": {"language": request.param}}


def _natural_width(w) -> int:
    """What a ttk button needs for its whole text: Thonny's themes give TButton a fixed
    width (11 characters), so its own reqwidth can be less than its text."""
    from tkinter import ttk

    if w.winfo_class() != "TButton":
        return w.winfo_reqwidth()
    probe = ttk.Button(w.master, text=w.cget("text"), style=w.cget("style") or "TButton", width=-1)
    try:
        probe.update_idletasks()
        return max(w.winfo_reqwidth(), probe.winfo_reqwidth())
    finally:
        probe.destroy()


def _clipped(root) -> List[str]:
    """Mapped labels and buttons inside ``root`` that got less than they ask for, or that
    stick out of ``root`` on the right."""
    root.update_idletasks()
    right = root.winfo_rootx() + root.winfo_width()
    found = []
    for w in [root] + list(_walk(root)):
        if w.winfo_class() not in ("TLabel", "TButton", "Label", "Button") or not w.winfo_ismapped():
            continue
        if _natural_width(w) > w.winfo_width() + 1 or w.winfo_rootx() + w.winfo_width() > right + 1:
            found.append("%s %r req %d: %r" % (w.winfo_class(), str(w.cget("text"))[:60], _natural_width(w), _box(w)))
    return found


def scenario_camera_problem(h, url):
    from thonnycontrib.esp32cam.frontend.registration import VIEW_ID, show_camera_view

    h.select_backend("ESP32CAM", port=url)
    h.wait_for_prompt(40)
    show_camera_view()
    h.pump(0.3)
    view = h.wb.get_view(VIEW_ID)
    view.capture()
    h.wait_until(lambda: getattr(view, "last_problem", None), 30, "an explanation")
    h.pump(0.5)
    panel = view.problem_frame
    tools = h.wb.get_menu("tools")
    labels = [str(tools.entrycget(i, "label")) for i in range(tools.index("end") + 1)
              if tools.type(i) == "command"]
    from thonnycontrib.esp32cam.core import menu_items
    from thonnycontrib.esp32cam.core.i18n import _

    return {"window": h.wb.winfo_width(), "kind": view.last_problem["kind"], "tools": labels,
            "install_item": _(menu_items.INSTALL_FIRMWARE),
            "text": str(panel.problem_text.cget("text")),
            "button_mapped": bool(panel.install_button.winfo_ismapped()),
            # inside the panel (which the view's column clips) and inside the view
            "clipped_panel": _clipped(panel), "clipped": _clipped(view),
            "view": _box(view), "panel": _box(panel), "button": _box(panel.install_button)}


def test_camera_problem_fits_the_default_window_and_names_the_menu_item(xdisplay, tmp_path, language_ini):
    with VirtualBoard(firmware=synthetic_firmware(None)) as board:
        board.events.wait_for("firmware_started", timeout=20)
        r = run_scenario(scenario_camera_problem, tmp_path / "user", url=board.url, timeout=120,
                         ini=language_ini)
    assert r["window"] == DEFAULT_WIDTH, r  # Thonny's default window, nothing set
    assert r["kind"] == "no_camera_module" and r["button_mapped"], r
    assert not r["clipped"] and not r["clipped_panel"], r  # the button and every text whole
    # the installer's item, as the Tools menu shows it, named in the explanation
    assert r["install_item"] in r["tools"] and "→ " + r["install_item"] in r["text"], r


def scenario_link_rate(h, url):
    from thonnycontrib.esp32cam.core.backend_commands import LINK_RATE_EVENT
    from thonnycontrib.esp32cam.frontend import link_status
    from thonnycontrib.esp32cam.thonny_compat import front

    h.select_backend("ESP32CAM", port=url)
    h.wait_for_prompt(40)
    h.wait_until(link_status.current_text, 20, "the link rate in the status bar")
    bar = front.status_bar()
    result: Dict[str, Any] = {"window": h.wb.winfo_width(), "forms": link_status.status_texts(1500000, True)}
    # the longest a user sees: a direct-wired board at 1500000 baud whose firmware caps it
    switcher_width = max(w.winfo_reqwidth() for w in bar.grid_slaves(row=1) if w.winfo_class() == "TButton")
    # narrow: 100 px left beside Thonny's switcher (its text is longer in German)
    narrow = h.wb.winfo_width() - bar.winfo_width() + switcher_width + 100 + link_status.PAD_RIGHT
    for name, width in (("default", None), ("wide", 1300), ("narrow", narrow)):
        if width:
            h.wb.geometry("%dx%d" % (width, h.wb.winfo_height()))
        h.wb.event_generate(LINK_RATE_EVENT, rate=1500000, unsupported=True, text="")
        h.pump(0.5)
        label = link_status._label
        switcher = [w for w in bar.grid_slaves(row=1) if w.winfo_class() == "TButton"]
        result[name] = {"text": link_status.current_text(), "clipped": _clipped(bar),
                        "label": _box(label), "switcher": [_box(w) for w in switcher],
                        "bar": _box(bar)}
    return result


def test_link_rate_fits_the_status_bar_of_the_default_window(xdisplay, tmp_path, language_ini):
    with VirtualBoard(firmware=synthetic_firmware("lemariva"), line_rate="unlimited") as board:
        board.events.wait_for("firmware_started", timeout=20)
        r = run_scenario(scenario_link_rate, tmp_path / "user", url=board.url, timeout=120,
                         ini=language_ini)
    assert r["window"] == DEFAULT_WIDTH, r
    for name in ("default", "wide", "narrow"):
        state = r[name]
        assert not state["clipped"], state  # the label whole, and Thonny's switcher too
        x, _y, w, _h = state["label"]
        assert all(x + w <= sx for sx, _sy, _sw, _sh in state["switcher"]), state  # not under the switcher
    # the switcher names a network port here (long): in the default window a shorter form
    assert "1500000" in r["default"]["text"], r
    forms = r["forms"]
    assert r["wide"]["text"] == forms[0], r  # room: all of it
    assert r["narrow"]["text"] == forms[-1], r  # the shortest form, whole


LONG_TYPED_URL = "rfc2217://" + "classroom-board-server-" * 13  # 309 characters, no port number


def scenario_long_port_error(h, typed):
    from thonny import ui_utils

    dlg = open_interpreter_options(h)
    result: Dict[str, Any] = {}

    def inspect():
        page = interpreter_page(dlg)
        dlg.update()
        result["before"] = [dlg.winfo_width(), dlg.winfo_reqwidth()]
        page.port_text_variable().set(typed)
        dlg._ok_button.invoke()  # refused: the dialog stays, with the error below the port
        h.pump(0.5)
        label = page._port_error_label
        result["error"] = str(label.cget("text"))
        result["mapped"] = bool(label.winfo_ismapped())
        result["after"] = [dlg.winfo_width(), dlg.winfo_reqwidth()]
        result["clipped"] = _clipped(page.scroller)
        dlg._cancel_button.invoke()

    _modal(h, lambda: ui_utils.show_dialog(dlg, h.wb), inspect)
    return result


def test_a_long_typed_url_does_not_widen_the_options_dialog(xdisplay, tmp_path, language_ini):
    r = run_scenario(scenario_long_port_error, tmp_path / "user", typed=LONG_TYPED_URL, ini=language_ini)
    assert r["mapped"] and LONG_TYPED_URL in r["error"], r  # the error quotes what was typed
    assert r["after"][0] <= r["before"][0] + 1 and r["after"][1] <= r["before"][1] + 1, r
    assert not r["clipped"], r["clipped"]  # the error wraps inside the page, whole
