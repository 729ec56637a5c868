"""Thonny's protocols against a board whose stdin holds only the chip's ring buffer.

ESP32 MicroPython keeps 259 bytes of UART input while Python code runs (see the
table in tests/virtualboard/firmware.py); the virtual board models that, paced at
the real line rate. Uploading and downloading a 45 KB file in the Files view,
running a 10 KB script and pasting a block into the Shell must all come through
intact, and the board must report no RX overflow.
"""
from __future__ import annotations

import pytest

from tests.thonny_harness import run_scenario

pytestmark = pytest.mark.thonny

BIG_LINES = 1500  # 1500 lines of ~30 bytes: ~45 KB


def big_text() -> str:
    return "".join("# line %05d of the big file ..\n" % i for i in range(BIG_LINES))


def run_script_text() -> str:
    body = "".join("v%04d = %d * 3  # padding padding\n" % (i, i) for i in range(300))
    return "total = 0\n" + body + "total = sum(globals()[k] for k in globals() if k.startswith('v'))\nprint('script total', total)\n"


@pytest.fixture
def real_rate_board():
    from tests.virtualboard import VirtualBoard, synthetic_firmware

    with VirtualBoard(wiring="direct", firmware=synthetic_firmware(family="lemariva"), line_rate="real") as board:
        board.events.wait_for("firmware_started", timeout=20)
        yield board


def scenario_big_transfers(h, url, workdir):
    import os

    from thonny import get_runner, get_shell, ui_utils
    from thonny.plugins.files import DownloadDialog, upload

    h.wb.show_view("FilesView", set_focus=False)
    h.select_backend("ESP32CAM", port=url)
    h.wait_for_prompt(30)
    result = {}

    local = os.path.join(workdir, "big.txt")
    with open(local, "w") as fp:
        fp.write(big_text())
    result["uploaded"] = h.call_modal(upload, [local], "/", h.wb, timeout=240)
    h.wait_for_prompt(60)
    result["size_on_board"] = h.run_in_shell("import os; print(os.stat('big.txt')[6])")

    download_dir = os.path.join(workdir, "downloaded")
    os.makedirs(download_dir)
    dlg = DownloadDialog(h.wb, ["/big.txt"], "big.txt", download_dir)
    h.call_modal(ui_utils.show_dialog, dlg, timeout=240)
    h.wait_for_prompt(60)
    with open(os.path.join(download_dir, "big.txt")) as fp:
        result["downloaded"] = fp.read()

    script = os.path.join(workdir, "big_script.py")
    with open(script, "w") as fp:
        fp.write(run_script_text())
    h.wb.get_editor_notebook().show_file(script)
    get_runner().execute_current("Run")  # Run soft-reboots the board and may clear the Shell
    h.wait_until(lambda: "script total" in h.shell_text(), 120, "the script's output")
    h.wait_for_prompt(60)
    result["run"] = h.shell_text()

    paste = "".join("p%03d = %d\n" % (i, i) for i in range(60)) + "print('pasted', p059)\n"
    before = len(h.shell_text())
    get_shell().submit_python_code(paste)
    h.wait_until(lambda: "pasted" in h.shell_text()[before:] and h.is_at_prompt(), 120, "the pasted block's output")
    result["paste"] = h.shell_text()[before:]
    return result


def test_thonny_big_transfers_survive_the_chip_stdin_ring(xdisplay, tmp_path, real_rate_board):
    board = real_rate_board
    mark = board.events.mark()
    result = run_scenario(scenario_big_transfers, tmp_path / "user", url=board.url, workdir=str(tmp_path), timeout=900)
    assert result["uploaded"] is True
    assert str(len(big_text())) in result["size_on_board"].splitlines()
    assert result["downloaded"] == big_text()
    total = sum(i * 3 for i in range(300))
    assert "script total %d" % total in result["run"], result["run"][-500:]
    assert "pasted 59" in result["paste"], result["paste"][-500:]
    assert board.events.all("rx_overflow", since=mark) == []
