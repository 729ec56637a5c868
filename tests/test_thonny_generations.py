"""The front-end on each Thonny generation (4.1, 5.0, the development head), in a
real Workbench: settings written at OK, Thonny's own DTR/RTS choice agreeing with
the plug-in's page, and a Thonny whose internals moved again."""
from __future__ import annotations

import configparser
import os
import textwrap
from pathlib import Path

import pytest

from tests.thonny_harness import REPO_ROOT, run_scenario

pytestmark = pytest.mark.thonny

NO_BOARD = {"run": {"backend_name": "ESP32CAM"}, "ESP32CAM": {"port": "auto"}}


def _is_dev_head() -> bool:
    from thonnycontrib.esp32cam import thonny_compat

    return thonny_compat.generation() == thonny_compat.MINNY


def _ini(user: Path) -> configparser.ConfigParser:
    ini = configparser.ConfigParser(interpolation=None)
    ini.read(user / "configuration.ini", encoding="utf-8")
    return ini


# ------------------------------------------------------------ settings survive a kill
def scenario_ok_then_killed(h):
    from thonnycontrib.esp32cam.core.fastlink import SPEED_CHOICES

    dlg, page = h.open_options()
    page._speed.var.set(dict(SPEED_CHOICES)["115200"])  # the user picks "115200 baud only"
    page._lines.vars["rts"].set("asserted")
    h.pump(0.1)
    dlg._ok()  # OK (the back-end restart it asks for does not matter here)
    h.pump(0.2)
    h.kill()


def test_ok_writes_the_settings_to_configuration_ini_at_once(xdisplay, tmp_path):
    """A school laptop switched off right after OK keeps what OK set (Thonny itself
    saves configuration.ini only when it exits normally)."""
    user = tmp_path / "user"
    run_scenario(scenario_ok_then_killed, user, ini=NO_BOARD, killed=True)
    section = _ini(user)["ESP32CAM"]
    assert section.get("serial_speed") == "115200", dict(section)
    assert section.get("rts") == "True" and section.get("dtr") == "False", dict(section)


# ------------------------------------------------------------ Thonny's own DTR/RTS choice
def scenario_both_lines_choices(h):
    dlg, page = h.open_options()
    box = page.thonny_line_choice() if hasattr(page, "thonny_line_choice") else None
    result = {"has_box": box is not None, "page_first": page.get_line_values()}
    if box is None:
        h.press_cancel(dlg)
        return result
    result["box_first"] = list(box.get_selected_value())
    # the user picks "True / True" in Thonny's own box (Advanced tab)
    desc = next(d for d, v in box.mapping.items() if v == (True, True))
    box.set(desc)
    box.event_generate("<<ComboboxSelected>>")
    h.pump(0.1)
    result["page_after_box"] = page.get_line_values()
    # ...then releases DTR on the ESP32-CAM choice
    page._lines.vars["dtr"].set("released")
    h.pump(0.1)
    result["box_after_page"] = list(box.get_selected_value())
    dlg._ok()
    h.pump(0.2)
    result["options"] = [h.wb.get_option("ESP32CAM.dtr"), h.wb.get_option("ESP32CAM.rts")]
    dlg, page = h.open_options()
    result["reopened"] = {"page": page.get_line_values(), "box": list(page.thonny_line_choice().get_selected_value())}
    h.press_cancel(dlg)
    return result


def test_thonny_own_lines_choice_and_the_page_show_one_value(xdisplay, tmp_path):
    r = run_scenario(scenario_both_lines_choices, tmp_path / "user", ini=NO_BOARD)
    assert r["page_first"] == {"dtr": False, "rts": False}  # the ESP32-CAM default stays released
    if not _is_dev_head():
        assert r["has_box"] is False  # Thonny 4.1/5.0 have no DTR/RTS choice of their own
        return
    assert r["has_box"] is True
    assert r["box_first"] == [False, False]  # Thonny's box shows the same default
    assert r["page_after_box"] == {"dtr": True, "rts": True}
    assert r["box_after_page"] == [False, True]
    assert r["options"] == [False, True]
    assert r["reopened"] == {"page": {"dtr": False, "rts": True}, "box": [False, True]}


# ------------------------------------------------------------ a Thonny that moved again
HIDER = '''
"""Test aid: this Thonny "moved" some modules again (they cannot be imported)."""
import importlib.abc
import os
import sys

HIDDEN = set(os.environ["ESP32CAM_TEST_HIDE"].split(","))


class _Hide(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path=None, target=None):
        if name in HIDDEN:
            raise ModuleNotFoundError(f"No module named {name!r}", name=name)
        return None


sys.meta_path.insert(0, _Hide())
'''


def scenario_unknown_thonny(h):
    from thonny import get_runner

    h.wait_until(lambda: "thonny-esp32cam" in h.shell_text(), 10, "the plug-in's line in the Shell")
    h.wait_for_prompt(30)
    out = h.run_in_shell("print(6 * 7)")  # Thonny's own Python interpreter is unharmed
    backends = sorted(h.wb.get_backends())
    return {"shell": h.shell_text(), "out": out, "backends": backends,
            "runner_ok": get_runner() is not None, "messages": h.messages}


def test_unknown_thonny_gets_one_line_in_shell_and_log_and_no_dialog(xdisplay, tmp_path):
    """The MicroPython connection classes moved again (hidden on every generation: they
    are where 4.1/5.0 and the development head keep them)."""
    hidden = "thonny.plugins.micropython.connection,minny.connection"
    needs = "MicroPython connection classes"
    hider = tmp_path / "hider"
    hider.mkdir()
    (hider / "sitecustomize.py").write_text(textwrap.dedent(HIDER))
    user = tmp_path / "user"
    env = {"ESP32CAM_TEST_HIDE": hidden,
           "PYTHONPATH": os.pathsep.join([str(hider), str(REPO_ROOT), os.environ.get("PYTHONPATH", "")]).rstrip(os.pathsep)}
    r = run_scenario(scenario_unknown_thonny, user, env=env, ini={"run": {"backend_name": "LocalCPython"}})
    # run_scenario fails on any Thonny error report (report_exception) or message box
    lines = [line for line in r["shell"].splitlines() if "thonny-esp32cam" in line]
    assert len(lines) == 1, r["shell"]
    assert "does not support this Thonny" in lines[0] and needs in lines[0], lines[0]
    assert "42" in r["out"]
    assert "ESP32CAM" not in r["backends"] and "LocalCPython" in r["backends"]
    log = (user / "frontend.log").read_text(errors="replace")
    assert log.count(lines[0].strip()) == 1
    assert "Failed loading plugin 'thonnycontrib.esp32cam'" not in log  # no traceback: the plug-in said why
    assert r["messages"] == []  # no message box


# ------------------------------------------------------------ the interpreter switcher
def scenario_switcher(h, url):
    import ast

    h.wb.set_option("ESP32CAM.last_configurations",
                    [{"run.backend_name": "ESP32CAM", "ESP32CAM.port": url}])
    h.wb._post_backend_menu()  # the ☰ menu at the bottom right corner of Thonny's window
    h.pump(0.2)
    menu = h.wb._backend_menu
    entries = []
    for i in range(menu.index("end") + 1):
        if menu.type(i) == "radiobutton":
            entries.append([menu.entrycget(i, "label"), menu.entrycget(i, "value")])
    menu.unpost()
    # the entry's value: repr(conf) on 4.1/5.0, repr((conf, machine id)) on the dev head
    ours = [(label, ast.literal_eval(value)) for label, value in entries if "ESP32-CAM" in label]
    return {"labels": [label for label, _ in entries],
            "ours": [[label, value[0] if isinstance(value, tuple) else value] for label, value in ours]}


def test_interpreter_switcher_offers_a_remembered_network_port(xdisplay, tmp_path):
    url = "rfc2217://192.168.1.20:4000"
    r = run_scenario(scenario_switcher, tmp_path / "user", ini={"run": {"backend_name": "LocalCPython"}}, url=url)
    assert r["ours"], r["labels"]
    label, conf = r["ours"][0]
    assert label == "MicroPython (ESP32-CAM)  •  Network serial (RFC 2217) @ 192.168.1.20:4000", label
    assert conf == {"run.backend_name": "ESP32CAM", "ESP32CAM.port": url}


# ------------------------------------------------------------ a typed network port stays
def scenario_typed_port_survives_refresh(h, url):
    dlg, page = h.open_options()
    var = page.port_text_variable()
    var.set(url[:12])  # the user is still typing
    h.pump(1.2)  # Thonny refreshes its port list meanwhile (every 500 ms on the dev head)
    partial = var.get()
    var.set(url)
    h.pump(1.2)
    full = var.get()
    dlg._ok()
    h.pump(0.2)
    return {"partial": partial, "full": full, "port": h.wb.get_option("ESP32CAM.port"),
            "closed": not dlg.winfo_exists()}


def test_typed_network_port_survives_thonny_port_refresh(xdisplay, tmp_path):
    url = "rfc2217://192.168.1.20:4000"
    user = tmp_path / "user"
    r = run_scenario(scenario_typed_port_survives_refresh, user, ini=NO_BOARD, url=url)
    assert r == {"partial": url[:12], "full": url, "port": url, "closed": True}
    assert _ini(user)["ESP32CAM"]["port"] == url  # written at OK
