"""A classroom tray: several virtual boards at their real line rate, handled at once
by the CLI (real esptool subprocesses, one per board, over RFC2217).

The tray mixes conditions: a healthy board, one behind a weak adapter that needs
the baud fallback, a blank one, one whose connection drops mid-write. Each must
get its own right result, identified by its own MAC, and nothing may leak from
one board to another.
"""
from __future__ import annotations

import csv
import json
import os
import random
import struct
import subprocess
import sys
from pathlib import Path

import pytest

from tests.virtualboard import VirtualBoard, synthetic_firmware
from tests.virtualboard.esp_image import build_image
from tests.virtualboard.images import LAYOUT
from tests.virtualboard.testing import FASTCLIENT_DIR

REPO = Path(__file__).resolve().parent.parent
MACS = {"healthy": "24:0a:c4:c1:a5:01", "weak": "24:0a:c4:c1:a5:02",
        "blank": "24:0a:c4:c1:a5:03", "drops": "24:0a:c4:c1:a5:04"}


def _cli(args, env, timeout=240):
    return subprocess.run([sys.executable, "-m", "thonnycontrib.esp32cam", *args], env=env,
                          cwd=str(REPO), capture_output=True, text=True, timeout=timeout)


def _env(tmp_path, **extra):
    path = os.pathsep.join(p for p in (str(FASTCLIENT_DIR), str(REPO), os.environ.get("PYTHONPATH")) if p)
    return dict(os.environ, PYTHONPATH=path, THONNY_USER_DIR=str(tmp_path / "user"), **extra)


def _camera_image(extra: int) -> bytes:
    """The synthetic lemariva image with ``extra`` incompressible bytes in its app's code
    segment: the app then carries most of the wire traffic, so a connection that drops
    mid-write leaves a damaged app (the IDF bootloader refuses it), not just a short tail."""
    base = synthetic_firmware("lemariva")
    app_at = LAYOUT["esp32"]["app"]
    app = base[app_at:]
    count, entry = app[1], struct.unpack_from("<I", app, 4)[0]
    segments, pos = [], 24
    for _ in range(count):
        addr, size = struct.unpack_from("<II", app, pos)
        data = app[pos + 8:pos + 8 + size]
        if addr == 0x400D0020:  # IROM: the code
            data += random.Random(7).randbytes(extra)
        segments.append((addr, data))
        pos += 8 + size
    return base[:app_at] + build_image(segments, entry)


def _tray():
    """Four boards; erase and program at the chip's speed is not what is tested here
    (flash_timing="fast"), the serial line runs at its real rate."""
    old = synthetic_firmware("kaki5")
    return {
        "healthy": VirtualBoard(flash_timing="fast", mac=MACS["healthy"], firmware=old),
        "weak": VirtualBoard(flash_timing="fast", mac=MACS["weak"], max_baud=115200, weak_after=1024),
        "blank": VirtualBoard(flash_timing="fast", mac=MACS["blank"], erase_flash=True),
        "drops": VirtualBoard(flash_timing="fast", mac=MACS["drops"], firmware=old, drop_after=32 * 1024),
    }


@pytest.mark.esptool
def test_a_mixed_tray_is_flashed_in_parallel_then_checked(tmp_path):
    image = _camera_image(48 * 1024)
    path = tmp_path / "camera.bin"
    path.write_bytes(image)
    log = tmp_path / "tray.csv"
    tray = _tray()
    try:
        by_url = {b.url: name for name, b in tray.items()}
        args = ["flash", "--file", str(path), "--yes", "--json", "--log", str(log)]
        for board in tray.values():
            args += ["--port", board.url]
        proc = _cli(args, _env(tmp_path))
        assert proc.returncode == 1, proc.stdout + proc.stderr  # one board failed
        results = {by_url[r["port"]]: r for r in json.loads(proc.stdout)}
        assert {name: r["mac"] for name, r in results.items()} == MACS
        assert {name: (r["ok"], r["result"], r["exit_code"]) for name, r in results.items()} == {
            "healthy": (True, "ok", 0), "weak": (True, "ok", 0), "blank": (True, "ok", 0),
            "drops": (False, "connection-lost", 1)}, proc.stdout
        # the weak adapter fell back on its own; the others were not slowed down to its rate
        assert {name: r["baud"] for name, r in results.items()} == {
            "healthy": 921600, "weak": 115200, "blank": 921600, "drops": 921600}
        assert "connection to the board was lost" in results["drops"]["message"]
        # in parallel: every board's first esptool session began before any of them ended
        sessions = [(b.events.all("client_connected")[0].time, b.events.all("client_disconnected")[0].time)
                    for b in tray.values()]
        assert max(start for start, _ in sessions) < min(end for _, end in sessions), sessions
        assert all(r["sha256"] == results["healthy"]["sha256"] for r in results.values())
        for name in ("healthy", "weak", "blank"):
            assert results[name]["banner"].startswith("MicroPython v1.21.0"), results[name]
        # nothing leaked: each board's flash, faults and events are its own
        for name, board in tray.items():
            written = board.flash.read(0x1000, len(image)) == image
            assert written == (name != "drops"), name
            assert bool(board.events.all("connection_dropped")) == (name == "drops"), name
            assert bool(board.events.all("garbled")) == (name == "weak"), name
        # the CSV log: one row per board, its MAC next to its port
        rows = list(csv.DictReader(log.open(encoding="utf-8")))
        assert {by_url[r["port"]]: (r["mac"], r["result"], r["ok"]) for r in rows} == {
            "healthy": (MACS["healthy"], "flash:ok", "yes"), "weak": (MACS["weak"], "flash:ok", "yes"),
            "blank": (MACS["blank"], "flash:ok", "yes"),
            "drops": (MACS["drops"], "flash:connection-lost", "no")}
        assert {r["firmware"] for r in rows} == {"camera.bin"}

        # then the doctor on every detected board (--all), with the text summary
        env = _env(tmp_path, ESP32CAM_NETWORK_PORTS=" ".join(b.url for b in tray.values()))
        tray["drops"].transport.drop_after = None  # the doctor's traffic is small anyway
        proc = _cli(["doctor", "--all", "--no-speed-check", "--no-camera-check"], env)
        assert proc.returncode == 1, proc.stdout + proc.stderr
        table = proc.stdout.splitlines()
        assert table[0].split() == ["PORT", "MAC", "RESULT", "DIAGNOSIS", "TIME"]
        rows = {by_url[line.split()[0]]: line for line in table[1:5]}
        for name in ("healthy", "weak", "blank"):
            assert f"{MACS[name]}  ok " in rows[name], proc.stdout
        # the board whose write broke off has a damaged app: its MAC came from the ROM
        assert f"{MACS['drops']}  FAILED (" in rows["drops"], proc.stdout
        assert "3 of 4 boards ok, 1 failed:" in proc.stdout
        assert f"{tray['drops'].url} [{MACS['drops']}]: " in proc.stdout
        # one plain progress line per change, every line names its board
        progress = [line for line in proc.stderr.splitlines() if line.startswith("rfc2217://")]
        for url, name in by_url.items():
            assert any(line.startswith(f"{url} [{MACS[name]}]: ") for line in progress), proc.stderr
        assert "\x1b[" not in proc.stderr  # no in-place rewriting when not on a terminal
    finally:
        for board in tray.values():
            board.close()


def test_snapshot_of_several_boards_names_each_photo_after_its_board(tmp_path):
    boards = {"ok": VirtualBoard(flash_timing="fast", firmware=synthetic_firmware("cnadler86"), mac=MACS["healthy"]),
              "no_sensor": VirtualBoard(flash_timing="fast", firmware=synthetic_firmware("lemariva"),
                                        mac=MACS["weak"], camera_missing=True)}
    try:
        for board in boards.values():
            board.events.wait_for("firmware_started", timeout=20)
        args = ["snapshot", "-o", str(tmp_path / "class.jpg"), "--baud", "115200"]
        for board in boards.values():
            args += ["--port", board.url]
        proc = _cli(args, _env(tmp_path), timeout=120)
    finally:
        for board in boards.values():
            board.close()
    assert proc.returncode == 1, proc.stdout + proc.stderr  # the failed board's own code (camera)
    photo = tmp_path / "class-240ac4c1a501.jpg"
    assert photo.read_bytes()[:2] == b"\xff\xd8" and sorted(p.name for p in tmp_path.glob("*.jpg")) == [photo.name]
    lines = proc.stdout.splitlines()
    assert lines[0].split() == ["PORT", "MAC", "RESULT", "PHOTO", "TIME"]
    assert f"{MACS['healthy']}  ok " in lines[1 + list(boards).index("ok")] and photo.name in proc.stdout
    assert f"{MACS['weak']}  FAILED (camera)" in lines[1 + list(boards).index("no_sensor")]
    assert "1 of 2 boards ok, 1 failed:" in proc.stdout and "Camera Init Failed" in proc.stdout
