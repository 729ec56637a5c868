"""Every text of every plug-in window reads at least 4.5:1 against its background
(WCAG 2.1 AA, SC 1.4.3) under Thonny's UI themes Enhanced Clam, Clean Dark, Clean Dark
Blue and Raspberry Pi Dark (theme names of Thonny 4.1.7 and 5.0.1:
``thonny/plugins/base_ui_themes.py``, ``clean_ui_themes.py``, ``pi/__init__.py``).

One real Workbench switches the theme the way Tools → Options → Theme & Font does
(``view.ui_theme`` / ``view.syntax_theme``, ``reload_themes``, ``update_fonts``). Windows
that stay open (camera view with its problem panel, doctor with findings, classroom tray,
Wi-Fi dialog, the status bar item) must follow each switch; the installer (download mode
guidance, log, the files question) and the interpreter page (port error, configuration
notes) are opened anew in each theme. Every mapped text-bearing widget is measured with
its actual colours: ttk widgets by their own colour options or their style's lookup in
their state, Tk widgets by ``cget``, Text widgets also by each used tag. Disabled widgets
are left out (SC 1.4.3 exempts inactive components), and so are the pointer's transient
states (active, hover, pressed).
"""
from __future__ import annotations

import ast
import os
import re
import shutil
from pathlib import Path
from typing import Any, Dict, List, Optional

import pytest

from tests.thonny_harness import REPO_ROOT, run_scenario

THEMES = [("Enhanced Clam", "Default Light"), ("Clean Dark", "Default Dark"),
          ("Clean Dark Blue", "Default Dark"), ("Raspberry Pi Dark", "Default Dark")]
MINIMUM = 4.5
SHOT_THEME = "Clean Dark"  # the README's picture: the doctor in a dark theme
DOCS_SHOT = REPO_ROOT / "docs" / "screenshots" / "1366x768" / "doctor-dark.png"
TRANSIENT = {"active", "hover", "pressed"}
FIELDS = {"TEntry", "TCombobox", "TSpinbox"}
PASSWORD = "theme-test-password"


# ------------------------------------------------------------ child side: measuring
def _walk(widget):
    for child in widget.winfo_children():
        yield child
        yield from _walk(child)


def _shown_text(w) -> str:
    keys = w.keys()
    if "textvariable" in keys and str(w.cget("textvariable")):
        return str(w.getvar(str(w.cget("textvariable"))))
    if "text" in keys:
        return str(w.cget("text"))
    return ""


def _own(w, option: str) -> str:
    return str(w.cget(option)) if option in w.keys() else ""


def _pairs(w) -> List[tuple]:
    """(what, foreground, background) of each text the widget shows."""
    from tkinter import ttk

    cls = w.winfo_class()
    if cls == "Text":
        pairs = []
        if w.get("1.0", "end-1c").strip():
            fg, bg = str(w.cget("foreground")), str(w.cget("background"))
            pairs.append(("text", fg, bg))
            for tag in w.tag_names():
                if w.tag_ranges(tag):
                    pairs.append((f"tag {tag}", str(w.tag_cget(tag, "foreground")) or fg,
                                  str(w.tag_cget(tag, "background")) or bg))
        return pairs
    if not hasattr(w, "state") or not callable(getattr(w, "state")) or cls in ("Label", "Button", "Entry"):
        # a Tk widget
        text = _shown_text(w)
        if cls == "Entry" or text:
            return [(text[:40], _own(w, "foreground"), _own(w, "background"))]
        return []
    style = ttk.Style(w)
    name = _own(w, "style") or cls
    state = [s for s in w.state() if s not in TRANSIENT]
    if "disabled" in state:
        return []

    def look(style_name: str, option: str, states=state) -> str:
        return str(style.lookup(style_name, option, states) or style.lookup(".", option, states))

    if cls == "Treeview":
        pairs = [("heading", look(f"{name}.Heading", "foreground"), look(f"{name}.Heading", "background"))]
        if w.get_children(""):
            pairs.append(("rows", look(name, "foreground"), look(name, "background")))
        if w.selection():
            sel = state + ["selected"]
            pairs.append(("selected row", look(name, "foreground", sel), look(name, "background", sel)))
        return pairs
    if cls == "TLabelframe":
        text = _shown_text(w)
        return [("label " + text[:30], look(f"{name}.Label", "foreground"),
                 look(f"{name}.Label", "background"))] if text else []
    if cls in FIELDS:  # no fieldbackground in the style: the element's own, white in clam (ttkClamTheme.c)
        return [("field " + str(w.get())[:30], _own(w, "foreground") or look(name, "foreground"),
                 look(name, "fieldbackground") or "#ffffff")]
    text = _shown_text(w)
    if not text or cls in ("TFrame", "TScrollbar", "TSeparator", "TProgressbar", "TNotebook", "TPanedwindow"):
        return []
    return [(text[:40], _own(w, "foreground") or look(name, "foreground"),
             _own(w, "background") or look(name, "background"))]


def measure(window: str, root) -> List[Dict[str, Any]]:
    from thonnycontrib.esp32cam.core.contrast import contrast_ratio, from_16bit

    root.update_idletasks()
    root.update()
    found = []
    for w in [root, *_walk(root)]:
        if not w.winfo_ismapped():
            continue
        for what, fg, bg in _pairs(w):
            try:
                ratio = contrast_ratio(from_16bit(w.winfo_rgb(fg)), from_16bit(w.winfo_rgb(bg)))
            except Exception:  # no colour found: reported as failing
                ratio = 0.0
            found.append({"window": window, "widget": f"{w.winfo_class()} {w}", "what": what,
                          "fg": fg, "bg": bg, "ratio": round(ratio, 2)})
    return found


# ------------------------------------------------------------ child side: the windows
def _switch_theme(h, ui: str, syntax: str) -> None:
    """What Thonny's Theme & Font page does on a change (its ``_update_appearance``)."""
    assert ui in h.wb.get_usable_ui_theme_names(), h.wb.get_usable_ui_theme_names()
    h.wb.set_option("view.ui_theme", ui)
    h.wb.set_option("view.syntax_theme", syntax)
    h.wb.reload_themes()
    h.wb.update_fonts()
    h.pump(0.3)


def _installer(h) -> List[Dict[str, Any]]:
    from thonnycontrib.esp32cam.core.flasher import DOWNLOAD_MODE_HELP
    from thonnycontrib.esp32cam.frontend.files_question import FilesAnswer, FilesQuestion
    from thonnycontrib.esp32cam.frontend.flash_dialog import FirmwareInstallerDialog

    dlg = FirmwareInstallerDialog(h.wb)
    dlg.deiconify()  # shown, as show_dialog would (without its modal wait)
    try:
        dlg.show_log_frame()
        dlg.append_text("Connecting to the board…\n")
        dlg.append_text("A fatal error occurred: Failed to connect to ESP32\n", "stderr")
        dlg.handle_work_event("guidance", [DOWNLOAD_MODE_HELP])  # the failed state: download mode guidance
        h.pump(0.3)
        found = measure("installer", dlg)
        question = FilesQuestion(dlg, "The board's files will be erased.", FilesAnswer(), "")
        question.deiconify()
        question.copy_button.invoke()  # no folder typed: the question warns
        h.pump(0.3)
        found += measure("files question", question)
        question.cancel_button.invoke()
        return found
    finally:
        dlg.destroy()


def _config_page(h) -> List[Dict[str, Any]]:
    dlg, page = h.open_options("interpreter")
    try:
        page.port_text_variable().set("COMX")
        page.esp32cam_check()  # the port error shown
        h.pump(0.3)
        return measure("interpreter page", page)
    finally:
        h.press_cancel(dlg)


def _open_lasting_windows(h, camera_url: str, doctor_url: str) -> Dict[str, Any]:
    """Camera view with its problem panel, Wi-Fi dialog, doctor with findings, classroom tray."""
    from thonnycontrib.esp32cam.frontend import doctor_dialog, link_status
    from thonnycontrib.esp32cam.frontend.classroom_dialog import doctor_tray
    from thonnycontrib.esp32cam.frontend.wifi_dialog import WifiDialog

    h.select_backend("ESP32CAM", port=camera_url)
    h.wait_for_prompt(40)
    view = h.camera_view()
    view.capture()
    h.wait_until(lambda: getattr(view, "last_problem", None), 30, "the camera problem")
    h.wait_until(lambda: not view._pending and h.is_at_prompt(), 30, "the camera to be idle")
    menu = h.wb.get_menu("tools")
    labels = {menu.entrycget(i, "label"): i for i in range(menu.index("end") + 1) if menu.type(i) == "command"}
    menu.invoke(labels["ESP32-CAM Wi-Fi…"])
    wifi = h.wait_until(lambda: next((w for w in h.widgets() if isinstance(w, WifiDialog)), None), 10, "Wi-Fi")
    h.wait_until(lambda: wifi.networks, 30, "the Wi-Fi scan")
    wifi.tree.selection_set(wifi.tree.get_children()[0])
    doctor = doctor_dialog.open_doctor_dialog(doctor_url)
    h.wait_until(lambda: doctor.result is not None and not doctor.busy, 60, "the diagnosis")
    doctor.toggle_evidence()
    tray = doctor_tray(h.wb, ports=[(doctor_url, "virtual board")])
    tray.start()
    h.wait_until(lambda: tray.busy, 10, "the tray to start")
    h.wait_until(lambda: not tray.busy, 90, "the tray's diagnosis")
    tray.table.tree.selection_set(doctor_url)
    tray.table.tree.focus(doctor_url)
    tray.table.show_detail()
    return {"view": view, "wifi": wifi, "doctor": doctor, "tray": tray, "link": link_status}


def _doctor_both_verdicts(h, doctor) -> List[Dict[str, Any]]:
    """The real (failed) diagnosis, then the same findings as an ok verdict."""
    import dataclasses

    from thonnycontrib.esp32cam.core import diagnosis as dg

    real = doctor.result
    found = measure("doctor (problem found)", doctor)
    doctor.findings.show(dataclasses.replace(real, code=dg.REPL_OK))
    h.pump(0.2)
    found += measure("doctor (ok)", doctor)
    doctor.findings.show(real)
    return found


def _shot(window, path: str) -> None:
    """The window alone, from the real X screen (no window manager: root coordinates are exact)."""
    import subprocess

    window.lift()
    window.update()
    x, y, w, hgt = window.winfo_rootx(), window.winfo_rooty(), window.winfo_width(), window.winfo_height()
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    subprocess.run(["import", "-window", "root", "-crop", f"{w}x{hgt}+{x}+{y}", "+repage", path],
                   check=True, timeout=30)


def scenario_themes(h, camera_url: str, doctor_url: str, shot: str) -> Dict[str, Any]:
    from tkinter import ttk

    windows = _open_lasting_windows(h, camera_url, doctor_url)
    view, link = windows["view"], windows["link"]
    results: Dict[str, Any] = {}
    for ui, syntax in THEMES:
        _switch_theme(h, ui, syntax)
        found = measure("camera view", view)
        found += measure("Wi-Fi dialog", windows["wifi"])
        found += _doctor_both_verdicts(h, windows["doctor"])
        found += measure("classroom tray", windows["tray"])
        found += _installer(h)
        found += _config_page(h)
        label = link._label
        if label is not None and link.current_text():
            found += [dict(m, window="status bar") for m in measure("status bar", label.master)
                      if m["widget"].endswith(str(label))]
        if ui == SHOT_THEME and shot and h.wb.winfo_screenwidth() == 1366:  # the docs' screen size
            windows["doctor"].lift()
            h.pump(0.5)
            _shot(windows["doctor"], shot)
        style = ttk.Style(h.wb)

        def field(style_name: str) -> List[int]:  # no style option: clam's element default, white
            return list(h.wb.winfo_rgb(str(style.lookup(style_name, "fieldbackground")) or "#ffffff"))

        results[ui] = {"found": found, "windows": sorted({m["window"] for m in found}),
                       "spinbox_field": field("Esp32cam.TSpinbox"), "entry_field": field("TEntry"),
                       "problem_shown": bool(view.problem_frame.winfo_ismapped())}
    for name in ("wifi", "doctor", "tray"):
        windows[name].destroy()
    return results


# ------------------------------------------------------------ parent side
@pytest.fixture(scope="module")
def measured(tmp_path_factory, xdisplay):
    from tests.virtualboard import VirtualBoard, synthetic_firmware

    tmp = tmp_path_factory.mktemp("themes")
    ini = {"ESP32CAM": {"dtr": "maybe", "serial_speed": "warp"}}  # the page's configuration notes shown
    camera = VirtualBoard(firmware=synthetic_firmware("lemariva"), line_rate="unlimited", camera_missing=True,
                          wifi={"school": PASSWORD, "guest": ""})
    doctor = VirtualBoard(firmware=synthetic_firmware("lemariva"), line_rate="unlimited", camera_missing=True)
    with camera, doctor:
        camera.events.wait_for("firmware_started", timeout=20)
        doctor.events.wait_for("firmware_started", timeout=20)
        shot = tmp / "doctor-dark.png"
        result = run_scenario(scenario_themes, tmp / "user", ini=ini, camera_url=camera.url,
                              doctor_url=doctor.url, shot=str(shot), timeout=600)
    if shot.exists() and os.environ.get("UPDATE_SCREENSHOTS"):  # as tests/test_screens.py
        shutil.copy(shot, DOCS_SHOT)
    return result


WINDOWS = {"camera view", "Wi-Fi dialog", "doctor (problem found)", "doctor (ok)", "classroom tray",
           "installer", "files question", "interpreter page", "status bar"}


@pytest.mark.thonny
@pytest.mark.slow
@pytest.mark.ui
@pytest.mark.timeout(900)
@pytest.mark.parametrize("theme", [ui for ui, _ in THEMES])
def test_every_text_of_every_window_reads_4_5_to_1(measured, theme):
    r = measured[theme]
    assert set(r["windows"]) == WINDOWS, r["windows"]  # every window was measured
    assert r["problem_shown"]
    found = sorted(r["found"], key=lambda m: m["ratio"])
    worst = found[0]
    print(f"{theme}: {len(found)} texts, worst {worst['ratio']}:1 — {worst['window']}: {worst['widget']} "
          f"{worst['what']!r} {worst['fg']} on {worst['bg']}")
    failing = [m for m in found if m["ratio"] < MINIMUM]
    assert not failing, "\n".join(f"{m['ratio']}:1 {m['window']}: {m['widget']} {m['what']!r} {m['fg']} on {m['bg']}"
                                  for m in failing)
    # the Quality spinbox is a field of the theme, not a white box in a dark theme
    assert r["spinbox_field"] == r["entry_field"], r


# ------------------------------------------------------------ no literals
COLOUR_OPTIONS = {"foreground", "background", "fg", "bg", "fieldbackground", "insertbackground",
                  "selectbackground", "selectforeground", "activebackground", "activeforeground",
                  "highlightcolor", "highlightbackground", "disabledforeground", "troughcolor",
                  "insertcolor", "arrowcolor", "bordercolor", "lightcolor", "darkcolor"}
HEX = re.compile(r"^#([0-9a-fA-F]{3}){1,4}$")
NAMED = re.compile(r"^(gr[ae]y\d*|dark ?\w+|light ?\w+|firebrick|red|green|blue|white|black|orange|yellow)$", re.I)


def _literal_colours(path: Path) -> List[str]:
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.keyword) and node.arg in COLOUR_OPTIONS and isinstance(node.value, ast.Constant):
            found.append(f"{path.name}:{node.value.lineno} {node.arg}={node.value.value!r}")
        elif isinstance(node, ast.Constant) and isinstance(node.value, str) and (
                HEX.match(node.value) or NAMED.match(node.value)):
            found.append(f"{path.name}:{node.lineno} {node.value!r}")
    return found


def test_the_front_end_has_no_colour_literals():
    frontend = REPO_ROOT / "thonnycontrib" / "esp32cam" / "frontend"
    found = [hit for path in sorted(frontend.glob("*.py")) for hit in _literal_colours(path)]
    assert found == []
