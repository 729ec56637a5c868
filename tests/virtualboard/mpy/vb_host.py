# Client side of the private channel to the virtual board (host process).
# Requests are one JSON line; answers are one JSON line, plus `len` payload bytes.
import json


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
        try:
            import _thread

            self._lock = _thread.allocate_lock()
        except ImportError:
            self._lock = _NoLock()

    def call(self, op, **args):
        with self._lock:
            return self._call(op, args)

    def _call(self, op, args):
        # Each request carries a number its answer repeats. A KeyboardInterrupt (Ctrl-C as
        # SIGINT) can end a read before the answer came: that answer is skipped next time,
        # so the channel stays in step, as a C call on the chip completes before the
        # interrupt is raised.
        self._seq += 1
        args["op"] = op
        args["_id"] = self._seq
        self._req.write(json.dumps(args).encode() + b"\n")
        while True:
            line = self._resp.readline()
            if not line:
                raise OSError("virtual board channel closed")
            r = json.loads(line)
            if r.get("_id", self._seq) == self._seq:
                return r
            if r.get("ok") and "len" in r:
                self.read_payload(r["len"])  # a stale answer's payload

    def call_with_payload(self, op, **args):
        """(answer, its `len` payload bytes or None) as one exchange."""
        with self._lock:
            r = self._call(op, args)
            return r, (self.read_payload(r["len"]) if r.get("ok") and "len" in r else None)

    def send(self, op, **args):
        args["op"] = op
        with self._lock:
            self._req.write(json.dumps(args).encode() + b"\n")

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
