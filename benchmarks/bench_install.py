"""Firmware install: the plug-in's flasher against a bare esptool command.

Same virtual board (RFC2217, real line rate: 10 bits per byte at the current
baud), same image (a synthetic camera build plus an incompressible tail, so
the write phase carries real data), same operations (erase all, write at
0x1000, verify, hard reset) at 460800 baud, run alternately in one process.
Printed side by side:

- install time through ``core.flasher.Flasher`` (esptool version detection,
  command building, output streaming and parsing) vs. ``python -m esptool
  write-flash --erase-all`` run directly; the ratio is the plug-in's overhead;
- effective throughput of the write phase (compressed bytes on the wire per
  second, from esptool's "Wrote ... in T seconds") against the line-rate
  limit of 460800 baud (46 080 bytes/s), and end-to-end image bytes per second.

esptool uses pyserial's stock RFC2217 client here (what users' tools use);
``--fast-client`` switches to the virtual board's faster polling client.

    python benchmarks/bench_install.py [--rounds N] [--tail KIB] [--fast-client]
"""
from __future__ import annotations

import argparse
import os
import random
import re
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import List, Tuple

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from tests.virtualboard import VirtualBoard, synthetic_firmware  # noqa: E402
from tests.virtualboard.testing import FASTCLIENT_DIR  # noqa: E402
from thonnycontrib.esp32cam.core.esptool_cmd import find_esptool  # noqa: E402
from thonnycontrib.esp32cam.core.flasher import FlashOptions, Flasher  # noqa: E402

BAUD = 460800
LINE_BYTES_PER_S = BAUD / 10
WROTE_RE = re.compile(r"Wrote (\d+) bytes \((\d+) compressed\) at 0x[0-9a-f]+ in ([\d.]+) seconds")


def _write_phase(lines: List[str]) -> Tuple[int, float]:
    """(compressed bytes, seconds) of the write phase, as esptool reports it."""
    for line in lines:
        m = WROTE_RE.search(line)
        if m:
            return int(m.group(2)), float(m.group(3))
    raise RuntimeError("esptool printed no 'Wrote ...' line:\n" + "\n".join(lines[-20:]))


def run_plugin(url: str, image: Path) -> Tuple[float, List[str]]:
    lines: List[str] = []
    start = time.perf_counter()
    tool = find_esptool(sys.executable)  # part of every install: the version decides the spelling
    result = Flasher(tool, on_line=lines.append).flash(str(image), FlashOptions(port=url, baud=BAUD))
    elapsed = time.perf_counter() - start
    if not result.ok:
        raise RuntimeError("plug-in install failed:\n" + "\n".join(lines[-20:]))
    return elapsed, lines


def run_bare(url: str, image: Path) -> Tuple[float, List[str]]:
    major = int(find_esptool(sys.executable).version[0])
    cmd = "write-flash" if major >= 5 else "write_flash"
    args = [sys.executable, "-m", "esptool", "--chip", "esp32", "--port", url, "--baud", str(BAUD),
            cmd, "--erase-all", "0x1000", str(image)]
    start = time.perf_counter()
    proc = subprocess.run(args, capture_output=True, text=True, env=dict(os.environ))
    elapsed = time.perf_counter() - start
    lines = (proc.stdout + proc.stderr).replace("\r", "\n").splitlines()
    if proc.returncode != 0:
        raise RuntimeError("bare esptool failed:\n" + "\n".join(lines[-20:]))
    return elapsed, lines


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=2, help="alternating pairs of runs (default 2)")
    parser.add_argument("--tail", type=int, default=256, help="incompressible KiB appended (default 256)")
    parser.add_argument("--fast-client", action="store_true", help="virtual board's fast RFC2217 client")
    args = parser.parse_args()
    if args.fast_client:
        os.environ["PYTHONPATH"] = os.pathsep.join(
            p for p in (str(FASTCLIENT_DIR), str(REPO), os.environ.get("PYTHONPATH", "")) if p)

    data = synthetic_firmware("lemariva") + random.Random(7).randbytes(args.tail * 1024)
    with tempfile.TemporaryDirectory() as tmp:
        image = Path(tmp) / "firmware.bin"
        image.write_bytes(data)
        times = {"plugin": [], "bare": []}
        phases = {"plugin": [], "bare": []}
        with VirtualBoard(wiring="classic", line_rate="real") as board:
            for _ in range(args.rounds):
                for name, run in (("plugin", run_plugin), ("bare", run_bare)):
                    elapsed, lines = run(board.url, image)
                    if board.flash.read(0x1000, len(data)) != data:
                        raise RuntimeError(f"{name}: flash content differs from the image")
                    times[name].append(elapsed)
                    phases[name].append(_write_phase(lines))

    tool = find_esptool(sys.executable)
    client = "fast polling" if args.fast_client else "stock pyserial"
    print(f"Firmware install, virtual board over RFC2217 ({client} client), real line rate, "
          f"{BAUD} baud, esptool {'.'.join(map(str, tool.version))}, image {len(data)} bytes, "
          f"{args.rounds} round(s)")
    plugin, bare = statistics.median(times["plugin"]), statistics.median(times["bare"])
    print(f"  install time, plug-in flasher : {plugin:7.2f} s   (runs: "
          + ", ".join(f"{t:.2f}" for t in times["plugin"]) + ")")
    print(f"  install time, bare esptool    : {bare:7.2f} s   (runs: "
          + ", ".join(f"{t:.2f}" for t in times["bare"]) + ")")
    print(f"  ratio plug-in / bare          : {plugin / bare:7.3f}")
    for name in ("plugin", "bare"):
        compressed, seconds = phases[name][-1]
        rate = compressed / seconds if seconds else float("inf")
        print(f"  write phase ({name:6})          : {compressed} bytes on the wire in {seconds:.2f} s = "
              f"{rate:,.0f} B/s = {100 * rate / LINE_BYTES_PER_S:.0f} % of the line rate "
              f"({LINE_BYTES_PER_S:,.0f} B/s)")
    print(f"  end to end (plug-in)          : {len(data) / plugin:,.0f} image bytes/s "
          f"({100 * len(data) / plugin / LINE_BYTES_PER_S:.0f} % of the line rate; connect, stub, "
          "erase and verify included)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
