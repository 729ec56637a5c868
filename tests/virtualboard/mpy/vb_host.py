# Client side of the private channel to the virtual board (host process).
# Requests are one JSON line; answers are one JSON line, plus `len` payload bytes.
import json
import time


WRITE_US = 50  # a pipe write that took longer than this was blocked
NO_WAIT_US = 50  # a read or poll that returned sooner did not sleep (the host's least wake-up: 100 µs)
_DIGITS = 15  # the report: decimal µs, zero-padded (written without allocating)


class Meter:
    """CPU time the twin's own modules spend (C on a board: not ESP32-paced, cpu.py), as
    decimal microseconds in a file the host reads. Sections must not block; waits of the
    modules report the kernel's wake-up after them (``wake``: [wait µs, CPU µs] points
    the host measured, hostcosts.py)."""

    def __init__(self, path=None, wake=()):
        self._f = open(path, "r+b") if path else None
        self.total = 0
        self.wake = tuple((int(w), int(c)) for w, c in wake)
        self._since = 0
        self._line = bytearray(b"0" * _DIGITS + b"\n")
        self._sched = None
        if path:
            try:  # the kernel's scheduler statistics of this thread (sched-stats.rst)
                self._sched = open("/proc/thread-self/schedstat", "rb")
            except OSError:
                pass

    def start(self):
        self._since = t = time.ticks_us()
        return t

    def runnable_us(self):
        """µs this thread has waited for a CPU so far, runnable but preempted (its
        schedstat's second field, in ns; 0 where there is none): a section that spins
        subtracts what it waited, which its wall-clock time counts but its CPU does not."""
        f = self._sched
        if f is None:
            return 0
        f.seek(0)
        return int(f.read().split()[1]) // 1000

    def lap(self):
        """Inside a section that waits now and then (the UART's tick waits, a sleep): report
        it so far, as if it ended now (its stop reports it whole). The host reads the
        process's CPU every few milliseconds, and CPU not reported yet is charged."""
        if self._f is not None:
            self._report(self.total + time.ticks_diff(time.ticks_us(), self._since))

    def idle(self, t0):
        """Inside a section: the time since t0 was spent waiting (a sleep), not computing."""
        waited = time.ticks_diff(time.ticks_us(), t0)
        self.total += self._wake(waited) - waited

    def waited(self, t0):
        """Outside a section: a module waited since t0 (a sleep, a poll, the channel)."""
        if self._f is not None:
            cost = self._wake(time.ticks_diff(time.ticks_us(), t0))
            if cost:
                self.total += cost
                self.stop(self.start())

    def returned(self, t0):
        """Outside a section: a call that may wait (a read or a poll of the UART's input)
        began at t0. One that returned within NO_WAIT_US did not wait: it was the board's C
        (its system call is the host's, not ESP32 code to pace), reported at once, as the
        code after it may be what the host is pacing now. One that took longer waited: its
        wake-up."""
        if self._f is not None:
            spent = time.ticks_diff(time.ticks_us(), t0)
            if spent < NO_WAIT_US:
                self.stop(t0)
            else:
                self.waited(t0)

    def _wake(self, us):
        """The points interpolated (allocates nothing: small ints, a compiled range loop)."""
        w = self.wake
        if not w or us < w[0][0]:
            return 0
        for i in range(1, len(w)):
            if us < w[i][0]:
                w0, c0 = w[i - 1]
                w1, c1 = w[i]
                return c0 + (c1 - c0) * (us - w0) // (w1 - w0)
        return w[-1][1]

    def unblocked(self, t0):
        """Inside a section: a write since t0 counts only as long as one that did not block
        (the host holding the board's output back fills the pipe)."""
        self.total -= max(0, time.ticks_diff(time.ticks_us(), t0) - WRITE_US)

    def stop(self, t0):
        now = time.ticks_us()
        self.total += time.ticks_diff(now, t0)
        if self._f is not None:
            self._report(self.total)
            self.total += time.ticks_diff(time.ticks_us(), now)  # reported next time

    def _report(self, us):
        """The total so far into the file the host reads; allocates nothing (a read or poll
        may run with the heap locked): digits into a line made once."""
        line = self._line
        i = _DIGITS
        us = max(0, us)
        while i:
            i -= 1
            line[i] = 48 + us % 10
            us //= 10
        self._f.seek(0)
        self._f.write(line)


class _NoLock:
    def __enter__(self):
        return self

    def __exit__(self, *args):
        return False


class Host:
    """One request and its answer at a time: on a board the C APIs behind these calls (GPIO,
    the camera driver, lwIP, esp_wifi) may be used from any _thread, so the channel is too."""

    def __init__(self, req, resp):
        self._req = req
        self._resp = resp
        self._seq = 0
        self.meter = Meter()
        try:
            import _thread

            self._lock = _thread.allocate_lock()
        except ImportError:
            self._lock = _NoLock()

    def call(self, op, **args):
        t0 = self.meter.start()
        with self._lock:
            return self._call(op, args, t0)

    def _call(self, op, args, t0):
        # Each request carries a number its answer repeats. A KeyboardInterrupt (Ctrl-C as
        # SIGINT) can end a read before the answer came: that answer is skipped next time,
        # so the channel stays in step, as a C call on the chip completes before the
        # interrupt is raised.
        # the time this takes, but for waiting for the answer, is the board's C (Meter)
        meter = self.meter
        self._seq += 1
        args["op"] = op
        args["_id"] = self._seq
        line = json.dumps(args).encode() + b"\n"
        meter.stop(t0)  # before the host reads the request and the count
        self._req.write(line)
        while True:
            waiting = meter.start()
            line = self._resp.readline()
            meter.waited(waiting)
            t0 = meter.start()
            if not line:
                raise OSError("virtual board channel closed")
            r = json.loads(line)
            if r.get("_id", self._seq) == self._seq:
                meter.stop(t0)
                return r
            if r.get("ok") and "len" in r:
                self.read_payload(r["len"])  # a stale answer's payload

    def call_with_payload(self, op, **args):
        """(answer, its `len` payload bytes or None) as one exchange."""
        t0 = self.meter.start()
        with self._lock:
            r = self._call(op, args, t0)
            t0 = self.meter.start()
            payload = self.read_payload(r["len"]) if r.get("ok") and "len" in r else None
            self.meter.stop(t0)
            return r, payload

    def send(self, op, **args):
        args["op"] = op
        with self._lock:
            t0 = self.meter.start()
            self._req.write(json.dumps(args).encode() + b"\n")
            self.meter.stop(t0)

    def read_payload(self, n):
        buf = bytearray(n)
        mv = memoryview(buf)
        got = 0
        while got < n:
            k = self._resp.readinto(mv[got:])
            if not k:
                raise OSError("virtual board channel closed")
            got += k
        return buf
