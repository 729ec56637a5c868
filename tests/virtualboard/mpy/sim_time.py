# `time` as the board's: the unix port's. With the ESP32's CPU speed (cpu.py, cfg "cpu"),
# its sleeps of a millisecond or more block in one poll() instead of the unix port's 1 ms
# wake-ups, whose CPU cpu.py would charge at ESP32 speed (on the chip a sleep yields to
# FreeRTOS). Ctrl-C still ends such a sleep (poll's EINTR raises the pending exception).
from time import *  # noqa: F401,F403
import time as _time

_sleep_us = _time.sleep_us


def _poll_sleep_us(us):
    if us >= 1000:
        t0 = _time.ticks_us()
        _POLLER[0].poll(us // 1000)
        us -= _time.ticks_diff(_time.ticks_us(), t0)
    if us > 0:
        _sleep_us(us)


_POLLER = [None]


def _setup(host, cfg):
    global sleep_us, sleep_ms, sleep
    if cfg.get("cpu") != "esp32":
        return
    import select

    _POLLER[0] = select.poll()
    sleep_us = _poll_sleep_us

    def sleep_ms(ms):
        _poll_sleep_us(int(ms) * 1000)

    def sleep(seconds):
        _poll_sleep_us(int(seconds * 1000000))
