"""Real Thonny Workbench (under Xvfb) with the plug-in: registration, config page, persistence."""
from __future__ import annotations

import configparser

import pytest

from tests.thonny_harness import run_scenario

pytestmark = pytest.mark.thonny

NO_BOARD = {"run": {"backend_name": "ESP32CAM"}, "ESP32CAM": {"port": "auto"}}


# ------------------------------------------------------------ scenarios (child)
def scenario_registration(h):
    from thonny.plugins.backend_config_page import BackendConfigurationPage

    h.wait_until(lambda: "Couldn't find the device" in h.shell_text(), 10, "the no-device message")
    backends = h.wb.get_backends()
    ordered = [spec.name for spec in sorted(backends.values(), key=lambda s: s.sort_key)]
    dlg, _ = h.open_options("interpreter")
    top_page = [w for key, _t, w in dlg._page_records if key == "interpreter"][0]
    assert isinstance(top_page, BackendConfigurationPage)
    combo_values = list(top_page._combo.cget("values"))
    page = top_page._current_page
    h.press_cancel(dlg)
    return {
        "description": backends["ESP32CAM"].description,
        "after_esp32": ordered[ordered.index("ESP32") + 1],
        "combo_after_esp32": combo_values[combo_values.index("MicroPython (ESP32)") + 1],
        "page_class": type(page).__name__,
        "dtr": h.wb.get_option("ESP32CAM.dtr"),
        "rts": h.wb.get_option("ESP32CAM.rts"),
        "proxy_class": backends["ESP32CAM"].proxy_class.__name__,
        "shell": h.shell_text(),
    }


def scenario_page_cancel_then_ok(h, url):
    dlg, page = h.open_options()
    first = page.get_line_values()
    page._line_vars["dtr"].set("asserted")
    page._port_desc_variable.set(url)
    h.wb.get_variable("ESP32CAM.interrupt_on_connect").set(False)  # as its checkbox would
    h.press_cancel(dlg)
    after_cancel = {
        "dtr": h.wb.get_option("ESP32CAM.dtr"),
        "port": h.wb.get_option("ESP32CAM.port"),
        "interrupt_on_connect": h.wb.get_option("ESP32CAM.interrupt_on_connect"),
    }

    dlg, page = h.open_options()
    reopened = page.get_line_values()
    page._line_vars["rts"].set("asserted")
    page._port_desc_variable.set(url)
    restart = h.press_ok(dlg)
    return {
        "first": first,
        "after_cancel": after_cancel,
        "reopened": reopened,
        "restart": restart,
        "after_ok": {
            "dtr": h.wb.get_option("ESP32CAM.dtr"),
            "rts": h.wb.get_option("ESP32CAM.rts"),
            "port": h.wb.get_option("ESP32CAM.port"),
        },
    }


def scenario_read_page(h):
    dlg, page = h.open_options()
    values = page.get_line_values()
    port_text = page._port_desc_variable.get()
    note = getattr(page, "_ignored_label", None)
    note_text = note.cget("text") if note is not None else ""
    restart = h.press_ok(dlg)
    return {"values": values, "port_text": port_text, "note": note_text, "restart": restart}


def scenario_bad_port(h):
    dlg, page = h.open_options()
    page._port_desc_variable.set("hello there")
    dlg._ok()
    h.pump(0.1)
    still_open = bool(dlg.winfo_exists())
    error = page._port_error_label.cget("text")
    h.press_cancel(dlg)
    return {"still_open": still_open, "error": error, "port": h.wb.get_option("ESP32CAM.port")}


# ------------------------------------------------------------ tests (parent)
def test_backend_registered_after_esp32_with_lines_released(xdisplay, tmp_path):
    result = run_scenario(scenario_registration, tmp_path / "user", ini=NO_BOARD)
    assert result["description"] == "MicroPython (ESP32-CAM)"
    assert result["after_esp32"] == "ESP32CAM"
    assert result["combo_after_esp32"] == "MicroPython (ESP32-CAM)"
    assert result["page_class"] == "Esp32CamConfigPage"
    assert result["dtr"] is False and result["rts"] is False
    assert result["proxy_class"] == "Esp32CamProxy"
    assert "Couldn't find the device automatically" in result["shell"]


def test_page_cancel_reverts_ok_persists_across_restart(xdisplay, tmp_path):
    user = tmp_path / "user"
    url = "rfc2217://127.0.0.1:4000"
    result = run_scenario(scenario_page_cancel_then_ok, user, ini=NO_BOARD, url=url)
    assert result["first"] == {"dtr": False, "rts": False}
    assert result["after_cancel"] == {"dtr": False, "port": "auto", "interrupt_on_connect": True}
    assert result["reopened"] == {"dtr": False, "rts": False}
    assert result["restart"] is True
    assert result["after_ok"] == {"dtr": False, "rts": True, "port": url}

    ini = configparser.ConfigParser(interpolation=None)
    ini.read(user / "configuration.ini")
    assert ini["ESP32CAM"]["rts"] == "True" and ini["ESP32CAM"]["port"] == url

    # a new Workbench (Thonny restarted) shows the saved values
    again = run_scenario(scenario_read_page, user)
    assert again["values"] == {"dtr": False, "rts": True}
    assert again["port_text"] == url
    assert again["restart"] is False


@pytest.mark.parametrize("dtr_raw, rts_raw, expected", [
    ("false", "maybe", {"dtr": False, "rts": False}),
    ("", "yes", {"dtr": False, "rts": True}),
])
def test_garbage_ini_values_show_effective_value_and_are_logged(xdisplay, tmp_path, dtr_raw, rts_raw, expected):
    user = tmp_path / "user"
    ini = {"run": {"backend_name": "ESP32CAM"}, "ESP32CAM": {"port": "auto", "dtr": dtr_raw, "rts": rts_raw}}
    result = run_scenario(scenario_read_page, user, ini=ini)
    assert result["values"] == expected
    assert "configuration.ini" in result["note"] and repr(rts_raw) in result["note"]
    log = (user / "frontend.log").read_text()
    assert repr(rts_raw) in log and "[ESP32CAM]" in log
    # OK wrote real booleans over the garbage
    saved = configparser.ConfigParser(interpolation=None)
    saved.read(user / "configuration.ini")
    assert saved["ESP32CAM"]["dtr"] == str(expected["dtr"])
    assert saved["ESP32CAM"]["rts"] == str(expected["rts"])


def test_port_field_rejects_text_that_is_no_port(xdisplay, tmp_path):
    result = run_scenario(scenario_bad_port, tmp_path / "user", ini=NO_BOARD)
    assert result["still_open"] is True
    assert "neither a serial device" in result["error"]
    assert result["port"] == "auto"
