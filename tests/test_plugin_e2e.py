"""End to end: real Thonny Workbench + real back-end process + the virtual ESP32-CAM over RFC 2217.

`direct` wiring is what makes ESP32-CAM programmers painful: an asserted RTS
holds EN (reset) low and an asserted DTR holds IO0 low.
"""
from __future__ import annotations

import pytest

from tests.thonny_harness import run_scenario

pytestmark = pytest.mark.thonny

UPLOAD_TEXT = "print('hello from thonny-esp32cam')\n"


@pytest.fixture
def direct_board():
    from tests.virtualboard import VirtualBoard, synthetic_firmware

    with VirtualBoard(wiring="direct", firmware=synthetic_firmware(family="lemariva"),
                      line_rate="unlimited") as board:
        board.events.wait_for("firmware_started", timeout=20)
        yield board


# ------------------------------------------------------------ scenarios (child)
def _session(h, backend, url, workdir, **options):
    """Prompt, code, file browser (list, upload, download), interrupt, Stop/Restart."""
    import os

    from thonny.plugins.files import DownloadDialog, upload

    h.wb.show_view("FilesView", set_focus=False)
    h.select_backend(backend, port=url, **options)
    h.wait_for_prompt(30)
    result = {"banner": h.shell_text(), "two": h.run_in_shell("print(1+1)")}

    h.wait_until(h.remote_files, 15, "device files in the Files view")
    result["files_before"] = h.remote_files()

    local = os.path.join(workdir, "cam_hello.py")
    with open(local, "w") as fp:
        fp.write(UPLOAD_TEXT)
    result["uploaded"] = h.call_modal(upload, [local], "/", h.wb)
    h.wait_for_prompt(15)
    h.wb.get_view("FilesView").remote_files.refresh_tree()  # as Thonny's "Upload to /" does
    result["read_back"] = h.run_in_shell("print(open('cam_hello.py').read())")
    h.wait_until(lambda: "cam_hello.py" in h.remote_files(), 15, "uploaded file in the Files view")
    result["files_after"] = h.remote_files()

    download_dir = os.path.join(workdir, "downloaded")
    os.makedirs(download_dir)
    dlg = DownloadDialog(h.wb, ["/cam_hello.py"], "cam_hello.py", download_dir)
    from thonny import ui_utils

    h.call_modal(ui_utils.show_dialog, dlg)
    h.wait_for_prompt(15)
    with open(os.path.join(download_dir, "cam_hello.py")) as fp:
        result["downloaded"] = fp.read()

    from thonny import get_shell

    get_shell().submit_python_code("while True: pass\n\n")  # blank line ends the block
    h.wait_until(lambda: not h.runner.is_waiting_toplevel_command(), 5, "loop running")
    h.pump(0.5)
    h.interrupt()
    h.wait_for_prompt(15)
    result["interrupted"] = h.shell_text()[-400:]

    h.stop_restart()
    h.wait_for_prompt(30)
    result["after_restart"] = h.run_in_shell("print(6*7)")
    return result


def scenario_esp32cam_session(h, url, workdir):
    from thonnycontrib.esp32cam.frontend.proxy import Esp32CamProxy

    result = _session(h, "ESP32CAM", url, workdir)
    result["full_label"] = h.proxy.get_full_label()
    result["remembered"] = Esp32CamProxy.get_last_configurations()
    result["switcher"] = [entry[1] for entry in Esp32CamProxy.get_switcher_entries()]  # (conf, label[, machine id])
    return result


def scenario_switcher_entries(h):
    from thonnycontrib.esp32cam.frontend.proxy import Esp32CamProxy

    return [entry[1] for entry in Esp32CamProxy.get_switcher_entries()]  # (conf, label[, machine id])


def scenario_prompt_and_print(h):
    h.wait_for_prompt(30)  # the interpreter and port come from configuration.ini
    return {"two": h.run_in_shell("print(1+1)")}


def scenario_stock_session(h, url, workdir):
    from tests.stock_url_shim import install_frontend

    install_frontend()
    return _session(h, "ESP32", url, workdir, dtr=False, rts=False)


def scenario_stock_defaults(h, url):
    from tests.stock_url_shim import install_frontend

    install_frontend()
    h.select_backend("ESP32", port=url)  # Thonny's defaults: DTR/RTS not set → asserted at open
    h.wait_until(lambda: "Device is busy or does not respond" in h.shell_text(), 30, "Thonny's advice")
    h.pump(1.0)
    return {"shell": h.shell_text(), "at_prompt": h.is_at_prompt()}


# ------------------------------------------------------------ tests (parent)
def _check_session(result):
    assert "MicroPython" in result["banner"]
    assert "2" in result["two"].splitlines()
    assert result["files_before"]
    assert result["uploaded"] is True
    assert "hello from thonny-esp32cam" in result["read_back"]
    assert "cam_hello.py" in result["files_after"]
    assert result["downloaded"] == UPLOAD_TEXT
    assert "KeyboardInterrupt" in result["interrupted"]
    assert "42" in result["after_restart"].splitlines()


def test_esp32cam_interpreter_full_session_on_direct_wiring(xdisplay, tmp_path, direct_board):
    board = direct_board
    mark = board.events.mark()
    result = run_scenario(scenario_esp32cam_session, tmp_path / "user", url=board.url, workdir=str(tmp_path))
    _check_session(result)

    board.events.wait_for("client_disconnected", timeout=10, since=mark)
    assert len(board.events.all("client_connected", since=mark)) >= 2  # first connect + Stop/Restart
    # Lines never asserted: not at open, not at Stop/Restart, not when Thonny closed the port
    lines = board.events.all("lines", since=mark)
    assert all(not ev.data["dtr"] and not ev.data["rts"] for ev in lines), [ev.data for ev in lines]
    assert board.events.all("reset", since=mark) == []
    assert board.state == "running"
    assert board.lines["en"] and board.lines["io0"]
    # the back-end released the lines itself before Thonny stopped its process
    assert "Releasing RTS, then DTR" in (tmp_path / "user" / "backend.log").read_text()

    # the network port is a remembered configuration, labelled, offered by the switcher,
    # also after Thonny restarts
    label = "MicroPython (ESP32-CAM)  •  Network serial (RFC 2217) @ " + board.url.split("://")[1]
    assert {"run.backend_name": "ESP32CAM", "ESP32CAM.port": board.url} in result["remembered"]
    assert label in result["switcher"]
    assert result["full_label"].endswith("@ " + board.url)
    assert label in run_scenario(scenario_switcher_entries, tmp_path / "user")


def test_garbage_line_options_connect_with_lines_released(xdisplay, tmp_path, direct_board):
    board = direct_board
    mark = board.events.mark()
    ini = {"run": {"backend_name": "ESP32CAM"},
           "ESP32CAM": {"port": board.url, "dtr": "maybe", "rts": "false"}}
    result = run_scenario(scenario_prompt_and_print, tmp_path / "user", ini=ini)
    assert "2" in result["two"].splitlines()
    assert all(not e.data["dtr"] and not e.data["rts"] for e in board.events.all("lines", since=mark))
    log = (tmp_path / "user" / "frontend.log").read_text()
    assert "dtr = 'maybe' is not True or False; ignored, using False (released)" in log
    assert "rts = 'false' read as False" in log


def test_stock_esp32_interpreter_with_defaults_gets_no_prompt_on_direct_wiring(xdisplay, tmp_path, direct_board):
    board = direct_board
    result = run_scenario(scenario_stock_defaults, tmp_path / "user", url=board.url)
    assert not result["at_prompt"]
    assert ">>>" not in result["shell"]
    assert any(ev.data["rts"] for ev in board.events.all("lines")), "stock Thonny asserted no line"


def test_stock_esp32_interpreter_works_on_direct_wiring_with_lines_released(xdisplay, tmp_path, direct_board):
    """Issue #2 acceptance: the shim only changes how the port is opened."""
    board = direct_board
    result = run_scenario(scenario_stock_session, tmp_path / "user", url=board.url, workdir=str(tmp_path))
    _check_session(result)


def scenario_system_shell_command(h, url):
    import thonny.terminal
    from thonny.plugins.system_shell import _open_system_shell

    calls = []
    thonny.terminal.run_in_terminal = lambda cmd, cwd, **kw: calls.append(cmd)
    h.select_backend("ESP32CAM", port=url)
    h.wait_for_prompt(30)
    _open_system_shell()  # Tools → Open system shell
    h.pump(0.5)
    return {"cmd": calls[0] if calls else None, "connected": h.proxy.is_connected() if h.proxy else False}


def test_system_shell_keeps_lines_released(xdisplay, tmp_path, direct_board):
    """Tools → Open system shell: the miniterm command Thonny would run in a terminal,
    run here in a pseudo-terminal, reaches the prompt of a direct-wired board."""
    import os
    import pty
    import select
    import subprocess
    import time

    board = direct_board
    result = run_scenario(scenario_system_shell_command, tmp_path / "user", url=board.url)
    cmd = result["cmd"]
    assert cmd and cmd[cmd.index("--dtr") + 1] == "0" and cmd[cmd.index("--rts") + 1] == "0"
    assert cmd[-2] == board.url

    board.events.wait_for("client_disconnected", timeout=10)
    mark = board.events.mark()
    master, slave = pty.openpty()
    proc = subprocess.Popen(cmd, stdin=slave, stdout=slave, stderr=slave, close_fds=True)
    os.close(slave)
    output = b""
    try:
        board.events.wait_for("client_connected", timeout=15, since=mark)
        deadline = time.monotonic() + 15
        keys = [b"\r", b"\x03", b"\x02"]  # the wrapper's advice: ENTER, Ctrl+C or Ctrl+B
        while b">>>" not in output and time.monotonic() < deadline:
            if select.select([master], [], [], 0.5)[0]:
                output += os.read(master, 4096)
            else:
                os.write(master, keys[0])
                keys.append(keys.pop(0))
        os.write(master, b"\x14")  # miniterm's exit character (Ctrl+T) as Thonny configures it
        proc.wait(10)
    finally:
        if proc.poll() is None:
            proc.kill()
        os.close(master)
    assert b">>>" in output, output[-500:]
    assert all(not ev.data["dtr"] and not ev.data["rts"] for ev in board.events.all("lines", since=mark))
    assert board.events.all("reset", since=mark) == []
