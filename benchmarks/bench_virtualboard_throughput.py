"""How fast the virtual board moves REPL bytes over RFC2217, against the line rate.

    python benchmarks/bench_virtualboard_throughput.py [--seconds S] [--unlimited-bytes N]

One run measures, side by side on fresh boards (lemariva synthetic image,
real MicroPython unix port as the firmware):

- line_rate="real" at 115200 and at 2000000 baud (the chip's UART is switched
  with `board.uart.set_chip_baud`, the host follows over RFC2217 SET_BAUDRATE),
- line_rate="unlimited" (no pacing: the headroom of the board itself),

each direction:

- board->host: a raw-REPL program writes N bytes with sys.stdout.buffer.write,
  timed from the first payload byte to the last;
- host->board: the host writes N bytes that a raw-REPL program reads from
  sys.stdin.buffer; timed from the first write to the program's "GOT N".

The client runs in a child process with the opt-in fast RFC2217 client
(tests/virtualboard/fastclient), as bulk tests do. It also times
`port.baudrate = ...` (one RFC2217 SET_BAUDRATE round trip) with the stock
and the fast client. Prints bytes/s, the theoretical rate (baud / 10 bits per
byte) and their ratio. Payload bytes are ASCII letters: 0x03 would be a Ctrl-C.
"""
from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

CHUNK = 64  # host->board program reads this many bytes per call (read() blocks for all of them)
BAUD_CHANGE_REPS = 5


# --- client (child process) ----------------------------------------------------
def _read_until(port, needle: bytes, timeout: float) -> bytes:
    data = bytearray()
    deadline = time.monotonic() + timeout
    while needle not in data:
        if time.monotonic() > deadline:
            raise TimeoutError(f"{needle!r} not seen in {timeout} s; got {bytes(data)[-200:]!r}")
        data += port.read(max(1, port.in_waiting))
    return bytes(data)


def _board_to_host(port, nbytes: int, timeout: float) -> dict:
    blocks, rest = divmod(nbytes, 1024)
    code = (f"import sys\nw=sys.stdout.buffer.write\nb=b'y'*1024\nfor i in range({blocks}): w(b)\n"
            f"w(b'y'*{rest})\n")
    port.write(code.encode() + b"\x04")
    early = _read_until(port, b"OK", 10).split(b"OK", 1)[1]  # may already hold payload
    got = 0
    first = last = None
    deadline = time.monotonic() + timeout
    tail = bytearray()
    while got < nbytes:
        if time.monotonic() > deadline:
            return {"error": f"board->host: {got} of {nbytes} bytes in {timeout} s"}
        chunk, early = early or port.read(max(1, port.in_waiting)), b""
        if not chunk:
            continue
        now = time.monotonic()
        if first is None:
            first = now
        ys = chunk.count(b"y")
        got += ys
        last = now
        if ys != len(chunk):
            tail += chunk
    if b"\x04>" not in tail:
        tail += _read_until(port, b"\x04>", 10)
    garbage = bytes(tail).translate(None, b"y\x04>")  # payload, raw-REPL end markers
    result = {"bytes": nbytes, "seconds": last - first}
    if garbage:
        result["error"] = f"unexpected output {garbage[:80]!r}"
    return result


def _host_to_board(port, nbytes: int, timeout: float) -> dict:
    nbytes -= nbytes % CHUNK
    code = ("import sys\nr=sys.stdin.buffer.read\nn=0\n"
            f"while n<{nbytes}: n+=len(r({CHUNK}))\nprint('GOT',n)\n")
    port.write(code.encode() + b"\x04")
    _read_until(port, b"OK", 10)
    payload = (b"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789+/" * (nbytes // CHUNK + 1))[:nbytes]
    started = time.monotonic()
    for offset in range(0, nbytes, 4096):
        port.write(payload[offset:offset + 4096])
    try:
        reply = _read_until(port, f"GOT {nbytes}".encode(), timeout)
    except TimeoutError:
        port.write(b"\x03")  # the program waits for bytes the board lost: interrupt it
        _read_until(port, b"\x04>", 10)
        return {"error": f"host->board: the board did not get all {nbytes} bytes (RX overflow?)"}
    done = time.monotonic()
    if b"\x04>" not in reply:
        _read_until(port, b"\x04>", 10)
    return {"bytes": nbytes, "seconds": done - started}


def client_main(args: argparse.Namespace) -> int:
    import serial

    port = serial.serial_for_url(args.client, do_not_open=True, baudrate=115200, timeout=0.05)
    port.dtr = False  # classic wiring: DTR/RTS released = no reset
    port.rts = False
    port.open()
    results = {}
    try:
        changes = []
        for _ in range(BAUD_CHANGE_REPS):
            for baud in (230400, 115200):
                started = time.monotonic()
                port.baudrate = baud
                changes.append(time.monotonic() - started)
        results["baud_change_seconds"] = statistics.median(changes)
        if args.baud_change_only:
            print(json.dumps(results))
            return 0
        port.baudrate = args.baud
        port.write(b"\r")
        _read_until(port, b">>> ", 10)
        port.write(b"\x01")
        _read_until(port, b"raw REPL; CTRL-B to exit\r\n>", 10)
        results["board_to_host"] = _board_to_host(port, args.nbytes, args.timeout)
        results["host_to_board"] = _host_to_board(port, args.nbytes, args.timeout)
        port.write(b"\x02")
    finally:
        port.close()
    print(json.dumps(results))
    return 0


# --- parent: boards and report -------------------------------------------------
def run_client(url: str, baud: int, nbytes: int, *, fast: bool, baud_change_only: bool = False) -> dict:
    from tests.virtualboard.testing import FASTCLIENT_DIR

    env = dict(os.environ)
    paths = [str(FASTCLIENT_DIR)] if fast else []
    env["PYTHONPATH"] = os.pathsep.join(paths + [str(ROOT)] + ([env["PYTHONPATH"]] if env.get("PYTHONPATH") else []))
    timeout = max(30.0, nbytes / (baud / 10) * 4)
    command = [sys.executable, str(Path(__file__).resolve()), "--client", url, "--baud", str(baud),
               "--nbytes", str(nbytes), "--timeout", str(timeout)]
    if baud_change_only:
        command.append("--baud-change-only")
    done = subprocess.run(command, env=env, capture_output=True, text=True, timeout=timeout * 3 + 60)
    if done.returncode != 0:
        raise RuntimeError(f"client failed:\n{done.stdout}\n{done.stderr}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def measure(line_rate: str, baud: int, nbytes: int) -> dict:
    from tests.virtualboard import VirtualBoard, synthetic_firmware

    with VirtualBoard(firmware=synthetic_firmware("lemariva"), line_rate=line_rate, en_delay=0.02) as board:
        board.events.wait_for("firmware_started", timeout=30)
        board.uart.drain()
        board.uart.set_chip_baud(baud)  # what machine.UART(0, baudrate=baud) does on the chip
        return run_client(board.url, baud, nbytes, fast=True)


def baud_change_costs() -> dict:
    from tests.virtualboard import VirtualBoard, synthetic_firmware

    costs = {}
    with VirtualBoard(firmware=synthetic_firmware("lemariva"), micropython=False) as board:
        for fast in (False, True):
            costs["fast" if fast else "stock"] = run_client(board.url, 115200, 0, fast=fast,
                                                            baud_change_only=True)["baud_change_seconds"]
    return costs


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seconds", type=float, default=2.0, help="payload length at the real line rate, in seconds")
    parser.add_argument("--unlimited-bytes", type=int, default=2 * 1024 * 1024)
    parser.add_argument("--client", help=argparse.SUPPRESS)
    parser.add_argument("--baud", type=int, default=115200, help=argparse.SUPPRESS)
    parser.add_argument("--nbytes", type=int, default=0, help=argparse.SUPPRESS)
    parser.add_argument("--timeout", type=float, default=60.0, help=argparse.SUPPRESS)
    parser.add_argument("--baud-change-only", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.client:
        return client_main(args)

    configs = [
        ("real", 115200, int(115200 / 10 * args.seconds)),
        ("real", 2000000, int(2000000 / 10 * args.seconds)),
        ("unlimited", 2000000, args.unlimited_bytes),
    ]
    print(f"{'line rate':10} {'baud':>8} {'direction':12} {'bytes':>9} {'measured B/s':>13} "
          f"{'line B/s':>9} {'ratio':>6}")
    for line_rate, baud, nbytes in configs:
        result = measure(line_rate, baud, nbytes)
        theoretical = baud / 10
        for key, label in (("board_to_host", "board->host"), ("host_to_board", "host->board")):
            row = result[key]
            if "error" in row:
                print(f"{line_rate:10} {baud:8} {label:12} {nbytes:9}  FAILED: {row['error']}")
                continue
            rate = row["bytes"] / row["seconds"]
            print(f"{line_rate:10} {baud:8} {label:12} {row['bytes']:9} {rate:13.0f} {theoretical:9.0f} "
                  f"{rate / theoretical:6.2f}")
    costs = baud_change_costs()
    print(f"RFC2217 baud change (port.baudrate = ..., median of {2 * BAUD_CHANGE_REPS}): "
          f"stock client {costs['stock'] * 1000:.1f} ms, fast client {costs['fast'] * 1000:.1f} ms")
    return 0


if __name__ == "__main__":
    sys.exit(main())
