"""Thonny start-up (process start → Workbench ready) with vs. without the plug-in.

Both variants run in the same session, interleaved, each in a fresh process
with its own user folder; prints medians and the ratio.

    python benchmarks/bench_startup.py [--reps N]
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

# The same (stock) interpreter in both variants, so only the plug-in's own cost differs.
INI = {"run": {"backend_name": "ESP32"}, "ESP32": {"port": "auto"}}


def scenario_ready(h):
    return time.time()


def one_start(plugin: bool, user_dir: Path) -> float:
    started = time.time()
    ready = run_scenario("benchmarks.bench_startup:scenario_ready", user_dir, plugin=plugin,
                         ini=INI)
    return ready - started


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--reps", type=int, default=5)
    args = parser.parse_args()
    with private_display(), tempfile.TemporaryDirectory() as tmp:
        times = {True: [], False: []}
        one_start(True, Path(tmp) / "warmup")  # warm file caches
        for rep in range(args.reps):
            for plugin in (rep % 2 == 0, rep % 2 != 0):  # alternate which goes first
                times[plugin].append(one_start(plugin, Path(tmp) / f"u{rep}{int(plugin)}"))
    with_plugin, without = statistics.median(times[True]), statistics.median(times[False])
    print(f"Thonny start-up to Workbench ready, median of {args.reps} interleaved runs:")
    print(f"  without plug-in: {without:.3f} s  {['%.3f' % t for t in times[False]]}")
    print(f"  with plug-in:    {with_plugin:.3f} s  {['%.3f' % t for t in times[True]]}")
    print(f"  ratio with/without: {with_plugin / without:.3f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
