# `time` as the board's: the unix port's, but its sleeps block in one poll() instead of
# waking every millisecond (which cost the host CPU that cpu.py would charge at ESP32
# speed; on the chip a sleep yields to FreeRTOS and costs nothing). Ctrl-C still ends a
# sleep with KeyboardInterrupt (poll's EINTR raises the pending exception).
from time import *  # noqa: F401,F403
import time as _time
import select as _select

_poller = _select.poll()
_sleep_us = _time.sleep_us


def sleep_us(us):
    if us >= 1000:
        t0 = _time.ticks_us()
        _poller.poll(us // 1000)
        us -= _time.ticks_diff(_time.ticks_us(), t0)
    if us > 0:
        _sleep_us(us)


def sleep_ms(ms):
    sleep_us(int(ms) * 1000)


def sleep(seconds):
    sleep_us(int(seconds * 1000000))
