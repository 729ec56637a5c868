"""The fast serial link: run the board's REPL UART at the fastest rate that works.

After the prompt, a small program on the board re-initialises UART0 at a higher
rate (``machine.UART(0, baudrate=N)``, accepted since MicroPython v1.18-168, tag
v1.19: commit 919e586e46 "Allow limited configuration of REPL UART"; older builds
raise "UART(0) is disabled (dedicated to REPL)"). Messages at the new rate prove the
link both ways before anyone relies on it:

0. board -> host: "FL:UP" lines, one every HELLO_MS until the host's first byte
   arrives: the host sends nothing at the new rate before it read one, so neither
   side's timing matters (a host that switched late, a slow adapter or a board busy
   with a garbage collection only lose a hello or two). Unanswered, the board says
   hello for three guards, longer than the host waits for one, so its FL:BACK comes
   when the host is back at the old rate;
1. host -> board: a token and a 192-byte probe; the board answers with a checksum
   of the probe, its own token echo and a 1 KiB pattern of all byte values;
2. host -> board: a confirmation; only then does the board stay at the new rate.

The board carries the guard: when the host's first byte (within three guards), the
probe or the confirmation does not arrive intact within ``guard_ms`` it returns to the
old rate by itself. Ctrl-C is off during the handshake (``micropython.kbd_intr(-1)``)
so a garbled byte cannot abort it halfway.

Facts this depends on (see docs/design/fast-link-facts.md for sources):
- UART0 keeps its rate across a soft reboot in every version the catalog offers
  (1.14 ... 1.27): ``uart_stdout_init()`` runs once before main.c's ``soft_reset:``
  label. Only a hard reset (EN, ``machine.reset()``, brown-out, crash) brings the
  ROM's 115200 back.
- ``uart_set_baudrate()`` rewrites the divider at once; bytes still in the 128-byte
  TX FIFO leave at the new rate. Hence the board sleeps after "FL:GO" before it
  switches, and on IDF 5.0-5.4 builds (v1.21, v1.26) each ``UART(0, ...)`` first
  logs "uart_wait_tx_done(...): uart driver error": the host skips such noise.
- On v1.19+ the REPL's output waits for a FreeRTOS tick (10 ms) whenever a write
  does not fit the TX FIFO (ports/esp32/uart.c ``uart_stdout_tx_strn``), which caps
  one big ``sys.stdout.buffer.write`` near 12.8 kB/s whatever the rate. Bulk data
  therefore leaves the board through ``PACED_WRITER``: 96-byte slices timed to the
  FIFO's drain time, so a slice always fits and the tick wait never happens.
- The stdin ring holds 259 bytes and has no flow control: the probe is 200 bytes.
"""
from __future__ import annotations

import os
import re
import time
from dataclasses import dataclass, field
from typing import Callable, List, Optional, Protocol, Sequence, Tuple, Union
from thonnycontrib.esp32cam.core.i18n import N_, _

BOOT_BAUD = 115200  # the ROM, the 2nd-stage bootloader and MicroPython start here
LADDER: Tuple[int, ...] = (2000000, 1500000, 1000000, 921600, 460800, 230400)
GUARD_MS = 300  # the board waits this long for each host message at the new rate
SWITCH_SLEEP_MS = 30  # the board lets "FL:GO" leave its TX FIFO before switching
HELLO = b"FL:UP\r\n"  # the board's hello at the new rate (step 0 above)
HELLO_MS = 10  # the board repeats it this often until the host's first byte arrives
HELLO_GUARDS = 3  # the board says hello this many guards long; the host waits one guard + 0.5 s
PROBE_SIZE = 192
PATTERN = bytes(range(256)) * 4  # board -> host at the new rate: every byte value
TOKEN_SIZE = 8
FIFO = 128  # SOC_UART_FIFO_LEN, ESP32 and ESP32-S3 (idf@v5.0.2 soc_caps.h)
SLICE = FIFO - 32  # bytes per paced write (see PACED_WRITER)

NETWORK_CAP = 921600  # rfc2217:// or socket://: the adapter behind the server is unknown
UNKNOWN_CAP = 460800  # a USB adapter not in the table below
NATIVE_USB = "native USB"  # ESP32-S3 USB-Serial/JTAG: the line rate means nothing


@dataclass(frozen=True)
class Adapter:
    name: str
    max_baud: int  # the fastest rate used with it (not always the chip's ceiling)


# USB VID:PID -> adapter. Caps from the Linux drivers and datasheets (fast-link-facts §3):
# a plain CP2102 tops out at 1 Mbaud and shares its PID with the CP2102N (3 Mbaud), so
# 921600; CH34x/FTDI carry 2 Mbaud exactly; CH9102/CH343 more, 2 Mbaud is enough.
ADAPTERS = {
    (0x10C4, 0xEA60): Adapter("CP210x", 921600),
    (0x1A86, 0x7523): Adapter("CH340", 2000000),
    (0x1A86, 0x5523): Adapter("CH341", 2000000),
    (0x1A86, 0x55D4): Adapter("CH9102", 2000000),
    (0x1A86, 0x55D3): Adapter("CH343", 2000000),
    (0x0403, 0x6001): Adapter("FT232R", 2000000),
    (0x0403, 0x6015): Adapter("FT231X", 2000000),
    (0x0403, 0x6010): Adapter("FT2232", 2000000),
    (0x0403, 0x6014): Adapter("FT232H", 2000000),
}
USB_SERIAL_JTAG = (0x303A, 0x1001)  # esptool's ESPRESSIF_VID / USB_JTAG_SERIAL_PID


def adapter_cap(port: str, vid: Optional[int] = None, pid: Optional[int] = None) -> Tuple[str, int]:
    """(adapter name, fastest rate to try) for a port; looks the USB ids up if not given."""
    if "://" in port:
        return "network port", NETWORK_CAP
    if vid is None:
        vid, pid = usb_ids(port)
    if (vid, pid) == USB_SERIAL_JTAG:
        return NATIVE_USB, BOOT_BAUD
    adapter = ADAPTERS.get((vid, pid)) if vid is not None else None
    if adapter is None:
        return ("USB %04X:%04X" % (vid, pid) if vid is not None else "unknown adapter"), UNKNOWN_CAP
    return adapter.name, adapter.max_baud


FLASH_FLOOR = (BOOT_BAUD, 38400)  # esptool's last resorts below the adapter's ladder


def flash_rates(port: str) -> Tuple[str, List[int]]:
    """(adapter name, esptool rates fastest first) for installing through ``port``: the
    same caps as the fast link, then down the ladder to 115200 (38400 as a last resort).
    On the chip's own USB-Serial/JTAG the rate means nothing: 115200."""
    adapter, top = adapter_cap(port)
    return adapter, [r for r in LADDER if r <= top] + [r for r in FLASH_FLOOR if r <= max(top, BOOT_BAUD)]


def usb_ids(port: str) -> Tuple[Optional[int], Optional[int]]:
    try:
        from serial.tools import list_ports
    except ImportError:
        return None, None
    real = os.path.realpath(port) if os.path.exists(port) else port
    for info in list_ports.comports():
        if info.device in (port, real):
            return info.vid, info.pid
    return None, None


# --- the user's setting ---------------------------------------------------------------------

@dataclass(frozen=True)
class SpeedSetting:
    """"auto" = fastest that works (up to the adapter's cap or ``limit``); "off" =
    115200 only; "fixed" = exactly ``rate`` or, if that fails, 115200."""

    mode: str = "auto"
    rate: Optional[int] = None

    def describe(self) -> str:
        if self.mode == "off":
            return _("115200 only")
        if self.mode == "fixed":
            return _("fixed {rate}").format(rate=self.rate)
        if self.rate:
            return _("fastest that works up to {rate}").format(rate=self.rate)
        return _("fastest that works")


def parse_setting(text: Union[str, int, None]) -> SpeedSetting:
    """"auto", "auto:N", "115200" (= off), "N". Raises ValueError with a message a user
    can act on for anything else."""
    value = str(text if text is not None else "auto").strip().lower()
    if value in ("", "auto", "fastest"):
        return SpeedSetting("auto")
    if value in ("off", "115200", "slow"):
        return SpeedSetting("off")
    limit = value[5:] if value.startswith("auto:") else None
    try:
        rate = int(limit if limit is not None else value)
    except ValueError:
        raise ValueError(_("Serial speed {value!r} is not understood: use auto, 115200, or a rate "
                           "such as 921600.").format(value=text)) from None
    if not BOOT_BAUD <= rate <= 5000000:  # SOC_UART_BITRATE_MAX (idf soc_caps.h)
        raise ValueError(_("Serial speed {rate} is out of range: use 115200 ... 5000000.").format(
            rate=rate))
    if limit is not None:
        return SpeedSetting("auto", rate)
    return SpeedSetting("off") if rate == BOOT_BAUD else SpeedSetting("fixed", rate)


SPEED_OPTION = "serial_speed"  # [ESP32CAM] serial_speed in Thonny's configuration.ini
SPEED_CHOICES = (  # (stored value, what the interpreter page shows: marked with N_, _() where shown)
    ("auto", N_("Fastest that works (default)")),
    ("115200", N_("115200 baud only (as stock Thonny)")),
    ("460800", N_("460800 baud")),
    ("921600", N_("921600 baud")),
    ("1000000", N_("1000000 baud")),
    ("1500000", N_("1500000 baud")),
    ("2000000", N_("2000000 baud")),
)

SPEED_EXPLANATION = N_(  # translated where shown
    "After connecting, the plug-in raises the board's serial speed to the fastest rate "
    "the adapter carries (MicroPython 1.19+), so Files, Run and the camera view are several "
    "times faster. The board is back at 115200 when Thonny lets go of it. Choose 115200 for "
    "a flaky cable or adapter.")


def coerce_setting(raw: object) -> Tuple[str, Optional[str]]:
    """(value to use, note) for a stored option; garbage becomes "auto" with a note."""
    try:
        setting = parse_setting(raw if raw not in (None, "") else "auto")
    except ValueError as error:
        return "auto", _("{error} Using auto.").format(error=error)
    if setting.mode == "off":
        return "115200", None
    if setting.mode == "fixed":
        return str(setting.rate), None
    return ("auto:%d" % setting.rate if setting.rate else "auto"), None


def candidate_rates(setting: SpeedSetting, cap: int, remembered: Optional[int] = None) -> List[int]:
    """Rates to try, fastest first; a rate that worked on this port before goes first."""
    if setting.mode == "off":
        return []
    if setting.mode == "fixed":
        return [setting.rate] if setting.rate and setting.rate != BOOT_BAUD else []
    top = min(cap, setting.rate) if setting.rate else cap
    rates = [r for r in LADDER if r <= top]
    if remembered in rates:
        rates.remove(remembered)
        rates.insert(0, remembered)
    return rates


# --- code for the board ---------------------------------------------------------------------

# One function in the REPL's globals (double underscore: out of the user's way); each
# attempt is then a one-line call. Kept compact: it crosses the wire at 115200.
DEVICE_HELPER = """\
def __esp32cam_fl(n, b, g, k, z):
 import sys, time, machine, select, micropython
 try:
  machine.UART(0, baudrate=b)
 except ValueError as e:
  print('FL:NO', e)
  return
 i = sys.stdin.buffer
 p = select.poll()
 p.register(sys.stdin, 1)
 def rd(m):
  d = b''
  e = time.ticks_add(time.ticks_ms(), g)
  while len(d) < m and time.ticks_diff(e, time.ticks_ms()) > 0:
   if p.poll(2):
    d += i.read(1)
  return d
 micropython.kbd_intr(-1)
 try:
  print('FL:GO')
  time.sleep_ms(%(sleep)d)
  machine.UART(0, baudrate=n)
  o = sys.stdout.buffer.write
  e = time.ticks_add(time.ticks_ms(), %(hello_guards)d * g)
  while not p.poll(%(hello_ms)d) and time.ticks_diff(e, time.ticks_ms()) > 0:
   o(%(hello)r)
  q = rd(len(k) + z) if p.poll(0) else b''
  ok = q[:len(k)] == k and len(q) == len(k) + z
  if ok:
   a = c = 0
   for x in q[len(k):]:
    a = (a + x) %% 255
    c = (c + a) %% 255
   w = __esp32cam_pw(n)
   w(b'FL:HI' + k + b'%%04x' %% (c * 256 + a))
   w(bytes(range(256)) * 4)
   ok = rd(len(k) + 2) == b'OK' + k
  if ok:
   print('FL:ON')
  else:
   time.sleep_ms(5)
   machine.UART(0, baudrate=b)
   print('FL:BACK')
 finally:
  micropython.kbd_intr(3)
""" % {"sleep": SWITCH_SLEEP_MS, "hello": HELLO, "hello_ms": HELLO_MS, "hello_guards": HELLO_GUARDS}

# Writes bulk data in slices timed to the FIFO's drain rate, so the REPL's output never
# waits for a FreeRTOS tick (see the module docstring). A slice is 32 bytes smaller than the
# FIFO and the next one goes a slice's drain time (2 % slow) after the last write ended:
# then at most 32 bytes are left and the slice fits, even when the board was held up in
# between (a write that took long, an interrupt, another task), where a write that does not
# fit waits 10 ms for the next tick. A write that comes a whole FIFO's drain time after the
# last finds the FIFO empty and fills it (a slow board, whose own code between writes
# outlasts a slice on the line: a third more per write). The timing carries over from one
# call to the next (a frame's header, then its data, then the next frame), and the time
# functions are looked up once.
PACED_WRITER = """\
def __esp32cam_pw(n):
 import sys, time
 w = sys.stdout.buffer.write
 if n <= %(boot)d:
  return w
 us = %(grid)d // n
 e = %(empty)d // n
 tu = time.ticks_us
 td = time.ticks_diff
 ta = time.ticks_add
 su = time.sleep_us
 g = [tu(), ta(tu(), e)]
 def pw(b):
  b = memoryview(b)
  t, f = g
  j = 0
  m = len(b)
  while j < m:
   d = td(t, tu())
   if d > 0:
    su(d)
   k = %(slice)d
   if td(tu(), f) >= 0:
    k = %(fifo)d
   w(b[j:j + k])
   j += k
   a = tu()
   t = ta(a, us)
   f = ta(a, e)
  g[0] = t
  g[1] = f
 return pw
""" % {"boot": BOOT_BAUD, "slice": SLICE, "fifo": FIFO, "grid": SLICE * 10_200_000, "empty": FIFO * 10_200_000}


def attempt_code(rate: int, back: int, guard_ms: int, token: bytes, with_helpers: bool) -> str:
    call = "__esp32cam_fl(%d, %d, %d, %r, %d)" % (rate, back, guard_ms, token, PROBE_SIZE)
    return (PACED_WRITER + DEVICE_HELPER + call) if with_helpers else call


# A weak adapter (or a long cable) carries short messages above its real limit and garbles
# sustained data once its FIFO overruns; the camera's code (several KB) and its frames (8-50 KB)
# are such data. Hence a rate counts as working only when this much crosses intact each way:
# up as code (raw-paste flow control keeps the board's 259-byte stdin ring from overflowing),
# back through the paced writer.
SUSTAINED_SIZE = 8192


def sustained_code(rate: int, data: bytes) -> str:
    """The board echoes ``data`` (hex digits: no quoting, no control bytes) after "FL:SUS"."""
    return "__esp32cam_pw(%d)(b'FL:SUS\\n' + b'%s')" % (rate, data.decode("ascii"))


def restore_code(to: int = BOOT_BAUD) -> str:
    """Back to ``to`` (115200) when the plug-in lets go; output "FL:BYE" at the old rate first."""
    return ("import machine, time\nprint('FL:BYE')\ntime.sleep_ms(%d)\nmachine.UART(0, baudrate=%d)"
            % (SWITCH_SLEEP_MS, to))


def checksum(data: bytes) -> int:
    """Fletcher-16 (mod 255), as the board computes it."""
    a = c = 0
    for x in data:
        a = (a + x) % 255
        c = (c + a) % 255
    return c * 256 + a


# --- the host side ----------------------------------------------------------------------------

class LinkIO(Protocol):
    """What the negotiation needs from a connection (pyserial in the CLI, Thonny's
    connection in the back-end)."""

    def write(self, data: bytes) -> None: ...

    def read_until(self, pattern: "re.Pattern[bytes]", timeout: float) -> bytes:
        """Bytes up to and including the first match; on timeout what arrived (no match)."""

    def read_exactly(self, size: int, timeout: float) -> bytes: ...

    def discard_input(self) -> None: ...

    def set_baud(self, baud: int) -> None: ...


_GO_OR_NO = re.compile(rb"FL:(GO|NO)([^\n]*)\n")
_HELLO = re.compile(re.escape(HELLO))
_ON_END = re.compile(rb"FL:ON\r?\n\x04[^\x04]*\x04>")
_BACK_END = re.compile(rb"FL:BACK\r?\n\x04[^\x04]*\x04>")
# the end of a program run at the raw REPL: EOT, its error text (group 1), EOT, ">"
RUN_END = re.compile(rb"\x04([^\x04]*)\x04>")
_RAW_BANNER = re.compile(rb"raw REPL; CTRL-B to exit\r\n>")
_BYE = re.compile(rb"FL:BYE\r?\n")
_SUS = re.compile(rb"FL:SUS\n")


@dataclass
class Attempt:
    rate: int
    outcome: str  # "ok", "unsupported", "no_go", "no_hello", "bad_reply", "no_confirm", "garbles_long"
    seconds: float


@dataclass
class Result:
    rate: int  # the rate both sides use now
    attempts: List[Attempt] = field(default_factory=list)
    unsupported: Optional[str] = None  # the firmware refused UART(0): its message
    seconds: float = 0.0

    @property
    def fast(self) -> bool:
        return self.rate > BOOT_BAUD


class LinkLost(Exception):
    """Neither rate answers at the raw REPL after a failed attempt."""


class Negotiator:
    def __init__(self, io: LinkIO, submit: Callable[[str], None], *, guard_ms: int = GUARD_MS,
                 log: Callable[[str], None] = lambda text: None, sustained: bool = True) -> None:
        self.io = io
        self.sustained = sustained  # also check a long transfer each way (``sustained_ok``)
        self.submit = submit  # runs code at the raw REPL prompt; returns once it started
        self.guard_ms = guard_ms
        self.log = log
        self._helpers_defined = False

    def negotiate(self, rates: Sequence[int], current: int = BOOT_BAUD) -> Result:
        """Try ``rates`` in order from ``current``; stop at the first that works. The board is
        at its raw REPL prompt before and after."""
        started = time.perf_counter()
        result = Result(current)
        for rate in rates:
            if rate == current:
                continue
            attempt = self.try_rate(rate, current)
            result.attempts.append(attempt)
            self.log("fast link: %d baud: %s (%.0f ms)" % (rate, attempt.outcome, attempt.seconds * 1000))
            if attempt.outcome == "ok":
                result.rate = rate
                break
            if attempt.outcome == "unsupported":
                result.unsupported = self._unsupported
                break
        result.seconds = time.perf_counter() - started
        return result

    def try_rate(self, rate: int, back: int) -> Attempt:
        started = time.perf_counter()

        def done(outcome: str) -> Attempt:
            return Attempt(rate, outcome, time.perf_counter() - started)

        token = os.urandom(TOKEN_SIZE // 2).hex().encode()
        self.submit(attempt_code(rate, back, self.guard_ms, token, not self._helpers_defined))
        self._helpers_defined = True
        answer = self.io.read_until(_GO_OR_NO, 3.0)
        found = _GO_OR_NO.search(answer)
        if found is None:
            self._resync(back)
            return done("no_go")
        if found.group(1) == b"NO":
            self._unsupported = found.group(2).decode("utf-8", "replace").strip()
            self.io.read_until(RUN_END, 2.0)
            return done("unsupported")
        self.io.set_baud(rate)
        self.io.discard_input()
        if _HELLO.search(self.io.read_until(_HELLO, self.guard_ms / 1000 + 0.5)) is None:
            # no hello came through: the rate garbles (or the board is gone, or was busy
            # for a long time); the board says hello for longer than this (HELLO_GUARDS),
            # then goes back and prints FL:BACK at `back`, where the host is by then
            self.io.set_baud(back)
            self._finish_back(back, self.guard_ms / 1000 + 1.0)
            return done("no_hello")
        probe = bytes((7 * j + token[j % len(token)]) & 0xFF for j in range(PROBE_SIZE))
        self.io.write(token + probe)
        expected = b"FL:HI" + token + b"%04x" % checksum(probe) + PATTERN
        matched = self._read_expected(expected, self.guard_ms / 1000 + 0.5)
        if matched < len(expected):
            self.io.set_baud(back)
            if matched >= len(expected) - len(PATTERN):
                # the board got the probe and waits for the confirmation until its guard
                # expires; then it reverts and prints FL:BACK at `back`: readable now
                self._finish_back(back, self.guard_ms / 1000 + 1.0)
            else:
                # the probe did not arrive intact: the board reverts as soon as its
                # read ends (the FL:BACK may be lost while the host was still fast)
                self._finish_back(back, 0.2)
            return done("bad_reply")
        self.io.write(b"OK" + token)
        end = self.io.read_until(_ON_END, self.guard_ms / 1000 + 1.0)
        if _ON_END.search(end) is None:
            self.io.set_baud(back)
            self._finish_back(back, self.guard_ms / 1000 + 0.5)
            return done("no_confirm")
        if self.sustained and not self.sustained_ok(rate):
            self.restore(rate, back)  # a short message: it gets through where long ones do not
            return done("garbles_long")
        return done("ok")

    def sustained_ok(self, rate: int) -> bool:
        """At ``rate`` (both sides, board at its raw prompt): SUSTAINED_SIZE bytes of code up
        and the same bytes back arrive intact (a weak adapter passes the short probe and
        garbles long transfers, see ``sustained_code``). The board is at its raw prompt after."""
        data = os.urandom(SUSTAINED_SIZE // 2).hex().encode()
        try:
            self.submit(sustained_code(rate, data))
        except Exception as e:  # the upload's flow control broke on damaged bytes (ReplBusy)
            self.log("fast link: %d baud: the long upload failed (%s)" % (rate, e))
            self._resync(rate)
            return False
        timeout = 2.0 + 30.0 * len(data) / rate
        head = self.io.read_until(_SUS, timeout)
        echo = self.io.read_exactly(len(data), timeout) if _SUS.search(head) else b""
        end = self.io.read_until(RUN_END, 1.0)
        if echo == data and RUN_END.search(end) is not None:
            return True
        self._resync(rate)
        return False

    def _read_expected(self, expected: bytes, timeout: float) -> int:
        """How many leading bytes of ``expected`` arrived intact (stops at the first wrong
        one), after the hellos the board sent while the probe was on its way."""
        deadline = time.monotonic() + timeout
        got = 0
        head = b""
        while len(head) < len(HELLO) and time.monotonic() < deadline:
            head += self.io.read_exactly(len(HELLO) - len(head), min(deadline - time.monotonic(), 0.05))
            if head == HELLO:
                head = b""
        while got < len(expected):
            left = deadline - time.monotonic()
            if left <= 0:
                break
            if head:
                chunk, head = head, b""
            else:
                chunk = self.io.read_exactly(min(256, len(expected) - got), min(left, 0.05))
            if chunk != expected[got:got + len(chunk)]:
                for a, b in zip(chunk, expected[got:]):
                    if a != b:
                        break
                    got += 1
                return got
            got += len(chunk)
        return got

    def restore(self, current: int, to: int = BOOT_BAUD) -> bool:
        """Bring the board (at its raw REPL prompt, at ``current``) back to ``to``."""
        if current == to:
            return True
        self.io.discard_input()  # what a damaged transfer left behind would confuse the submission
        self.submit(restore_code(to))
        bye = self.io.read_until(_BYE, 2.0)
        self.io.set_baud(to)
        if _BYE.search(bye) is None:
            return self._resync(to)
        end = self.io.read_until(RUN_END, 1.0)
        return RUN_END.search(end) is not None or self._resync(to)

    def _finish_back(self, back: int, timeout: float) -> None:
        end = self.io.read_until(_BACK_END, timeout)
        if _BACK_END.search(end) is None:
            self._resync(back)

    def _resync(self, rate: int) -> bool:
        """Back at a raw REPL prompt at ``rate``: Ctrl-A there re-prints the raw banner."""
        self.io.set_baud(rate)
        for _attempt in range(2):
            self.io.discard_input()
            self.io.write(b"\x01")
            if _RAW_BANNER.search(self.io.read_until(_RAW_BANNER, 1.0)):
                return True
        raise LinkLost(_("The board does not answer at {rate} baud after a failed speed change.").format(
            rate=rate))



def describe(result: Result, adapter: str) -> str:
    """One line for logs, the status bar and the doctor."""
    if result.unsupported:
        return _("115200 baud: this firmware cannot change the REPL's rate ({reason})").format(
            reason=result.unsupported)
    tried = ", ".join("%d %s" % (a.rate, a.outcome) for a in result.attempts)
    if tried:
        return _("{rate} baud via {adapter} (tried: {tried})").format(rate=result.rate, adapter=adapter,
                                                                     tried=tried)
    return _("{rate} baud via {adapter}").format(rate=result.rate, adapter=adapter)


def remembered_rate(store: dict, port: str, adapter: str) -> Optional[int]:
    entry = store.get(port)
    if isinstance(entry, dict) and entry.get("adapter") == adapter and isinstance(entry.get("rate"), int):
        return entry["rate"]
    return None


def left_fast_rate(store: dict, port: str) -> Optional[int]:
    """After an unclean exit (process killed while the board ran fast): the rate to probe."""
    entry = store.get(port)
    if isinstance(entry, dict) and entry.get("left_fast") and isinstance(entry.get("rate"), int):
        return entry["rate"]
    return None
