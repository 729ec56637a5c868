"""esptool over the virtual board: stock pyserial RFC2217 client vs. the opt-in
fast client (tests/virtualboard/fastclient), side by side on the same board.

    python benchmarks/bench_virtualboard_esptool.py [--reps N]

Prints median seconds per esptool run and the stock/fast ratio.
"""
from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tests.virtualboard import VirtualBoard, synthetic_firmware  # noqa: E402
from tests.virtualboard.testing import run_esptool  # noqa: E402


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--reps", type=int, default=1)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        image = Path(tmp) / "firmware.bin"
        image.write_bytes(synthetic_firmware("lemariva"))
        jobs = {"flash-id": ["flash-id"], "write-flash 0x1000 (64 KiB image)": ["write-flash", "0x1000", str(image)]}
        print(f"{'operation':36} {'stock s':>8} {'fast s':>8} {'ratio':>6}")
        with VirtualBoard(micropython=False) as board:
            for label, words in jobs.items():
                times = {True: [], False: []}
                for _ in range(args.reps):
                    for fast in (False, True):
                        started = time.monotonic()
                        result = run_esptool(board.url, *words, fast_client=fast, timeout=300)
                        if result.returncode != 0:
                            print(result.stdout + result.stderr, file=sys.stderr)
                            return 1
                        times[fast].append(time.monotonic() - started)
                stock, fast = statistics.median(times[False]), statistics.median(times[True])
                print(f"{label:36} {stock:8.1f} {fast:8.1f} {stock / fast:6.1f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
