"""The twin's UART0 wire: who sets the pace when the two ends disagree on the rate."""
from __future__ import annotations

import threading
import time

from tests.virtualboard.events import EventLog
from tests.virtualboard.uart import Uart


def test_the_chips_transmitter_sets_the_pace_even_when_the_host_listens_faster():
    # a reset while the link runs fast: the ROM's boot log leaves at 115200 and takes the
    # 115200 time on the wire, garbled for a host at 921600 (which has that long to follow)
    uart = Uart(EventLog(), line_rate="real")
    received = bytearray()
    done = threading.Event()

    def host_rx(data: bytes) -> None:
        received.extend(data)
        if len(received) >= 1152:
            done.set()

    uart.host_tx = host_rx
    uart.set_host_baud(921600)
    try:
        start = time.monotonic()
        uart.chip_send(b"x" * 1152)  # 0.1 s at 115200, 12.5 ms at 921600
        assert done.wait(10)
        elapsed = time.monotonic() - start
    finally:
        uart.close()
    assert elapsed >= 0.095, elapsed
    assert received != b"x" * 1152  # and the host heard noise


def test_the_adapters_transmitter_sets_the_pace_towards_the_chip():
    uart = Uart(EventLog(), line_rate="real")
    uart.chip_rx = lambda data: None
    uart.set_host_baud(57600)
    try:
        start = time.monotonic()
        uart.host_send(b"y" * 576)  # 0.1 s at 57600, 50 ms at the chip's 115200
        elapsed = time.monotonic() - start
    finally:
        uart.close()
    assert elapsed >= 0.095, elapsed
