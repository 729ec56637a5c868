"""Camera transfer: throughput against the serial line rate, and frames per second.

Virtual board at 115200 baud with its real line rate (10 bits per byte: at most
11 520 bytes/s). For each transfer encoding (raw bytes, raw with escaping,
base64) the same board takes snapshots; printed side by side:

- payload bytes/s and the share of the line rate the JPEG bytes got
  (request to last byte: includes submitting the command and the prompt);
- frames per second at QVGA through the CLI/core path and through Thonny's
  real back-end (the camera view's path, via the Workbench harness).

    python benchmarks/bench_camera.py [--frames N] [--no-thonny]
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
from thonnycontrib.esp32cam.core import doctor  # noqa: E402
from thonnycontrib.esp32cam.core.camera.devicecode import CameraSettings  # noqa: E402
from thonnycontrib.esp32cam.core.camera.rawrepl import RawRepl  # noqa: E402
from thonnycontrib.esp32cam.core.camera.session import CameraSession  # noqa: E402
from thonnycontrib.esp32cam.core.camera.transfer import BASE64, ESCAPED, RAW  # noqa: E402

BAUD = 115200
LINE_BYTES_PER_S = BAUD / 10
ENCODINGS = [("raw", RAW), ("escaped", ESCAPED), ("base64", BASE64)]


def measure_core(url: str, encoding: str, size: str, frames: int):
    ser = doctor.open_serial(url, baudrate=BAUD)
    try:
        repl = RawRepl(ser)
        session = CameraSession(repl, encoding=encoding)
        session.start(CameraSettings(size, 85))
        session.capture()  # warm-up
        caps = []
        started = time.perf_counter()
        for _ in range(frames):
            caps.append(session.capture())
        elapsed = time.perf_counter() - started
        session.release()
        repl.leave()
    finally:
        doctor.close_serial(ser)
    payload = sum(len(c.jpeg) for c in caps)
    wire = sum(c.wire_bytes for c in caps)
    per_frame = elapsed / frames
    return {"jpeg": statistics.mean(len(c.jpeg) for c in caps), "payload_bps": payload / elapsed,
            "wire_ratio": wire / payload, "fps": frames / elapsed,
            # time per frame beyond what the theoretical line needs for the bytes: command round
            # trip, capture on the board, and the channel's own shortfall from 10 bits/byte
            "overhead_ms": 1000 * (per_frame - wire / frames / LINE_BYTES_PER_S)}


def measure_channel(url: str, nbytes: int = 20000) -> float:
    """Bytes/s of the bare channel: the board writes nbytes, no camera (the practical maximum)."""
    ser = doctor.open_serial(url, baudrate=BAUD)
    try:
        repl = RawRepl(ser)
        started = time.perf_counter()
        out = repl.exec_text("import sys\nsys.stdout.buffer.write(b'x' * %d)" % nbytes, timeout=60)
        elapsed = time.perf_counter() - started
        repl.leave()
    finally:
        doctor.close_serial(ser)
    assert len(out) == nbytes
    return nbytes / elapsed


def scenario_view_fps(h, url, frames):
    from thonnycontrib.esp32cam.frontend.registration import VIEW_ID, show_camera_view

    h.select_backend("ESP32CAM", port=url)
    h.wait_for_prompt(40)
    show_camera_view()
    view = h.wb.get_view(VIEW_ID)
    view.controls.frame_size.set("QVGA")
    got = []
    h.wb.bind("Esp32CamFrame", lambda m: got.append(time.perf_counter()), True)  # one per Live frame
    view.controls.live.set(True)
    view._on_live_toggled()
    h.wait_until(lambda: len(got) > frames, 120, "live frames")
    view.controls.live.set(False)
    view._on_live_toggled()
    times = list(got)
    h.wait_until(lambda: view._pending is None, 30, "stop")
    return {"fps": (len(times) - 1) / (times[-1] - times[0]), "bytes": view.last_frame_info["bytes"]}


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--frames", type=int, default=5)
    parser.add_argument("--no-thonny", action="store_true")
    args = parser.parse_args()

    print("Camera transfer at %d baud, virtual board with the real line rate (%d bytes/s max)\n"
          % (BAUD, LINE_BYTES_PER_S))
    with VirtualBoard(firmware=synthetic_firmware("lemariva"), line_rate="real") as board:
        board.events.wait_for("firmware_started", timeout=20)
        channel = measure_channel(board.url)
        print("Bare channel (board writes 20000 bytes, no camera): %.0f bytes/s = %.1f%% of the line rate\n"
              % (channel, 100 * channel / LINE_BYTES_PER_S))
        print("%-8s %-6s %9s %12s %10s %9s %6s %12s" % ("encoding", "size", "JPEG B", "payload B/s",
                                                         "% of line", "wire/JPEG", "fps", "ms>line/frm"))
        results = {}
        for size in ("QVGA", "SVGA"):
            for name, enc in ENCODINGS:
                r = measure_core(board.url, enc, size, args.frames)
                results[(name, size)] = r
                print("%-8s %-6s %9.0f %12.0f %9.1f%% %9.3f %6.2f %12.0f" % (
                    name, size, r["jpeg"], r["payload_bps"], 100 * r["payload_bps"] / LINE_BYTES_PER_S,
                    r["wire_ratio"], r["fps"], r["overhead_ms"]))
        print()
        for size in ("QVGA", "SVGA"):
            raw, b64 = results[("raw", size)], results[("base64", size)]
            esc = results[("escaped", size)]
            print("%s: raw/base64 throughput ratio %.2f×, escaped/base64 %.2f×, fps raw %.2f vs base64 %.2f; "
                  "raw payload = %.1f%% of the bare channel"
                  % (size, raw["payload_bps"] / b64["payload_bps"], esc["payload_bps"] / b64["payload_bps"],
                     raw["fps"], b64["fps"], 100 * raw["payload_bps"] / channel))

        if not args.no_thonny:
            try:
                from tests.thonny_harness import private_display, run_scenario
            except ImportError:
                print("\n(Thonny not installed: view fps skipped)")
                return 0
            with private_display(), tempfile.TemporaryDirectory() as tmp:
                r = run_scenario(scenario_view_fps, Path(tmp) / "user", url=board.url, frames=args.frames * 2,
                                 timeout=300)
            core = results[("raw", "QVGA")]
            print("\nQVGA frames per second: Thonny camera view (Live) %.2f fps vs core/CLI path %.2f fps "
                  "(ratio %.2f); %d-byte frames = %.0f%% of the line"
                  % (r["fps"], core["fps"], r["fps"] / core["fps"], r["bytes"],
                     100 * r["fps"] * r["bytes"] / LINE_BYTES_PER_S))
    return 0


if __name__ == "__main__":
    sys.exit(main())
