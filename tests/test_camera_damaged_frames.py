"""Camera frames damaged on the way (issue 24): line noise on the board->host wire,
made by the virtual board (``Uart.flip_to_host``), is caught by the frame's CRC-32;
a damaged frame is asked for again or reported, never saved as a photo."""
from __future__ import annotations

import io

import pytest
from PIL import Image

from tests.virtualboard import VirtualBoard, synthetic_firmware
from thonnycontrib.esp32cam.cli import main as cli_main
from thonnycontrib.esp32cam.core import doctor
from thonnycontrib.esp32cam.core.camera.devicecode import CameraSettings
from thonnycontrib.esp32cam.core.camera.rawrepl import RawRepl
from thonnycontrib.esp32cam.core.camera.session import CameraSession
from thonnycontrib.esp32cam.core.camera.stream import frames_limit

pytestmark = pytest.mark.timeout(120)
JPEG_FRAME = b"\x02ESPCAM:J:"  # the header of a JPEG frame (the noise starts after it)


def _board():
    board = VirtualBoard(firmware=synthetic_firmware(family="lemariva"))
    board.events.wait_for("firmware_started", timeout=20)
    return board


def _decodes(jpeg: bytes) -> bool:
    with Image.open(io.BytesIO(jpeg)) as im:
        im.load()
    return True


@pytest.mark.parametrize("flipped", [1, 40])
def test_one_damaged_frame_is_asked_for_again(flipped, tmp_path, capsys):
    out = tmp_path / "photo.jpg"
    with _board() as board:
        board.uart.flip_to_host(JPEG_FRAME, flipped, times=1)
        code = cli_main(["snapshot", "--port", board.url, "-o", str(out), "--size", "QVGA", "-b", "115200"])
        assert board.events.all("flipped"), "the fault did not reach a frame"
    text = capsys.readouterr()
    assert code == 0, text
    assert "Traceback" not in text.err
    assert _decodes(out.read_bytes())
    assert len(board.events.all("camera_frame")) >= 2  # the damaged one, then a good one


def test_a_link_that_damages_every_frame_writes_nothing_and_says_so(tmp_path, capsys):
    out = tmp_path / "photo.jpg"
    with _board() as board:
        board.uart.flip_to_host(JPEG_FRAME, 40, times=1000)
        code = cli_main(["snapshot", "--port", board.url, "-o", str(out), "--size", "QVGA", "-b", "115200"])
        again = cli_main(["snapshot", "--port", board.url, "-o", str(out), "--count", "3", "-b", "115200"])
    text = capsys.readouterr()
    assert code == 1 and again == 1, text
    assert "damaged on the way" in text.err and "Traceback" not in text.err
    assert list(tmp_path.iterdir()) == []  # no photo, no temporary file


def test_a_stream_drops_damaged_frames_and_stays_in_step():
    with _board() as board:
        ser = doctor.open_serial(board.url)
        try:
            session = CameraSession(RawRepl(ser))
            session.start(CameraSettings("QQVGA", 50))
            board.uart.flip_to_host(JPEG_FRAME, 3, times=2)
            got = []
            assert session.stream(got.append, frames_limit(5)) == 5  # the board sent 5
            assert len(got) == 3 and all(_decodes(c.jpeg) for c in got)
            assert _decodes(session.capture().jpeg)  # the REPL is still in step
        finally:
            doctor.close_serial(ser)
