# `time` as the board's: the unix port's. With the ESP32's CPU speed (cpu.py, cfg "cpu"),
# sleeps wait as the ESP32 port's do (ports/esp32/mphalport.c, v1.22.2 ... v1.27.0):
# mp_hal_delay_us spins on the chip's timer, on its CPU, with no task switch;
# mp_hal_delay_ms sleeps in ulTaskNotifyTake(pdFALSE, 1), to the next FreeRTOS tick
# (CONFIG_FREERTOS_HZ 100: 10 ms), while a whole tick remains, then spins the rest. The
# twin spins likewise (a section: the chip's C, not charged) and waits for a tick in
# one poll(), whose wake-up its Meter reports (hostcosts.py): the unix port's own
# sleeps wake every millisecond, and each wake-up is host CPU cpu.py would charge.
# Ctrl-C still ends such a sleep (poll's EINTR raises the pending exception).
from time import *  # noqa: F401,F403
import time as _time

_sleep_us = _time.sleep_us
_TICK_US = 10000  # portTICK_PERIOD_MS 10
_SPIN_US = 200


def _wait_us(us):
    """A blocking wait of about ``us`` µs (one poll(), to the nearest ms, once the ESP32's
    CPU speed is set up), for a section that reports it as idle time (Meter.idle)."""
    if us >= 500 and _POLLER[0] is not None:
        _POLLER[0].poll((us + 500) // 1000)
    elif us > 0:
        _sleep_us(us)


def _held():
    """µs the host has held the process so far to charge its code ESP32 time (cpu.py)."""
    meter = _METER[0]
    t0 = meter.start()
    f = _HELD[0]
    held = last = None
    while held is None or held != last:  # the host rewrites it in place: two reads agree
        last = held
        f.seek(0)
        held = f.read(16)
    meter.stop(t0)
    return int(held)


def _sleep_until(start, us, ticks):
    """Until ``us`` µs after ``start``, the ESP32 port's way: mp_hal_delay_us spins;
    mp_hal_delay_ms (``ticks``) sleeps to the next tick while more than a tick remains,
    then spins. A spin is the chip's C, not charged: it reports itself as it goes (the host
    reads the process's CPU every few milliseconds), less the time the host's scheduler
    kept it waiting for a CPU (else a preempted spin would report time it did not compute,
    and the board's own code would look free: cpu.py)."""
    meter = _METER[0]
    t0 = meter.start()
    end = _time.ticks_add(start, us)
    while True:
        now = _time.ticks_us()
        left = _time.ticks_diff(end, now)
        if left <= 0:
            break
        if ticks and left > _TICK_US:
            _wait_us(_TICK_US - now % _TICK_US)  # ulTaskNotifyTake(pdFALSE, 1)
            meter.idle(now)
        else:
            part = _time.ticks_add(now, min(left, _SPIN_US))
            ready = meter.runnable_us()
            while _time.ticks_diff(part, _time.ticks_us()) > 0:
                pass
            meter.total -= meter.runnable_us() - ready  # preempted: waiting for a CPU
        meter.lap()
    meter.stop(t0)


def _delay_us(us):
    """sleep_us: mp_hal_delay_us. A pause of the host's that pays for code run before it
    overlaps it (at most ``us``): such waits are short, and code that keeps time on a
    grid (a paced writer) computes ``us`` from a clock read before that code was paid."""
    _sleep_until(_time.ticks_us(), int(us), False)


def _delay_ms(ms):
    """sleep_ms, sleep: mp_hal_delay_ms. From a tick on, the code run before it pays
    first (a request, answered once the host has held the board for it, ≈ 0.1 ms), so the
    sleep begins when a chip's would; the host's pauses during the sleep itself (its own
    noise) are absorbed. A shorter sleep overlaps such a pause, as sleep_us does."""
    start = _time.ticks_us()
    us = int(ms) * 1000
    if us < _TICK_US:
        _sleep_until(start, us, True)
        return
    held = _held()
    _HOST[0].call("cpu_sync")
    paid = _held()
    _sleep_until(start, us + paid - held, True)
    _ABSORBED[0] += _held() - paid


def _absorbed_us():
    """µs of the host's pauses that sleeps of a tick or more absorbed so far (tests)."""
    return _ABSORBED[0]


_POLLER = [None]
_ABSORBED = [0]
_METER = [None]
_HELD = [None]
_HOST = [None]


def _setup(host, cfg):
    global sleep_us, sleep_ms, sleep
    if cfg.get("cpu") != "esp32":
        return
    import select

    _POLLER[0] = select.poll()
    _METER[0] = host.meter
    _HELD[0] = open(cfg["cpu_held"], "rb")
    _HOST[0] = host
    sleep_us = _delay_us
    sleep_ms = _delay_ms

    def sleep(seconds):
        _delay_ms(int(seconds * 1000))
