"""The fast serial link against 115200, side by side on the virtual board at its real line rate.

    python benchmarks/bench_fast_link.py [--size KB] [--frames N] [--cap BAUD] [--no-thonny] [--cpu esp32]

One run, fresh boards (lemariva synthetic image, MicroPython unix port as firmware, with the
flash chip's erase/program times, a CP2102's 1 ms USB frames and the host's CPU speed, or a
240 MHz ESP32's with ``--cpu esp32``: tests/virtualboard/README.md),
the adapter cap set with ``--cap`` (default 921600: a CP2102's ceiling; the board is
reached over RFC 2217, whose default cap is also 921600):

- Thonny's Files view (real Workbench, real back-end process): upload and download of
  a ``--size`` KB binary file, byte-exact, with the plug-in's fast link vs the same
  back-end at "115200 only" (= Thonny's own ESP32 back-end code, unchanged, at the rate
  stock Thonny uses) and vs Thonny's own transfer at the fast rate;
- ``mpremote fs cp`` of the same file (115200; mpremote has no rate negotiation), as an
  outside reference;
- camera frames per second at QVGA and VGA: ``snapshot --count`` (CLI) and the camera
  view in Live mode (real view, real back-end), fast vs 115200;
- the time the negotiation adds to connecting (``connect`` = select the interpreter
  until the prompt, fast vs 115200 only).

Ratios are measured in the same run (this machine is noisy); prints a Markdown table.
"""
from __future__ import annotations

import argparse
import os
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.thonny_harness import private_display, run_scenario  # noqa: E402
from tests.virtualboard import VirtualBoard, synthetic_firmware  # noqa: E402


CPU = ["host"]  # --cpu esp32: the board's MicroPython at a 240 MHz ESP32's speed (virtualboard/cpu.py)


def _board(**kwargs) -> VirtualBoard:
    # a CP2102 (1 ms USB frames), the chip's filesystem flash times, the CPU speed --cpu picks
    board = VirtualBoard(firmware=synthetic_firmware("lemariva"), flash_timing="fast", adapter="cp2102",
                         cpu=CPU[0], **kwargs)
    board.events.wait_for("firmware_started", timeout=20)
    time.sleep(0.5)
    return board


def files_up_and_down(h, workdir, size, label):
    """Upload a ``size``-byte binary through Thonny's Files view, download it again: (up s,
    down s, byte-exact?)."""
    import os
    import time

    from thonny import ui_utils
    from thonny.plugins.files import DownloadDialog, upload

    blob = bytes((i * 7 + (i >> 8)) & 0xFF for i in range(size))
    local = os.path.join(workdir, "blob.bin")
    with open(local, "wb") as fp:
        fp.write(blob)
    h.pump(1.0)
    started = time.perf_counter()
    h.call_modal(upload, [local], "/", h.wb, timeout=900)
    h.wait_for_prompt(120)
    up = time.perf_counter() - started
    down_dir = os.path.join(workdir, "down-" + label)
    os.makedirs(down_dir)
    started = time.perf_counter()
    h.call_modal(ui_utils.show_dialog, DownloadDialog(h.wb, ["/blob.bin"], "blob.bin", down_dir), timeout=900)
    h.wait_for_prompt(120)
    down = time.perf_counter() - started
    with open(os.path.join(down_dir, "blob.bin"), "rb") as fp:
        same = fp.read() == blob
    return up, down, same


def scenario_files(h, url, speed, workdir, size, camera=True):
    import time

    h.wb.show_view("FilesView", set_focus=False)
    started = time.perf_counter()
    h.select_backend("ESP32CAM", port=url, serial_speed=speed)
    h.wait_for_prompt(60)
    connect = time.perf_counter() - started
    up, down, same = files_up_and_down(h, workdir, size, speed)
    if not camera:
        return {"connect": connect, "up": up, "down": down, "same": same}
    # the camera view itself, in Live mode: frames counted by the test, timed here
    from thonnycontrib.esp32cam.frontend.registration import VIEW_ID, show_camera_view

    show_camera_view()
    h.pump(0.3)
    view = h.wb.get_view(VIEW_ID)
    fps = {}
    for frame_size in ("QVGA", "VGA"):
        view.controls.frame_size.set(frame_size)
        before = getattr(view, "last_frame_info", None)
        view._settings_changed()  # as the size box does: one frame at the new size
        h.wait_until(lambda: getattr(view, "last_frame_info", None) is not before, 60, "a frame at " + frame_size)
        assert view.last_frame_info["size"][0] == {"QVGA": 320, "VGA": 640}[frame_size], view.last_frame_info
        h.pump(0.3)
        got = []
        sizes = []

        def on_frame(m, got=got, sizes=sizes):  # Live frames come streamed, one event each
            got.append(time.perf_counter())
            sizes.append(m.wire_bytes)

        h.wb.bind("Esp32CamFrame", on_frame, True)
        view.controls.live.set(True)
        view._on_live_toggled()
        h.wait_until(lambda: len(got) >= 3, 60, "the first live frames")  # size change, warm-up
        start, first = time.perf_counter(), len(got)
        h.wait_until(lambda: len(got) >= first + 40, 120, "40 live frames")
        fps[frame_size] = (len(got) - first) / (got[-1] - start)
        fps[frame_size + " bytes"] = sum(sizes[first:]) / max(1, len(sizes[first:]))
        fps[frame_size + " line"] = sum(sizes[first + 1:]) / (got[-1] - got[first])  # bytes/s on the wire
        view.controls.live.set(False)
        view._on_live_toggled()
        h.wait_until(lambda: view._pending is None, 20, "live mode to stop")
        h.pump(0.5)
    view.release()
    h.pump(0.5)
    from thonnycontrib.esp32cam.frontend import link_status

    return {"connect": connect, "up": up, "down": down, "same": same, "fps": fps,
            "status": link_status.current_text()}


def thonny_rows(size_kb: int, cap: int):
    """115200 (Thonny's own transfer), Thonny's own transfer at the fast rate (the back-end
    told so by THONNY_TRANSFER_ENV; files only), the fast link."""
    from thonnycontrib.esp32cam.backend.fast_files import THONNY_TRANSFER_ENV

    results = {}
    for key, speed in (("115200", "115200"), ("thonny_fast", "auto:%d" % cap), ("fast", "auto:%d" % cap)):
        if key == "thonny_fast":
            os.environ[THONNY_TRANSFER_ENV] = "1"  # the back-end process inherits it
        try:
            with _board() as board, tempfile.TemporaryDirectory() as tmp:
                results[key] = run_scenario(scenario_files, Path(tmp) / "user", url=board.url, speed=speed,
                                            workdir=tmp, size=size_kb * 1024, camera=key != "thonny_fast",
                                            timeout=1800)
        finally:
            os.environ.pop(THONNY_TRANSFER_ENV, None)
    return results


def snapshot_fps(size: str, baud: str, frames: int, quality: int = 85) -> float:
    with _board() as board, tempfile.TemporaryDirectory() as tmp:
        out = subprocess.run([sys.executable, "-m", "thonnycontrib.esp32cam", "snapshot", "--port", board.url,
                              "-o", os.path.join(tmp, "p.jpg"), "--size", size, "--count", str(frames), "--quality", str(quality),
                              "--baud", baud], capture_output=True, text=True, cwd=ROOT, timeout=600,
                             env=dict(os.environ, PYTHONPATH=str(ROOT)))
        found = re.search(r"([\d.]+) frames/s, (\d+) % of the line", out.stdout)
        if out.returncode != 0 or not found:
            raise RuntimeError(out.stdout + out.stderr)
        return float(found.group(1)), int(found.group(2))


def mpremote_seconds(size_kb: int):
    with _board() as board, tempfile.TemporaryDirectory() as tmp:
        local = os.path.join(tmp, "blob.bin")
        with open(local, "wb") as fp:
            fp.write(bytes((i * 7 + (i >> 8)) & 0xFF for i in range(size_kb * 1024)))
        base = [sys.executable, "-m", "mpremote", "connect", board.url]
        started = time.perf_counter()
        subprocess.run(base + ["fs", "cp", local, ":blob.bin"], check=True, capture_output=True, timeout=900)
        up = time.perf_counter() - started
        started = time.perf_counter()
        subprocess.run(base + ["fs", "cp", ":blob.bin", local + ".back"], check=True, capture_output=True, timeout=900)
        down = time.perf_counter() - started
        with open(local, "rb") as a, open(local + ".back", "rb") as b:
            assert a.read() == b.read(), "mpremote copy differs"
        return up, down


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", type=int, default=200, help="file size in KB (default 200)")
    parser.add_argument("--frames", type=int, default=30, help="frames per snapshot --count run")
    parser.add_argument("--cap", type=int, default=921600, help="adapter cap for the fast link")
    parser.add_argument("--no-thonny", action="store_true", help="skip the Workbench rows")
    parser.add_argument("--cpu", choices=("esp32", "host"), default="host",
                        help="the board's CPU speed: the host's (default) or a 240 MHz ESP32's")
    args = parser.parse_args()
    CPU[0] = args.cpu
    fast = "auto:%d" % args.cap
    print("| what | 115200 | fast link | speed-up |")
    print("|---|---|---|---|")
    for size, quality in (("QVGA", 85), ("VGA", 85), ("QVGA", 60)):
        slow_fps, slow_line = snapshot_fps(size, "115200", args.frames, quality)
        fast_fps, fast_line = snapshot_fps(size, fast, args.frames, quality)
        print("| snapshot --count %d, %s, quality %d | %.1f frames/s (%d %% of the line) | %.1f frames/s (%d %% of the line) | %.1f× |"
              % (args.frames, size, quality, slow_fps, slow_line, fast_fps, fast_line, fast_fps / slow_fps), flush=True)
    if not args.no_thonny:
        with private_display():
            r = thonny_rows(args.size, args.cap)
        slow, own_fast, quick = r["115200"], r["thonny_fast"], r["fast"]
        assert slow["same"] and own_fast["same"] and quick["same"], "a transfer was not byte-exact"
        print("\n| Files view, %d KB | Thonny's own, 115200 | Thonny's own, %d | fast link, %d | "
              "speed-up vs 115200 / vs Thonny's own at %d |" % (args.size, args.cap, args.cap, args.cap))
        print("|---|---|---|---|---|")
        kb = args.size * 1.024
        for key, label in (("up", "upload"), ("down", "download")):
            print("| %s | %.1f s (%.1f kB/s) | %.1f s (%.1f kB/s) | %.1f s (%.1f kB/s) | %.1f× / %.1f× |"
                  % (label, slow[key], kb / slow[key], own_fast[key], kb / own_fast[key], quick[key],
                     kb / quick[key], slow[key] / quick[key], own_fast[key] / quick[key]), flush=True)
        print("\n| what | 115200 | fast link | speed-up |")
        print("|---|---|---|---|")
        for size in ("QVGA", "VGA"):
            lines = [100 * row["fps"][size + " line"] / (rate / 10) for row, rate in ((slow, 115200), (quick, args.cap))]
            print("| camera view, Live, %s | %.1f frames/s (%.0f %% of the line) | %.1f frames/s (%.0f %% of the line) | %.1f× |"
                  % (size, slow["fps"][size], lines[0], quick["fps"][size], lines[1], quick["fps"][size] / slow["fps"][size]))
        print("| connect (select interpreter → prompt) | %.2f s | %.2f s | +%.2f s |"
              % (slow["connect"], quick["connect"], quick["connect"] - slow["connect"]))
        print("\nstatus bar: %r; mean live frame bytes: %s" % (quick["status"], {k: round(v) for k, v in quick["fps"].items() if "bytes" in k}))
    up, down = mpremote_seconds(args.size)
    print("\nmpremote fs cp (115200, outside reference): upload %.1f s (%.1f kB/s), download %.1f s (%.1f kB/s)"
          % (up, args.size * 1.024 / up, down, args.size * 1.024 / down))
    return 0


if __name__ == "__main__":
    sys.exit(main())
