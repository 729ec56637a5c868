"""Notice when the board's UART rate and the host's no longer match, and find the board again.

A rate mismatch turns every byte into noise. It happens when the board resets while
the link runs fast (RST, ``machine.reset()``, brown-out, crash: the ROM and
MicroPython start at 115200 again) or when a user program calls
``machine.UART(0, baudrate=...)`` itself. ``LinkWatch`` sits in the serial reader:
text passes untouched; a run of noise is dropped, and the host tries the rates the
board may be at now (115200 first, then the negotiated one, then the ladder) until
text reads clean again. Before giving up it asks at 115200 whether the ROM bootloader
is there (esptool's SYNC: a board reset into download mode says nothing by itself, and
its boot log may have passed before the host followed). The owner hears about a relock
(to renegotiate when idle), a board in download mode, or a board that cannot be found
at any known rate.

Pure logic: the caller changes the port's rate (``set_rate`` callback).
"""
from __future__ import annotations

import threading
import time
from typing import Callable, List, Optional, Sequence

from .fastlink import BOOT_BAUD, LADDER
from .serialprobe import SYNC_REPLY

WINDOW = 32  # bytes of suspicious data judged at once
NOISE_SHARE = 0.35  # more non-text than this in a window = noise (random bytes: ~58 %)
CLEAN_RUN = 8  # this many text bytes in a row after a switch = the rate is right
STALE_SECONDS = 0.1  # held bytes nothing follows are judged after this
RAW_PASTE_CONTROL = set(b"R\x00\x01\x04\x80")  # raw-paste answers (pyexec.c), window 128
SILENT_ROUNDS = 3  # a poke can be lost to an earlier garbled byte: try each rate this often
SILENT_SECONDS = 0.35  # lost and nothing arrives at a rate: poke the board at the next one
# What makes an idle board print text at its rate: Ctrl-B prints the banner and ">>> ", but
# only on an empty line; on a line holding characters (garbled pokes sent at other rates
# arrive as typed characters) it moves the cursor. Ctrl-A then Ctrl-K (home, kill to the end
# of the line) empty the line first. On an empty line Ctrl-A enters the raw REPL instead,
# where Ctrl-K is just buffered and Ctrl-B returns to the friendly REPL with the banner too.
# A running program merely finds the bytes in stdin: unlike Ctrl-C, nothing interrupts it.
# (shared/readline/readline.c and shared/runtime/pyexec.c, lib/mp-readline and lib/utils in
# v1.14; MICROPY_REPL_EMACS_KEYS is on in the ESP32 port v1.14-v1.27.)
POKE = b"\x01\x0b\x02"
# Bytes that reach the reader just after a switch were mostly taken in at the old rate: in
# the OS's and the adapter's buffers, or, over RFC2217, sent before the set-baud reached
# the far end. Noise in this window says nothing about the new rate; it is dropped.
SETTLE_SECONDS = 0.05
# New noise while searching is most likely a reset (RST pressed after the lost message): its
# boot log goes on at 115200 for a second, so 115200 is tried next unless it was noisy itself
# this recently (then the board is talking at another rate and the search goes on).
RESET_LOG_SECONDS = 1.0


def _text_mask(data: bytes) -> List[bool]:
    """True for bytes a MicroPython REPL sends: printable ASCII, CR/LF/TAB/BS/ESC, the raw
    REPL's control bytes (0x01-0x06) and complete UTF-8 sequences."""
    mask = [False] * len(data)
    i = 0
    while i < len(data):
        b = data[i]
        if 0x20 <= b < 0x7F or b in (0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x08, 0x09, 0x0A, 0x0D, 0x1B):
            mask[i] = True
            i += 1
            continue
        size = 2 if 0xC2 <= b <= 0xDF else 3 if 0xE0 <= b <= 0xEF else 4 if 0xF0 <= b <= 0xF4 else 0
        if size and i + size <= len(data) and all(0x80 <= c <= 0xBF for c in data[i + 1:i + size]):
            for j in range(i, i + size):
                mask[j] = True
            i += size
            continue
        i += 1
    return mask


def noise_share(data: bytes) -> float:
    if not data:
        return 0.0
    return _text_mask(data).count(False) / len(data)


class LinkWatch:
    """Thread-safe: ``feed`` runs in the serial reader, ``tick`` in a timer thread."""

    def __init__(self, set_rate: Callable[[int], None], rate: int = BOOT_BAUD, *,
                 on_relock: Callable[[int], None] = lambda rate: None,
                 on_lost: Callable[[], None] = lambda: None,
                 poke: Callable[[], None] = lambda: None,
                 probe_rom: Optional[Callable[[], None]] = None,
                 on_download_mode: Callable[[], None] = lambda: None) -> None:
        self.set_rate = set_rate
        self.rate = rate  # the host's rate now
        self.expected = rate  # the rate the link was agreed at
        self.on_relock = on_relock
        self.on_lost = on_lost
        self.poke = poke  # makes an idle board print something (sends POKE)
        self.probe_rom = probe_rom  # sends esptool's SYNC (the ROM bootloader answers it)
        self.on_download_mode = on_download_mode
        self.lost = False
        self.in_download_mode = False  # lost, and the ROM bootloader answered at 115200
        self._rom_probed = False
        self._boot_rate_noisy_at = -RESET_LOG_SECONDS
        self._held = bytearray()
        self._held_at = 0.0  # when the oldest held byte arrived
        self._switched_at = 0.0
        self._poked_here = False
        self._silent_actions = 0
        self._reported = False
        self._candidates: List[int] = []
        self._lock = threading.RLock()

    def agreed(self, rate: int) -> None:
        """The owner (re)negotiated: this is the link's rate from now on."""
        with self._lock:
            self.rate = self.expected = rate
            self.lost = self.in_download_mode = False
            self._held.clear()

    def candidates(self) -> Sequence[int]:
        order = [BOOT_BAUD, self.expected] + list(LADDER)
        return [r for i, r in enumerate(order) if r not in order[:i] and r != self.rate]

    def feed(self, data: bytes, now: Optional[float] = None, binary: bool = False) -> bytes:
        """What to publish of ``data`` (noise is dropped); may switch the port's rate.
        ``binary``: Thonny expects raw-paste control bytes (b"R\x01", the window size,
        b"\x01", b"\x04"), which pass."""
        now = time.monotonic() if now is None else now
        with self._lock:
            if binary and not self.lost and not self._held and set(data) <= RAW_PASTE_CONTROL:
                return data
            if not self._held:
                self._held_at = now
            if self.lost:
                return self._feed_lost(data, now)
            mask = _text_mask(data)
            if all(mask) and not self._held:
                return data
            self._held += data
            if len(self._held) < WINDOW and not _ends_with_prompt(self._held):
                return b""  # judged when the window is full, at a prompt, or by tick()
            return self._judge(now, short=False)

    def tick(self, now: Optional[float] = None) -> bytes:
        """Called every few tens of ms: judge held bytes that stopped coming; while lost and
        silent, poke the board at the next candidate rate."""
        now = time.monotonic() if now is None else now
        with self._lock:
            if self._held and now - self._held_at >= STALE_SECONDS:
                if self.lost:
                    return self._judge_lost(now, short=True)
                return self._judge(now, short=True)
            if self.lost and not self._held and now - self._switched_at >= SILENT_SECONDS:
                self._on_silence(now)
            return b""

    # --- internals (lock held) -------------------------------------------------------------
    def _on_silence(self, now: float) -> None:
        """Lost, and nothing arrives: ask at this rate (POKE), then at the next ones; after
        SILENT_ROUNDS rounds, or once the ROM has answered, wait at 115200, where any reset of the
        board will speak next (a board in download mode, or one that is simply silent, is not poked
        forever)."""
        if self.in_download_mode or self._silent_actions >= SILENT_ROUNDS * 2 * (len(LADDER) + 2):
            if self.rate != BOOT_BAUD:
                self._switch(BOOT_BAUD, now)
            self._switched_at = now
            return
        self._silent_actions += 1
        if not self._poked_here:
            self._poked_here = True
            self._switched_at = now
            self.poke()
            return
        self._next_rate(now)
        self._poked_here = True
        self.poke()

    def _judge(self, now: float, short: bool) -> bytes:
        held, self._held = bytes(self._held), bytearray()
        noise = _text_mask(held).count(False)
        # text with a stray byte passes; a short burst with two or more non-text bytes is
        # noise (a REPL sends none), as is a window of which more than NOISE_SHARE is
        if noise <= NOISE_SHARE * len(held) and not (short and noise >= 2):
            return held
        self.lost = True
        self._reported = self._rom_probed = False
        self._silent_actions = 0
        self._candidates = list(self.candidates())
        self._next_rate(now)  # 115200 first: after a reset the boot log goes on by itself
        return b""

    def _feed_lost(self, data: bytes, now: float) -> bytes:
        self._held += data
        return self._judge_lost(now, short=False)

    def _judge_lost(self, now: float, short: bool) -> bytes:
        if self.rate == BOOT_BAUD and SYNC_REPLY in self._held and not self.in_download_mode:
            self.in_download_mode = self._reported = True
            self._held.clear()
            self.on_download_mode()
            return b""
        mask = _text_mask(self._held)
        run = 0
        for ok in mask:
            run = run + 1 if ok else 0
        if run >= CLEAN_RUN and noise_share(self._held[-max(run, WINDOW):]) <= NOISE_SHARE:
            clean = bytes(self._held[len(self._held) - run:])
            self._held.clear()
            self.lost = self.in_download_mode = False
            self.on_relock(self.rate)
            return clean
        if self.in_download_mode or now - self._switched_at < SETTLE_SECONDS:
            # old-rate bytes still arriving, or the ROM's further SYNC answers: keep only the
            # text they end with (it may be the start of a clean run) and wait for more
            del self._held[:len(self._held) - run]
            return b""
        if short or (len(self._held) >= WINDOW and noise_share(self._held[-WINDOW:]) > NOISE_SHARE):
            self._held.clear()
            if self.rate == BOOT_BAUD:
                self._boot_rate_noisy_at = now
            elif now - self._boot_rate_noisy_at > RESET_LOG_SECONDS:
                self._switch(BOOT_BAUD, now)
                return b""
            self._next_rate(now)
        return b""

    def _next_rate(self, now: float) -> None:
        if not self._candidates:
            if not self._reported and self.probe_rom is not None and not self._rom_probed:
                # every rate tried: is the ROM bootloader there (download mode)?
                self._rom_probed = True
                self._switch(BOOT_BAUD, now)
                self._poked_here = True  # the SYNC is this rate's poke
                self.probe_rom()
                return
            self._candidates = list(self.candidates())  # keep cycling: the board may come back
            if not self._reported:
                self._reported = True
                self.on_lost()
        self._switch(self._candidates.pop(0), now)

    def _switch(self, rate: int, now: float) -> None:
        self.rate = rate
        self._switched_at = now
        self._poked_here = False
        self.set_rate(rate)


def _ends_with_prompt(data: bytes) -> bool:
    return data.endswith((b">>> ", b"\x04>", b"CTRL-B to exit\r\n>"))
