"""Camera frames over the board's Wi-Fi (core.camera.wifi_stream, ``snapshot --wifi``) on the
virtual board's loopback LAN, where the host reaches the board at the address it reports."""
from __future__ import annotations

import http.client
import io
import socket

import pytest
from PIL import Image

from tests.virtualboard import VirtualBoard, synthetic_firmware
from tests.virtualboard.testing import open_client
from thonnycontrib.esp32cam.cli import main
from thonnycontrib.esp32cam.core import wifi
from thonnycontrib.esp32cam.core.camera import transfer, wifi_stream
from thonnycontrib.esp32cam.core.camera.devicecode import CameraSettings
from thonnycontrib.esp32cam.core.camera.rawrepl import RawRepl
from thonnycontrib.esp32cam.core.camera.session import CameraSession

V127 = "MicroPython v1.27.0 on 2026-01-12; Generic ESP32 module with SPIRAM with ESP32"
BANNERS = {"lemariva": V127, "kaki5": None, "cnadler86": V127}


def _board(family: str) -> VirtualBoard:
    board = VirtualBoard(firmware=synthetic_firmware(family, banner=BANNERS[family]),
                         wifi={"lab": "labpass123"}, wifi_lan="loopback")
    board.__enter__()
    board.events.wait_for("firmware_started", timeout=20)
    return board


def _join(board: VirtualBoard) -> None:
    with open_client(board.url) as port:
        repl = RawRepl(port)
        out = repl.exec_text(wifi.join_code("lab", "labpass123", 10), timeout=25)
        repl.leave()
    assert wifi.parse_join(out).status == wifi.STAT_GOT_IP


@pytest.mark.parametrize("family", ["lemariva", "kaki5", "cnadler86"])
def test_snapshot_over_wifi_saves_a_whole_frame_and_stops_the_server(family, tmp_path, capsys):
    board = _board(family)
    try:
        _join(board)
        out_file = tmp_path / "w.jpg"
        code = main(["snapshot", "-p", board.url, "--wifi", "--count", "5", "--size", "QVGA", "-o", str(out_file)])
        out = capsys.readouterr().out
        assert code == 0, out
        with Image.open(out_file) as im:
            assert im.size == (320, 240)
        assert "over Wi-Fi from %s:8081" % board.wifi.ip in out and "Wi-Fi, 5 frames" in out
        # the server's camera has two frame buffers (the sensor's full rate), serial one
        counts = [e.data["fb_count"] for e in board.events.all("camera_frame")]
        assert counts[-5:] == [2] * 5, counts
        # the server is gone and the REPL is free: a second run starts it again
        with pytest.raises(OSError):
            socket.create_connection((board.wifi.ip, 8081), timeout=2).close()
        assert main(["snapshot", "-p", board.url, "--wifi", "-o", str(out_file)]) == 0
    finally:
        board.__exit__(None, None, None)


def test_a_board_off_the_network_is_told_what_to_do(tmp_path, capsys):
    board = _board("lemariva")
    try:
        assert main(["snapshot", "-p", board.url, "--wifi", "-o", str(tmp_path / "w.jpg")]) == 1
        assert "not on a Wi-Fi network" in capsys.readouterr().err
        assert not (tmp_path / "w.jpg").exists()
    finally:
        board.__exit__(None, None, None)


def test_the_stream_takes_size_and_quality_from_the_request_and_evaluates_nothing_else():
    board = _board("lemariva")
    try:
        _join(board)
        with open_client(board.url) as port:
            repl = RawRepl(port)
            session = CameraSession(repl, encoding=transfer.RAW)
            family = session.detect().family
            session.start(CameraSettings("VGA", 85))
            host, http_port = wifi_stream.parse_address(repl.exec_text(wifi_stream.start_code(family), timeout=15))
            stream = wifi_stream.MjpegStream(host, http_port, frame_size="QVGA", quality=40)
            first = next(iter(stream.frames()))
            stream.close()
            with Image.open(io.BytesIO(first)) as im:
                assert im.size == (320, 240)
            # a query the table does not know changes nothing; other paths are not served
            conn = http.client.HTTPConnection(host, http_port, timeout=10)
            conn.request("GET", "/capture?size=__import__('os').remove('boot.py')&quality=999")
            resp = conn.getresponse()
            body = resp.read()
            assert resp.status == 200 and resp.getheader("Content-Type") == "image/jpeg"
            with Image.open(io.BytesIO(body)) as im:
                assert im.size == (320, 240)
            conn = http.client.HTTPConnection(host, http_port, timeout=10)
            conn.request("GET", "/")
            assert conn.getresponse().status == 404
            frames = int(repl.exec_text(wifi_stream.stop_code(), timeout=10).strip())
            assert frames >= 1
            assert repl.exec_text("import os; print('boot.py' in os.listdir('/'))").strip() == "True"
            session.release()
            repl.leave()
    finally:
        board.__exit__(None, None, None)


def test_a_cut_stream_or_a_server_that_is_not_there_is_a_clear_error():
    with pytest.raises(wifi_stream.WifiCameraError, match="cannot be reached"):
        wifi_stream.MjpegStream("127.0.0.1", 9, timeout=2)
    with pytest.raises(wifi_stream.NotOnWifi):
        wifi_stream.parse_address("NO-WIFI\n")
    with pytest.raises(ValueError):
        wifi_stream.parse_address("Traceback ...")
