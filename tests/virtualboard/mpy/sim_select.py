# `select` as on ESP32 MicroPython: poll objects take streams only.
#
# The unix port builds extmod/modselect.c with MICROPY_PY_SELECT_POSIX_OPTIMISATIONS, so its
# poll also registers plain file descriptors (ints). The ESP32 port does not: register()
# asks the object for its stream protocol (mp_get_stream_raise, py/stream.c) and an int
# has none: OSError("stream operation not supported") (v1.27.0).
from select import *  # noqa: F401,F403  (POLLIN, POLLOUT, POLLERR, POLLHUP)
import select as _select
import time as _time

import sim_sys as _sys  # loaded before (vb_boot.SIM_MODULES): its stdin and buffer

_METER = [None]  # vb_host.Meter: a poll that waited reports the kernel's wake-up (cpu.py)


def _setup(host, cfg):
    _METER[0] = host.meter


# explicit defaults, no *args: a call allocates nothing of its own
class _Poll:
    """The unix port's poll, of the streams sim_sys's stdin and its buffer stand for; what
    it returns names the objects the board's code registered (asyncio looks them up)."""

    def __init__(self):
        self._p = _select.poll()
        self._shown = {}  # id(a polled stream) -> the object registered for it

    def register(self, obj, mask=POLLIN | POLLOUT):
        if isinstance(obj, int):
            raise OSError("stream operation not supported")
        real = _sys._polled(obj)
        if real is not obj:
            self._shown[id(real)] = obj
        return self._p.register(real, mask)

    def modify(self, obj, mask):
        return self._p.modify(_sys._polled(obj), mask)

    def unregister(self, obj):
        real = _sys._polled(obj)
        self._shown.pop(id(real), None)
        return self._p.unregister(real)

    def poll(self, timeout=-1):
        t0 = _time.ticks_us()
        r = self._p.poll(timeout)
        _METER[0].returned(t0)
        shown = self._shown
        if shown:
            for i in range(len(r)):
                obj = shown.get(id(r[i][0]))
                if obj is not None:
                    r[i] = (obj, r[i][1])
        return r

    def ipoll(self, timeout=-1, flags=0):
        t0 = _time.ticks_us()
        r = self._p.ipoll(timeout, flags)
        _METER[0].returned(t0)
        return _shown(r, self._shown) if self._shown else r


def _shown(it, shown):
    """ipoll's results with the registered objects in place of the polled streams."""
    for t in it:
        obj = shown.get(id(t[0]))
        yield t if obj is None else (obj, t[1])


def poll():
    return _Poll()
