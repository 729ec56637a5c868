"""Real Thonny Workbench (under Xvfb) with the plug-in: registration, config page, persistence."""
from __future__ import annotations

import configparser

import pytest

from tests.thonny_harness import run_scenario

pytestmark = pytest.mark.thonny

NO_BOARD = {"run": {"backend_name": "ESP32CAM"}, "ESP32CAM": {"port": "auto"}}
NO_DEVICE_MESSAGES = ("Couldn't find the device automatically", "Port not defined")


# ------------------------------------------------------------ scenarios (child)
def scenario_registration(h):
    from thonny.plugins.backend_config_page import BackendConfigurationPage

    backends = h.wb.get_backends()
    ordered = [spec.name for spec in sorted(backends.values(), key=lambda s: s.sort_key)]
    dlg, _ = h.open_options("interpreter")
    top_page = [w for key, _t, w in dlg._page_records if key == "interpreter"][0]
    assert isinstance(top_page, BackendConfigurationPage)
    combo_values = list(top_page._combo.cget("values"))
    top_page._combo_variable.set("MicroPython (ESP32-CAM)")  # the user picks it
    h.pump(0.1)
    page = top_page._current_page
    restart = h.press_ok(dlg)
    # Thonny 4.1/5.0 look for the device ("auto"); the development head's back-end says
    # "Port not defined" (its bare_metal_backend.py) when no port is chosen
    h.wait_until(lambda: any(m in h.shell_text() for m in NO_DEVICE_MESSAGES), 10, "the no-device message")
    return {
        "description": backends["ESP32CAM"].description,
        "after_esp32": ordered[ordered.index("ESP32") + 1],
        "combo_after_esp32": combo_values[combo_values.index("MicroPython (ESP32)") + 1],
        "page_class": type(page).__name__,
        "restart": restart,
        "backend_name": h.wb.get_option("run.backend_name"),
        "dtr": h.wb.get_option("ESP32CAM.dtr"),
        "rts": h.wb.get_option("ESP32CAM.rts"),
        "proxy_class": backends["ESP32CAM"].proxy_class.__name__,
        "shell": h.shell_text(),
    }


def scenario_page_cancel_then_ok(h, url):
    dlg, page = h.open_options()
    first = page.get_line_values()
    page._lines.vars["dtr"].set("asserted")
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
    page._lines.vars["rts"].set("asserted")
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
    note = getattr(page._lines, "ignored_label", None)
    note_text = note.cget("text") if note is not None else ""
    restart = h.press_ok(dlg)
    return {"values": values, "port_text": port_text, "note": note_text, "restart": restart}


def scenario_page_texts_and_detected_ports(h):
    """What the user reads on the page, with a CH340 adapter plugged in."""
    import serial.tools.list_ports as list_ports
    from serial.tools.list_ports_common import ListPortInfo
    from thonny.plugins.micropython import mp_front

    adapter = ListPortInfo("/dev/ttyUSB7", skip_link_detection=True)
    adapter.vid, adapter.pid, adapter.description = 0x1A86, 0x7523, "USB2.0-Serial"
    list_ports.comports = lambda *args, **kwargs: [adapter]
    mp_front._PORTS_CACHE_TIME = 0
    dlg, page = h.open_options()
    texts = []

    def walk(widget):
        for child in widget.winfo_children():
            try:
                texts.append(str(child.cget("text")))
            except Exception:
                pass
            walk(child)

    walk(page)
    ports = list(page._port_combo["values"])
    h.press_cancel(dlg)
    return {"texts": texts, "ports": ports}


def scenario_bad_port(h):
    dlg, page = h.open_options()
    page._port_desc_variable.set("hello there")
    dlg._ok()
    h.pump(0.1)
    still_open = bool(dlg.winfo_exists())
    error = page._port_error_label.cget("text")
    h.press_cancel(dlg)
    return {"still_open": still_open, "error": error, "port": h.wb.get_option("ESP32CAM.port")}


def scenario_port_detection(h):
    from serial.tools.list_ports_common import ListPortInfo

    from thonnycontrib.esp32cam.frontend.proxy import Esp32CamProxy

    cases = {
        "ch340": (0x1A86, 0x7523, "USB2.0-Serial"),
        "ch341": (0x1A86, 0x5523, "USB2.0-Ser!"),
        "ch9102": (0x1A86, 0x55D4, "USB Single Serial"),
        "cp2102": (0x10C4, 0xEA60, "CP2102 USB to UART Bridge Controller"),
        "ft232": (0x0403, 0x6001, "FT232R USB UART"),
        "camera_in_description": (0x1234, 0x5678, "ESP32-CAM-MB"),
        "pico": (0x2E8A, 0x0005, "Board in FS mode"),
        "unknown": (0x1234, 0x0001, "Some gadget"),
    }
    result = {}
    for name, (vid, pid, description) in cases.items():
        port = ListPortInfo(f"/dev/tty{name}", skip_link_detection=True)
        port.vid, port.pid, port.description = vid, pid, description
        result[name] = bool(Esp32CamProxy._is_potential_port(port))
    return result


def _installer_links(page):
    found = []

    def walk(widget):
        for child in widget.winfo_children():
            try:
                if "Install or update" in str(child.cget("text")):
                    found.append(child)
            except Exception:
                pass
            walk(child)

    walk(page)
    return found


def scenario_installer_hook(h):
    from thonnycontrib.esp32cam.frontend import config_page

    config_page._firmware_installer = None
    dlg, page = h.open_options()
    without = len(_installer_links(page))
    h.press_cancel(dlg)

    opened = []
    config_page.set_firmware_installer(lambda master: opened.append(master.winfo_toplevel() is master))
    dlg, page = h.open_options()
    links = _installer_links(page)
    texts = [link.cget("text") for link in links]
    links[0].event_generate("<Button-1>")
    h.pump(0.2)
    h.press_cancel(dlg)
    return {"without": without, "texts": texts, "opened": opened}


def scenario_menu_entries(h):
    """The plug-in's entries in Thonny's menus; the View entry creates the camera view on demand."""
    import sys

    def labels(menu_name):
        menu = h.wb.get_menu(menu_name)
        return {menu.entrycget(i, "label"): i for i in range(menu.index("end") + 1)
                if menu.type(i) in ("command", "checkbutton")}

    result = {name: sorted(labels(name)) for name in ("tools", "view", "edit")}
    result["view_loaded_before"] = "thonnycontrib.esp32cam.frontend.camera_view" in sys.modules
    view_menu = h.wb.get_menu("view")
    view_menu.invoke(labels("view")["ESP32-CAM camera"])  # the user ticks View → ESP32-CAM camera
    h.pump(0.3)
    from thonnycontrib.esp32cam.frontend.camera_view import Esp32CamCameraView
    from thonnycontrib.esp32cam.frontend.registration import VIEW_ID

    view = h.wb.get_view(VIEW_ID, create=False)
    result["view_class"] = type(view).__name__
    result["view_shown"] = isinstance(view, Esp32CamCameraView) and bool(view.winfo_ismapped())
    return result


def scenario_loaded_modules(h):
    import sys

    return sorted(sys.modules)


# ------------------------------------------------------------ tests (parent)
def test_backend_registered_after_esp32_with_lines_released(xdisplay, tmp_path):
    result = run_scenario(scenario_registration, tmp_path / "user", ini={"run": {"backend_name": "ESP8266"}})
    assert result["description"] == "MicroPython (ESP32-CAM)"
    assert result["after_esp32"] == "ESP32CAM"
    assert result["combo_after_esp32"] == "MicroPython (ESP32-CAM)"
    assert result["page_class"] == "Esp32CamConfigPage"
    assert result["restart"] is True and result["backend_name"] == "ESP32CAM"
    assert result["dtr"] is False and result["rts"] is False
    assert result["proxy_class"] == "Esp32CamProxy"
    assert any(m in result["shell"] for m in NO_DEVICE_MESSAGES)


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


def test_port_detection_covers_esp32_cam_adapters(xdisplay, tmp_path):
    result = run_scenario(scenario_port_detection, tmp_path / "user", ini=NO_BOARD)
    assert result == {"ch340": True, "ch341": True, "ch9102": True, "cp2102": True, "ft232": True,
                      "camera_in_description": True, "pico": False, "unknown": False}


def test_firmware_installer_link_only_when_an_installer_is_registered(xdisplay, tmp_path):
    result = run_scenario(scenario_installer_hook, tmp_path / "user", ini=NO_BOARD)
    assert result["without"] == 0
    assert result["texts"] == ["Install or update (camera firmware)"]
    assert result["opened"] == [True]


def test_load_plugin_defers_heavy_imports(xdisplay, tmp_path):
    """With another interpreter selected, the plug-in costs Thonny no heavy imports."""
    modules = run_scenario(scenario_loaded_modules, tmp_path / "user",
                           ini={"run": {"backend_name": "LocalCPython"}})
    assert "thonnycontrib.esp32cam.frontend.proxy" in modules  # registered
    heavy = [m for m in modules if m.split(".")[0] in ("esptool", "PIL", "serial")
             or m.startswith("thonnycontrib.esp32cam.backend")]
    assert heavy == []
    # features are registered by name only: their modules load when first used
    features = ["camera_view", "camera_templates", "shell_hints", "flash_dialog", "doctor_dialog"]
    loaded = [f for f in features if "thonnycontrib.esp32cam.frontend." + f in modules]
    assert loaded == []
    assert "thonnycontrib.esp32cam.frontend.registration" in modules


def test_menu_entries_and_camera_view_from_the_view_menu(xdisplay, tmp_path):
    r = run_scenario(scenario_menu_entries, tmp_path / "user", ini={"run": {"backend_name": "ESP32CAM"}})
    for label in ["Install MicroPython for ESP32-CAM…", "Diagnose ESP32-CAM connection…", "ESP32-CAM camera"]:
        assert label in r["tools"], r["tools"]
    assert "ESP32-CAM camera" in r["view"]
    templates = [label for label in r["edit"] if label.startswith("ESP32-CAM template: ")]
    assert sorted(templates) == sorted("ESP32-CAM template: " + t for t in [
        "Take a photo and save it to flash", "Stream JPEG frames over WiFi (MJPEG in a browser)",
        "Motion detection by frame difference", "Flash LED"])
    assert r["view_loaded_before"] is False  # the view's module loads when the view is opened
    # the view Thonny opens is the camera view that also streams over Wi-Fi (camera_wifi.py)
    assert r["view_class"] == "WifiCameraView" and r["view_shown"]


def test_page_shows_lines_with_their_meaning_and_the_detected_adapter(xdisplay, tmp_path):
    r = run_scenario(scenario_page_texts_and_detected_ports, tmp_path / "user", ini=NO_BOARD)
    texts = "\n".join(r["texts"])
    assert "DTR (drives IO0 / BOOT)" in texts and "RTS (drives EN / RESET)" in texts
    assert texts.count("— recommended for ESP32-CAM") == 2  # both lines: released is the recommendation
    assert "Shell stays black" in texts  # the one-line explanation of why
    assert "rfc2217://" in texts  # network ports can be typed
    assert any("/dev/ttyUSB7" in p for p in r["ports"]), r["ports"]
