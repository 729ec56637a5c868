# `select` as on ESP32 MicroPython: poll objects take streams only.
#
# The unix port builds extmod/modselect.c with MICROPY_PY_SELECT_POSIX_OPTIMISATIONS, so its
# poll also registers plain file descriptors (ints). The ESP32 port does not: register()
# asks the object for its stream protocol (mp_get_stream_raise, py/stream.c) and an int
# has none: OSError("stream operation not supported") (v1.27.0).
from select import *  # noqa: F401,F403  (POLLIN, POLLOUT, POLLERR, POLLHUP)
import select as _select
import time as _time

_METER = [None]  # vb_host.Meter: a wait reports the kernel's wake-up (cpu.py)


def _setup(host, cfg):
    _METER[0] = host.meter


# explicit defaults, no *args: a call must not allocate (asyncio polls with the heap locked)
class _Poll:
    def __init__(self):
        self._p = _select.poll()

    def register(self, obj, mask=POLLIN | POLLOUT):
        if isinstance(obj, int):
            raise OSError("stream operation not supported")
        return self._p.register(obj, mask)

    def modify(self, obj, mask):
        return self._p.modify(obj, mask)

    def unregister(self, obj):
        return self._p.unregister(obj)

    def poll(self, timeout=-1):
        t0 = _time.ticks_us()
        r = self._p.poll(timeout)
        _METER[0].waited(t0, False)
        return r

    def ipoll(self, timeout=-1, flags=0):
        t0 = _time.ticks_us()
        r = self._p.ipoll(timeout, flags)
        _METER[0].waited(t0, False)
        return r


def poll():
    return _Poll()
