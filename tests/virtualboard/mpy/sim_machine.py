# `machine` as on ESP32 MicroPython, for the virtual AI-Thinker ESP32-CAM.
# GPIO4 (flash LED) and GPIO33 (red LED, active low) changes are reported to the board.
import time as _time
import micropython as _micropython

PWRON_RESET = 1
HARD_RESET = 2
WDT_RESET = 3
DEEPSLEEP_RESET = 4
SOFT_RESET = 5
PIN_WAKE = 2
EXT0_WAKE = 2
EXT1_WAKE = 3
TIMER_WAKE = 4
TOUCHPAD_WAKE = 5
ULP_WAKE = 6

_host = None
_uid = b"\x24\x0a\xc4\x5c\xa3\x01"  # replaced by the board's eFuse MAC in _setup
_sim_sys = None
_freq = 160000000
_rtc_offset = 0
_levels = {}
_REPORTED = (4, 33)
_VALID_PINS = tuple(range(0, 20)) + (21, 22, 23, 25, 26, 27) + tuple(range(32, 40))
_INPUT_ONLY = (34, 35, 36, 37, 38, 39)


_uart0 = {"reinit": True, "tx_tick": True, "wait_tx_error": True, "baud": 115200}


def _setup(host, cfg):
    global _host, _uid, _sim_sys
    _host = host
    _uid = bytes(cfg["unique_id"])
    _uart0.update(cfg.get("uart", {}))
    import sim_sys  # loaded first (vb_boot.SIM_MODULES): its stdout paces writes at this rate
    sim_sys._UART0 = _uart0
    _sim_sys = sim_sys  # the firmware's version (its banner) decides some APIs


def reset():
    _micropython.kbd_intr(-1)
    _host.send("reset", reason="machine.reset")
    while True:  # the chip resets; nothing after this runs
        _time.sleep(1)


def soft_reset():
    raise SystemExit  # what the ESP32 port does: pyexec turns it into a soft reboot


def deepsleep(ms=0):
    _micropython.kbd_intr(-1)
    if ms:
        _time.sleep_ms(ms)
    _host.send("reset", reason="deepsleep")
    while True:
        _time.sleep(1)


def lightsleep(ms=0):
    _time.sleep_ms(ms)


def idle():
    _time.sleep_ms(1)


def freq(hz=None):
    global _freq
    if hz is None:
        return _freq
    if hz not in (20000000, 40000000, 80000000, 160000000, 240000000):
        raise ValueError("frequency must be 20MHz, 40MHz, 80Mhz, 160MHz or 240MHz")
    _freq = hz


def unique_id():
    # ports/esp32/modmachine.c: esp_efuse_mac_get_default() -> the 6-byte factory MAC
    return _uid


def reset_cause():
    return PWRON_RESET


def wake_reason():
    return 0


def disable_irq():
    return 0


def enable_irq(state=0):
    pass


def time_pulse_us(pin, pulse_level, timeout_us=1000000):
    return -2  # no edge arrives on a simulated pin


class Pin:
    IN = 1
    OUT = 3
    OPEN_DRAIN = 7
    PULL_UP = 2
    PULL_DOWN = 1
    PULL_HOLD = 4
    IRQ_RISING = 1
    IRQ_FALLING = 2
    WAKE_LOW = 4
    WAKE_HIGH = 5
    DRIVE_0 = 0
    DRIVE_1 = 1
    DRIVE_2 = 2
    DRIVE_3 = 3

    def __init__(self, id, mode=-1, pull=-1, *, value=None, drive=None, hold=None):
        if id not in _VALID_PINS:
            raise ValueError("invalid pin")
        self._id = id
        self._mode = None
        self._pull = None
        self.init(mode, pull, value=value)

    def init(self, mode=-1, pull=-1, *, value=None, drive=None, hold=None):
        if mode != -1:
            if mode in (Pin.OUT, Pin.OPEN_DRAIN) and self._id in _INPUT_ONLY:
                raise ValueError("pin can only be input")
            self._mode = mode
        if pull != -1:
            self._pull = pull
        if value is not None:
            self.value(value)

    def value(self, v=None):
        if v is None:
            if self._id in _levels:
                return _levels[self._id]
            if self._pull == Pin.PULL_DOWN:
                return 0
            return 1 if self._id in (0, 2) or self._pull == Pin.PULL_UP else 0
        level = 1 if v else 0
        if _levels.get(self._id) != level:
            _levels[self._id] = level
            if self._id in _REPORTED and self._mode in (Pin.OUT, Pin.OPEN_DRAIN):
                _host.call("pin", pin=self._id, value=level)
        return None

    def __call__(self, v=None):
        return self.value(v)

    def on(self):
        self.value(1)

    def off(self):
        self.value(0)

    def irq(self, handler=None, trigger=3, *, wake=None):
        self._irq = handler
        return None

    def __repr__(self):
        return "Pin(%d)" % self._id


class Signal:
    def __init__(self, pin, *args, invert=False, **kwargs):
        self._pin = pin if isinstance(pin, Pin) else Pin(pin, *args, **kwargs)
        self._invert = invert

    def value(self, v=None):
        if v is None:
            return self._pin.value() ^ self._invert
        self._pin.value((1 if v else 0) ^ self._invert)

    def on(self):
        self.value(1)

    def off(self):
        self.value(0)


def _release():
    return _sim_sys._BOARD["tuple"]


class PWM:
    """LEDC PWM; the board hears the pin, frequency and duty (a clock on the camera's
    XCLK pin lets the sensor answer on SCCB). Frequency range and messages as
    ports/esp32/machine_pwm.c (check_freq_ranges: 1 Hz to 40 MHz)."""

    def __init__(self, pin, freq=5000, duty=None, duty_u16=None):
        if duty_u16 is not None and _release() < (1, 18):
            # ports/esp32/machine_pwm.c v1.14-v1.17: make_new takes freq and duty only (duty_u16
            # and duty_ns arrived in v1.18); mp_arg_parse_all's message (py/argcheck.c)
            raise TypeError("unexpected keyword argument 'duty_u16'")
        self._pin = pin if isinstance(pin, Pin) else Pin(pin, Pin.OUT)
        self._check(freq)
        self._freq = freq
        self._duty_u16 = 32768 if duty is None and duty_u16 is None else 0  # 50 % default (PWM_DUTY)
        if duty is not None:
            self.duty(duty)
        elif duty_u16 is not None:
            self.duty_u16(duty_u16)
        else:
            self._report()

    @staticmethod
    def _check(f):
        if not 0 < f <= 40000000:
            raise ValueError("frequency must be from 1Hz to 40MHz")

    def _report(self):
        self._pin.value(1 if self._duty_u16 >= 32768 else 0)  # an LED on the pin looks on/off
        _host.call("pwm", pin=self._pin._id, freq=self._freq, duty=self._duty_u16)

    def freq(self, f=None):
        if f is None:
            return self._freq
        self._check(f)
        self._freq = f
        self._report()

    def duty_u16(self, d=None):
        if d is None:
            return self._duty_u16
        if not 0 <= d <= 65535:
            raise ValueError("duty_u16 must be from 0 to 65535")
        self._duty_u16 = d
        self._report()

    def duty(self, d=None):
        if d is None:
            return self._duty_u16 * 1023 // 65535
        self.duty_u16(max(0, min(1023, d)) * 65535 // 1023)

    def deinit(self):
        self._duty_u16 = 0
        self._report()

    def __repr__(self):
        return "PWM(Pin(%d), freq=%d, duty=%d)" % (self._pin._id, self._freq, self.duty())


def _pin_id(p):
    return p._id if isinstance(p, Pin) else Pin(p)._id


class SoftI2C:
    """Bit-banged I2C (extmod/machine_i2c.c). The board answers for the device on the
    camera connector; a missing device is OSError(ENODEV) as on the chip
    (ports/esp32/machine_i2c.c maps ESP_FAIL to -MP_ENODEV, so does the soft driver)."""

    def __init__(self, scl, sda, *, freq=400000, timeout=50000):
        self._scl = _pin_id(scl)
        self._sda = _pin_id(sda)
        self._freq = freq

    def _xfer(self, kind, addr=-1, **kw):
        levels = {str(k): v for k, v in _levels.items()}
        r = _host.call("i2c", kind=kind, addr=addr, sda=self._sda, scl=self._scl, levels=levels, **kw)
        if not r.get("ok"):
            raise OSError(r.get("errno", 19))
        return r

    def scan(self):
        return list(self._xfer("scan")["found"])

    def writeto(self, addr, buf, stop=True):
        self._xfer("write", addr, data=bytes(buf).hex())
        return len(buf)

    def readfrom(self, addr, nbytes, stop=True):
        return bytes.fromhex(self._xfer("read", addr, n=nbytes)["data"])

    def readfrom_into(self, addr, buf, stop=True):
        buf[:] = self.readfrom(addr, len(buf))

    def writeto_mem(self, addr, memaddr, buf, *, addrsize=8):
        self.writeto(addr, memaddr.to_bytes(addrsize // 8, "big") + bytes(buf))

    def readfrom_mem(self, addr, memaddr, nbytes, *, addrsize=8):
        self.writeto(addr, memaddr.to_bytes(addrsize // 8, "big"), False)
        return self.readfrom(addr, nbytes)

    def readfrom_mem_into(self, addr, memaddr, buf, *, addrsize=8):
        buf[:] = self.readfrom_mem(addr, memaddr, len(buf), addrsize=addrsize)

    def __repr__(self):
        return "SoftI2C(scl=%d, sda=%d, freq=%d)" % (self._scl, self._sda, self._freq)


class I2C(SoftI2C):
    """Hardware I2C: ids 0 and 1 on the ESP32 ("I2C(%d) doesn't exist" otherwise)."""

    def __init__(self, id=-1, *, scl=None, sda=None, freq=400000, timeout=50000):
        if not 0 <= id < 2:
            raise ValueError("I2C(%d) doesn't exist" % id)
        # machine_i2c.c defaults: I2C(0) scl=18 sda=19, I2C(1) scl=25 sda=26
        default = (18, 19) if id == 0 else (25, 26)
        super().__init__(scl if scl is not None else default[0], sda if sda is not None else default[1],
                         freq=freq, timeout=timeout)
        self._id = id

    def __repr__(self):
        return "I2C(%d, scl=%d, sda=%d, freq=%d)" % (self._id, self._scl, self._sda, self._freq)


class RTC:
    def __init__(self, id=0):
        pass

    def datetime(self, dt=None):
        global _rtc_offset
        if dt is None:
            t = _time.localtime(_time.time() + _rtc_offset)
            return (t[0], t[1], t[2], t[6], t[3], t[4], t[5], 0)
        y, mo, d, _wd, h, mi, s = dt[:7]
        _rtc_offset = _time.mktime((y, mo, d, h, mi, s, 0, 0)) - _time.time()

    def init(self, dt):
        self.datetime((dt[0], dt[1], dt[2], 0) + tuple(dt[3:6]))

    def memory(self, data=None):
        return b""


class UART:
    """UART0 is the REPL's: on builds since v1.18-168 (tag v1.19) it accepts a new rate
    and keeps the REPL on it; older builds refuse it (see firmware.repl_uart_rules).
    UART1/UART2 exist but nothing is wired to them on an ESP32-CAM."""
    INV_TX = 1
    INV_RX = 4
    INV_RTS = 8
    INV_CTS = 16
    RTS = 1
    CTS = 2

    # machine_uart.c is C on a board: the twin's Python here reports its time (cpu.py), in
    # sections that leave out what reports its own (the REPL's output, the channel)
    def __init__(self, id, baudrate=0, **kw):
        meter = _host.meter
        t0 = meter.start()
        if id not in (0, 1, 2):
            raise ValueError("UART(%d) does not exist" % id)
        if id == 0 and not _uart0["reinit"]:
            raise ValueError("UART(%d) is disabled (dedicated to REPL)" % id)
        self._id = id
        self._baud = _uart0["baud"] if id == 0 else 115200
        self._bits_per_char = 10
        self._tx_end = _time.ticks_us()  # when the TX line falls idle (UART1/UART2)
        meter.stop(t0)
        self.init(baudrate, **kw)

    def init(self, baudrate=0, *, bits=8, parity=None, stop=1, tx=-1, rx=-1, rts=-1, cts=-1,
             txbuf=-1, rxbuf=-1, timeout=0, timeout_char=0, invert=0, flow=0):
        meter = _host.meter
        t0 = meter.start()
        if self._id == 0:
            tail = 0
            if _uart0["wait_tx_error"]:
                # uart_wait_tx_done() first: no IDF driver on the REPL UART (IDF 5.0-5.4)
                import sys
                line = "E (%d) uart: uart_wait_tx_done(1111): uart driver error\n" % _time.ticks_ms()
                meter.stop(t0)
                sys.stdout.write(line)
                t0 = meter.start()
                tail = len(line) + 1  # still in the TX FIFO when the divider changes
            if txbuf >= 0 or rxbuf >= 0:
                raise ValueError("UART buffer size is fixed")
            if baudrate > 0:
                meter.stop(t0)
                answer = _host.call("uart0", baud=baudrate, tail=tail)
                t0 = meter.start()
                _uart0["baud"] = answer.get("baud", baudrate)
            self._baud = _uart0["baud"]
        else:
            if baudrate > 0:
                self._baud = baudrate
            # start bit, data bits, parity bit, stop bits
            self._bits_per_char = 1 + bits + (0 if parity is None else 1) + int(stop)
        meter.stop(t0)

    def deinit(self):
        pass

    def any(self):
        return 0

    def read(self, n=-1):
        return None

    def readline(self):
        return None

    def readinto(self, buf, n=-1):
        return None

    def write(self, buf):
        if self._id == 0:
            import sys
            return sys.stdout.buffer.write(buf)
        # the bytes go to the driver's TX buffer and leave at the line rate; nothing is wired
        # to UART1/UART2 on an ESP32-CAM, but flush()/txdone() take the time a board does
        # (MicroPython's tests/extmod/machine_uart_tx.py measures it)
        now = _time.ticks_us()
        start = self._tx_end if _time.ticks_diff(self._tx_end, now) > 0 else now
        self._tx_end = _time.ticks_add(start, len(buf) * self._bits_per_char * 1000000 // self._baud)
        return len(buf)

    def flush(self):
        left = _time.ticks_diff(self._tx_end, _time.ticks_us())
        if self._id and left > 0:
            _time.sleep_us(left)

    def txdone(self):
        return self._id == 0 or _time.ticks_diff(self._tx_end, _time.ticks_us()) <= 0

    def sendbreak(self):
        pass

    def __repr__(self):
        return "UART(%d, baudrate=%d, bits=8, parity=None, stop=1, tx=%d, rx=%d, rts=-1, cts=-1, " \
               "txbuf=%d, rxbuf=%d, timeout=0, timeout_char=0)" % (
                   self._id, self._baud, 1 if self._id == 0 else 10, 3 if self._id == 0 else 9,
                   0 if self._id == 0 else 256, 129 if self._id == 0 else 256)
