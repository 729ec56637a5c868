"""What the host's kernel costs the board's process: CPU a chip does not spend.

With ``cpu="esp32"`` (cpu.py) the board's process pays 100-200 times the CPU it uses. Part
of that CPU is the kernel's, for the twin's plumbing: a wait in a pipe read, a sleep, a
governor stop, a one-byte read(2) per REPL input byte (the unix port's
mp_hal_stdin_rx_chr; the chip's REPL takes bytes from a ring buffer in RAM). On the chip
a task that waits costs a FreeRTOS context switch, microseconds of C. Linux splits CPU
time into user and system only by 10 ms ticks, so these costs are measured here, once
per test process, in a unix-port process of their own (about 1 s), each as the difference
of two loops that run the same code but for the cost in question:

- ``switch``: one-byte reads of stdin with their bytes waiting against the same reads each
  woken by its byte once the process has blocked, per context switch (3-7 µs on a 2-core
  x86-64 host);
- ``wake``: waits of 0.1, 1, 5 and 10 ms (a sleep_us, then polls with a timeout) against
  polls that return at once, per context switch, less ``switch``, each followed by what
  the board's process runs after one of its modules' waits (mpy/vb_host.py's Meter
  reporting, a loop's test): a process woken from a wait finds its caches (and the CPU's
  clock) cold, the code after the wait too, and the longer it waited the colder
  (9-11 µs after 0.1-1 ms, 16-38 µs after 5-10 ms without that code; the board's own
  process measured 57 µs after 2 ms and 101 µs after 10 ms with a hello loop's);
- ``read``: one-byte reads of stdin with their bytes waiting against the same reads from
  a BytesIO, per byte (0.2-0.5 µs).

Each is the median of its rounds (one round alone can come out at nothing: the loop it is
compared with was slowed meanwhile), and a longer wait is never credited less than a
shorter one's: a cost taken off the board's bill is never larger than what was
measured, so the twin errs on the chip's slow side. Waits longer than the last point get
its cost, though the measured cost still grows. On a loaded host the costs come out
higher (colder caches); a process takes the least figures any process on this machine
has measured (cpu.machine_file), as it takes the fastest CPU (cpu.HostSpeed), but never
a figure of nothing (a measurement that failed: a wake-up costs at least a switch).
"""
from __future__ import annotations

import json
import subprocess
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import List, Tuple

from .cpu import context_switches, machine_file, process_cpu_seconds, settled, write_atomically

MPY_DIR = Path(__file__).resolve().parent / "mpy"  # vb_host.py: the board's meter

READS = 200  # reads per loop
WAITS = ((100, 100), (1000, 50), (5000, 20), (10000, 10))  # (µs per wait, waits per loop)
ROUNDS = 5

_SCRIPT = """
import io, select, sys, time
sys.path.append(sys.argv[1])
import vb_host
meter = vb_host.Meter(sys.argv[2])
r = sys.stdin.buffer
p = select.poll()
b = io.BytesIO(bytes(%(reads)d))
e = time.ticks_add(time.ticks_ms(), 1 << 20)


def after():
    # what the board runs after a module's wait: the meter's report, the loop's test
    meter.stop(meter.start())
    return time.ticks_diff(e, time.ticks_ms()) > 0

while True:
    op = r.readline().split()
    if not op:
        break
    if op[0] == b"m":
        b.seek(0)
        for _ in range(%(reads)d):
            b.read(1)
    elif op[0] == b"p":
        us, n = int(op[1]), int(op[2])
        if us == 0:
            for _ in range(n):
                p.poll(0)
                after()
        elif us < 1000:
            for _ in range(n):
                time.sleep_us(us)
                after()
        else:
            for _ in range(n):
                p.poll(us // 1000)
                after()
    else:
        for _ in range(%(reads)d):
            r.read(1)
    sys.stdout.write("done\\n")
""" % {"reads": READS}


@dataclass(frozen=True)
class HostCosts:
    switch: float  # CPU seconds of one context switch
    wake: Tuple[Tuple[float, float], ...]  # (wait, more CPU for the wake-up after it) in seconds
    read: float  # one read(2) of a byte already waiting

    @property
    def least_wake(self) -> float:
        """The wake-up after the shortest wait measured."""
        return self.wake[0][1] if self.wake else 0.0

    def wake_after(self, wait: float) -> float:
        """CPU seconds of the wake-up after a wait of ``wait`` seconds, interpolated."""
        if not self.wake or wait < self.wake[0][0]:
            return 0.0
        for (w0, c0), (w1, c1) in zip(self.wake, self.wake[1:]):
            if wait < w1:
                return c0 + (c1 - c0) * (wait - w0) / (w1 - w0)
        return self.wake[-1][1]


_measured: List[HostCosts] = []


def host_costs(command: List[str]) -> HostCosts:
    """The costs for the unix port run by ``command`` (measured once per process)."""
    if not _measured:
        path = machine_file(command, "host-costs-2")  # -2: with the code after a wait
        costs = _least(_measure(command), _read(path))
        write_atomically(path, json.dumps({"switch": costs.switch, "wake": costs.wake, "read": costs.read}))
        _measured.append(costs)
    return _measured[0]


def _read(path: Path) -> "HostCosts | None":
    try:
        data = json.loads(path.read_text())
        costs = HostCosts(float(data["switch"]), tuple((float(w), float(c)) for w, c in data["wake"]),
                          float(data["read"]))
    except (OSError, ValueError, KeyError, TypeError):
        return None  # none yet, or garbled: this process's figures
    figures = [costs.switch, costs.read] + [c for _, c in costs.wake]
    return costs if all(0 <= x < 1e-3 for x in figures) else None


def _least(measured: HostCosts, stored: "HostCosts | None") -> HostCosts:
    """Figure by figure, the least that is not nothing (the same waits measured, else this
    process's): nothing is a measurement that failed, and kept it would stay for good."""
    if stored is None or [w for w, _ in stored.wake] != [w for w, _ in measured.wake]:
        return measured

    def least(a: float, b: float) -> float:
        return min(a, b) if a > 0 and b > 0 else max(a, b)

    return HostCosts(least(measured.switch, stored.switch),
                     tuple((w, least(c, s)) for (w, c), (_, s) in zip(measured.wake, stored.wake)),
                     least(measured.read, stored.read))


def _measure(command: List[str]) -> HostCosts:
    switches: List[float] = []
    reads: List[float] = []
    wakes: List[List[float]] = [[] for _ in WAITS]
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "hostcosts.py"
        path.write_text(_SCRIPT)
        meter = Path(tmp) / "meter"
        meter.write_bytes(b"0\n")
        proc = subprocess.Popen(command + [str(path), str(MPY_DIR), str(meter)], stdin=subprocess.PIPE,
                                stdout=subprocess.PIPE, bufsize=0)
        try:
            _timed(proc, b"w")  # start-up and first imports
            for _ in range(ROUNDS):
                waiting, memory, woken = _timed(proc, b"w"), _timed(proc, b"m"), _timed(proc, b"c")
                reads.append((waiting[0] - memory[0]) / READS)
                this_switch = _per_switch(woken, waiting)
                switches.append(this_switch)
                for i, (us, count) in enumerate(WAITS):
                    at_once, waited = _timed(proc, b"p 0 %d" % count), _timed(proc, b"p %d %d" % (us, count))
                    wakes[i].append(_per_switch(waited, at_once) - this_switch)
        finally:
            proc.kill()
            proc.wait()
    wake = [_median(w) for w in wakes]
    for i in reversed(range(len(wake) - 1)):  # never more for a shorter wait than a longer one's
        wake[i] = min(wake[i], wake[i + 1])
    return HostCosts(_median(switches), tuple((us / 1e6, c) for (us, _), c in zip(WAITS, wake)), _median(reads))


def _median(figures: List[float]) -> float:
    """The median round, never negative; nothing when no round could be measured."""
    found = sorted(x for x in figures if x != float("inf"))
    return max(0.0, found[len(found) // 2]) if found else 0.0


def _per_switch(slow: Tuple[float, int], fast: Tuple[float, int]) -> float:
    switches = slow[1] - fast[1]
    return (slow[0] - fast[0]) / switches if switches > 0 else float("inf")


def _timed(proc: subprocess.Popen, op: bytes) -> Tuple[float, int]:
    """(CPU seconds, context switches) of one loop: ``w`` reads bytes sent with it, ``c``
    the same reads, each byte sent once the process has blocked, ``m`` reads from
    memory, ``p US N`` N waits of US µs (0: polls that return at once)."""
    assert proc.stdin is not None and proc.stdout is not None
    settled(proc.pid, 1.0)
    cpu0, switches0 = process_cpu_seconds(proc.pid) or 0.0, context_switches(proc.pid) or 0
    proc.stdin.write(op + b"\n" + (b"x" * READS if op == b"w" else b""))
    if op == b"c":
        for _ in range(READS):
            time.sleep(0.00005)  # the previous byte reaches the process, which blocks again
            settled(proc.pid, 1.0)
            proc.stdin.write(b"x")
    proc.stdout.readline()
    settled(proc.pid, 1.0)
    return (process_cpu_seconds(proc.pid) or 0.0) - cpu0, (context_switches(proc.pid) or 0) - switches0
