"""core.linkwatch: noise from a rate mismatch is dropped and the board found again.

Pure logic, driven with explicit times: the serial reader's ``feed`` and the timer's ``tick``.
"""
from __future__ import annotations

import random

from thonnycontrib.esp32cam.core.fastlink import BOOT_BAUD, LADDER
from thonnycontrib.esp32cam.core.serialprobe import SYNC_FRAME
from thonnycontrib.esp32cam.core.linkwatch import (SETTLE_SECONDS, SILENT_ROUNDS, SILENT_SECONDS,
                                                    STALE_SECONDS, LinkWatch, noise_share)

BOOT_LOG_TAIL = b"rst:0x1 (POWERON_RESET),boot:0x3 (DOWNLOAD_BOOT(UART0/UART1/SDIO_REI_REO_V2))\r\nwaiting for download\r\n"


def _noise(size: int, seed: int = 1) -> bytes:
    """What a 115200 boot log looks like to a host at 921600: mostly non-text bytes."""
    rng = random.Random(seed)
    return bytes(rng.choice(range(0x80, 0x100)) for _ in range(size))


# what the ESP32 ROM sends back for a SYNC (esptool loader.py reads these): c0 01 08 ...
ROM_SYNC_ANSWER = b"\xc0\x01\x08\x04\x00\x07\x07\x12\x20\x00\x00\x00\x00\xc0" * 8


class Rig:
    def __init__(self, rate: int = 921600, rom_probe: bool = False) -> None:
        self.rates = []
        self.relocks = []
        self.lost = 0
        self.download_mode = 0
        self.pokes = []
        self.rom_probes = []
        self.watch = LinkWatch(self.rates.append, rate, on_relock=self.relocks.append,
                               on_lost=self._on_lost, poke=lambda: self.pokes.append(self.watch.rate),
                               probe_rom=(lambda: self.rom_probes.append(self.watch.rate)) if rom_probe else None,
                               on_download_mode=self._on_download_mode)
        self.watch.agreed(rate)

    def _on_download_mode(self) -> None:
        self.download_mode += 1

    def silence(self, now: float, seconds: float) -> float:
        end = now + seconds
        while now < end:
            now += SILENT_SECONDS + 0.01
            self.watch.tick(now=now)
        return now

    def _on_lost(self) -> None:
        self.lost += 1


def test_text_passes_untouched_and_a_stray_byte_does_not_trip_the_watch():
    rig = Rig()
    assert rig.watch.feed(b">>> print('hi')\r\nhi\r\n>>> ", now=1.0) == b">>> print('hi')\r\nhi\r\n>>> "
    line = b"a line with one odd byte \xff in the middle of it, long enough\r\n"
    assert rig.watch.feed(line, now=1.1) == line
    assert rig.rates == [] and not rig.watch.lost


def test_raw_paste_control_bytes_pass_when_thonny_expects_them():
    rig = Rig()
    assert rig.watch.feed(b"R\x01\x80\x00\x01", now=1.0, binary=True) == b"R\x01\x80\x00\x01"
    assert rig.rates == []


def test_a_reset_while_fast_goes_to_115200_first_and_the_boot_log_goes_on_clean():
    rig = Rig()
    assert rig.watch.feed(_noise(40), now=1.0) == b""
    assert rig.rates == [BOOT_BAUD] and rig.watch.lost
    out = rig.watch.feed(BOOT_LOG_TAIL, now=1.01)
    assert out == BOOT_LOG_TAIL
    assert rig.relocks == [BOOT_BAUD] and not rig.watch.lost and rig.lost == 0


def test_old_rate_noise_arriving_just_after_the_switch_does_not_move_the_watch_off_115200():
    # the regression: the rest of a garbled burst (received before the switch) was judged as
    # if read at 115200, so the watch went on to 2 Mbaud and missed the boot log
    rig = Rig()
    rig.watch.feed(_noise(40), now=1.0)
    assert rig.watch.feed(_noise(200, seed=2), now=1.0 + SETTLE_SECONDS / 5) == b""
    assert rig.watch.feed(_noise(64, seed=3), now=1.0 + SETTLE_SECONDS / 2) == b""
    assert rig.rates == [BOOT_BAUD]
    assert rig.watch.feed(BOOT_LOG_TAIL, now=1.0 + SETTLE_SECONDS * 0.9) == BOOT_LOG_TAIL
    assert rig.relocks == [BOOT_BAUD]


def test_noise_after_the_settle_window_tries_the_next_rate():
    rig = Rig()
    rig.watch.feed(_noise(40), now=1.0)
    rig.watch.feed(_noise(40, seed=2), now=1.0 + SETTLE_SECONDS * 2)
    assert rig.rates == [BOOT_BAUD, LADDER[0]]  # not 921600 again: it was just judged noisy


def test_a_board_talking_at_a_ladder_rate_is_found_there():
    rig = Rig()
    now = 1.0
    rig.watch.feed(_noise(40), now=now)
    while rig.watch.rate != 460800:
        now += SETTLE_SECONDS * 2
        rig.watch.feed(_noise(40, seed=int(now * 100)), now=now)
    now += 0.01
    assert rig.watch.feed(b"switched\r\n>>> ", now=now) == b"switched\r\n>>> "
    assert rig.relocks == [460800] and rig.lost == 0


def test_noise_in_the_middle_of_a_search_is_taken_for_a_reset_and_read_at_115200():
    # the lost message said "press RST"; the user does, while the search is at another rate
    rig = Rig()
    now = 1.0
    rig.watch.feed(_noise(40), now=now)
    while rig.watch.rate in (BOOT_BAUD, 921600):
        now = rig.silence(now, SILENT_SECONDS)
    searching_at = rig.watch.rate
    now += SETTLE_SECONDS + 0.01
    rig.watch.feed(_noise(64, seed=5), now=now)  # the boot log, at 115200
    assert rig.watch.rate == BOOT_BAUD and rig.rates[-2:] == [searching_at, BOOT_BAUD]
    log = b"rst:0x1 (POWERON_RESET),boot:0x13 (SPI_FAST_FLASH_BOOT)\r\nconfigsip: 0, SPIWP:0xee\r\n"
    assert rig.watch.feed(log, now=now + 0.06) == log
    assert rig.relocks == [BOOT_BAUD]


def test_a_silent_board_is_poked_at_each_rate_reported_once_and_then_awaited_at_115200():
    rig = Rig()
    now = 1.0
    rig.watch.feed(_noise(40), now=now)  # a reset into download mode: the ROM then says nothing
    for _ in range(SILENT_ROUNDS * 2 * (len(LADDER) + 2) + 5):
        now += SILENT_SECONDS + 0.01
        rig.watch.tick(now=now)
    assert rig.lost == 1  # one message, not one per round
    assert BOOT_BAUD in rig.pokes and set(LADDER) <= set(rig.pokes)
    assert rig.watch.rate == BOOT_BAUD and rig.watch.lost
    # the user releases IO0 and presses RST: the boot log at 115200 relocks
    assert rig.watch.feed(b"ets Jun  8 2016 00:22:57\r\n\r\n", now=now + 0.1).startswith(b"ets Jun")
    assert rig.relocks == [BOOT_BAUD]


def test_a_board_reset_into_download_mode_is_recognised_by_its_rom_before_any_lost_message():
    # its boot log passed before the host followed; the ROM then says nothing by itself
    rig = Rig(rom_probe=True)
    now = 1.0
    rig.watch.feed(_noise(150), now=now)
    while not rig.rom_probes:
        now = rig.silence(now, SILENT_SECONDS)
        assert now < 30
    assert rig.rom_probes == [BOOT_BAUD]  # once, at the rate the ROM listens at
    assert set(LADDER) - {921600} <= set(rig.pokes)  # only after every other rate was tried
    rig.watch.feed(ROM_SYNC_ANSWER[:20], now=now + 0.01)
    rig.watch.feed(ROM_SYNC_ANSWER[20:], now=now + 0.02)
    assert rig.download_mode == 1 and rig.lost == 0
    # nothing more is sent while it waits there for RST
    pokes, rates = len(rig.pokes), len(rig.rates)
    now = rig.silence(now, 20)
    assert (len(rig.pokes), len(rig.rates)) == (pokes, rates) and rig.watch.rate == BOOT_BAUD
    assert rig.rom_probes == [BOOT_BAUD]
    # IO0 released, RST: the boot log at 115200 relocks
    log = b"ets Jun  8 2016 00:22:57\r\n\r\nrst:0x1 (POWERON_RESET),boot:0x13 (SPI_FAST_FLASH_BOOT)\r\n"
    assert rig.watch.feed(log, now=now + 0.1) == log
    assert rig.relocks == [BOOT_BAUD] and not rig.watch.in_download_mode


def test_a_rom_probe_nobody_answers_ends_in_the_lost_message():
    rig = Rig(rom_probe=True)
    rig.watch.feed(_noise(40), now=1.0)
    rig.silence(1.0, 30)
    assert rig.rom_probes == [BOOT_BAUD] and rig.lost == 1 and rig.download_mode == 0


def test_the_rom_probe_is_esptools_sync_command():
    # SLIP frame: direction 0, command 0x08 (SYNC), 36 data bytes, checksum 0, 07 07 12 20, 32 x 55
    assert SYNC_FRAME[:4] == b"\xc0\x00\x08\x24" and SYNC_FRAME[9:13] == b"\x07\x07\x12\x20"
    assert SYNC_FRAME[13:-1] == b"\x55" * 32 and SYNC_FRAME[-1:] == b"\xc0"


def test_held_noise_that_stops_coming_is_judged_by_the_timer():
    rig = Rig()
    assert rig.watch.feed(b"\x81\x92\xa3", now=1.0) == b""  # too short to judge yet
    assert rig.rates == []
    rig.watch.tick(now=1.0 + STALE_SECONDS + 0.01)
    assert rig.rates == [BOOT_BAUD]


def test_noise_share_tells_text_from_a_rate_mismatch():
    assert noise_share(b"MicroPython v1.21.0 on 2023-10-13\r\n") == 0
    assert noise_share("caf\u00e9 \u2713".encode()) == 0  # UTF-8 is text
    assert noise_share(_noise(256)) > 0.5  # random high bytes form some UTF-8
