"""The fast serial link in a real Thonny Workbench, on the virtual board at its real line rate.

The board is reached over RFC 2217 (a "network port": the fast link's cap is 921600),
so "fast" below means 921600 baud, 8x the 115200 stock Thonny uses.
"""
from __future__ import annotations

import threading

import pytest

from tests.thonny_harness import run_scenario
from tests.virtualboard.testing import open_client, read_until

pytestmark = [pytest.mark.thonny, pytest.mark.timeout(600)]

FAST = 921600
FAST_CHIP = 922190  # what the ESP32's divider makes of 921600 (80 MHz APB, 20.4 fixed point)
BLOB_SIZE = 200 * 1024


@pytest.fixture
def board():
    from tests.virtualboard import VirtualBoard, synthetic_firmware

    with VirtualBoard(firmware=synthetic_firmware(family="lemariva"), flash_timing="fast") as b:
        b.events.wait_for("firmware_started", timeout=20)
        yield b


def _plain_prompt(board) -> bytes:
    client = open_client(board.url, baudrate=115200)
    try:
        client.write(b"\r")
        return read_until(client, b">>> ", 5)
    finally:
        client.close()


def _link_text(h):
    from thonnycontrib.esp32cam.frontend import link_status

    return link_status.current_text()


def scenario_fast_files(h, url, workdir, size):
    import os

    from thonny import ui_utils
    from thonny.plugins.files import DownloadDialog, upload

    h.wb.show_view("FilesView", set_focus=False)
    h.select_backend("ESP32CAM", port=url)
    h.wait_for_prompt(30)
    h.wait_until(lambda: "921600" in _link_text(h), 20, "the link rate in the status bar")
    result = {"status": _link_text(h)}
    blob = bytes((i * 7 + (i >> 8)) & 0xFF for i in range(size))
    local = os.path.join(workdir, "blob.bin")
    with open(local, "wb") as fp:
        fp.write(blob)
    result["uploaded"] = h.call_modal(upload, [local], "/", h.wb, timeout=300)
    h.wait_for_prompt(60)
    result["size_on_board"] = h.run_in_shell("import os; print(os.stat('blob.bin')[6])").strip()
    download_dir = os.path.join(workdir, "down")
    os.makedirs(download_dir)
    dlg = DownloadDialog(h.wb, ["/blob.bin"], "blob.bin", download_dir)
    h.call_modal(ui_utils.show_dialog, dlg, timeout=300)
    h.wait_for_prompt(60)
    with open(os.path.join(download_dir, "blob.bin"), "rb") as fp:
        result["same"] = fp.read() == blob
    result["shell"] = h.run_in_shell("print(21 * 2)")
    return result


def test_files_view_moves_200_kb_byte_exact_at_the_fast_rate(xdisplay, tmp_path, board):
    result = run_scenario(scenario_fast_files, tmp_path / "user", url=board.url, workdir=str(tmp_path),
                          size=BLOB_SIZE, timeout=600)
    assert "921600" in result["status"]
    assert str(BLOB_SIZE) in result["size_on_board"].splitlines() and result["same"]
    assert "42" in result["shell"]
    assert board.events.find("repl_baud", baud=FAST_CHIP) is not None
    assert board.events.find("rx_overflow") is None
    # Thonny closed: the board is back at 115200 for PuTTY, mpremote or another Thonny
    assert board.uart.chip_baud == 115201
    assert b">>> " in _plain_prompt(board)


def scenario_setting_115200_only(h, url):
    h.select_backend("ESP32CAM", port=url, serial_speed="115200")
    h.wait_for_prompt(30)
    h.wait_until(lambda: "115200" in _link_text(h), 20, "the link rate in the status bar")
    return {"status": _link_text(h), "out": h.run_in_shell("print(6 * 7)")}


def test_the_setting_115200_only_never_switches(xdisplay, tmp_path, board):
    result = run_scenario(scenario_setting_115200_only, tmp_path / "user", url=board.url)
    assert "115200" in result["status"] and "42" in result["out"]
    assert board.events.find("repl_baud") is None


def scenario_stays_in_sync(h, url):
    import time

    from thonny import get_shell

    def fast_again(what):
        h.wait_until(lambda: "921600" in _link_text(h), 30, "the fast rate after " + what)

    def works(what):
        out = h.run_in_shell("print('alive', 3 * 5)", timeout=30)
        assert "alive 15" in out, (what, out)

    def submit(code):
        h.wait_until(h.runner.is_waiting_toplevel_command, 30, "back-end ready")
        get_shell().submit_python_code(code + "\n")
        time.sleep(3)  # the board resets / switches; the Shell shows what it prints
        h.wait_for_prompt(30)

    h.select_backend("ESP32CAM", port=url)
    h.wait_for_prompt(30)
    fast_again("connecting")
    steps = {}
    # Ctrl-D at the prompt: a soft reboot keeps UART0's rate (main.c, v1.14-v1.27)
    from thonny import get_runner
    from thonny.common import EOFCommand

    h.pump(1.5)  # let the Variables view's get_globals finish: EOF during a command is a plain ^D
    get_runner().send_command(EOFCommand())
    h.wait_until(lambda: "soft reboot" in h.shell_text(), 30, "the soft reboot")
    h.wait_for_prompt(30)
    works("Ctrl-D")
    steps["ctrl_d"] = _link_text(h)
    for key, what, code in [
        # machine.reset(): the ROM and MicroPython start at 115200 again
        ("machine_reset", "machine.reset()", "import machine; machine.reset()"),
        # the RST button: the test presses it when the flash LED (GPIO4) goes on
        ("rst", "RST", "import machine; machine.Pin(4, machine.Pin.OUT).value(1)"),
        # a user program changes UART0's rate itself
        ("user_uart", "UART(0, 460800)", "import machine; machine.UART(0, baudrate=460800); print('switched')"),
    ]:
        submit(code)
        works(what)
        fast_again(what)
        steps[key] = _link_text(h)
    return steps


def _on_development_head() -> bool:
    from thonnycontrib.esp32cam import thonny_compat

    try:
        return thonny_compat.generation() == thonny_compat.MINNY
    except thonny_compat.UnsupportedThonny:
        return False


# An open defect, not a pass: on the development head, `machine.reset()` typed in the Shell
# often resets the board while minny still waits for the raw paste's last acknowledgement
# (minny/target.py _raw_paste_write: "Could not complete raw paste"); the plug-in says the
# board stopped answering, but the Shell gets no new prompt until Stop/Restart.
@pytest.mark.xfail(_on_development_head(), strict=False,
                   reason="development head: no prompt after machine.reset() during a raw paste")
def test_resets_and_rate_changes_come_back_fast_without_user_action(xdisplay, tmp_path, board):
    def press_rst_on_flash(event):
        if event.kind == "pin" and event.data.get("pin") == 4 and event.data.get("value") == 1:
            # a moment later, when the command has ended (a reset in the middle of Thonny's
            # raw-paste exchange is a different story: Thonny restarts its back-end)
            threading.Timer(0.5, board.press_reset).start()

    board.events.add_listener(press_rst_on_flash)
    steps = run_scenario(scenario_stays_in_sync, tmp_path / "user", url=board.url, timeout=600)
    assert all("921600" in text for text in steps.values()), steps
    assert board.events.find("reset", reason="poweron") is not None


def scenario_speed_on_the_page(h):
    dlg, page = h.open_options()
    shown = page._speed.var.get()
    choices = list(page._speed.combo.cget("values"))
    page._speed.var.set("921600 baud")
    restart = h.press_ok(dlg)
    launcher_args = h.wb.get_option("ESP32CAM.serial_speed")
    from thonnycontrib.esp32cam.frontend.options import effective_speed_setting

    return {"shown": shown, "choices": choices, "restart": restart, "saved": launcher_args,
            "effective": effective_speed_setting()}


def test_the_interpreter_page_shows_and_saves_the_serial_speed(xdisplay, tmp_path):
    import configparser

    user = tmp_path / "user"
    ini = {"run": {"backend_name": "ESP32CAM"}, "ESP32CAM": {"port": "rfc2217://127.0.0.1:9", "serial_speed": "turbo"}}
    result = run_scenario(scenario_speed_on_the_page, user, ini=ini)
    # garbage in configuration.ini: the page shows the value really used, and says so
    assert result["shown"] == "Fastest that works (default)"
    assert "115200 baud only (as stock Thonny)" in result["choices"]
    assert result["restart"] is True and result["saved"] == "921600" and result["effective"] == "921600"
    saved = configparser.ConfigParser(interpolation=None)
    saved.read(user / "configuration.ini")
    assert saved["ESP32CAM"]["serial_speed"] == "921600"
    assert "serial_speed" in (user / "frontend.log").read_text()  # the ignored value was logged


def scenario_backend_killed_while_fast(h, url):
    h.select_backend("ESP32CAM", port=url)
    h.wait_for_prompt(30)
    h.wait_until(lambda: "921600" in _link_text(h), 20, "the fast link")
    h.pump(1.0)
    h.proxy._proc.kill()  # as if Thonny were killed: nobody puts the board back at 115200
    h.proxy._proc.wait(5)
    h.pump(0.5)
    h.stop_restart()
    h.wait_for_prompt(30)
    h.wait_until(lambda: "921600" in _link_text(h), 20, "the fast link after reconnecting")
    return {"out": h.run_in_shell("print('back', 7 * 6)"), "status": _link_text(h)}


def test_a_killed_back_end_leaves_the_board_fast_and_the_next_connect_finds_it(xdisplay, tmp_path, board):
    result = run_scenario(scenario_backend_killed_while_fast, tmp_path / "user", url=board.url)
    assert "back 42" in result["out"], result["shell"]
    # the new back-end found the board at the remembered rate: no reset was needed
    assert len(board.events.all("reset")) == 1  # the power-on when the board was made
    assert "Board found at 921600 baud" in (tmp_path / "user" / "backend.log").read_text()
    store = (tmp_path / "user" / "esp32cam" / "fast_link.json").read_text()
    assert "921600" in store


def scenario_unknown_rate_then_rst(h):
    from thonny import get_shell

    from tests.virtualboard import VirtualBoard, synthetic_firmware

    with VirtualBoard(firmware=synthetic_firmware(family="lemariva"), flash_timing="fast") as board:
        board.events.wait_for("firmware_started", timeout=20)
        h.select_backend("ESP32CAM", port=board.url)
        h.wait_for_prompt(30)
        h.wait_until(lambda: "921600" in _link_text(h), 30, "the fast link")
        h.pump(1.0)
        # 57600 is on no ladder: the board's answer is noise at every rate the watch tries
        get_shell().submit_python_code("import machine; machine.UART(0, baudrate=57600); print('gone')\n")
        h.wait_until(lambda: "does not answer at any serial speed" in h.shell_text(), 30, "the lost-link message")
        message = [line for line in h.shell_text().splitlines() if "does not answer" in line]
        board.press_reset()  # what the message asks for
        h.wait_for_prompt(60)
        out = h.run_in_shell("print('back', 6 * 7)", timeout=30)
        h.wait_until(lambda: "921600" in _link_text(h), 30, "the fast link after the reset")
        return {"message": message, "out": out, "status": _link_text(h), "shell": h.shell_text()[-1500:],
                "resets": [str(e) for e in board.events.all("reset")]}


def test_a_board_at_an_unknown_rate_gets_one_message_and_rst_brings_it_back(xdisplay, tmp_path):
    result = run_scenario(scenario_unknown_rate_then_rst, tmp_path / "user", timeout=300)
    assert len(result["message"]) == 1, result
    assert "machine.UART(0, ...)" in result["message"][0] and "RST" in result["message"][0]
    assert "back 42" in result["out"], result["shell"]
    assert "921600" in result["status"]
