"""Camera frames per second over the board's Wi-Fi against the serial fast link, side by side.

    python benchmarks/bench_wifi_camera.py [--frames N] [--cap BAUD] [--family F]

One run, one virtual board (synthetic image of the driver family, MicroPython unix port as
firmware) on its loopback LAN at an ESP32's TCP rate (20 Mbit/s, tests/virtualboard/wifi.py)
with the OV2640's frame time in the mode esp32-camera picks (tests/virtualboard/firmware.py
``CameraSensor.frame_period``), behind an adapter capped at ``--cap`` (default 921600: a
CP2102's ceiling). For QVGA and VGA at quality 85: ``snapshot --count N --wifi`` (the
board's MJPEG server, core.camera.wifi_stream, whose camera has two frame buffers) and
``snapshot --count N`` over the serial fast link (one buffer). Prints a Markdown table with
the ratios and whether VGA meets the goal of 3× the serial rate (exit code 1 when not).
"""
from __future__ import annotations

import argparse
import contextlib
import io
import re
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.virtualboard import VirtualBoard, synthetic_firmware  # noqa: E402
from thonnycontrib.esp32cam.cli import main as cli  # noqa: E402

GOAL = 3.0  # VGA Live over Wi-Fi against the serial fast link
V127 = "MicroPython v1.27.0 on 2026-01-12; Generic ESP32 module with SPIRAM with ESP32"


def _fps(argv: list) -> float:
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        code = cli(argv)
    text = out.getvalue()
    found = re.search(r"([\d.]+) frames/s", text)
    if code != 0 or not found:
        raise SystemExit("failed: %s\n%s" % (" ".join(argv), text))
    return float(found.group(1))


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--frames", type=int, default=30)
    parser.add_argument("--cap", type=int, default=921600)
    parser.add_argument("--family", default="lemariva", choices=("lemariva", "kaki5", "cnadler86"))
    args = parser.parse_args()
    banner = None if args.family == "kaki5" else V127
    board = VirtualBoard(firmware=synthetic_firmware(args.family, banner=banner), wifi={"lab": "labpass123"},
                         wifi_lan="loopback", max_baud=args.cap)
    rows = []
    with board, tempfile.TemporaryDirectory() as tmp:
        board.events.wait_for("firmware_started", timeout=20)
        password = Path(tmp) / "pw"
        password.write_text("labpass123\n")
        with contextlib.redirect_stdout(io.StringIO()):
            if cli(["wifi", "-p", board.url, "--ssid", "lab", "--password-file", str(password), "--no-store"]):
                raise SystemExit("the board did not join the virtual access point")
        photo = str(Path(tmp) / "p.jpg")
        for size in ("QVGA", "VGA"):
            common = ["snapshot", "-p", board.url, "--count", str(args.frames), "--size", size, "-o", photo]
            serial = _fps(common)
            wifi = _fps(common + ["--wifi"])
            rows.append((size, serial, wifi))
    print("| %s, quality 85, %d frames | serial fast link (%d cap) | Wi-Fi | ratio |"
          % (args.family, args.frames, args.cap))
    print("|---|---|---|---|")
    for size, serial, wifi in rows:
        print("| %s | %.1f frames/s | %.1f frames/s | %.1f× |" % (size, serial, wifi, wifi / serial))
    vga = next(wifi / serial for size, serial, wifi in rows if size == "VGA")
    met = vga >= GOAL
    print("\nGoal (issue 23): VGA over Wi-Fi at least %.0f× the serial fast link: %.1f× — %s"
          % (GOAL, vga, "met" if met else "NOT met"))
    return 0 if met else 1


if __name__ == "__main__":
    sys.exit(main())
