"""Tools → "ESP32-CAM Wi-Fi…" in a real Thonny Workbench with its real back-end process,
on a virtual board with access points (issue 23, item 1)."""
from __future__ import annotations

import pytest

from tests.thonny_harness import run_scenario
from tests.virtualboard import VirtualBoard, synthetic_firmware

V127 = "MicroPython v1.27.0 on 2026-01-12; Generic ESP32 module with SPIRAM with ESP32"
PASSWORD = "classroom-2024"
pytestmark = pytest.mark.thonny


def scenario_wifi_dialog(h, url: str):
    import os

    from thonnycontrib.esp32cam import thonny_compat
    from thonnycontrib.esp32cam.frontend.wifi_dialog import WifiDialog

    h.select_backend("ESP32CAM", port=url)
    h.wait_for_prompt(40)
    menu = h.wb.get_menu("tools")
    labels = {menu.entrycget(i, "label"): i for i in range(menu.index("end") + 1)
              if menu.type(i) == "command"}
    h.wb.update_idletasks()
    menu.invoke(labels["ESP32-CAM Wi-Fi…"])
    dlg = h.wait_until(lambda: next((w for w in h.widgets() if isinstance(w, WifiDialog)), None), 10, "the dialog")
    h.wait_until(lambda: dlg.networks, 30, "the scan")
    result = {"listed": [dlg.tree.item(i, "text") for i in dlg.tree.get_children()],
              "signal": dlg.tree.item("school", "values")[0]}
    # a wrong password first: its message, nothing kept
    dlg.tree.selection_set("school")
    h.pump(0.1)
    result["ssid_picked"] = dlg.ssid_var.get()
    dlg.password_var.set("not-the-password")
    dlg.join_button.invoke()
    h.wait_until(lambda: dlg.result is not None, 60, "the wrong-password answer")
    result["wrong"] = dlg.status_var.get()
    dlg.result = None
    dlg.password_var.set(PASSWORD)
    dlg.event_generate("<Return>")  # Enter joins
    h.wait_until(lambda: dlg.result is not None, 60, "the join")
    result["joined"] = dlg.status_var.get()
    result["password_cleared"] = dlg.password_var.get() == ""
    # no password file left behind in Thonny's user folder
    result["leftovers"] = [n for n in os.listdir(thonny_compat.user_dir()) if n.startswith(".esp32cam-wifi-")]
    dlg.event_generate("<Escape>")
    h.pump(0.2)
    result["closed"] = not any(isinstance(w, WifiDialog) for w in h.widgets())
    # the Shell still works, and the board kept the network
    result["kept"] = h.run_in_shell("import os; print('esp32cam_wifi.json' in os.listdir('/'))")
    return result


@pytest.mark.timeout(300)
def test_the_wifi_dialog_scans_joins_and_keeps_the_password_out_of_thonny(xdisplay, tmp_path):
    board = VirtualBoard(firmware=synthetic_firmware("lemariva", banner=V127),
                         wifi={"school": PASSWORD, "guest": "", "lab5": {"password": "x" * 10, "band": "5GHz"}})
    with board:
        r = run_scenario(scenario_wifi_dialog, tmp_path / "user", url=board.url, timeout=240)
        ip = board.wifi.ip
    assert sorted(r["listed"]) == ["guest", "school"]  # 5 GHz never listed
    assert r["signal"] == "-60 dBm, good" and r["ssid_picked"] == "school"
    assert "did not accept the password" in r["wrong"] and r["wrong"].startswith("✗")
    assert r["joined"].startswith("✓ Joined school.") and "IP address: %s" % ip in r["joined"]
    assert "every boot" in r["joined"] and r["password_cleared"]
    assert r["leftovers"] == [] and r["closed"]
    assert "True" in r["kept"]
    logs = "".join(p.read_text(errors="replace") for p in (tmp_path / "user").glob("*.log"))
    assert PASSWORD not in logs and "not-the-password" not in logs
    ini = (tmp_path / "user" / "configuration.ini").read_text()
    assert PASSWORD not in ini
