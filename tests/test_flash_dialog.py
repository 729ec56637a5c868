"""The firmware installer dialog in a real Thonny Workbench (Xvfb), with the
ESP32-CAM interpreter connected to the virtual board over RFC2217."""
from __future__ import annotations

import json
import os
import re
import shutil
from pathlib import Path

import pytest

from tests.firmware_server import FirmwareServer, build_entry, catalog_with
from tests.real_images import real_image
from tests.thonny_harness import REPO_ROOT, run_scenario
from tests.virtualboard import VirtualBoard, synthetic_firmware
from tests.virtualboard.testing import FASTCLIENT_DIR
from thonnycontrib.esp32cam.core.catalog import load_bundled, refresh_catalog
from thonnycontrib.esp32cam.core.download import installer_dir

SCREENSHOT = REPO_ROOT / "docs" / "screenshots" / "installer.png"
CATALOG_FILE = REPO_ROOT / "thonnycontrib" / "esp32cam" / "core" / "catalog.json"


def _dialog_shot(dlg, path: str) -> None:
    import subprocess

    dlg.update()
    x, y, w, h = dlg.winfo_rootx(), dlg.winfo_rooty(), dlg.winfo_width(), dlg.winfo_height()
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    subprocess.run(["import", "-window", "root", "-crop", f"{w}x{h}+{x}+{y}", "+repage", path],
                   check=True, timeout=30)


def _select_build(dlg, build_id: str) -> None:
    build = next(b for b in dlg.build_combo.mapping.values() if b.id == build_id)
    dlg.build_combo.select_value(build)
    dlg._on_build_selected()


def _drive_modal(h, script, timeout: float = 120, opener=None):
    """Open the installer as the Tools menu does (modal ``show_dialog``) and run
    ``script(dlg, result)`` inside it: a generator yielding conditions to wait for."""

    from thonnycontrib.esp32cam.frontend.flash_dialog import FirmwareInstallerDialog, open_installer

    result = h.drive_modal(FirmwareInstallerDialog, script, opener or (lambda: open_installer(h.wb)), timeout,
                           close=lambda dlg: dlg.close(), details=lambda dlg: getattr(dlg, "stdout", ""))
    assert not any(isinstance(w, FirmwareInstallerDialog) for w in h.widgets())
    return result


def _press_install(dlg):
    dlg.update_ui()
    assert str(dlg._ok_button["state"]) == "normal", "Install button disabled"
    dlg._ok_button.invoke()  # the user presses "Install"
    return lambda: dlg._state in ("idle", "done")


def scenario_install(h, url: str, shot: str):
    h.select_backend("ESP32CAM", port=url)
    h.wait_for_prompt(30)

    def script(dlg, result):
        dlg.port_combo.set(url)
        result["default"] = dlg.build_combo.get_selected_value().id
        yield _press_install(dlg)
        dlg.update_ui()
        result.update(success=dlg.success, log=dlg.log_text.text.get("1.0", "end"),
                      progress=float(dlg._progress_bar["value"]),
                      action=dlg._current_action_label["text"], button=dlg._cancel_button["text"])
        yield h.is_at_prompt  # the installer reconnected the ESP32-CAM interpreter
        dlg.update()
        bar = dlg._progress_bar
        result["bar_at_shot"] = [float(bar["value"]), float(bar["maximum"]), str(bar["mode"])]
        result["bar_box"] = [bar.winfo_rootx() - dlg.winfo_rootx(), bar.winfo_rooty() - dlg.winfo_rooty(),
                             bar.winfo_width(), bar.winfo_height()]
        _dialog_shot(dlg, shot)  # as the user sees it done, before going on to Wi-Fi
        # its last page offers the Wi-Fi dialog: modal over the installer, the grab given back
        from thonnycontrib.esp32cam.frontend.wifi_dialog import WifiDialog

        result["wifi_offer"] = dlg.wifi_button is not None and str(dlg.wifi_button.cget("text"))
        dlg.wifi_button.invoke()
        yield lambda: any(isinstance(w, WifiDialog) for w in h.widgets(dlg))
        wifi_dlg = next(w for w in h.widgets(dlg) if isinstance(w, WifiDialog))
        result["wifi_modal"] = wifi_dlg.grab_current() is wifi_dlg
        yield lambda: wifi_dlg.status_var.get() != "Scanning…"  # the scan answered
        wifi_dlg.close()
        h.pump(0.2)
        result["grab_back"] = dlg.grab_current() is dlg
        dlg._cancel_button.invoke()  # "Close"
        yield lambda: True

    result = _drive_modal(h, script)
    result["shell"] = h.run_in_shell("import camera; print(camera.__name__, 'ok')")
    result.update(backend=h.wb.get_option("run.backend_name"), port=h.wb.get_option("ESP32CAM.port"))
    return result


def scenario_refusals(h, url: str, s3_file: str, html_file: str, catalog_url: str,
                      corrupt_file: str):
    from thonnycontrib.esp32cam.frontend.flash_dialog import CATALOG_URL_OPTION

    def script(dlg, result):
        dlg.port_combo.set(url)
        # ☰ → Refresh catalog, from the URL in the options; the dialog stays responsive meanwhile
        h.wb.set_option(CATALOG_URL_OPTION, catalog_url + ".missing")
        dlg.refresh_catalog()
        yield lambda: "not refreshed" in dlg.info_label["text"]
        result["refresh_failed"] = dlg.info_label["text"]
        h.wb.set_option(CATALOG_URL_OPTION, catalog_url)
        dlg.refresh_catalog()
        yield lambda: any(b.id == "evil" for b in dlg.build_combo.mapping.values())
        result["wrong_chip"] = dlg.select_local_file(s3_file)
        dlg.update_ui()
        result["wrong_chip_info"] = dlg.info_label["text"]
        result["wrong_chip_button"] = str(dlg._ok_button["state"])
        result["html"] = dlg.select_local_file(html_file)
        result["html_info"] = dlg.info_label["text"]
        result["corrupt"] = dlg.select_local_file(corrupt_file)
        dlg.update_ui()
        result["corrupt_info"] = dlg.info_label["text"]
        result["corrupt_button"] = str(dlg._ok_button["state"])
        _select_build(dlg, "evil")
        yield _press_install(dlg)
        dlg.update_ui()
        result.update(tampered_success=dlg.success, tampered_log=dlg.log_text.text.get("1.0", "end"),
                      action=dlg._current_action_label["text"], retry_button=str(dlg._ok_button["state"]))
        dlg._cancel_button.invoke()  # idle again after a failure: "Cancel" closes
        yield lambda: True

    return _drive_modal(h, script)


def scenario_entry_points(h):
    """Tools menu item and the link on the ESP32-CAM interpreter page open the installer."""
    from thonnycontrib.esp32cam.frontend.config_page import FIRMWARE_INSTALLER_KIND

    menu = h.wb.get_menu("tools")
    entries = {menu.entrycget(i, "label"): i for i in range(menu.index("end") + 1)
               if menu.type(i) == "command"}
    labels = list(entries)
    index = entries["Install MicroPython for ESP32-CAM…"]
    seen = []

    def script(dlg, result):
        seen.append((dlg.get_title(), dlg.build_combo.get_selected_value().id))
        dlg._cancel_button.invoke()
        yield lambda: True

    _drive_modal(h, script, opener=lambda: menu.invoke(index), timeout=30)
    h.select_backend("ESP32CAM")
    h.pump(0.2)
    dlg, page = h.open_options("interpreter")
    kinds = page.get_flashing_dialog_kinds()
    _drive_modal(h, script, opener=lambda: page._open_flashing_dialog(FIRMWARE_INSTALLER_KIND), timeout=30)
    # the page's Wi-Fi… button: not connected yet, it says to press OK first
    wifi_opened = page._wifi.open()
    wifi_note = str(page._wifi.note.cget("text"))
    h.press_cancel(dlg)
    return {"labels": labels, "seen": seen, "kinds": kinds, "wifi": (wifi_opened, wifi_note)}


@pytest.mark.thonny
def test_tools_menu_and_interpreter_page_open_the_installer(xdisplay, tmp_path):
    result = run_scenario(scenario_entry_points, tmp_path / "user", timeout=60)
    labels = result["labels"]
    assert labels.index("Install MicroPython for ESP32-CAM…") < labels.index("Manage plug-ins...")
    title = "Install MicroPython camera firmware (ESP32-CAM)"
    assert result["seen"] == [[title, "lemariva-v1.21.0"], [title, "lemariva-v1.21.0"]]
    assert result["kinds"] == ["camera firmware"]
    opened, note = result["wifi"]
    assert opened is None and "press OK to connect first" in note


def _env(srv) -> dict:
    path = os.pathsep.join([str(FASTCLIENT_DIR), str(REPO_ROOT), os.environ.get("PYTHONPATH", "")])
    return {"SSL_CERT_FILE": str(srv.ca_file), "PYTHONPATH": path.rstrip(os.pathsep)}


def _publish(srv, user_dir: Path, monkeypatch, builds) -> None:
    srv.put("/catalog.json", catalog_with(builds))
    monkeypatch.setenv("SSL_CERT_FILE", str(srv.ca_file))
    refresh_catalog(srv.url("/catalog.json"), installer_dir(str(user_dir)))


@pytest.mark.thonny
@pytest.mark.esptool
def test_dialog_installs_camera_build_and_reconnects(xdisplay, tmp_path, monkeypatch):
    # the catalog's recommended build with its real published bytes, as a user installs it
    # (served from a loopback HTTPS server: the screenshot shows what the user sees)
    real = next(b for b in json.loads(CATALOG_FILE.read_text())["builds"] if b["id"] == "lemariva-v1.21.0")
    image = real_image(real["sha256"])
    user = tmp_path / "user"
    with FirmwareServer(tmp_path) as srv, VirtualBoard(wiring="direct",
                                                       firmware=synthetic_firmware(None)) as board:
        entry = dict(real, url=srv.put("/fw.bin", image))
        entry.pop("urls", None)
        _publish(srv, user, monkeypatch, [entry])
        shot = tmp_path / "installer.png"
        result = run_scenario(scenario_install, user, env=_env(srv), timeout=150,
                              url=board.url, shot=str(shot))
        assert board.flash.read(0x1000, len(image)) == image
    assert result["default"] == "lemariva-v1.21.0" and result["success"], result["log"]
    log = result["log"]
    assert "Disconnecting Thonny from" in log and "SHA-256 " in log
    assert "Firmware written and verified at 921600 baud" in log
    assert "Board started: " + real["banner"] in log
    assert "(the camera module imports)" in log, log
    assert result["progress"] == 100.0 and result["action"].startswith("Done")
    assert result["bar_at_shot"] == [100.0, 100.0, "determinate"], result  # full, as photographed
    from PIL import Image

    x, y, w, h = result["bar_box"]
    picture = Image.open(shot).convert("RGB")
    inside, beside = picture.getpixel((x + w // 2, y + h // 2)), picture.getpixel((x + w // 2, y - 3))
    assert sum(abs(a - b) for a, b in zip(inside, beside)) > 60, (inside, beside)  # the full bar is seen
    assert (result["backend"], result["port"]) == ("ESP32CAM", board.url)
    assert "camera ok" in result["shell"] and "Error" not in result["shell"]
    assert result["wifi_offer"] == "Set up Wi-Fi…" and result["wifi_modal"] and result["grab_back"]
    assert shot.stat().st_size > 10_000
    if os.environ.get("UPDATE_SCREENSHOTS"):
        shutil.copy(shot, SCREENSHOT)  # refresh the docs image on request only


@pytest.mark.thonny
def test_dialog_refuses_wrong_chip_html_corrupt_and_tampered_download(xdisplay, tmp_path):
    image = synthetic_firmware("kaki5")
    s3 = tmp_path / "s3.bin"
    s3.write_bytes(synthetic_firmware("kaki5", chip="esp32s3"))
    html = tmp_path / "page.bin"
    html.write_text("<!DOCTYPE html>\n<html><body>Rate limit exceeded</body></html>")
    corrupt = tmp_path / "corrupt.bin"  # a real image with one flipped bit in MicroPython itself
    damaged = bytearray(real_image(load_bundled().get("lemariva-v1.21.0").sha256))
    damaged[0x30000] ^= 0x04
    corrupt.write_bytes(bytes(damaged))
    user = tmp_path / "user"
    with FirmwareServer(tmp_path) as srv, VirtualBoard(wiring="classic") as board:
        srv.put("/catalog.json", catalog_with([build_entry("evil", srv.put("/k.bin", image), image, tamper=True)]))
        result = run_scenario(scenario_refusals, user, env=_env(srv), url=board.url,
                              s3_file=str(s3), html_file=str(html), catalog_url=srv.url("/catalog.json"),
                              corrupt_file=str(corrupt))
        assert board.events.all("client_connected") == []
    assert "Catalog not refreshed (still using the previous one)" in result["refresh_failed"]
    # an S3 image is for the chip its header names; the board is asked when the write starts
    assert result["wrong_chip"] is True and result["wrong_chip_button"] == "normal"
    assert "ESP32-S3 combined image" in result["wrong_chip_info"]
    assert "but the board is" not in result["wrong_chip_info"]
    assert result["html"] is False and "HTML page" in result["html_info"]
    assert result["corrupt"] is False and result["corrupt_button"] == "disabled"
    assert "firmware file is corrupt: its application" in result["corrupt_info"]
    assert "checksum does not match" in result["corrupt_info"]
    assert result["tampered_success"] is False and "SHA-256 mismatch" in result["tampered_log"]
    assert "Nothing was written: the board is as it was." in result["tampered_log"]
    assert result["action"] == "Download failed" and result["retry_button"] == "normal"
    assert list((user / "esp32cam" / "firmware").iterdir()) == []


def scenario_download_mode(h, image_file: str):
    """A board without auto-reset: guidance, then a retry after the user's IO0+RST."""
    from tests.virtualboard import VirtualBoard

    with VirtualBoard(wiring="none") as board:
        def script(dlg, result):
            dlg.port_combo.set(board.url)
            assert dlg.select_local_file(image_file)
            yield _press_install(dlg)
            dlg.update_ui()
            result["first"] = {"success": dlg.success, "guidance": dlg.guidance_label["text"],
                               "ok_text": str(dlg._ok_button["text"]), "manual": dlg.advanced_frame.manual_boot_var.get(),
                               "ok_state": str(dlg._ok_button["state"])}
            mark = board.events.mark()
            board.hold_boot(True)  # the user holds IO0 and taps RST
            board.press_reset()
            yield lambda: board.events.all("boot", since=mark)
            yield _press_install(dlg)
            result["second"] = {"success": dlg.success, "guidance": dlg.guidance_label["text"],
                                "log": dlg.log_text.text.get("1.0", "end")}
            dlg._cancel_button.invoke()
            yield lambda: True

        result = _drive_modal(h, script)
        mark = board.events.mark()
        board.hold_boot(False)  # jumper removed, RST tapped
        board.press_reset()
        result["banner"] = board.events.wait_for("firmware_started", since=mark, timeout=10).data["banner"]
    return result


@pytest.mark.thonny
@pytest.mark.esptool
def test_dialog_guides_into_download_mode_and_retries(xdisplay, tmp_path):
    image = tmp_path / "kaki5.bin"
    image.write_bytes(synthetic_firmware("kaki5"))
    path = os.pathsep.join([str(FASTCLIENT_DIR), str(REPO_ROOT), os.environ.get("PYTHONPATH", "")])
    result = run_scenario(scenario_download_mode, tmp_path / "user", env={"PYTHONPATH": path.rstrip(os.pathsep)},
                          timeout=150, image_file=str(image))
    first, second = result["first"], result["second"]
    assert first["success"] is False and first["manual"] is True and first["ok_state"] == "normal"
    assert "hold the IO0 button, tap RST" in first["guidance"] and "jumper" in first["guidance"]
    assert first["ok_text"] == "Retry (board in download mode)"
    assert second["success"] is True and "remove the IO0–GND jumper" in second["guidance"]
    assert "no-reset" in second["log"] or "no_reset" in second["log"]
    assert "kaki5" in result["banner"]


def _write_percent(dlg) -> float:
    import re

    m = re.search(r"Writing the firmware… (\d+) %", dlg._current_action_label["text"])
    return float(m.group(1)) if m else -1


def scenario_cancel_then_retry(h, url: str, image_file: str):
    def script(dlg, result):
        dlg.port_combo.set(url)
        assert dlg.select_local_file(image_file)
        done = _press_install(dlg)
        yield lambda: _write_percent(dlg) >= 5  # esptool is writing (its own percentages)
        dlg.cancel_work()  # Cancel, confirmed by the user
        yield done
        dlg.update_ui()
        result["cancelled"] = {"success": dlg.success, "log": dlg.log_text.text.get("1.0", "end"),
                               "action": dlg._current_action_label["text"],
                               "install_state": str(dlg._ok_button["state"])}
        dlg.advanced_frame.mode_combo.select_value("dio")  # Advanced options: flash mode and size overridden
        dlg.advanced_frame.size_combo.select_value("4MB")
        yield _press_install(dlg)  # the safe retry: the same image again
        dlg.update_ui()
        result["retry"] = {"success": dlg.success, "log": dlg.log_text.text.get("1.0", "end")}
        dlg._cancel_button.invoke()  # "Close"
        yield lambda: True

    result = _drive_modal(h, script, timeout=200)
    result["shell"] = h.run_in_shell("print(6 * 7)")  # Thonny responsive, reconnected to the board
    return result


@pytest.mark.thonny
@pytest.mark.esptool
def test_dialog_cancel_mid_write_explains_and_retry_installs(xdisplay, tmp_path):
    import random

    data = synthetic_firmware("lemariva") + random.Random(2).randbytes(256 * 1024)  # a long write phase
    image = tmp_path / "lemariva-big.bin"
    image.write_bytes(data)
    path = os.pathsep.join([str(FASTCLIENT_DIR), str(REPO_ROOT), os.environ.get("PYTHONPATH", "")])
    with VirtualBoard(wiring="classic", flash_timing="fast") as board:
        result = run_scenario(scenario_cancel_then_retry, tmp_path / "user",
                              env={"PYTHONPATH": path.rstrip(os.pathsep)}, timeout=240,
                              url=board.url, image_file=str(image))
        assert board.flash.read(0x1000, len(data)) == data
        writes = board.events.all("flash_write")
    cancelled, retry = result["cancelled"], result["retry"]
    assert cancelled["success"] is False and cancelled["action"] == "Cancelled", cancelled["log"]
    assert "Cancelled part-way" in cancelled["log"] and "safe to run the installer again" in cancelled["log"]
    assert "flash was erased or partly written, so it will not start MicroPython now" in cancelled["log"]
    assert cancelled["install_state"] == "normal"
    assert retry["success"] is True, retry["log"]
    assert "Firmware written and verified" in retry["log"]
    command = next(line for line in retry["log"].splitlines()  # the write (after the board survey)
                   if line.startswith("$ ") and re.search(r"write[-_]flash", line))
    assert re.search(r"--flash[-_]mode dio --flash[-_]size 4MB", command), command
    assert "Writing at 0x" in cancelled["log"]  # cancelled while data was flowing...
    assert len(writes) == 1  # ...so only the retry completed a write
    assert "42" in result["shell"]


def scenario_failed_download_reconnects(h, url: str):
    h.select_backend("ESP32CAM", port=url)
    h.wait_for_prompt(30)

    def script(dlg, result):
        dlg.port_combo.set(url)
        _select_build(dlg, "gone")  # its URL answers 404
        yield _press_install(dlg)
        result.update(action=dlg._current_action_label["text"], log=dlg.log_text.text.get("1.0", "end"))
        yield h.is_at_prompt  # the interpreter got the untouched board back
        result["shell_after_failure"] = h.run_in_shell("print('back', 6*7)")
        dlg._cancel_button.invoke()
        yield lambda: True

    result = _drive_modal(h, script)
    result["after_close"] = h.run_in_shell("print('still', 6*7)")
    return result


@pytest.mark.thonny
def test_failed_download_gives_the_untouched_board_back_to_thonny(xdisplay, tmp_path, monkeypatch):
    user = tmp_path / "user"
    with FirmwareServer(tmp_path) as srv, VirtualBoard(wiring="direct", firmware=synthetic_firmware("kaki5"),
                                                      line_rate="unlimited") as board:
        board.events.wait_for("firmware_started", timeout=10)
        _publish(srv, user, monkeypatch, [build_entry("gone", srv.url("/gone.bin"), b"\xe9" * 4096)])
        mark = board.events.mark()
        result = run_scenario(scenario_failed_download_reconnects, user, env=_env(srv), url=board.url)
        assert board.events.all("flash_write", since=mark) == []
    assert result["action"] == "Download failed"
    assert "404" in result["log"] and "Nothing was written: the board is as it was." in result["log"]
    assert "Thonny is connected to the board again." in result["log"]
    assert "back 42" in result["shell_after_failure"] and "still 42" in result["after_close"]


def scenario_install_from_mirror(h, url: str, mirror: str):
    def script(dlg, result):
        dlg.set_mirror(mirror)  # what "Firmware mirror folder…" in the ☰ menu stores
        result["mirror_info"] = dlg.info_label["text"]
        dlg.port_combo.set(url)
        _select_build(dlg, "kaki5-christmas-2023-edition-esp32")  # its URL is unreachable here
        yield _press_install(dlg)
        result.update(success=dlg.success, log=dlg.log_text.text.get("1.0", "end"))
        dlg._cancel_button.invoke()
        yield lambda: True

    result = _drive_modal(h, script, timeout=180)
    result["stored"] = h.wb.get_option("ESP32CAM.firmware_mirror")
    return result


@pytest.mark.thonny
@pytest.mark.esptool
def test_dialog_installs_a_real_image_from_the_firmware_mirror(xdisplay, tmp_path):
    from tests.real_images import real_firmware_dir

    build_sha = load_bundled().get("kaki5-christmas-2023-edition-esp32").sha256
    path = os.pathsep.join([str(FASTCLIENT_DIR), str(REPO_ROOT), os.environ.get("PYTHONPATH", "")])
    with VirtualBoard(wiring="classic", line_rate="unlimited", en_delay=0.02, flash_timing="fast") as board:
        result = run_scenario(scenario_install_from_mirror, tmp_path / "user", timeout=240,
                              env={"PYTHONPATH": path.rstrip(os.pathsep)}, url=board.url,
                              mirror=str(real_firmware_dir()))
        image = real_image(build_sha)
        assert board.flash.read(0x1000, len(image)) == image
    assert result["success"], result["log"]
    assert result["stored"] == str(real_firmware_dir())
    assert "Firmware mirror:" in result["mirror_info"]
    assert "taken from the mirror" in result["log"] and "Firmware written and verified" in result["log"]
    assert "ESP32 OV2640 X23 with ESP32 (the camera module imports)" in result["log"]
