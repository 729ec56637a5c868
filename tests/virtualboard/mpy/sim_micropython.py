# `micropython` as on ESP32 MicroPython (py/modmicropython.c with the ESP32 port's options).
#
# What differs from the unix port's module:
# - no mem_total/mem_current/mem_peak: they need MICROPY_MEM_STATS, which the ESP32 port
#   does not enable (py/mpconfig.h default 0; ports/esp32/mpconfigport.h, v1.14-v1.27);
# - alloc_emergency_exception_buf exists: MICROPY_ENABLE_EMERGENCY_EXCEPTION_BUF (1) in
#   ports/esp32/mpconfigport.h (v1.14-v1.27) with a zero static size, so the function is
#   registered (py/modmicropython.c); the unix port has none;
# - heap_lock/heap_unlock: on a board print(), import, exec, eval and compile are C and
#   allocate nothing of their own while the heap is locked. The twin's versions of them are
#   Python (paced print in sim_sys, version checks in vb_boot), which would raise
#   MemoryError where a board prints. So while the heap is locked the unix port's own C
#   functions stand in for them (the REPL UART's tick wait is then not modelled).
from micropython import *  # noqa: F401,F403  (const, opt_level, mem_info, qstr_info, kbd_intr, ...)
import micropython as _mp
import builtins as _builtins

for _name in dir(_mp):
    if not _name.startswith("__") and _name not in globals():
        globals()[_name] = getattr(_mp, _name)
for _name in ("mem_total", "mem_current", "mem_peak"):
    globals().pop(_name, None)
del _name

_SWAPPED = ("print", "__import__", "exec", "eval", "compile")
_C = [getattr(_builtins, n) for n in _SWAPPED]  # the unix port's C functions (taken before the twin's)
_TWIN = [None] * len(_SWAPPED)  # the twin's versions while the heap is locked
_depth = [0]


_emergency = [0]  # the size asked for by alloc_emergency_exception_buf (0: no buffer)


def alloc_emergency_exception_buf(size):
    # the unix port has a static buffer of its own; the size decides what the simulated C
    # modules' exceptions carry while the heap is locked (sim_esp32._esp_err)
    _emergency[0] = size
    return None


def _locked():
    return _depth[0] > 0


def heap_lock():
    if _depth[0] == 0:  # swap before locking: storing into builtins may allocate
        for i in range(len(_SWAPPED)):
            _TWIN[i] = getattr(_builtins, _SWAPPED[i])
            setattr(_builtins, _SWAPPED[i], _C[i])
    _depth[0] += 1
    _mp.heap_lock()


def heap_unlock():
    n = _mp.heap_unlock()
    if _depth[0] > 0:
        _depth[0] -= 1
        if _depth[0] == 0:
            for i in range(len(_SWAPPED)):
                setattr(_builtins, _SWAPPED[i], _TWIN[i])
                _TWIN[i] = None
    return n
