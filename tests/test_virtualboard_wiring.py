"""DTR/RTS wiring of the virtual board, driven by a real pyserial RFC2217 client."""
from __future__ import annotations

import time

import pytest
import serial

from tests.virtualboard import VirtualBoard, synthetic_firmware
from tests.virtualboard.testing import open_client, read_for, read_until
from tests.virtualboard.wiring import pins_for

DOWNLOAD = b"waiting for download"
NORMAL = b"boot:0x13 (SPI_FAST_FLASH_BOOT)"


@pytest.mark.parametrize("wiring, dtr, rts, en_low, io0_low", [
    ("classic", False, False, False, False),
    ("classic", True, False, False, True),
    ("classic", False, True, True, False),
    ("classic", True, True, False, False),
    ("direct", False, False, False, False),
    ("direct", True, False, False, True),
    ("direct", False, True, True, False),
    ("direct", True, True, True, True),
    ("none", True, True, False, False),
    ("none", False, True, False, False),
])
def test_line_states_map_to_pins(wiring, dtr, rts, en_low, io0_low):
    assert pins_for(wiring, dtr, rts) == (en_low, io0_low)


def board(**kwargs) -> VirtualBoard:
    kwargs.setdefault("firmware", synthetic_firmware("lemariva"))
    return VirtualBoard(micropython=False, **kwargs)


def test_classic_reset_into_download_and_back_to_normal():
    with board(wiring="classic") as b, open_client(b.url) as port:
        mark = b.events.mark()
        port.dtr, port.rts = False, True          # EN low: reset
        b.events.wait_for("lines", since=mark, en=False, io0=True)
        assert b.state == "reset"
        port.dtr = True                           # both asserted: EN released (no effect state)
        port.rts = False                          # DTR alone: IO0 low
        time.sleep(b.en_delay + 0.05)
        port.dtr = False
        b.events.wait_for("boot", since=mark, mode="download")
        assert b.state == "download"
        assert b"rst:0x1 (POWERON_RESET),boot:0x3 (DOWNLOAD_BOOT(UART0/UART1/SDIO_REI_REO_V2))" in read_until(port, DOWNLOAD)

        mark = b.events.mark()
        port.rts = True                           # EN low again, IO0 released
        port.rts = False
        b.events.wait_for("boot", since=mark, mode="normal")
        assert b"entry 0x400805cc" in read_until(port, b"entry 0x400805cc")


def test_direct_wiring_with_pyserial_defaults_holds_the_chip_in_reset():
    with board(wiring="direct") as b:
        b.events.wait_for("boot", mode="normal")  # powered on before anyone connects
        mark = b.events.mark()
        with open_client(b.url, dtr=None, rts=None) as port:  # pyserial default: both asserted
            b.events.wait_for("lines", since=mark, dtr=True, rts=True, en=False, io0=False)
            assert read_for(port, 0.6) == b""     # the "black window"
            assert b.state == "reset" and not b.events.all("boot", since=mark)
            port.dtr = False
            port.rts = False                      # both released: the chip boots normally
            assert NORMAL in read_until(port, b"entry 0x400805cc")
            assert b.events.find("boot", since=mark, mode="normal")


def test_closing_releases_rts_first_and_does_not_reset():
    with board(wiring="classic") as b:
        b.events.wait_for("boot")
        port = open_client(b.url, dtr=None, rts=None)  # both asserted: no effect with classic
        mark = b.events.mark()
        port.close()
        b.events.wait_for("client_disconnected", since=mark)
        lines = [(e.data["dtr"], e.data["rts"]) for e in b.events.all("lines", since=mark)]
        assert lines == [(True, False), (False, False)]  # RTS dropped first, then DTR
        time.sleep(b.en_delay + 0.1)
        assert not b.events.all("reset", since=mark) and b.state != "reset"


def test_none_wiring_ignores_lines_but_buttons_work():
    with board(wiring="none") as b, open_client(b.url, dtr=None, rts=None) as port:
        b.events.wait_for("boot")
        mark = b.events.mark()
        port.rts = True
        port.dtr = False
        assert read_for(port, 0.2) == b"" and b.state != "reset"
        b.hold_boot(True)
        b.press_reset()
        assert DOWNLOAD in read_until(port, DOWNLOAD)
        b.hold_boot(False)
        b.press_reset()
        assert NORMAL in read_until(port, NORMAL)
        assert [e.data["mode"] for e in b.events.all("boot", since=mark)] == ["download", "normal"]


def test_reset_shorter_than_the_en_delay_still_resets_once():
    with board(wiring="none", en_delay=0.2) as b:
        b.events.wait_for("boot")
        mark = b.events.mark()
        b.press_reset(hold=0.01)
        b.press_reset(hold=0.01)  # second tap inside the RC delay: one boot only
        b.events.wait_for("boot", since=mark)
        time.sleep(0.3)
        assert len(b.events.all("boot", since=mark)) == 1


def test_second_client_is_rejected_promptly():
    with board() as b, open_client(b.url) as first:
        started = time.monotonic()
        with pytest.raises(OSError):  # SerialException is an OSError too
            open_client(b.url)
        elapsed = time.monotonic() - started
        assert elapsed < 3, elapsed
        b.events.wait_for("client_rejected")
        b.press_reset()
        assert NORMAL in read_until(first, NORMAL)  # the first client is unaffected


def test_pty_mode_serves_a_device_without_modem_lines():
    with board(mode="pty") as b:
        assert b.device and b.device.startswith("/dev/")
        with serial.Serial(b.device, 115200, timeout=0.2) as port:
            b.press_reset()
            assert NORMAL in read_until(port, b"entry 0x400805cc")
            mark = b.events.mark()
            with pytest.raises(OSError):  # a pty has no modem lines: ENOTTY
                port.dtr = True
            with pytest.raises(OSError):
                port.rts = True
            time.sleep(0.2)
            assert b.events.all("lines", since=mark) == [] and b.events.all("reset", since=mark) == []
