"""The camera over the virtual board, without Thonny: the ``snapshot`` CLI and the
shared camera session on the raw REPL, for each driver family, plus the
explanations for boards without a camera driver, without PSRAM or without a sensor."""
from __future__ import annotations

import io
import os
import subprocess
import sys

import pytest
from PIL import Image

from tests.virtualboard import VirtualBoard, synthetic_firmware
from tests.virtualboard.camera_frames import BAR_COLOURS, bar_colour_at, decode_frame_number
from thonnycontrib.esp32cam.cli import main as cli_main
from thonnycontrib.esp32cam.core import doctor
from thonnycontrib.esp32cam.core.camera import problems
from thonnycontrib.esp32cam.core.camera.devicecode import CameraSettings
from thonnycontrib.esp32cam.core.camera.rawrepl import RawRepl
from thonnycontrib.esp32cam.core.camera.session import CameraSession
from thonnycontrib.esp32cam.core.camera.stream import frames_limit
from thonnycontrib.esp32cam.core.camera.transfer import read_frame
from thonnycontrib.esp32cam.core.fastlink import RUN_END

pytestmark = pytest.mark.timeout(120)


def _board(family, image_psram=True, **kwargs):
    board = VirtualBoard(firmware=synthetic_firmware(family=family, psram=image_psram), **kwargs)
    board.events.wait_for("firmware_started", timeout=20)
    return board


def _assert_test_pattern(jpeg: bytes, size):
    img = Image.open(io.BytesIO(jpeg))
    img.load()
    assert img.format == "JPEG" and img.size == size
    img = img.convert("RGB")
    for i, colour in enumerate(BAR_COLOURS):
        got = bar_colour_at(img, i)
        assert all(abs(a - b) < 40 for a, b in zip(got, colour)), (i, got, colour)
    return decode_frame_number(img)


@pytest.mark.parametrize("family", ["lemariva", "kaki5", "cnadler86"])
def test_snapshot_cli_saves_the_boards_test_pattern(family, tmp_path, capsys):
    out = tmp_path / "photo.jpg"
    with _board(family) as board:
        code = cli_main(["snapshot", "--port", board.url, "-o", str(out), "--size", "QVGA", "--quality", "80"])
        assert board.events.all("camera_frame"), "the board's camera delivered no frame"
    text = capsys.readouterr()
    assert code == 0, text
    assert "%s driver" % family in text.out and "320×240" in text.out
    assert _assert_test_pattern(out.read_bytes(), (320, 240)) >= 1
    assert [p.name for p in tmp_path.iterdir()] == ["photo.jpg"]  # no temp files left


@pytest.mark.parametrize("umask", [0o022, 0o077])
def test_snapshot_as_a_real_command_line(tmp_path, umask):
    out = tmp_path / "shot.jpg"
    with _board("lemariva") as board:
        proc = subprocess.run([sys.executable, "-m", "thonnycontrib.esp32cam", "snapshot", "--port", board.url,
                               "-o", str(out), "--size", "QQVGA"], capture_output=True, text=True, timeout=60,
                              preexec_fn=lambda: os.umask(umask))
    assert proc.returncode == 0, proc.stderr
    _assert_test_pattern(out.read_bytes(), (160, 120))
    assert out.stat().st_mode & 0o777 == 0o666 & ~umask  # the user's umask, not mkstemp's 0600
    assert [p.name for p in tmp_path.iterdir()] == ["shot.jpg"]  # no temporary file left


# a user's own minimal camera.init() per driver: it fails while the plug-in still holds the camera
USER_INIT = {
    "lemariva": "import camera\nprint('USER', camera.init(0, format=camera.JPEG))\ncamera.deinit()",
    "kaki5": "import camera\ncamera.conf(17, 5)\ncamera.conf(18, 2)\nprint('USER', camera.init())\ncamera.deinit()",
    "cnadler86": "from camera import Camera\nc = Camera()\nprint('USER', c is not None)\nc.deinit()",
}


@pytest.mark.parametrize("family", ["lemariva", "kaki5", "cnadler86"])
def test_session_live_frames_settings_and_release(family):
    with _board(family) as board:
        ser = doctor.open_serial(board.url)
        try:
            repl = RawRepl(ser)
            session = CameraSession(repl)
            assert session.detect().family == family
            mark = board.events.mark()
            session.start(CameraSettings("QVGA", 50))
            numbers = [_assert_test_pattern(session.capture().jpeg, (320, 240)) for _ in range(3)]
            assert numbers == sorted(set(numbers)), numbers  # live: successive, different frames
            assert len(board.events.all("camera_init", since=mark)) == 1  # initialised once
            # streamed: exactly the frames asked for, successive; a stop ends after the credit given
            streamed = []
            assert session.stream(streamed.append, frames_limit(4)) == 4
            more = [_assert_test_pattern(c.jpeg, (320, 240)) for c in streamed]
            assert more == sorted(set(more)) and more[0] > numbers[-1], (numbers, more)
            stopped = []
            assert session.stream(stopped.append, lambda: len(stopped) < 2) == 4 == len(stopped)
            # a host that grants nothing more: the board ends the stream by itself, in step
            repl.submit(session.protocol.stream_code(credit=2, silent_ms=300))
            assert [read_frame(repl.source, 10).kind for _ in range(2)] == ["J", "J"]
            end = read_frame(repl.source, 10)
            assert (end.kind, end.text) == ("K", "2")
            assert RUN_END.search(repl.source.read_until(RUN_END, 5))
            session.apply(CameraSettings("QQVGA", 50))
            small = session.capture().jpeg
            assert Image.open(io.BytesIO(small)).size == (160, 120)
            session.apply(CameraSettings("QQVGA", 50, hmirror=True))
            mirrored = Image.open(io.BytesIO(session.capture().jpeg)).convert("RGB")
            assert bar_colour_at(mirrored, 0)[0] < 40  # black bar now on the left
            best = len(session.capture(CameraSettings("QVGA", 100)).jpeg)
            worst = len(session.capture(CameraSettings("QVGA", 0)).jpeg)
            assert best > worst  # quality 100 = best on the plug-in's scale, whatever the driver's
            session.release()
            assert board.events.all("camera_deinit", since=mark)
            # released: a user's own camera init works again
            out = repl.exec_text(USER_INIT[family])
            assert "USER True" in out, out
            repl.leave()
        finally:
            doctor.close_serial(ser)


@pytest.mark.parametrize("kwargs, kind, words", [
    ({"family": None}, problems.NO_CAMERA_MODULE, "no 'camera' module"),
    # a camera build that boots without PSRAM (a PSRAM-only build boot-loops: the doctor's case)
    ({"family": "lemariva", "psram": False, "image_psram": False}, problems.NO_PSRAM, "Camera frame buffers live in PSRAM"),
    ({"family": "kaki5", "camera_missing": True}, problems.INIT_FAILED, "ribbon cable"),
])
def test_snapshot_explains_what_is_wrong(kwargs, kind, words, tmp_path, capsys):
    family = kwargs.pop("family")
    out = tmp_path / "photo.jpg"
    with _board(family, **kwargs) as board:
        code = cli_main(["snapshot", "--port", board.url, "-o", str(out)])
    err = capsys.readouterr().err
    assert code == 1 and words in err, err
    assert not out.exists()
    expected_title = {problems.NO_CAMERA_MODULE: "no camera driver", problems.NO_PSRAM: "needs PSRAM",
                      problems.INIT_FAILED: "Camera Init Failed"}[kind]
    assert expected_title in err


def test_snapshot_rejects_bad_arguments_before_touching_the_port(capsys):
    with pytest.raises(SystemExit):
        cli_main(["snapshot", "--port", "rfc2217://127.0.0.1:9", "--size", "HUGE"])
    assert "Choose one of" in capsys.readouterr().err
    assert cli_main(["snapshot", "--port", "rfc2217://127.0.0.1:9", "-o", "/nonexistent-dir/x.jpg"]) == 2


@pytest.mark.parametrize("baud", ["115200", "auto"])
def test_snapshot_reports_a_dropped_connection_without_a_traceback(tmp_path, capsys, baud):
    out = tmp_path / "photo.jpg"
    # dies while the camera helper (115200) or the fast link's helper (auto) is being sent
    with _board("lemariva", drop_after=1500) as board:
        code = cli_main(["snapshot", "--port", board.url, "-o", str(out), "--baud", baud])
    err = capsys.readouterr().err
    assert code == 3 and "connection to the board failed" in err and "Traceback" not in err, err
    assert not out.exists()
