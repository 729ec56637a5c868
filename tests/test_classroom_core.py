"""The multi-board runner's own rules (core.classroom, commands.multiboard, ports):
parallel jobs, per-board timeout, exit code, progress lines, summary, identity."""
from __future__ import annotations

import argparse
import io
import threading
import time
from types import SimpleNamespace

import pytest

from thonnycontrib.esp32cam.commands import multiboard
from thonnycontrib.esp32cam.core import classroom as cr
from thonnycontrib.esp32cam.core import ports as pt


def test_a_hung_board_is_given_up_and_cancelled_without_stopping_the_others():
    cancelled = threading.Event()
    release = threading.Event()
    together = threading.Barrier(3, timeout=5)  # only trips if the three jobs run at the same time

    def job(board: cr.BoardRun) -> None:
        if board.port == "hung":
            board.cancel = cancelled.set
            release.wait(10)           # answers only after it was given up ...
            board.finish(True, "ok")   # ... and that late answer does not count
            return
        together.wait()
        board.finish(board.port != "bad", "ok" if board.port != "bad" else "link", "slow link", exit_code=1)

    started = time.monotonic()
    boards = cr.run_boards(["a", "hung", "bad", "b"], job, timeout=1.0)
    took = time.monotonic() - started
    release.set()
    assert [(b.port, b.ok, b.result) for b in boards] == [
        ("a", True, "ok"), ("hung", False, "timeout"), ("bad", False, "link"), ("b", True, "ok")]
    assert cancelled.is_set()
    assert took >= 1.0  # the hung board had its whole timeout
    time.sleep(0.1)
    assert boards[1].result == "timeout"
    assert cr.exit_code(boards) == 1


def test_exit_code_is_zero_only_when_every_board_succeeded():
    ok, manual = cr.BoardRun("a"), cr.BoardRun("b")
    ok.finish(True, "ok")
    manual.finish(False, "download-mode", exit_code=3)
    assert cr.exit_code([ok]) == 0
    assert cr.exit_code([ok, manual]) == 3
    boards = cr.run_boards(["x"], lambda b: 1 / 0, timeout=5)
    assert boards[0].result == "error" and "ZeroDivisionError" in boards[0].message
    assert cr.exit_code([ok] + boards) == 2


def test_progress_is_rewritten_in_place_only_on_a_terminal():
    plain, tty = io.StringIO(), io.StringIO()
    for stream, is_tty in ((plain, False), (tty, True)):
        lines = cr.StatusLines(["COM3", "COM10"], stream, tty=is_tty)
        board = cr.BoardRun("COM10")
        board.mac = "24:0a:c4:00:00:01"
        for percent in (0, 3, 12, 15, 100):
            board.status, board.percent = "writing", percent
            lines.update(board)
    assert "\x1b[" not in plain.getvalue()
    assert plain.getvalue().splitlines() == [  # one line per 10 %, each naming its board
        "COM10 [24:0a:c4:00:00:01]: writing   0 %", "COM10 [24:0a:c4:00:00:01]: writing  12 %",
        "COM10 [24:0a:c4:00:00:01]: writing 100 %"]
    frames = tty.getvalue().split("\x1b[2F")  # after the first drawing: back up two lines
    assert len(frames) == 5 and frames[-1] == ("\x1b[2KCOM3 : waiting\n"
                                               "\x1b[2KCOM10 [24:0a:c4:00:00:01]: writing 100 %\n")


def test_summary_table_json_and_csv(tmp_path):
    good, bad = cr.BoardRun("/dev/ttyUSB0", mac="24:0a:c4:00:00:01"), cr.BoardRun("/dev/ttyUSB1")
    good.firmware = bad.firmware = "lemariva-v1.21"
    good.detail["baud"] = 115200
    good.finish(True, "ok", "Firmware written and verified at 115200 baud.")
    bad.finish(False, "port-busy", "/dev/ttyUSB1 is in use by another program.\nClose it.")
    good.seconds, bad.seconds = 12.04, 0.5
    text = cr.summary_table([good, bad])
    assert text.splitlines() == [
        "PORT          MAC                RESULT              FIRMWARE        TIME",
        "/dev/ttyUSB0  24:0a:c4:00:00:01  ok (115200 baud)    lemariva-v1.21  12.0 s",
        "/dev/ttyUSB1  ?                  FAILED (port-busy)  lemariva-v1.21  0.5 s",
        "1 of 2 boards ok, 1 failed:",
        "  /dev/ttyUSB1: /dev/ttyUSB1 is in use by another program."]
    assert [d["exit_code"] for d in cr.to_json([good, bad])] == [0, 1]
    log = tmp_path / "tray.csv"
    cr.append_csv_log(str(log), [good], "flash")
    cr.append_csv_log(str(log), [bad], "flash")
    rows = log.read_text(encoding="utf-8").splitlines()
    assert rows[0] == ",".join(cr.CSV_FIELDS) and len(rows) == 3  # one header, a row per board
    assert rows[2].endswith(",/dev/ttyUSB1,,lemariva-v1.21,,flash:port-busy,no,0.5,"
                            "/dev/ttyUSB1 is in use by another program.")


def test_mac_is_read_from_either_esptool_generation():
    assert cr.mac_from_esptool_line("MAC: 24:0a:c4:5c:a3:01") == "24:0a:c4:5c:a3:01"        # esptool 4
    assert cr.mac_from_esptool_line("MAC:                24:0A:C4:5C:A3:01") == "24:0a:c4:5c:a3:01"  # 5
    assert cr.mac_from_esptool_line("Writing at 0x00010000 [MAC: x]") is None
    assert cr.mac_from_unique_id_output("UID 24:0a:c4:00:00:07\r\n") == "24:0a:c4:00:00:07"


def _record(device, vid=None, pid=None, description=""):
    return SimpleNamespace(device=device, vid=vid, pid=pid, description=description)


def test_all_means_camera_adapters_and_configured_network_ports():
    records = [_record("/dev/ttyUSB1", 0x10C4, 0xEA60), _record("/dev/ttyS0"),
               _record("/dev/ttyACM0", 0x2E8A, 0x0005, "Pico"), _record("/dev/ttyUSB0", 0x1A86, 0x7523),
               _record("/dev/ttyACM1", 0x1234, 0x5678, "ESP32-CAM-MB")]
    env = {pt.NETWORK_PORTS_ENV: "rfc2217://10.0.0.5:4000, socket://lab:4001 rfc2217://10.0.0.5:4000"}
    assert pt.camera_adapter_ports(records, env) == (
        "/dev/ttyACM1", "/dev/ttyUSB0", "/dev/ttyUSB1", "rfc2217://10.0.0.5:4000", "socket://lab:4001")
    with pytest.raises(ValueError, match="ESP32CAM_NETWORK_PORTS: 'http://' is not a serial port URL"):
        pt.network_ports_from_env({pt.NETWORK_PORTS_ENV: "http://lab:80"})


def _args(*argv):
    parser = argparse.ArgumentParser()
    multiboard.add_arguments(parser, timeout=60)
    return parser.parse_args(argv)


def test_ports_are_checked_before_any_board_is_touched():
    assert not multiboard.is_multi(_args("--port", "COM5"))  # one port: the command as before
    assert multiboard.is_multi(_args("--port", "COM5", "--log", "x.csv"))
    assert multiboard.is_multi(_args("--port", "COM5", "--json"))  # flash/snapshot: a list of one
    assert not multiboard.is_multi(_args("--port", "COM5", "--json"), json_is_multi=False)  # doctor
    assert multiboard.resolve_ports(_args("--port", "COM5", "--port", "COM6")) == ["COM5", "COM6"]
    with pytest.raises(ValueError, match="COM5 given twice"):
        multiboard.resolve_ports(_args("--port", "COM5", "--port", "COM5"))
    with pytest.raises(ValueError, match="neither a serial device"):
        multiboard.resolve_ports(_args("--port", "COM5", "--port", "kitchen"))
    with pytest.raises(SystemExit):  # --all and --port exclude each other
        _args("--all", "--port", "COM5")
