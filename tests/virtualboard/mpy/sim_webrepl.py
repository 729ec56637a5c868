# `webrepl` as the ESP32 port freezes it (micropython-lib micropython/net/webrepl/webrepl.py;
# ports/esp32/modules/webrepl.py before v1.20): start(port=8266, password=None) takes the
# password from webrepl_cfg.PASS when none is given. The unix port has no `_webrepl` and no
# os.dupterm, so the host serves the protocol (tests/virtualboard/webrepl.py); the file
# operations of its binary frames run here, in a thread, on the board's filesystem, as
# modwebrepl.c runs them inside the REPL's read.
import socket as _real

_host = None
_state = {"thread": False}


def _setup(host, cfg):
    global _host
    _host = host


def _ip():
    import network

    return network.WLAN(network.STA_IF).ifconfig()[0]


def start(port=8266, password=None):
    stop()
    webrepl_pass = password
    if webrepl_pass is None:
        try:
            import webrepl_cfg

            webrepl_pass = webrepl_cfg.PASS
        except Exception:
            print("WebREPL is not configured, run 'import webrepl_setup'")
            return
    if len(webrepl_pass) > 9:
        raise ValueError
    r = _host.call("webrepl", do="start", port=port, password=webrepl_pass)
    if not r.get("ok"):
        raise OSError(r.get("errno", 98))
    print("WebREPL server started on http://%s:%d/" % (_ip(), port))
    _serve_files(r["files"])
    if password is None:
        print("Started webrepl in normal mode")
    else:
        print("Started webrepl in manual override mode")


def stop():
    _host.call("webrepl", do="stop")


def _serve_files(port):
    import _thread

    s = _real.socket()
    s.connect(_real.getaddrinfo("127.0.0.1", port)[0][-1])
    _thread.start_new_thread(_file_loop, (s,))


def _file_loop(s):
    import json

    f = s  # the unix port's socket is its own stream (its flush() raises EINVAL)
    while True:
        line = f.readline()
        if not line:
            return
        req = json.loads(line)
        data = _read_exactly(f, req["len"])
        answer, payload = _file_op(req["do"], req["name"], data)
        f.write(json.dumps(answer).encode() + b"\n" + payload)


def _read_exactly(f, n):
    buf = b""
    while len(buf) < n:
        more = f.read(n - len(buf))
        if not more:
            raise OSError(5)
        buf += more
    return buf


def _file_op(do, name, data):
    try:
        if do == "version":
            import sys

            v = sys.implementation.version
            return {"ok": True, "len": 3}, bytes((v[0], v[1], v[2]))
        if do == "get":
            with open(name, "rb") as fh:
                content = fh.read()
            return {"ok": True, "len": len(content)}, content
        with open(name, "wb") as fh:
            fh.write(data)
        return {"ok": True}, b""
    except OSError:
        return {"ok": False}, b""
