"""On Linux, opening a tty raises DTR and RTS before pyserial can set them
(drivers/tty/tty_port.c), then pyserial applies DTR, then RTS. The virtual
board models that with ``tty_open="linux"``; here is what it does to a board on
each wiring, and that the interpreter, the doctor and esptool cope with it."""
from __future__ import annotations

import pytest

from tests.thonny_harness import run_scenario
from tests.virtualboard import VirtualBoard, synthetic_firmware
from tests.virtualboard.testing import open_client, read_until
from thonnycontrib.esp32cam.core import diagnosis as dg
from thonnycontrib.esp32cam.core import doctor


@pytest.mark.parametrize("wiring", ["classic", "direct"])
def test_opening_with_lines_released_still_resets_the_board_once(wiring):
    with VirtualBoard(wiring=wiring, firmware=synthetic_firmware("lemariva"), tty_open="linux",
                      line_rate="unlimited") as board:
        board.events.wait_for("firmware_started", timeout=10)
        mark = board.events.mark()
        port = open_client(board.url, dtr=False, rts=False)
        try:
            board.events.wait_for("firmware_started", since=mark, timeout=10)
            port.write(b"\r\x03")
            read_until(port, b">>> ")
        finally:
            port.close()
        lines = [(e.data["dtr"], e.data["rts"], e.data["en"]) for e in board.events.all("lines", since=mark)]
        # kernel: both asserted; pyserial: DTR released, then RTS: EN is low in between
        assert lines[:3] == [(True, True, wiring == "classic"), (False, True, False), (False, False, True)]
        assert [e.data["mode"] for e in board.events.all("boot", since=mark)] == ["normal"]


def scenario_prompt_and_print(h):
    h.wait_for_prompt(30)
    return {"two": h.run_in_shell("print(1+1)")}


@pytest.mark.thonny
@pytest.mark.parametrize("wiring", ["classic", "direct"])
def test_interpreter_reaches_the_prompt_after_the_reset_at_open(xdisplay, tmp_path, wiring):
    with VirtualBoard(wiring=wiring, firmware=synthetic_firmware("lemariva"), tty_open="linux",
                      line_rate="unlimited") as board:
        board.events.wait_for("firmware_started", timeout=10)
        mark = board.events.mark()
        ini = {"run": {"backend_name": "ESP32CAM"}, "ESP32CAM": {"port": board.url}}
        result = run_scenario(scenario_prompt_and_print, tmp_path / "user", ini=ini)
        assert "2" in result["two"].splitlines()
        assert len(board.events.all("reset", since=mark)) >= 1  # the open itself reset it


def test_doctor_sees_a_working_board_through_the_reset_at_open():
    with VirtualBoard(wiring="classic", firmware=synthetic_firmware("kaki5"), tty_open="linux") as board:
        board.events.wait_for("firmware_started", timeout=10)
        result = doctor.diagnose(board.url)
    assert result.code == dg.REPL_OK, result.render() if hasattr(result, "render") else result
