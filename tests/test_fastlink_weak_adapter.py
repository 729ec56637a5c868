"""A weak adapter (issue 24): short messages pass above 460800, sustained data does not
(virtual board ``max_baud=460800, weak_after=B``). The fast link must see it, every command
must leave the board at 115200, and the error must name the link, not the camera."""
from __future__ import annotations

import subprocess
import sys

import pytest

from tests.conftest import REPO_ROOT
from tests.virtualboard import VirtualBoard, synthetic_firmware
from thonnycontrib.esp32cam.core import doctor, fastlink

pytestmark = pytest.mark.timeout(180)


def _weak_board(weak_after: int) -> VirtualBoard:
    board = VirtualBoard(firmware=synthetic_firmware("lemariva"), max_baud=460800, weak_after=weak_after)
    board.events.wait_for("firmware_started", timeout=20)
    return board


def _cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "thonnycontrib.esp32cam", *args], cwd=REPO_ROOT,
                          capture_output=True, text=True, timeout=120)


def _at_115200(board: VirtualBoard) -> bool:
    return abs(board.uart.chip_baud - 115200) < 115200 * 0.03


def test_snapshot_on_a_weak_adapter_picks_a_rate_that_carries_long_transfers(tmp_path):
    out = tmp_path / "photo.jpg"
    with _weak_board(3000) as board:
        first = _cli("snapshot", "--port", board.url, "-o", str(out), "--size", "QVGA")
        assert _at_115200(board), board.uart.chip_baud
        again = _cli("snapshot", "--port", board.url, "-o", str(out), "--size", "QVGA")
        assert _at_115200(board), board.uart.chip_baud
    assert first.returncode == 0, first.stdout + first.stderr
    assert "SyntaxError" not in first.stderr and "IndentationError" not in first.stderr
    assert "Link 460800 baud" in first.stdout
    assert again.returncode == 0, again.stdout + again.stderr  # no "did not answer"


def test_doctor_speed_check_does_not_call_a_garbling_rate_ok():
    with _weak_board(3000) as board:
        d = doctor.diagnose(board.url, ports=[], check_camera=False)
        assert _at_115200(board)
    speed = [line for line in d.evidence if line.startswith("serial speed")]
    assert speed and "921600 ok" not in speed[0] and "460800 ok" in speed[0], d.evidence
    assert d.extra["link"]["rate"] == 460800


def test_the_first_garbled_transfer_falls_back_to_115200_and_says_it_is_the_link(tmp_path):
    """A weak spot beyond the negotiation's long check (12 KB): the VGA frames (~15 KB) are
    the first transfer it garbles."""
    out = tmp_path / "photo.jpg"
    with _weak_board(12000) as board:
        proc = _cli("snapshot", "--port", board.url, "-o", str(out), "--size", "VGA")
        assert _at_115200(board), board.uart.chip_baud
        assert board.events.all("garbled")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "serial link garbled data at 921600 baud" in proc.stderr
    assert "camera" not in proc.stderr.lower() and "Traceback" not in proc.stderr
    assert "Link 115200 baud" in proc.stdout and out.stat().st_size > 10000


def test_a_board_that_does_not_come_back_to_115200_gets_one_message_saying_how(tmp_path):
    """The fast link is up at 921600, then the board stops answering (here: someone held
    BOOT and pressed RST, so the ROM waits in download mode): the restore cannot reach it,
    and the user is told once, exactly, how to bring the board back."""
    from thonnycontrib.esp32cam.commands.snapshot import _restore
    from thonnycontrib.esp32cam.core.camera.rawrepl import RawRepl

    with VirtualBoard(firmware=synthetic_firmware("lemariva")) as board:
        board.events.wait_for("firmware_started", timeout=20)
        ser = doctor.open_serial(board.url, baudrate=115200)
        try:
            repl = RawRepl(ser)
            negotiator = fastlink.Negotiator(repl.link_io(), repl.submit)
            link = negotiator.negotiate([921600])
            assert link.rate == 921600 and not _at_115200(board)
            board.hold_boot(True)
            board.press_reset()
            said = []
            assert _restore(negotiator, link.rate, said.append) is False
        finally:
            doctor.close_serial(ser)
    assert len(said) == 1, said
    assert "did not come back to 115200 baud" in said[0] and "921600" in said[0]
    assert "Press RST on the board (or unplug it and plug it in again)" in said[0]
