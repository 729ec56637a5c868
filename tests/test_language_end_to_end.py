"""A German and a Spanish Thonny show the plug-in in their language end to end
(issue 21): a real Workbench set to ``de_DE`` / ``es_ES`` installs a catalog build
on the virtual board, connects, runs the connection doctor, takes a photo in the
camera view and runs the classroom tray. Every text of those windows, of the Tools
menu, the status bar and the Shell is read from the real widgets; none may be an
English text of the plug-in's catalog that has a translation, and each window
shows translated texts.
"""
from __future__ import annotations

import os
import re
import string

import pytest

from tests.firmware_server import FirmwareServer, build_entry, catalog_with
from tests.thonny_harness import REPO_ROOT, run_scenario
from tests.virtualboard import VirtualBoard, synthetic_firmware
from tests.virtualboard.testing import FASTCLIENT_DIR
from thonnycontrib.esp32cam.core import i18n
from thonnycontrib.esp32cam.core.catalog import refresh_catalog
from thonnycontrib.esp32cam.core.download import installer_dir

read_po = pytest.importorskip("babel.messages.pofile").read_po

pytestmark = [pytest.mark.thonny, pytest.mark.esptool, pytest.mark.slow, pytest.mark.ui,
              pytest.mark.timeout(400)]


# ------------------------------------------------------------ child side
def _texts(h, root) -> list:
    """Every text a user can read in ``root``: labels, buttons, window titles, Text
    widgets' lines, tree headings and cells, menu entries."""
    import tkinter as tk

    found = []
    if isinstance(root, (tk.Tk, tk.Toplevel)):
        found.append(root.title())
    for w in [root, *h.widgets(root)]:
        if not w.winfo_exists():
            continue
        cls = w.winfo_class()
        try:
            text = str(w.cget("text"))
        except tk.TclError:
            text = ""
        if text.strip():
            found.append(text)
        if cls == "Text":
            found.extend(line for line in w.get("1.0", "end").splitlines() if line.strip())
        elif cls == "Treeview":
            for column in ("#0", *w["columns"]):
                found.append(str(w.heading(column, "text")))
            for item in w.get_children(""):
                found.extend(str(v) for v in w.item(item, "values"))
        elif cls == "Menu":
            for i in range((w.index("end") or -1) + 1):
                try:
                    found.append(str(w.entrycget(i, "label")))
                except tk.TclError:
                    pass
    return [t for t in found if t.strip()]


def scenario_in_language(h, url: str):
    from thonnycontrib.esp32cam.frontend import doctor_dialog
    from thonnycontrib.esp32cam.frontend.classroom_dialog import TrayDialog
    from thonnycontrib.esp32cam.frontend.flash_dialog import FirmwareInstallerDialog, open_installer
    from thonnycontrib.esp32cam.frontend.registration import VIEW_ID, show_camera_view

    result = {"tools": _texts(h, h.wb.get_menu("tools"))}
    h.select_backend("ESP32CAM", port=url)
    h.wait_for_prompt(40)

    def install(dlg, seen):
        dlg.port_combo.set(url)
        dlg.update_ui()
        seen["before"] = _texts(h, dlg)
        dlg._ok_button.invoke()  # "Install", in the user's language
        yield lambda: dlg._state in ("idle", "done")
        seen["success"] = dlg.success
        yield h.is_at_prompt  # the installer reconnected the interpreter
        seen["after"] = _texts(h, dlg)
        dlg._cancel_button.invoke()
        yield lambda: True

    result["installer"] = h.drive_modal(FirmwareInstallerDialog, install, lambda: open_installer(h.wb), 200,
                                        close=lambda dlg: dlg.close())
    h.wait_for_prompt(40)
    result["shell_after_install"] = h.run_in_shell("import camera; print(camera.__name__, 'ok')")

    show_camera_view()
    view = h.wb.get_view(VIEW_ID)
    h.pump(0.3)
    view.controls.frame_size.set("QVGA")
    assert view.capture(), "the view refused to capture"
    h.wait_until(lambda: getattr(view, "last_frame_info", None) or getattr(view, "last_problem", None),
                 40, "a camera frame")
    h.pump(0.3)
    result["camera"] = {"frame": bool(getattr(view, "last_frame_info", None)), "texts": _texts(h, view)}

    doctor = doctor_dialog.open_doctor_dialog(url)
    h.wait_until(lambda: doctor.result is not None and not doctor.busy, 90, "the diagnosis")
    h.pump(0.3)
    result["doctor"] = {"code": doctor.result.code, "texts": _texts(h, doctor)}
    doctor.tray_button.invoke()
    tray = h.wait_until(lambda: getattr(doctor, "tray", None), 10, "the classroom tray")
    assert isinstance(tray, TrayDialog)
    tray.refresh()
    h.pump(0.3)
    tray.run_button.invoke()
    h.wait_until(lambda: tray.busy, 5, "the tray to start")
    h.wait_until(lambda: not tray.busy and tray.boards, 90, "the tray's diagnosis")
    h.pump(0.3)
    result["tray"] = _texts(h, tray)
    tray.close()
    h.pump(0.3)
    if doctor.winfo_exists():
        doctor.close()
    h.wait_for_prompt(40)
    result["workbench"] = _texts(h, h.wb)  # status bar, Shell (hints), views' headings
    return result


# ------------------------------------------------------------ parent side
def _words(text: str) -> set:
    return {w.lower() for w in re.findall("[A-Za-z]{3,}", text)}


def _english_patterns(language: str) -> list:
    """(regex, msgid) of every English catalog text that has a translation of its own."""
    po = i18n.LOCALE_DIR / language / "LC_MESSAGES" / f"{i18n.DOMAIN}.po"
    with po.open("rb") as f:
        catalog = read_po(f)
    patterns = []
    for entry in catalog:
        ids = entry.id if isinstance(entry.id, tuple) else (entry.id,)
        strings = entry.string if isinstance(entry.string, tuple) else (entry.string,)
        for msgid in ids:
            if not msgid or msgid in strings:
                continue
            pieces = list(string.Formatter().parse(msgid))
            english = _words("".join(lit for lit, _n, _s, _c in pieces))
            if not english or english <= _words(" ".join(s or "" for s in strings)):
                continue  # no English word of its own to see ("{size} MB PSRAM" reads the same)
            parts = [re.escape(lit) + (".+?" if name is not None else "") for lit, name, _s, _c in pieces]
            if len(pieces) == 1 and len(msgid.split()) >= 3:  # a sentence: found inside longer lines too
                patterns.append((re.compile(r"(?<![\w])" + "".join(parts) + r"(?![\w])"), msgid))
            else:
                patterns.append((re.compile("^" + "".join(parts) + "$"), msgid))
    return patterns


def _translations(language: str) -> set:
    po = i18n.LOCALE_DIR / language / "LC_MESSAGES" / f"{i18n.DOMAIN}.po"
    with po.open("rb") as f:
        catalog = read_po(f)
    words = set()
    for entry in catalog:
        strings = entry.string if isinstance(entry.string, tuple) else (entry.string,)
        for s in strings:
            # the literal parts of a translation are what a user sees of it
            words.update(lit.strip() for lit, _n, _s, _c in string.Formatter().parse(s or "")
                         if len(lit.strip()) >= 6)
    return words


@pytest.mark.parametrize("language, catalog", [("de_DE", "de"), ("es_ES", "es")])
def test_the_plugin_speaks_the_language_thonny_is_set_to(xdisplay, tmp_path, monkeypatch, language, catalog):
    image = synthetic_firmware("lemariva")
    user = tmp_path / "user"
    with FirmwareServer(tmp_path) as srv, VirtualBoard(wiring="direct", firmware=synthetic_firmware(None),
                                                       flash_timing="fast") as board:
        entry = build_entry("lang-lemariva", srv.put("/fw.bin", image), image)
        entry.update(title="MicroPython 1.21.0 with lemariva's camera driver", recommended=True,
                     info_url="https://github.com/lemariva/micropython-camera-driver", license="Apache-2.0")
        srv.put("/catalog.json", catalog_with([entry]))
        monkeypatch.setenv("SSL_CERT_FILE", str(srv.ca_file))
        refresh_catalog(srv.url("/catalog.json"), installer_dir(str(user)))
        path = os.pathsep.join([str(FASTCLIENT_DIR), str(REPO_ROOT), os.environ.get("PYTHONPATH", "")])
        env = {"SSL_CERT_FILE": str(srv.ca_file), "PYTHONPATH": path.rstrip(os.pathsep),
               "ESP32CAM_NETWORK_PORTS": board.url}
        result = run_scenario(scenario_in_language, user, ini={"general": {"language": language}},
                              env=env, timeout=380, url=board.url)
    assert result["installer"]["success"], result["installer"]["after"]
    assert "camera ok" in result["shell_after_install"]
    assert result["camera"]["frame"], result["camera"]["texts"]

    windows = {"Tools menu": result["tools"], "installer": result["installer"]["before"]
               + result["installer"]["after"], "camera view": result["camera"]["texts"],
               "doctor": result["doctor"]["texts"], "classroom tray": result["tray"],
               "Workbench": result["workbench"]}
    patterns = _english_patterns(catalog)
    translated = _translations(catalog)
    english, silent = {}, []
    for window, texts in windows.items():
        lines = [line.strip() for text in texts for line in text.splitlines() if line.strip()]
        found = sorted({msgid for line in lines for regex, msgid in patterns if regex.search(line)})
        if found:
            english[window] = found
        if not any(piece in line for line in lines for piece in translated):
            silent.append((window, lines[:20]))
    assert not english, f"English in a {language} Thonny: {english}"
    assert not silent, f"windows without a {language} text of the plug-in: {silent}"
