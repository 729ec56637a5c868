# `sys` as on ESP32 MicroPython: platform "esp32", implementation from the flashed image's banner.
from sys import *  # noqa: F401,F403  (same objects: modules, path, argv, stdin/stdout, exit...)
import io as _io
import sys as _sys
import time as _time

for _name in dir(_sys):  # delegated attributes (path, argv, ps1...) are not copied by import *
    if not _name.startswith("__") and _name not in globals():
        globals()[_name] = getattr(_sys, _name)
del _name
# Not in an ESP32 build's sys (py/modsys.c; py/mpconfig.h defaults, which the ESP32 port's
# ROM level EXTRA_FEATURES and ports/esp32/mpconfigport.h leave off, v1.14-v1.27): atexit,
# exc_info, executable, getsizeof, intern, settrace (the unix port enables some of them).
for _name in ("atexit", "exc_info", "executable", "getsizeof", "intern", "settrace"):
    globals().pop(_name, None)
del _name

platform = "esp32"
maxsize = 2147483647  # the ESP32's mp_int_t is 32 bits: MP_SSIZE_MAX (py/modsys.c mp_sys_maxsize_obj)
_BOARD = {"release": "1.21.0", "version": "v1.21.0 on 2023-10-13", "machine": "ESP32 module with ESP32", "tuple": (1, 21, 0)}


def _board():
    return _BOARD


def _parse_banner(banner):
    # "MicroPython v1.21.0 on 2023-10-13; ESP32 module with ESP32"
    head, _, machine = banner.partition("; ")
    version = head[len("MicroPython "):] if head.startswith("MicroPython ") else head
    release = version.split(" on ")[0].lstrip("v")
    nums = []
    for part in release.split("-")[0].split("."):
        try:
            nums.append(int(part))
        except ValueError:
            break
    while len(nums) < 3:
        nums.append(0)
    _BOARD.update(release=release, version=version, machine=machine or banner, tuple=tuple(nums[:3]))


def _impl_fields(v):
    """sys.implementation's fields on the ESP32 port (py/modsys.c impl_fields): v1.14-v1.18
    (name, version, mpy); v1.19 adds _machine and renames mpy to _mpy."""
    if v < (1, 19):
        return ("name", "version", "mpy")
    return ("name", "version", "_machine", "_mpy")


def _mpy_header(v):
    """MPY_FILE_HEADER_INT (py/persistentcode.h) of an ESP32 build: .mpy version, then
    (flags or sub-version | arch << 2) << 8 with arch XTENSAWIN = 10. v1.14-v1.18: .mpy 5,
    flag STR_UNICODE (2); v1.19: .mpy 6, no flags; sub-version 1 in v1.20-v1.21, 2 in
    v1.22, 3 from v1.23 (read at each tag)."""
    if v < (1, 19):
        return 5 | ((2 | 10 << 2) << 8)
    sub = 0 if v < (1, 20) else 1 if v < (1, 22) else 2 if v < (1, 23) else 3
    return 6 | ((sub | 10 << 2) << 8)


class _Implementation:
    name = "micropython"

    def __getattr__(self, attr):
        v = _BOARD["tuple"]
        if attr not in _impl_fields(v):
            raise AttributeError(attr)
        if attr == "version":
            # a 3-tuple until v1.22 adds the release level (py/modsys.c)
            return v if v < (1, 22) else v + ("",)
        if attr == "_machine":
            return _BOARD["machine"]
        return _mpy_header(v)

    def __repr__(self):
        return "(%s)" % ", ".join("%s=%r" % (f, getattr(self, f)) for f in _impl_fields(_BOARD["tuple"]))


implementation = _Implementation()


_FIFO = 128  # SOC_UART_FIFO_LEN (ESP32, ESP32-S3)
_UART0 = {"baud": 115200}  # the REPL UART's rate: sim_machine shares its state here
_TICK_US = 10000  # FreeRTOS tick at CONFIG_FREERTOS_HZ = 100


class _TxFifo:
    """uart_stdout_tx_strn (ports/esp32/uart.c, v1.19+): fill the 128-byte TX FIFO; when
    the rest does not fit, ulTaskNotifyTake(pdFALSE, 1) sleeps until the next tick, as
    nothing notifies the task on TX. The FIFO drains at the UART's rate meanwhile."""

    def __init__(self):
        self.level = 0.0
        self.at = _time.ticks_us()
        self.tick_waits = 0  # how often a write waited for a tick (tests, benchmarks)

    def _drain(self, baud):
        now = _time.ticks_us()
        self.level = max(0.0, self.level - _time.ticks_diff(now, self.at) * baud / 10e6)
        self.at = now
        return now

    def write(self, raw, data, baud):
        mv = memoryview(data)
        sent = [0]

        def emit(k):
            _raw_write(raw, mv[sent[0]:sent[0] + k])
            sent[0] += k

        self.pace(len(mv), baud, emit)

    def pace(self, n, baud, emit=None):
        """n bytes through the FIFO: what fits now goes in (``emit(k)`` sends k of them; text
        written elsewhere, e.g. by print, passes no emit), the rest waits for a tick."""
        while True:
            self._drain(baud)
            part = min(int(_FIFO - self.level), n)
            if part:
                if emit is not None:
                    emit(part)
                self.level += part
                n -= part
            if n <= 0:
                return
            self._wait_tick()

    def _wait_tick(self):
        now = _time.ticks_us()
        self.tick_waits += 1
        _time._wait_us(_TICK_US - now % _TICK_US)  # to the next tick (sim_time: not a section)
        _METER[0].idle(now)
        _METER[0].lap()


def _window(data, window):
    """The bytes a stream's write(buf[, max_len]) / write(buf, off, max_len) sends
    (py/stream.c stream_write_method, the same from v1.14 to v1.27: 2 to 4 arguments,
    self included; any buffer, a str too)."""
    if len(window) > 2:
        raise TypeError("function expected at most 4 arguments, got %d" % (len(window) + 2))
    if isinstance(data, str):
        data = data.encode()
    if not window:
        return data
    off, max_len = (0, window[0]) if len(window) == 1 else window
    mv = memoryview(data)
    off = min(max(0, off), len(mv))
    return mv[off:off + max(0, max_len)]


def _raw_write(raw, data):
    t1 = _time.ticks_us()
    raw.write(_RAW_MARK + len(data).to_bytes(4, "little"))
    raw.write(data)
    _METER[0].unblocked(t1)


# A board's sys.stdin, sys.stdout and their buffer (shared/runtime/sys_stdio_mphal.c, read at
# each tag): stdin and stdout are one type, stdio_obj_type, named FileIO up to v1.23 and
# TextIOWrapper from v1.24.0 (commit 455415b1e1 "Fix printed type for stdio streams"), printed
# "<io.TYPE fd>"; reading fd 1 or writing fd 0 is EPERM. Their `buffer` is one object for both,
# stdio_buffer_obj_type, named FileIO in all versions, with fd 0 ("fd unused"), so it prints
# "<io.FileIO 0>": it reads the REPL UART's input and writes its output. Reads come from the
# UART's ring buffer (mp_hal_stdin_rx_chr): C on a board, so one that returns at once is not
# ESP32 code to pace (vb_host.Meter.returned); one that waited reports its wake-up.
_EPERM = 1


class FileIO:
    """The stdio buffer: raw bytes on the UART. The host "cooks" all other output
    ("\n" -> "\r\n", as ESP32's stdout does); framed writes pass unchanged. On builds
    with the v1.19+ REPL output path, writes longer than the FIFO's free room wait for
    FreeRTOS ticks (see _TxFifo)."""

    def __init__(self, raw, raw_in):
        self._raw = raw
        self._in = raw_in  # the unix port's stdin buffer (sim_select polls it)
        self.fifo = None  # _TxFifo when the build has the tick wait (set up by _setup)

    def write(self, data, *window):
        meter = _METER[0]  # the UART driver is C on a board (cpu.py)
        t0 = meter.start()
        data = _window(data, window)
        n = len(data)
        if n:
            if self.fifo is None:
                _raw_write(self._raw, data)
            else:
                self.fifo.write(self._raw, data, _UART0["baud"])
        meter.stop(t0)
        return n

    def read(self, n=-1):
        t0 = _time.ticks_us()
        data = self._in.read(n)
        _METER[0].returned(t0)
        return data

    def readinto(self, buf, n=-1):
        t0 = _time.ticks_us()
        got = self._in.readinto(buf) if n < 0 else self._in.readinto(buf, n)
        _METER[0].returned(t0)
        return got

    def readline(self):
        t0 = _time.ticks_us()
        data = self._in.readline()
        _METER[0].returned(t0)
        return data

    def flush(self):
        pass

    def __repr__(self):
        return "<io.FileIO 0>"


_StdioBuffer = FileIO


class _Stdio(_io.IOBase):
    def __init__(self, fd, real, real_in, buffer):
        self._fd = fd
        self._real = real
        self._in = real_in  # the unix port's stdin (sim_select polls it)
        self.buffer = buffer

    def write(self, s, *window):
        if self._fd == 0:
            raise OSError(_EPERM)
        meter = _METER[0]
        t0 = meter.start()
        if window:
            s = str(_window(s, window), "utf-8")
        fifo = self.buffer.fifo
        if fifo is not None:
            fifo.pace(len(s) + s.count("\n"), _UART0["baud"])  # "\n" leaves as "\r\n"
        t1 = _time.ticks_us()
        n = self._real.write(s)
        meter.unblocked(t1)
        meter.stop(t0)
        return n

    def read(self, n=-1):
        if self._fd != 0:
            raise OSError(_EPERM)
        t0 = _time.ticks_us()
        data = self._in.read(n)
        _METER[0].returned(t0)
        return data

    def readline(self):
        if self._fd != 0:
            raise OSError(_EPERM)
        t0 = _time.ticks_us()
        data = self._in.readline()
        _METER[0].returned(t0)
        return data

    def readinto(self, buf, n=-1):
        if self._fd != 0:
            raise OSError(_EPERM)
        t0 = _time.ticks_us()
        got = self._in.readinto(buf) if n < 0 else self._in.readinto(buf, n)
        _METER[0].returned(t0)
        return got

    def readlines(self):
        return list(self)

    def __iter__(self):  # MP_TYPE_FLAG_ITER_IS_STREAM: lines until the end
        return self

    def __next__(self):
        line = self.readline()
        if not line:
            raise StopIteration
        return line

    def close(self):
        pass

    def __enter__(self):
        return self

    def __exit__(self, *args):
        pass

    def flush(self):
        pass


class FileIO(_Stdio):  # noqa: F811  (sys.stdin/stdout up to v1.23: the same type name as their buffer)
    def __repr__(self):
        return "<io.FileIO %d>" % self._fd


class TextIOWrapper(_Stdio):  # sys.stdin/stdout from v1.24.0
    def __repr__(self):
        return "<io.TextIOWrapper %d>" % self._fd


_RAW_MARK = b"\x1b\x00vb-raw:"  # must match firmware.py
_REAL_IN = (_sys.stdin, _sys.stdin.buffer)  # what sim_select polls for stdin and the buffer
_buffer = _StdioBuffer(_sys.stdout.buffer, _sys.stdin.buffer)
stdin = FileIO(0, _sys.stdout, _sys.stdin, _buffer)
stdout = FileIO(1, _sys.stdout, _sys.stdin, _buffer)
_STDIO_TYPES = (FileIO, TextIOWrapper)
del FileIO, TextIOWrapper, _StdioBuffer, _buffer  # not names of sys
del _sys


def _polled(obj):
    """The unix port's stream that select polls for ``obj`` (sim_select)."""
    if obj is stdin:
        return _REAL_IN[0]
    if obj is stdin.buffer:
        return _REAL_IN[1]
    return obj


_builtin_print = print


def _print(*args, sep=" ", end="\n", file=None):
    """print() as the ESP32 port's: through the REPL UART's TX path (mp_hal_stdout_tx_strn)."""
    if file is not None and file is not stdout:
        return _builtin_print(*args, sep=sep, end=end, file=file)
    stdout.write((" " if sep is None else sep).join([str(a) for a in args]) + ("\n" if end is None else end))


class _NoMeter:
    def start(self):
        return 0

    def stop(self, t0):
        pass

    def idle(self, t0):
        pass

    def unblocked(self, t0):
        pass

    def lap(self):
        pass

    def returned(self, t0):
        pass


_METER = [_NoMeter()]


def _setup(host, cfg):
    global version, stdin, stdout
    _METER[0] = host.meter
    _parse_banner(cfg["banner"])
    stdio = _STDIO_TYPES[1 if _BOARD["tuple"] >= (1, 24) else 0]
    stdin = stdio(0, stdout._real, stdout._in, stdout.buffer)
    stdout = stdio(1, stdout._real, stdout._in, stdout.buffer)
    if cfg.get("uart", {}).get("tx_tick"):
        stdout.buffer.fifo = _TxFifo()
        import builtins
        builtins.print = _print  # the REPL's own echo and results stay C-level (short)
    # "3.4.0" until v1.19 appends MICROPY_BANNER_NAME_AND_VERSION (py/modsys.c)
    version = "3.4.0" if _BOARD["tuple"] < (1, 19) else "3.4.0; MicroPython " + _BOARD["version"]
