"""Several boards from Thonny (real Workbench under Xvfb, real esptool subprocesses):
the installer's "All boards…" installs the chosen catalog build on every checked
board at once, offline from the firmware mirror; the doctor's "All boards…"
lists every detected board with its diagnosis and MAC.

The boards run in the test process and are "detected" through
$ESP32CAM_NETWORK_PORTS, as a classroom's network serial ports are.
"""
from __future__ import annotations

import os

import pytest

from tests.firmware_server import FirmwareServer, build_entry, catalog_with
from tests.thonny_harness import REPO_ROOT, run_scenario
from tests.virtualboard import VirtualBoard, synthetic_firmware
from tests.virtualboard.testing import FASTCLIENT_DIR
from thonnycontrib.esp32cam.core.catalog import refresh_catalog
from thonnycontrib.esp32cam.core.download import installer_dir

pytestmark = [pytest.mark.thonny, pytest.mark.esptool]

MACS = {"healthy": "24:0a:c4:7e:a0:01", "blank": "24:0a:c4:7e:a0:02", "no_reset": "24:0a:c4:7e:a0:03"}


def _drive(h, opener, script, timeout: float):
    """Run ``opener`` (it shows the tray modally) while ``script(tray, result)`` drives
    the tray: a generator yielding conditions to wait for."""
    from thonnycontrib.esp32cam.frontend.classroom_dialog import TrayDialog

    return h.drive_modal(TrayDialog, script, opener, timeout)


def _rows(tray):
    return {port: tray.table.row(port) for port in tray.table.tree.get_children()}


def scenario_tray(h, urls: dict, mirror: str, build_id: str):
    from thonnycontrib.esp32cam.frontend import doctor_dialog
    from thonnycontrib.esp32cam.frontend.flash_dialog import FirmwareInstallerDialog

    h.select_backend("ESP32CAM", port=urls["healthy"])  # Thonny holds one of the boards
    h.wait_for_prompt(30)
    installer = FirmwareInstallerDialog(h.wb)
    installer.set_mirror(mirror)  # no internet: the catalog's URL is gone, the mirror has the image
    build = next(b for b in installer.build_combo.mapping.values() if b.id == build_id)
    installer.build_combo.select_value(build)
    installer._on_build_selected()

    def install(tray, result):
        result["detected"] = _rows(tray)
        tray.table.toggle(urls["no_reset"])  # the user leaves one board out, then takes it back
        result["run_text_3_minus_1"] = tray.run_button.cget("text")
        tray.table.toggle(urls["no_reset"])
        result["run_text"] = tray.run_button.cget("text")
        tray.run_button.invoke()
        yield lambda: tray.busy
        result["disconnected"] = h.backend_let_go()
        seen = set()
        yield lambda: seen.update(r["status"] for r in _rows(tray).values()) or not tray.busy
        result["statuses"] = sorted(seen)
        result["after"] = _rows(tray)
        result["summary"] = tray.status_var.get()
        result["detail"] = tray.table.detail_text.get("1.0", "end").strip()
        result["boards"] = {b.port: b.to_json() for b in tray.boards}
        tray.close()
        yield lambda: True

    result = {"install": _drive(h, installer.tray_button.invoke, install, timeout=150)}
    h.wait_for_prompt(30)  # closing the tray gave Thonny its board back
    result["shell"] = h.run_in_shell("import camera; print(camera.__name__, 'ok')")

    doctor = doctor_dialog.open_doctor_dialog(urls["healthy"])
    h.wait_until(lambda: doctor.result is not None and not doctor.busy, 60, "the single diagnosis")
    doctor.tray_button.invoke()
    tray = doctor.tray
    h.pump(0.2)
    from thonnycontrib.esp32cam.frontend import classroom_dialog

    classroom_dialog.KNOWN_MACS.clear()  # a new session: nobody has said who they are yet
    tray.refresh()
    result["unknown"] = {p: row["mac"] for p, row in _rows(tray).items()}
    tray.identify_button.invoke()  # each checked board's MAC from its ROM
    h.wait_until(lambda: tray.busy, 5, "identify to start")
    h.wait_until(lambda: not tray.busy, 90, "every board identified")
    h.pump(0.2)
    result["identified"] = {p: (row["mac"], row["result"]) for p, row in _rows(tray).items()}
    tray.run_button.invoke()
    h.wait_until(lambda: tray.busy, 5, "the tray to start")
    h.wait_until(lambda: not tray.busy and tray.boards, 90, "every diagnosis")
    h.pump(0.3)
    result["doctor"] = {"rows": _rows(tray), "summary": tray.status_var.get(),
                        "heading": tray.table.tree.heading("result", "text"),
                        "detail": tray.table.detail_text.get("1.0", "end").strip()}
    tray.close()
    h.wait_for_prompt(30)
    return result


def test_thonny_installs_on_all_boards_offline_then_diagnoses_them(xdisplay, tmp_path, monkeypatch):
    image = synthetic_firmware("lemariva")
    mirror = tmp_path / "mirror"
    mirror.mkdir()
    user = tmp_path / "user"
    boards = {"healthy": VirtualBoard(wiring="classic", firmware=synthetic_firmware("kaki5"), mac=MACS["healthy"],
                                      flash_timing="fast", en_delay=0.02),
              "blank": VirtualBoard(wiring="classic", erase_flash=True, mac=MACS["blank"], flash_timing="fast",
                                    en_delay=0.02),
              "no_reset": VirtualBoard(wiring="none", erase_flash=True, mac=MACS["no_reset"],
                                       flash_timing="fast", en_delay=0.02)}
    try:
        with FirmwareServer(tmp_path) as srv:  # the catalog came from the internet earlier ...
            entry = build_entry("class-lemariva", srv.put("/fw.bin", image), image)
            srv.put("/catalog.json", catalog_with([entry]))
            monkeypatch.setenv("SSL_CERT_FILE", str(srv.ca_file))
            refresh_catalog(srv.url("/catalog.json"), installer_dir(str(user)))
        (mirror / f"{entry['sha256']}.bin").write_bytes(image)  # ... the image is on the class share
        urls = {name: b.url for name, b in boards.items()}
        path = os.pathsep.join([str(FASTCLIENT_DIR), str(REPO_ROOT), os.environ.get("PYTHONPATH", "")])
        env = {"PYTHONPATH": path.rstrip(os.pathsep), "ESP32CAM_NETWORK_PORTS": " ".join(urls.values())}
        r = run_scenario(scenario_tray, user, env=env, timeout=240, urls=urls, mirror=str(mirror),
                         build_id="class-lemariva")
        written = {name: b.flash.read(0x1000, len(image)) == image for name, b in boards.items()}
    finally:
        for board in boards.values():
            board.close()
    by_port = {url: name for name, url in urls.items()}
    install = r["install"]
    assert sorted(by_port[p] for p in install["detected"]) == sorted(MACS)
    assert all(row["use"] == "☑" for row in install["detected"].values())
    assert (install["run_text_3_minus_1"], install["run_text"]) == ("Install on 2 boards", "Install on 3 boards")
    assert install["disconnected"], "Thonny's back-end still held a board during the install"
    assert {s.split(" ")[0] for s in install["statuses"]} >= {"waiting", "connecting", "writing"}
    after = {by_port[p]: row for p, row in install["after"].items()}
    # a board without auto-reset never reached its ROM: it cannot tell its MAC
    assert {name: row["mac"] for name, row in after.items()} == dict(MACS, no_reset="?")
    assert after["healthy"]["result"] == "ok (921600 baud)" and after["blank"]["result"] == "ok (921600 baud)"
    assert after["no_reset"]["result"] == "failed (download-mode)"
    assert install["summary"].startswith("2 of 3 boards ok")
    assert "did not enter download mode by itself" in install["detail"]  # the failed board is selected
    assert "install on this board again with manual boot" in install["detail"]
    assert "press Retry" not in install["detail"]
    assert written == {"healthy": True, "blank": True, "no_reset": False}
    assert all(b["firmware"] == "class-lemariva" for b in install["boards"].values())
    assert "camera ok" in r["shell"]

    assert set(r["unknown"].values()) == {"?"}
    identified = {by_port[p]: tuple(v) for p, v in r["identified"].items()}
    assert identified == {"healthy": (MACS["healthy"], "identified"), "blank": (MACS["blank"], "identified"),
                          "no_reset": ("?", "no answer")}, identified
    doctor = r["doctor"]
    rows = {by_port[p]: row for p, row in doctor["rows"].items()}
    assert doctor["heading"] == "Diagnosis"
    assert {name: row["mac"] for name, row in rows.items()} == dict(MACS, no_reset="?")
    assert rows["healthy"]["result"] == rows["blank"]["result"] == "MicroPython REPL reachable"
    assert rows["no_reset"]["result"] != "MicroPython REPL reachable"
    assert doctor["summary"].startswith("2 of 3 boards ok")
    assert doctor["detail"].startswith(urls["no_reset"] + ": ")
