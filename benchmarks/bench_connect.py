"""Connect-to-prompt time: ESP32-CAM back-end vs. Thonny's stock ESP32 back-end.

Virtual board with classic wiring (where both work), one Workbench, back-ends
alternated; the stock back-end reaches the board's rfc2217:// URL through the
test shim that only changes how the port is opened. Prints medians and the ratio.

    python benchmarks/bench_connect.py [--reps N]
"""
from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tests.thonny_harness import private_display, run_scenario  # noqa: E402

BACKENDS = ("ESP32CAM", "ESP32")


def scenario_connect_series(h, url, reps):
    from tests.stock_url_shim import install_frontend

    install_frontend()
    times = {name: [] for name in BACKENDS}
    disconnect = {name: [] for name in BACKENDS}
    for rep in range(reps + 1):
        order = BACKENDS if rep % 2 == 0 else BACKENDS[::-1]
        for name in order:
            h.pump(0.2)
            started = time.perf_counter()
            h.select_backend(name, port=url)
            h.wait_for_prompt(60)
            connected = time.perf_counter()
            h.runner.destroy_backend()  # Disconnect (ours first releases RTS, then DTR)
            if rep > 0:  # first round warms caches
                times[name].append(connected - started)
                disconnect[name].append(time.perf_counter() - connected)
    return {"connect": times, "disconnect": disconnect}


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--reps", type=int, default=5)
    args = parser.parse_args()
    from tests.virtualboard import VirtualBoard, synthetic_firmware

    with private_display(), tempfile.TemporaryDirectory() as tmp, VirtualBoard(
        wiring="classic", firmware=synthetic_firmware(family="lemariva")
    ) as board:
        board.events.wait_for("firmware_started", timeout=30)
        result = run_scenario("benchmarks.bench_connect:scenario_connect_series", Path(tmp) / "user",
                             url=board.url, reps=args.reps, timeout=600)
    times, disconnect = result["connect"], result["disconnect"]
    cam, stock = statistics.median(times["ESP32CAM"]), statistics.median(times["ESP32"])
    print(f"Connect to >>> prompt on the virtual board (classic wiring), median of {args.reps} alternated runs:")
    print(f"  stock ESP32 back-end: {stock:.3f} s  {['%.3f' % t for t in times['ESP32']]}")
    print(f"  ESP32-CAM back-end:   {cam:.3f} s  {['%.3f' % t for t in times['ESP32CAM']]}")
    print(f"  ratio ESP32-CAM/stock: {cam / stock:.3f}")
    d_cam, d_stock = statistics.median(disconnect["ESP32CAM"]), statistics.median(disconnect["ESP32"])
    print("Disconnect (ESP32-CAM: release RTS, then DTR, exit; stock: process killed):")
    print(f"  stock ESP32 back-end: {d_stock:.3f} s   ESP32-CAM back-end: {d_cam:.3f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
