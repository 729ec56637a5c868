# `micropython` as on ESP32 MicroPython (py/modmicropython.c with the ESP32 port's options).
#
# What differs from the unix port's module:
# - no mem_total/mem_current/mem_peak: they need MICROPY_MEM_STATS, which the ESP32 port
#   does not enable (py/mpconfig.h default 0; ports/esp32/mpconfigport.h, v1.14-v1.27);
# - alloc_emergency_exception_buf exists: MICROPY_ENABLE_EMERGENCY_EXCEPTION_BUF (1) in
#   ports/esp32/mpconfigport.h (v1.14-v1.27) with a zero static size, so the function is
#   registered (py/modmicropython.c); the unix port has none;
# - heap_lock/heap_unlock keep print, import, exec, eval and compile allocation-free (sim_heap).
# Only the board's names are in this module (help(micropython) lists them all); being a
# Python module its dict is a hash table, so they come in another order than the ROM table's.
from micropython import *  # noqa: F401,F403  (const, opt_level, mem_info, qstr_info, kbd_intr, ...)
from sim_heap import alloc_emergency_exception_buf, heap_lock, heap_unlock  # noqa: F401

for _n in ("mem_total", "mem_current", "mem_peak"):
    globals().pop(_n, None)
del _n
