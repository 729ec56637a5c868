"""Opt-in speed-up for pyserial's RFC2217 *client*, for bulk tests only.

Put this folder on PYTHONPATH of a child process (e.g. an esptool subprocess):
pyserial's rfc2217 client then polls for the server's acknowledgements every
2 ms instead of every 50 ms (and waits 50 ms instead of 300 ms after close).
The protocol on the wire is unchanged. Real users run the stock client, so
keep at least one test on it.
"""
import time as _time

try:
    import serial.rfc2217 as _rfc2217
except ImportError:  # pyserial not installed in this interpreter
    _rfc2217 = None


class _FastPollingTime:
    def __getattr__(self, name):
        return getattr(_time, name)

    @staticmethod
    def sleep(seconds):
        _time.sleep(0.002 if seconds <= 0.1 else 0.05)


if _rfc2217 is not None:
    _rfc2217.time = _FastPollingTime()
