"""Files view upload and download through adapters with and without a latency timer.

    python benchmarks/bench_adapter_latency.py [--size KB]

One run, fresh virtual boards at real line rate, the fast link at 921600: a CH340
model (passes bytes on at once) against an FT232R model (holds bytes back up to
its 16 ms latency timer unless a USB packet fills: Linux ftdi_sio's default).
The plug-in's upload keeps two 121-byte blocks in flight (the ESP32's stdin ring
holds 259 bytes) and waits for their acknowledgements, so the timer costs it most;
the download streams.
Prints a Markdown table."""
from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.thonny_harness import private_display, run_scenario  # noqa: E402
from tests.virtualboard import VirtualBoard, synthetic_firmware  # noqa: E402


def scenario(h, url, workdir, size):
    from benchmarks.bench_fast_link import files_up_and_down

    h.select_backend("ESP32CAM", port=url, serial_speed="auto:921600")
    h.wait_for_prompt(60)
    up, down, same = files_up_and_down(h, workdir, size, "fast")
    assert same, "not byte-exact"
    return {"up": up, "down": down}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", type=int, default=100, help="file size in KB (default 100)")
    args = parser.parse_args()
    rows = {}
    with private_display():
        for adapter in ("ch340", "ft232r"):
            with VirtualBoard(firmware=synthetic_firmware("lemariva"), flash_timing="fast", adapter=adapter) as board:
                board.events.wait_for("firmware_started", timeout=20)
                time.sleep(0.5)
                with tempfile.TemporaryDirectory() as tmp:
                    rows[adapter] = run_scenario(scenario, Path(tmp) / "user", url=board.url, workdir=tmp,
                                                 size=args.size * 1024, timeout=1800)
    kb = args.size * 1.024
    print("| Files view, %d KB, 921600 baud | CH340 model | FT232R model (16 ms timer) | ratio |" % args.size)
    print("|---|---|---|---|")
    for key, label in (("up", "upload"), ("down", "download")):
        a, b = rows["ch340"][key], rows["ft232r"][key]
        print("| %s | %.1f s (%.1f kB/s) | %.1f s (%.1f kB/s) | %.1f× slower |" % (label, a, kb / a, b, kb / b, b / a))
    return 0


if __name__ == "__main__":
    sys.exit(main())
