# Client side of the private channel to the virtual board (host process).
# Requests are one JSON line; answers are one JSON line, plus `len` payload bytes.
import json


class Host:
    def __init__(self, req, resp):
        self._req = req
        self._resp = resp

    def call(self, op, **args):
        args["op"] = op
        self._req.write(json.dumps(args).encode() + b"\n")
        line = self._resp.readline()
        if not line:
            raise OSError("virtual board channel closed")
        return json.loads(line)

    def send(self, op, **args):
        args["op"] = op
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
