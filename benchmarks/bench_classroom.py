"""A classroom tray: flashing N virtual boards in parallel vs one after another.

Each board is its own process (``python -m tests.virtualboard``, own MAC, real
line rate: 10 bits per byte at the current baud, real flash timing: a 4 MB chip
erase takes the W25Q32's 10 s), as N boards on N USB adapters would be. The
image is a synthetic camera build with an incompressible app of ``--app-kib``
(default 320 KiB: roughly what a MicroPython camera build puts on the wire
after compression is in the same range, ~0.6-1 MB; pass ``--app-kib 900`` for
that). Same command the teacher types:

- parallel:   ``python -m thonnycontrib.esp32cam flash --file IMG --yes --port B1 ... --port BN``
- sequential: the same command with one ``--port`` at a time, N times

Each run erases, writes at 460800 baud, verifies, resets and waits for the
MicroPython prompt, as the single-board command does. esptool runs with the
virtual board's fast RFC2217 client (tests/virtualboard/fastclient): stock
pyserial polls every 50 ms over RFC2217, which a USB device does not.

    python benchmarks/bench_classroom.py [--boards 1 4 8] [--app-kib 320]

Prints wall times, the speed-up and the ratio to one board (goal: 8 boards in
at most 2x the time of one).
"""
from __future__ import annotations

import argparse
import os
import random
import struct
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import List, Optional, Sequence

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from tests.virtualboard import synthetic_firmware  # noqa: E402
from tests.virtualboard.esp_image import build_image  # noqa: E402
from tests.virtualboard.images import LAYOUT  # noqa: E402
from tests.virtualboard.testing import FASTCLIENT_DIR  # noqa: E402


def camera_image(app_kib: int) -> bytes:
    """Synthetic lemariva build whose app code carries ``app_kib`` KiB of random bytes."""
    base = synthetic_firmware("lemariva")
    app_at = LAYOUT["esp32"]["app"]
    app = base[app_at:]
    entry = struct.unpack_from("<I", app, 4)[0]
    segments, pos = [], 24
    for _ in range(app[1]):
        addr, size = struct.unpack_from("<II", app, pos)
        data = app[pos + 8:pos + 8 + size]
        if addr == 0x400D0020:
            data += random.Random(1).randbytes(app_kib * 1024)
        segments.append((addr, data))
        pos += 8 + size
    return base[:app_at] + build_image(segments, entry)


class Tray:
    """N virtual boards, each in its own process."""

    def __init__(self, count: int, extra: Sequence[str] = ()) -> None:
        """``extra``: more ``python -m tests.virtualboard`` options for every board."""
        self.procs: List[subprocess.Popen] = []
        self.urls: List[str] = []
        env = dict(os.environ, PYTHONPATH=str(REPO))
        for i in range(count):
            proc = subprocess.Popen([sys.executable, "-m", "tests.virtualboard", "--firmware", "blank",
                                     "--mac", f"24:0a:c4:be:00:{i + 1:02x}", *extra],
                                    cwd=str(REPO), env=env, stdout=subprocess.PIPE,
                                    stderr=subprocess.DEVNULL, text=True)
            self.procs.append(proc)
            assert proc.stdout is not None
            self.urls.append(proc.stdout.readline().strip())

    def close(self) -> None:
        for proc in self.procs:
            proc.terminate()
        for proc in self.procs:
            proc.wait(10)


def flash(ports: Sequence[str], image: Path, user_dir: str, baud: Optional[int] = 460800) -> float:
    """Wall time of the plug-in's ``flash`` command on ``ports``; ``baud=None``: its own choice."""
    env = dict(os.environ, THONNY_USER_DIR=user_dir,
               PYTHONPATH=os.pathsep.join([str(FASTCLIENT_DIR), str(REPO)]))
    args = [sys.executable, "-m", "thonnycontrib.esp32cam", "flash", "--file", str(image), "--yes"]
    args += ["--baud", str(baud)] if baud else []
    for port in ports:
        args += ["--port", port]
    started = time.perf_counter()
    proc = subprocess.run(args, env=env, capture_output=True, text=True, cwd=str(REPO))
    took = time.perf_counter() - started
    if proc.returncode != 0:
        raise RuntimeError(f"flash failed ({proc.returncode}):\n{proc.stdout}\n{proc.stderr[-2000:]}")
    return took


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--boards", type=int, nargs="+", default=[1, 4, 8])
    parser.add_argument("--app-kib", type=int, default=320)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        image = Path(tmp) / "camera.bin"
        image.write_bytes(camera_image(args.app_kib))
        print(f"image {image.stat().st_size // 1024} KiB, 460800 baud, real line rate and flash timing, "
              f"{os.cpu_count()} CPUs")
        print(f"{'boards':>6} {'parallel s':>11} {'sequential s':>13} {'speed-up':>9} {'vs 1 board':>11}")
        one = None
        for count in args.boards:
            tray = Tray(count)
            try:
                parallel = flash(tray.urls, image, tmp)
                sequential = sum(flash([url], image, tmp) for url in tray.urls)
            finally:
                tray.close()
            one = one if one is not None else parallel if count == 1 else None
            ratio = f"{parallel / one:.2f}x" if one else "-"
            print(f"{count:>6} {parallel:>11.1f} {sequential:>13.1f} {sequential / parallel:>8.2f}x {ratio:>11}",
                  flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
