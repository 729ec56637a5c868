"""``make run``: Thonny with this plug-in, isolated user folder, ESP32-CAM interpreter.

Connects to a real ESP32-CAM when a known USB-serial adapter is plugged in,
otherwise starts the virtual board (camera firmware) and connects to its
``rfc2217://`` URL. Everything started here is stopped when Thonny exits.

    python -m tests.run_thonny [--virtual] [--wiring direct|classic] [--firmware lemariva|kaki5|cnadler86|official]
                               [--user-dir DIR]
"""
from __future__ import annotations

import argparse
import os
import signal
import subprocess
import sys
from pathlib import Path
from typing import List, Optional

REPO_ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO_ROOT))

from tests.thonny_harness import write_ini  # noqa: E402
from thonnycontrib.esp32cam.core.ports import ADAPTER_VIDS_PIDS, describes_camera_board  # noqa: E402


def detect_real_boards() -> List[str]:
    """Devices of plugged-in adapters that ESP32-CAM programmers use."""
    from serial.tools.list_ports import comports

    return [
        p.device
        for p in comports()
        if (p.vid, p.pid) in ADAPTER_VIDS_PIDS or describes_camera_board(p.description)
    ]


def start_virtual_board(wiring: str, firmware: str) -> "tuple[subprocess.Popen, str]":
    board = subprocess.Popen(
        [sys.executable, "-m", "tests.virtualboard", "--wiring", wiring, "--firmware", firmware],
        cwd=str(REPO_ROOT),
        stdout=subprocess.PIPE,
        text=True,
    )
    url = board.stdout.readline().strip() if board.stdout else ""
    if not url.startswith(("rfc2217://", "socket://", "/dev/")):
        board.terminate()
        raise SystemExit(f"The virtual board did not start (printed {url!r}).")
    return board, url


def main(argv: Optional[List[str]] = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--virtual", action="store_true", help="use the virtual board even if a real one is attached")
    parser.add_argument("--wiring", default="direct", choices=["direct", "classic", "none"])
    parser.add_argument("--firmware", default="lemariva")
    parser.add_argument("--user-dir", default=str(REPO_ROOT / ".run" / "thonny-user"))
    args = parser.parse_args(argv)

    user_dir = Path(args.user_dir)
    user_dir.mkdir(parents=True, exist_ok=True)
    board: Optional[subprocess.Popen] = None
    real = [] if args.virtual else detect_real_boards()
    if len(real) == 1:
        port = real[0]
        print(f"Real board adapter found: {port}")
    else:
        if len(real) > 1:
            print(f"Several adapters ({', '.join(real)}): Thonny will let you choose.")
            port = "auto"
        else:
            board, port = start_virtual_board(args.wiring, args.firmware)
            print(f"Virtual ESP32-CAM ({args.wiring} wiring, {args.firmware} firmware) at {port}")

    write_ini(user_dir / "configuration.ini", {"run": {"backend_name": "ESP32CAM"}, "ESP32CAM": {"port": port}})
    env = dict(os.environ, THONNY_USER_DIR=str(user_dir))
    env["PYTHONPATH"] = os.pathsep.join([str(REPO_ROOT)] + [p for p in env.get("PYTHONPATH", "").split(os.pathsep) if p])
    thonny = subprocess.Popen([sys.executable, "-m", "thonny"], env=env, cwd=str(REPO_ROOT))
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))  # clean up on `kill` too
    try:
        return thonny.wait()
    except KeyboardInterrupt:
        return 130
    finally:
        if thonny.poll() is None:
            thonny.terminate()
            try:
                thonny.wait(10)
            except subprocess.TimeoutExpired:
                thonny.kill()
        if board is not None:
            board.terminate()
            try:
                board.wait(10)
            except subprocess.TimeoutExpired:
                board.kill()


if __name__ == "__main__":
    sys.exit(main())
