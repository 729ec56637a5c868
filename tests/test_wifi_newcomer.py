"""Issue 23's "done when": on the virtual board a newcomer goes from a blank board to a Live
Wi-Fi camera view in Thonny without writing code — Tools → Install MicroPython for
ESP32-CAM…, Install, *Set up Wi-Fi…* on its last page, pick the network, type the password,
Join; then View → ESP32-CAM camera, Live. Real Workbench, real back-end, real esptool."""
from __future__ import annotations

import pytest

from tests.firmware_server import FirmwareServer, build_entry
from tests.test_flash_dialog import _env, _press_install, _publish
from tests.thonny_harness import run_scenario
from tests.virtualboard import VirtualBoard, synthetic_firmware

pytestmark = [pytest.mark.thonny, pytest.mark.esptool, pytest.mark.timeout(400)]

PASSWORD = "classroom-2024"


def scenario_newcomer(h, url: str, password: str):
    from thonnycontrib.esp32cam.frontend.flash_dialog import FirmwareInstallerDialog, open_installer
    from thonnycontrib.esp32cam.frontend.wifi_dialog import WifiDialog

    def script(dlg, result):
        dlg.port_combo.set(url)
        yield _press_install(dlg)
        result["installed"] = dlg.success
        yield h.is_at_prompt  # the installer connected the ESP32-CAM interpreter
        dlg.wifi_button.invoke()  # "Set up Wi-Fi…"
        yield lambda: any(isinstance(w, WifiDialog) for w in h.widgets(dlg))
        wifi = next(w for w in h.widgets(dlg) if isinstance(w, WifiDialog))
        yield lambda: wifi.networks
        wifi.tree.selection_set("school")
        yield lambda: wifi.ssid_var.get() == "school"
        wifi.password_var.set(password)
        wifi.join_button.invoke()
        yield lambda: wifi.result is not None
        result["joined"] = wifi.status_var.get()
        wifi.close()
        dlg._cancel_button.invoke()  # "Close"
        yield lambda: True

    result = h.drive_modal(FirmwareInstallerDialog, script, lambda: open_installer(h.wb), 300,
                           close=lambda dlg: dlg.close(), details=lambda dlg: getattr(dlg, "stdout", ""))
    view = h.camera_view()
    h.set_live(view, True, "VGA")
    h.wait_until(lambda: view.over_wifi and (getattr(view, "last_frame_info", None) or {}).get("fps"), 40, "Live over Wi-Fi")
    result.update(status=view.status_label.cget("text"), frame=view.last_frame_info)
    h.set_live(view, False)
    return result


def test_from_a_blank_board_to_live_over_wifi_without_code(xdisplay, tmp_path, monkeypatch):
    image = synthetic_firmware("lemariva")
    user = tmp_path / "user"
    with FirmwareServer(tmp_path) as srv, VirtualBoard(wiring="direct", erase_flash=True, firmware=None,
                                                       wifi={"school": PASSWORD}, wifi_lan="loopback") as board:
        entry = build_entry("test-lemariva", srv.put("/fw.bin", image), image)
        entry.update(recommended=True)
        _publish(srv, user, monkeypatch, [entry])
        r = run_scenario(scenario_newcomer, user, env=_env(srv), timeout=380, url=board.url, password=PASSWORD)
        ip = board.wifi.ip
    assert r["installed"]
    assert r["joined"].startswith("✓ Joined school.") and "every boot" in r["joined"], r["joined"]
    assert "Live over Wi-Fi from %s:8081" % ip in r["status"], r["status"]
    assert tuple(r["frame"]["size"]) == (640, 480)
