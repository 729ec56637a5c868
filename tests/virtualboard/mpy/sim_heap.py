# The heap lock of the twin's `micropython` (sim_micropython), kept apart so that the
# board's module holds only the names a board's has (help(micropython), dir(micropython)).
#
# On a board print(), import, exec, eval and compile are C and allocate nothing of their
# own while the heap is locked. The twin's versions of them are Python (paced print in
# sim_sys, version checks in vb_boot), which would raise MemoryError where a board prints.
# So while the heap is locked the unix port's own C functions stand in for them (the REPL
# UART's tick wait is then not modelled).
import micropython as _mp
import builtins as _builtins

_SWAPPED = ("print", "__import__", "exec", "eval", "compile")
_C = [getattr(_builtins, n) for n in _SWAPPED]  # the unix port's C functions (taken before the twin's)
_TWIN = [None] * len(_SWAPPED)  # the twin's versions while the heap is locked
_depth = [0]
emergency = [0]  # the size asked for by alloc_emergency_exception_buf (0: no buffer)


def alloc_emergency_exception_buf(size):
    # the unix port has a static buffer of its own; the size decides what the simulated C
    # modules' exceptions carry while the heap is locked (sim_esp32._esp_err)
    emergency[0] = size
    return None


def locked():
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
