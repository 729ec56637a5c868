"""Pure logic behind the ESP32-CAM interpreter: line options, ports, messages."""
from __future__ import annotations

import pytest

from thonnycontrib.esp32cam.core.lines import (
    coerce_line_option,
    describe_line,
    miniterm_args,
    release_order,
)
from thonnycontrib.esp32cam.core.ports import (
    ADAPTER_VIDS_PIDS,
    adapter_name,
    check_port_text,
    describes_camera_board,
    is_url_port,
    url_port_label,
)
from thonnycontrib.esp32cam.core.port_errors import open_error_message


@pytest.mark.parametrize("raw, value", [(True, True), (False, False)])
def test_real_booleans_pass_without_note(raw, value):
    coerced = coerce_line_option("dtr", raw)
    assert coerced.value is value and coerced.note is None


@pytest.mark.parametrize("raw, value", [
    ("false", False), ("FALSE", False), (" no ", False), ("0", False), (0, False),
    ("true", True), ("Yes", True), ("on", True), (1, True),
])
def test_common_spellings_are_understood_with_a_note(raw, value):
    coerced = coerce_line_option("rts", raw)
    assert coerced.value is value
    assert coerced.note and repr(raw) in coerced.note


@pytest.mark.parametrize("raw", ["maybe", "", None, 2, [1], "None?"])
def test_garbage_falls_back_to_the_default_and_says_so(raw):
    coerced = coerce_line_option("dtr", raw, default=False)
    assert coerced.value is False
    assert "ignored" in coerced.note and "released" in coerced.note
    assert coerce_line_option("dtr", raw, default=True).value is True


def test_rts_is_released_before_dtr():
    assert release_order() == ["rts", "dtr"]


def test_line_descriptions_name_the_pin():
    assert "IO0 high" in describe_line("dtr", False)
    assert "EN low" in describe_line("rts", True)


def test_miniterm_keeps_the_chosen_line_states():
    args = miniterm_args("rfc2217://127.0.0.1:4000", dtr=False, rts=True)
    assert args[args.index("--dtr") + 1] == "0"
    assert args[args.index("--rts") + 1] == "1"
    assert args[-2:] == ["rfc2217://127.0.0.1:4000", "115200"]


def test_adapter_table_covers_the_usual_esp32_cam_programmers():
    for vid_pid, name in [((0x1A86, 0x7523), "CH340"), ((0x1A86, 0x55D4), "CH9102"),
                          ((0x10C4, 0xEA60), "CP210x"), ((0x0403, 0x6001), "FT232R")]:
        assert vid_pid in ADAPTER_VIDS_PIDS and adapter_name(*vid_pid) == name
    assert adapter_name(0x2E8A, 0x0005) is None and adapter_name(None, None) is None


@pytest.mark.parametrize("port, url", [
    ("rfc2217://127.0.0.1:4000", True), ("socket://10.0.0.2:23", True), ("RFC2217://h:1", True),
    ("/dev/ttyUSB0", False), ("COM3", False), ("http://x:1", False), ("", False), (None, False),
])
def test_url_detection(port, url):
    assert is_url_port(port) is url


def test_camera_board_descriptions():
    assert describes_camera_board("ESP32-CAM-MB USB Serial")
    assert describes_camera_board("AI Thinker ESP32 CAM")
    assert not describes_camera_board("USB2.0-Serial")
    assert not describes_camera_board(None)


@pytest.mark.parametrize("text, ok", [
    ("auto", True), ("rfc2217://192.168.1.20:4000", True), ("socket://[::1]:4000", True),
    ("COM12", True), ("/dev/ttyUSB0", True),
    ("", False), ("hello", False), ("http://192.168.1.20:80", False), ("rfc2217://nohostport", False),
])
def test_typed_ports_are_checked(text, ok):
    port, error = check_port_text(text)
    assert (port is not None) is ok and (error is None) is ok
    if not ok:
        assert len(error) > 20


def test_url_labels():
    assert url_port_label("rfc2217://10.0.0.5:4000") == "Network serial (RFC 2217) @ 10.0.0.5:4000"
    assert url_port_label("socket://h:1") == "Raw TCP serial @ h:1"


def test_open_errors_tell_what_to_do():
    busy = open_error_message("/dev/ttyUSB0", "[Errno 11] Could not exclusively lock port /dev/ttyUSB0", 11, "linux")
    assert "Another program" in busy
    denied = open_error_message("/dev/ttyUSB0", "[Errno 13] Permission denied", 13, "linux")
    assert "dialout" in denied
    missing = open_error_message("COM7", "FileNotFoundError(2, ...)", None, "win32")
    assert "port not found" in missing
    refused = open_error_message("rfc2217://127.0.0.1:9", "Could not open port rfc2217://127.0.0.1:9: [Errno 111] Connection refused", None, "linux")
    assert "server" in refused and "running" in refused
