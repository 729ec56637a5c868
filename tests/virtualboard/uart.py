"""The chip's UART0 as the host adapter sees it.

Carries bytes both ways at the chip's current baud (10 bits per byte when
`line_rate == "real"`), and garbles them like real hardware does when the
adapter's baud differs from the chip's, or when the adapter runs above the
speed it can really sustain (`max_baud`). With `weak_after`, a weak adapter
copes with short messages above `max_baud` and garbles only sustained
transfers: bytes past the first `weak_after` of a burst (a burst ends after
BURST_GAP of silence), as an overrunning FIFO does. With `fail_after`, a link that holds
above `max_baud` for a while and then fails (an adapter heating up, a loose cable that is
moved): the first `fail_after` bytes sent above `max_baud` arrive intact, later ones do not.

In the ROM's download mode the chip adopts the host's baud until the first
SYNC (`start_autobaud`), as the ESP32 ROM's auto-baud detection does.
"""
from __future__ import annotations

import queue
import random
import threading
import time
from typing import Callable, Optional, Union

from .events import EventLog

ROM_BAUD = 115200
SLICE_SECONDS = 0.004  # pacing granularity
BAUD_TOLERANCE = 0.03  # a UART tolerates a few percent of clock error
WEAK_ADAPTER_ERROR_EVERY = 12  # above max_baud, about one byte in this many is corrupted
BURST_GAP = 0.02  # seconds of silence that end a burst (for `weak_after`)


# USB-serial adapters by their own limits (what the twin garbles above), from their
# datasheets / Linux drivers: a plain CP2102 reaches 1 Mbaud (drivers/usb/serial/cp210x.c
# clamps to 1000000), CP2102N and FT232R 3 Mbaud, CH340 2 Mbaud (WCH datasheet), CH9102
# 4 Mbaud (WCH). None = no limit of its own.
ADAPTER_MODELS = {
    "cp2102": 1000000,
    "cp2102n": 3000000,
    "ch340": 2000000,
    "ch9102": 4000000,
    "ft232r": 3000000,
    "ideal": None,
}

# What an adapter holds back before the host sees it: (latency timer in seconds, bytes
# per USB packet). An FTDI chip sends a packet when it holds 62 data bytes (64-byte
# packets, two of them modem status) or when its latency timer runs out; the timer
# restarts with every packet. Linux programs 16 ms unless a program asks for low
# latency (drivers/usb/serial/ftdi_sio.c: ``write_latency_timer``, default
# ``latency = 16``; FTDI AN232B-04 "Data Throughput, Latency and Handshaking").
ADAPTER_LATENCY = {
    "ft232r": (0.016, 62),
}

# Every one of these bridges is a full-speed USB device on bulk endpoints: the host
# controller moves full-speed data in 1 ms frames (USB 2.0 specification, 5.8 and 8.4.3:
# a full-speed frame is 1 ms, SOF every 1 ms), and bytes that reach the bridge from either
# side wait for the next one. Silicon Labs' knowledge-base article "CP210x USB
# communication" (2004, on CP2101-CP2108) describes exactly that: "The USB protocol also
# has framing every 1 ms", packets to the CP210x go frame by frame, and data to the PC waits
# until its buffer fills or a receive timeout expires. WCH's CH340 datasheet (CH340DS1,
# version 2F, features: "Full speed USB device interface, USB 2.0 compatible"), the CH9102's
# and FTDI's FT232R ("USB 2.0 Full Speed compatible") say the same. So a reply to a
# host write comes 0-2 ms (1 ms on average) later than the line alone allows.
USB_FRAME_SECONDS = 0.001
ADAPTER_USB_FRAME = {name: USB_FRAME_SECONDS for name in ("cp2102", "cp2102n", "ch340", "ch9102", "ft232r")}


def next_frame(now: float, frame: float) -> float:
    """The start of the first USB frame after ``now`` (frames start at multiples of ``frame``)."""
    return (int(now / frame) + 1) * frame


class Uart:
    def __init__(self, events: EventLog, *, line_rate: str = "real", max_baud: Optional[int] = None,
                 weak_after: Optional[int] = None, usb: bool = False,
                 fail_after: Optional[int] = None) -> None:
        if line_rate not in ("real", "unlimited"):
            raise ValueError("line_rate must be 'real' or 'unlimited'")
        self.events = events
        # usb: the chip's own USB-Serial/JTAG: bytes travel in USB packets, the line coding
        # (baud) the host sets is ignored, nothing is paced or garbled by a baud rate
        self.usb = usb
        self.real_rate = line_rate == "real" and not usb
        self.max_baud = max_baud
        self.weak_after = weak_after
        self.fail_after = fail_after
        self._sent_above_max = 0  # bytes sent to the chip above max_baud (for `fail_after`)
        self.autobaud = False
        self._bursts = {"to_chip": [0.0, 0], "to_host": [0.0, 0]}  # direction -> [last byte time, length]
        self.chip_baud = ROM_BAUD
        self.host_baud: Optional[int] = None  # None = unknown (pty): assume it matches
        self.host_tx: Callable[[bytes], None] = lambda data: None
        self.chip_rx: Callable[[bytes], None] = lambda data: None
        self._random = random.Random(2217)
        self._out: "queue.Queue[tuple[int, Union[bytes, Callable[[], None], None]]]" = queue.Queue()
        self._out_generation = 0
        self._pending = 0  # bytes queued by the chip, not yet on the wire
        self._pending_lock = threading.Lock()
        self._out_free = 0.0
        self._in_free = 0.0
        self._last_garbled_event = 0.0
        self._closed = False
        self._flips: Optional[list] = None  # flip_to_host: [marker, count, skip, every, times, tail, left]
        self._flips_in: Optional[list] = None  # flip_to_chip: [bytes to pass first, flips left, every, count]
        self.latency: Optional[tuple] = None  # ADAPTER_LATENCY entry of the adapter, if any
        self._usb = bytearray()  # bytes the adapter holds back (latency timer)
        self._usb_since = 0.0
        self._usb_cond = threading.Condition()
        self.usb_frame: Optional[float] = None  # ADAPTER_USB_FRAME of the adapter, if any
        self._frames: "queue.Queue[tuple[float, bytes]]" = queue.Queue()  # (due, bytes) to the host
        self._writer = threading.Thread(target=self._write_loop, name="virtualboard-uart-tx", daemon=True)
        self._writer.start()

    # --- configuration -------------------------------------------------
    def set_host_baud(self, baud: Optional[int]) -> None:
        if baud != self.host_baud:
            self.host_baud = baud
            self.events.emit("baud", baud=baud, side="host")
        if self.autobaud and baud:
            self.set_chip_baud(baud)

    def start_autobaud(self) -> None:
        """ROM download mode: follow the host's baud until `lock_baud` (the first SYNC)."""
        self.autobaud = True
        if self.host_baud:
            self.set_chip_baud(self.host_baud)

    def lock_baud(self) -> None:
        self.autobaud = False

    def set_chip_baud(self, baud: int) -> None:
        if baud != self.chip_baud:
            self.chip_baud = baud
            self.events.emit("baud", baud=baud, side="chip")

    # --- chip -> host ----------------------------------------------------
    def chip_send(self, data: bytes) -> None:
        if data:
            with self._pending_lock:
                self._pending += len(data)
            self._out.put((self._out_generation, bytes(data)))

    def tx_pending(self) -> int:
        """Bytes the chip has queued that are not on the wire yet."""
        return self._pending

    def chip_send_then(self, action: Callable[[], None]) -> None:
        """Run `action` once everything queued before it has left the chip."""
        self._out.put((self._out_generation, action))

    def discard_output(self) -> None:
        """Drop bytes not yet transmitted (chip reset, purge request)."""
        self._out_generation += 1
        with self._pending_lock:
            self._pending = 0

    def drain(self, timeout: float = 5.0) -> None:
        """Wait until the bytes queued so far have been transmitted."""
        done = threading.Event()
        self.chip_send_then(done.set)
        done.wait(timeout)

    def _write_loop(self) -> None:
        while True:
            generation, item = self._out.get()
            if item is None:
                return
            if generation != self._out_generation:
                continue
            if callable(item):
                item()
                continue
            for piece in self._slices(item, self.chip_baud):
                if generation != self._out_generation:
                    break
                # the chip's transmitter sets the pace, whatever rate the host listens at
                self._out_free = self._pace(self._out_free, len(piece), self.chip_baud)
                if generation != self._out_generation:
                    break
                self._to_usb(self._flip(self._maybe_garble(piece, "to_host")))
                with self._pending_lock:
                    self._pending = max(0, self._pending - len(piece))

    def flip_to_host(self, marker: bytes, count: int, skip: int = 64, every: int = 97,
                     times: int = 1) -> None:
        """Fault: line noise on the way to the host, at the rate the link runs. After each of
        the next ``times`` occurrences of ``marker`` in the chip's output, ``skip`` bytes pass,
        then ``count`` bytes each get one bit flipped, ``every`` bytes apart (no framing
        error: a UART cannot tell). Emits ``flipped`` [count] for each damaged stretch."""
        self._flips = [bytes(marker), count, skip, every, times, b"", None]

    def flip_to_chip(self, skip: int, count: int, every: int = 97) -> None:
        """Fault: line noise on the way to the chip. Of the bytes the host sends from now on,
        ``skip`` pass, then ``count`` bytes each get one bit flipped, ``every`` bytes apart.
        Emits ``flipped_to_chip`` [count] once they are."""
        self._flips_in = [int(skip), int(count), int(every), int(count)]

    def _flip_in(self, data: bytes) -> bytes:
        f = self._flips_in
        if f is None:
            return data
        out = bytearray(data)
        i = f[0]
        while i < len(out) and f[1] > 0:
            out[i] ^= 0x10
            f[1] -= 1
            i += f[2]
        f[0] = max(0, i - len(out))
        if f[1] <= 0:
            self._flips_in = None
            self.events.emit("flipped_to_chip", count=f[3])
        return bytes(out)

    def _flip(self, data: bytes) -> bytes:
        f = self._flips
        if f is None or not data:
            return data
        marker, count, skip, every, times, tail, left = f
        out = bytearray(data)
        i = 0
        while i < len(out):
            if left is None:  # looking for the marker
                window = tail + bytes(out[i:])
                found = window.find(marker)
                if found < 0:
                    f[5] = window[-(len(marker) - 1):] if len(marker) > 1 else b""
                    break
                i = i + found + len(marker) - len(tail)  # first byte after the marker in `out`
                tail = b""
                left = [skip, count]
                continue
            gap, flips = left
            if gap > 0:
                step = min(gap, len(out) - i)
                left[0] -= step
                i += step
                continue
            out[i] ^= 0x10
            left[1] -= 1
            left[0] = every - 1
            i += 1
            if left[1] == 0:
                self.events.emit("flipped", count=count)
                left = None
                f[4] -= 1
                if f[4] <= 0:
                    self._flips = None
                    break
        if self._flips is not None:
            f[5], f[6] = (f[5] if left is None else b""), left
        return bytes(out)

    def _to_usb(self, data: bytes) -> None:
        """The adapter passes the chip's bytes on: at once, or in whole USB packets with the
        rest held until the latency timer runs out (``ADAPTER_LATENCY``)."""
        if self.latency is None:
            self._host_tx(data)
            return
        packet = self.latency[1]
        with self._usb_cond:
            if not self._usb:
                self._usb_since = time.monotonic()
            self._usb += data
            whole = len(self._usb) - len(self._usb) % packet
            out = bytes(self._usb[:whole])
            del self._usb[:whole]
            if whole:
                self._usb_since = time.monotonic()  # a packet went: the timer restarts
            self._usb_cond.notify()
        if out:
            self._host_tx(out)

    def _latency_loop(self) -> None:
        timer = self.latency[0] if self.latency else 0.0
        while not self._closed:
            with self._usb_cond:
                while not self._usb and not self._closed:
                    self._usb_cond.wait(0.5)
                wait = self._usb_since + timer - time.monotonic()
                if wait > 0:
                    self._usb_cond.wait(wait)
                    continue
                out = bytes(self._usb)
                self._usb.clear()
                self._usb_since = time.monotonic()
            self._host_tx(out)

    def set_adapter_latency(self, latency: Optional[tuple]) -> None:
        self.latency = latency
        if latency is not None:
            threading.Thread(target=self._latency_loop, name="virtualboard-usb-latency", daemon=True).start()

    def set_usb_frame(self, frame: Optional[float]) -> None:
        """Bytes cross the adapter's USB side only at frame starts (``ADAPTER_USB_FRAME``)."""
        self.usb_frame = frame
        if frame is not None:
            threading.Thread(target=self._frame_loop, name="virtualboard-usb-frames", daemon=True).start()

    def _frame_loop(self) -> None:
        while not self._closed:
            try:
                due, data = self._frames.get(timeout=0.5)
            except queue.Empty:
                continue
            wait = due - time.monotonic()
            if wait > 0:
                time.sleep(wait)
            self._deliver(data)

    def _host_tx(self, data: bytes) -> None:
        frame = self.usb_frame
        if frame is None:
            self._deliver(data)
        else:  # the host's next IN poll, in the next frame
            self._frames.put((next_frame(time.monotonic(), frame), data))

    def _deliver(self, data: bytes) -> None:
        try:
            self.host_tx(data)
        except Exception:
            pass

    # --- host -> chip ----------------------------------------------------
    def host_send(self, data: bytes) -> None:
        """Bytes from the adapter; called in order by the transport thread."""
        baud = self.host_baud or self.chip_baud  # the adapter's transmitter sets the pace
        frame = self.usb_frame
        if frame is not None and self._in_free <= time.monotonic():
            # the line is idle: these bytes reach the adapter in the next USB frame
            wait = next_frame(time.monotonic(), frame) - time.monotonic()
            if wait > 0:
                time.sleep(wait)
        for piece in self._slices(data, baud):
            self._in_free = self._pace(self._in_free, len(piece), baud)
            self.chip_rx(self._flip_in(self._maybe_garble(piece, "to_chip")))

    # --- helpers ---------------------------------------------------------
    def _slices(self, data: bytes, baud: int):
        if not self.real_rate:
            yield data
            return
        step = max(1, int(baud / 10 * SLICE_SECONDS))
        for start in range(0, len(data), step):
            yield data[start:start + step]

    def _pace(self, line_free: float, nbytes: int, baud: int) -> float:
        """Sleep until `nbytes` sent at `baud` have crossed the wire; return when the line is free."""
        if not self.real_rate:
            return 0.0
        now = time.monotonic()
        done = max(now, line_free) + nbytes * 10 / baud
        delay = done - time.monotonic()
        if delay > 0:
            time.sleep(delay)
        return done

    def garbling_reason(self) -> Optional[str]:
        if self.usb:
            return None
        host = self.host_baud or self.chip_baud
        if abs(host - self.chip_baud) > self.chip_baud * BAUD_TOLERANCE:
            return "baud mismatch"
        if self.max_baud is not None and host > self.max_baud:
            return "above max baud"
        return None

    def _burst_length(self, data: bytes, direction: str) -> int:
        """Bytes of the current burst in `direction`, `data` included."""
        burst = self._bursts[direction]
        now = time.monotonic()
        if now - burst[0] > BURST_GAP:
            burst[1] = 0
        burst[0] = now
        burst[1] += len(data)
        return burst[1]

    def _maybe_garble(self, data: bytes, direction: str) -> bytes:
        reason = self.garbling_reason()
        if self.weak_after is not None:  # bursts are tracked only for a weak adapter
            if self._burst_length(data, direction) <= self.weak_after and reason == "above max baud":
                reason = None  # short messages get through a weak adapter
        if self.fail_after is not None and reason == "above max baud":
            if direction == "to_chip":
                self._sent_above_max += len(data)
            if self._sent_above_max <= self.fail_after:
                reason = None  # the link still holds, both ways
        if reason is None:
            return data
        if reason == "baud mismatch":
            garbled = bytes(self._random.randrange(256) for _ in data)
        else:
            garbled = bytes(
                self._random.randrange(256) if self._random.randrange(WEAK_ADAPTER_ERROR_EVERY) == 0 else b
                for b in data
            )
        now = time.monotonic()
        if now - self._last_garbled_event > 0.25:
            self._last_garbled_event = now
            self.events.emit("garbled", direction=direction, reason=reason,
                             host_baud=self.host_baud, chip_baud=self.chip_baud)
        return garbled

    def close(self) -> None:
        if not self._closed:
            self._closed = True
            self.discard_output()
            self._out.put((self._out_generation, None))
