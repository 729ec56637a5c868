"""Installing camera firmware: the plug-in against Thonny's esptool dialog and an expert's command.

Every board is a virtual ESP32-CAM in its own process (``bench_classroom.Tray``: real
line rate, 10 bits per byte at the current baud; real flash timing, a W25Q32's 10 s chip
erase, 150 ms per 64 KB block), blank (erased) at the start. The image is a real camera
build (default: lemariva's MicroPython v1.21.0, 1,433,072 bytes), so esptool compresses
and writes real bytes. One run prints, the paths alternating round by round (the machine
is noisy), medians with every run:

(a) blank board -> first photo on the computer, three ways:

    plug-in  ``python -m thonnycontrib.esp32cam flash --file IMG --yes --port P`` (the
             ``Installer`` the dialog and the classroom use: the adapter's top rate, which
             for the twin's RFC2217 URL is the network-port cap 921600; the board read
             first, only what differs written; the MicroPython prompt checked)
    plug-in 2M  the same with ``--baud 2000000``: the rate the plug-in picks by itself on
             the ESP32-CAM-MB's CH340 (core/fastlink.py ADAPTERS), which a URL cannot show
    thonny   what Thonny 5.0.1's esptool dialog runs with its defaults
             (thonny/plugins/micropython/esptool_dialog.py: speed "115200 (default)",
             flash mode/size "keep", "Erase all flash before installing" ticked):
             ``python -u -m esptool --port P --chip esp32 --baud 115200 write-flash
             --flash-mode keep --flash-size keep --erase-all 0x1000 IMG``
    expert   the same at 460800 without ``--erase-all``

    then, the same for all three, the photo: ``python -m thonnycontrib.esp32cam snapshot
    --port P -o photo.jpg`` (reach the REPL, start the camera, VGA JPEG to the computer).
    Goals: plug-in <= 0.2x thonny, <= 0.6x expert.
(b) re-installing the same build with the plug-in vs its first install (install only,
    without the photo). Goal <= 0.2x.
(c) a classroom: ``flash --port B1 ... --port B8`` on 8 blank boards, then the same
    command again (same build). Goal: re-run <= 0.25x the first run.

Every board is behind a modelled CH340 (``--adapter ch340``: garbles above 2 Mbaud), as on
the ESP32-CAM-MB, with a 20 ms EN delay (``--en-delay 0.02``, the twin README's value for the
fast client: esptool's first reset attempt gets download mode). Serial clients use the virtual board's fast RFC2217 client
(tests/virtualboard/fastclient) in every path alike: a USB adapter answers at once, stock
pyserial's RFC2217 client polls every 50 ms.

    python benchmarks/bench_install.py [--rounds N] [--boards N] [--image SHA_PREFIX|FILE] [--quick]

``--quick``: a smoke run of this script, not a measurement: one round, a small synthetic
camera build, 2 classroom boards, boards with unlimited line rate and instant flash.
"""
from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Callable, Dict, List, Sequence

REPO = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(REPO), str(REPO / "benchmarks")]

from bench_classroom import Tray, flash  # noqa: E402
from tests.virtualboard import synthetic_firmware  # noqa: E402
from tests.virtualboard.testing import FASTCLIENT_DIR  # noqa: E402
from thonnycontrib.esp32cam.core.esptool_cmd import find_esptool  # noqa: E402

LEMARIVA_1_21 = "d23e4e4e35844537f2b7f4693c80bc7d603cdbd51c09013b304326607cc138ab"
# the ESP32-CAM-MB's USB-serial chip; EN's RC delay below esptool's 50 ms IO0 hold, so its
# first reset attempt lands in download mode as on a USB adapter (the twin's 0.1 s default
# suits stock pyserial's RFC2217 client, whose line changes come >= 50 ms apart)
BOARD = ("--adapter", "ch340", "--en-delay", "0.02")
QUICK_BOARD = ("--line-rate", "unlimited", "--flash-timing", "fast")
GOALS = {"plugin/thonny": 0.2, "plugin/expert": 0.6, "reinstall/first": 0.2, "classroom": 0.25}


def _env(user_dir: str) -> Dict[str, str]:
    return dict(os.environ, THONNY_USER_DIR=user_dir,
                PYTHONPATH=os.pathsep.join([str(FASTCLIENT_DIR), str(REPO)]))


def _run(args: Sequence[str], user_dir: str, what: str) -> float:
    started = time.perf_counter()
    proc = subprocess.run(list(args), env=_env(user_dir), capture_output=True, text=True, cwd=str(REPO))
    took = time.perf_counter() - started
    if proc.returncode != 0:
        raise RuntimeError(f"{what} failed ({proc.returncode}):\n{proc.stdout[-2000:]}\n{proc.stderr[-2000:]}")
    return took


def esptool_install(url: str, image: Path, user_dir: str, baud: int, erase_all: bool) -> float:
    """Thonny 5.0.1's esptool dialog command (esptool_dialog.py perform_core_operation)."""
    spell = find_esptool(sys.executable).spell  # esptool 4.x: write_flash --flash_mode ...
    args = [sys.executable, "-u", "-m", "esptool", "--port", url, "--chip", "esp32", "--baud", str(baud),
            spell("write-flash"), "--" + spell("flash-mode"), "keep", "--" + spell("flash-size"), "keep"]
    args += ["--erase-all"] if erase_all else []  # spelt so in 4.x too
    return _run(args + ["0x1000", str(image)], user_dir, "esptool")


def snapshot(url: str, user_dir: str) -> float:
    photo = Path(user_dir) / "photo.jpg"
    took = _run([sys.executable, "-m", "thonnycontrib.esp32cam", "snapshot", "--port", url, "-o", str(photo)],
                user_dir, "snapshot")
    if photo.read_bytes()[:2] != b"\xff\xd8":
        raise RuntimeError("snapshot wrote no JPEG")
    photo.unlink()
    return took


INSTALLS: Dict[str, Callable[[str, Path, str], float]] = {
    "plugin": lambda url, image, tmp: flash([url], image, tmp, baud=None),
    "plugin 2M": lambda url, image, tmp: flash([url], image, tmp, baud=2000000),
    "thonny": lambda url, image, tmp: esptool_install(url, image, tmp, 115200, erase_all=True),
    "expert": lambda url, image, tmp: esptool_install(url, image, tmp, 460800, erase_all=False),
}


def blank_to_photo(path: str, image: Path, tmp: str, times: Dict[str, List[float]], board: Sequence[str]) -> None:
    """One path on a fresh blank board: install, photo; the plug-in also re-installs."""
    tray = Tray(1, board)
    try:
        url = tray.urls[0]
        install = INSTALLS[path](url, image, tmp)
        photo = snapshot(url, tmp)
        times[f"{path} install"].append(install)
        times[f"{path} photo"].append(photo)
        times[path].append(install + photo)
        if path == "plugin":
            times["reinstall"].append(flash([url], image, tmp, baud=None))
    finally:
        tray.close()


def classroom(count: int, image: Path, tmp: str, times: Dict[str, List[float]], board: Sequence[str]) -> None:
    tray = Tray(count, board)
    try:
        times["classroom first"].append(flash(tray.urls, image, tmp, baud=None))
        times["classroom re-run"].append(flash(tray.urls, image, tmp, baud=None))
    finally:
        tray.close()


def _image(spec: str, quick: bool, folder: Path) -> Path:
    if quick:
        path = folder / "camera.bin"
        path.write_bytes(synthetic_firmware("lemariva"))
        return path
    if Path(spec).is_file():
        return Path(spec)
    from tests.real_images import default_cache_dir, default_mirrors, real_image_path

    folders = [*default_mirrors(), default_cache_dir()]  # as the tests find images
    found = sorted({p.name: p for f in folders if f.is_dir() for p in f.glob(spec + "*.bin")}.values())
    if len(found) == 1:
        return found[0]
    if len(spec) == 64 and not found:
        return real_image_path(spec)  # the catalog's URL, verified
    raise SystemExit(f"not one image {spec}*.bin in " + ", ".join(map(str, folders)))


def report(times: Dict[str, List[float]], boards: int) -> List[str]:
    med = {k: statistics.median(v) for k, v in times.items() if v}

    def row(label: str, key: str) -> str:
        runs = ", ".join(f"{t:.1f}" for t in times[key])
        return f"  {label:<44} {med[key]:7.1f} s   (runs: {runs})"

    def ratio(label: str, num: str, den: str, goal: float) -> str:
        value = med[num] / med[den]
        return f"  ratio {label:<38} {value:7.3f}x  goal <= {goal}x  {'met' if value <= goal else 'NOT MET'}"

    lines = ["(a) blank board -> first photo"]
    for path in INSTALLS:
        lines.append(row(f"{path}: install", f"{path} install"))
        lines.append(row(f"{path}: photo", f"{path} photo"))
        lines.append(row(f"{path}: blank -> photo", path))
    for path, name in (("plugin", "plug-in"), ("plugin 2M", "plug-in 2M")):
        lines.append(ratio(f"{name} / Thonny dialog", path, "thonny", GOALS["plugin/thonny"]))
        lines.append(ratio(f"{name} / expert", path, "expert", GOALS["plugin/expert"]))
    lines.append("(b) re-install of the same build")
    lines.append(row("plug-in first install", "plugin install"))
    lines.append(row("plug-in re-install", "reinstall"))
    lines.append(ratio("re-install / first install", "reinstall", "plugin install", GOALS["reinstall/first"]))
    lines.append(f"(c) classroom, {boards} boards")
    lines.append(row("first run", "classroom first"))
    lines.append(row("re-run, same build", "classroom re-run"))
    lines.append(ratio("re-run / first run", "classroom re-run", "classroom first", GOALS["classroom"]))
    return lines


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=2, help="rounds, each path once per round (default 2)")
    parser.add_argument("--boards", type=int, default=8, help="classroom boards (default 8)")
    parser.add_argument("--image", default=LEMARIVA_1_21, help="SHA-256 prefix of a real image, or a file")
    parser.add_argument("--quick", action="store_true", help="smoke run: 1 round, synthetic image, 2 boards")
    args = parser.parse_args()
    board = BOARD + (QUICK_BOARD if args.quick else ())
    if args.quick:
        args.rounds, args.boards = 1, 2
    times: Dict[str, List[float]] = {k: [] for k in (
        *(f"{p}{s}" for p in INSTALLS for s in ("", " install", " photo")),
        "reinstall", "classroom first", "classroom re-run")}
    with tempfile.TemporaryDirectory() as tmp:
        image = _image(args.image, args.quick, Path(tmp))
        tool = find_esptool(sys.executable)
        timing = "smoke run: unlimited line rate, instant flash" if args.quick else "real line rate and flash timing"
        print(f"image {image.name[:16]} {image.stat().st_size:,} bytes, esptool "
              f"{'.'.join(map(str, tool.version))}, {timing}, {os.cpu_count()} CPUs, "
              f"{args.rounds} round(s)", flush=True)
        paths = list(INSTALLS)
        for round_no in range(args.rounds):
            for path in paths[round_no % len(paths):] + paths[:round_no % len(paths)]:  # each round starts elsewhere
                blank_to_photo(path, image, tmp, times, board)
                print(f"  round {round_no + 1}: {path} {times[path][-1]:.1f} s", file=sys.stderr, flush=True)
            classroom(args.boards, image, tmp, times, board)
    print("\n".join(report(times, args.boards)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
