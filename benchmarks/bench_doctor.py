"""Connection doctor: time to a verdict, stock RFC2217 client vs a fast one.

The stock pyserial RFC2217 client pays >= 50 ms per DTR/RTS change and about
350 ms to open; a local USB serial port pays almost nothing. The same doctor
CLI runs against the same virtual-board condition twice: with the stock client
and with the virtual board's fast client (``tests/virtualboard/fastclient``,
2 ms polling, same wire protocol), which stands in for a real local port.
Printed side by side: the doctor's own probe time (``seconds`` in its JSON)
and the ratio stock / fast.

    python benchmarks/bench_doctor.py [--repeat N]
"""
from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Callable, Dict, List

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from tests.virtualboard import VirtualBoard, synthetic_firmware  # noqa: E402

LEMARIVA = synthetic_firmware("lemariva")


def _started(board: VirtualBoard) -> None:
    board.events.wait_for("firmware_started", timeout=15)


def _download(board: VirtualBoard) -> None:
    _started(board)
    mark = board.events.mark()
    board.hold_boot(True)
    board.press_reset()
    board.events.wait_for("boot", timeout=5, since=mark)


CONDITIONS: List[tuple] = [
    # name, board kwargs, preparation, extra CLI args
    ("repl_ok", dict(firmware=LEMARIVA), _started, []),
    ("held_in_reset", dict(wiring="direct", firmware=LEMARIVA), _started, ["--dtr", "on", "--rts", "on"]),
    ("download_mode", dict(firmware=LEMARIVA), _download, []),
    ("no_firmware", dict(firmware=None), lambda b: b.events.wait_for("no_firmware", timeout=5), []),
    ("brownout", dict(firmware=LEMARIVA, brownout=True), lambda b: b.events.wait_for("brownout", timeout=5), []),
    ("no_camera_module", dict(firmware=synthetic_firmware(None)), _started, []),
]


def run_once(kwargs: Dict, prepare: Callable, args: List[str], fast: bool) -> Dict:
    env = dict(os.environ)
    paths = [str(REPO)] + ([str(REPO / "tests" / "virtualboard" / "fastclient")] if fast else [])
    env["PYTHONPATH"] = os.pathsep.join(paths + [p for p in env.get("PYTHONPATH", "").split(os.pathsep) if p])
    with VirtualBoard(en_delay=0.02 if fast else 0.1, **kwargs) as board:
        prepare(board)
        proc = subprocess.run([sys.executable, "-m", "thonnycontrib.esp32cam", "doctor", "--port", board.url,
                               "--json", *args], capture_output=True, text=True, env=env, cwd=REPO, timeout=120)
    return json.loads(proc.stdout)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=2, help="runs per condition and client (best is shown)")
    opts = parser.parse_args()
    print(f"{'condition':18s} {'diagnosis':18s} {'stock s':>8s} {'fast s':>8s} {'stock/fast':>10s}")
    for name, kwargs, prepare, args in CONDITIONS:
        times = {}
        codes = set()
        for fast in (False, True):
            best = None
            for _ in range(opts.repeat):
                data = run_once(kwargs, prepare, args, fast)
                codes.add(data["diagnosis"])
                best = data["seconds"] if best is None else min(best, data["seconds"])
            times[fast] = best
        code = "/".join(sorted(codes))
        print(f"{name:18s} {code:18s} {times[False]:8.2f} {times[True]:8.2f} {times[False] / times[True]:10.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
