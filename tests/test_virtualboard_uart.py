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


def _echo_times(adapter_frame, count: int = 20) -> list:
    """One-byte echoes through the UART at 921600: the chip answers each byte at once."""
    uart = Uart(EventLog(), line_rate="real")
    uart.set_host_baud(921600)
    uart.set_chip_baud(921600)
    uart.chip_rx = uart.chip_send
    got = threading.Event()
    uart.host_tx = lambda data: got.set()
    uart.set_usb_frame(adapter_frame)
    times = []
    try:
        for _ in range(count):
            got.clear()
            start = time.monotonic()
            uart.host_send(b"e")
            assert got.wait(5)
            times.append(time.monotonic() - start)
            time.sleep(0.0013)  # a new phase against the 1 ms frames
    finally:
        uart.close()
    return times


def test_a_usb_bridge_answers_no_sooner_than_the_next_full_speed_frame():
    """CP210x/CH340/FT232R are full-speed USB: the host's bytes reach the bridge in one
    1 ms frame and the reply leaves in a later one, so no turnaround beats 1 ms."""
    from tests.virtualboard.uart import ADAPTER_USB_FRAME

    assert ADAPTER_USB_FRAME["cp2102"] == ADAPTER_USB_FRAME["ch340"] == 0.001
    times = _echo_times(ADAPTER_USB_FRAME["cp2102"])
    assert min(times) >= 0.001, times
    assert sorted(times)[len(times) // 2] <= 0.004, times  # about a frame or two, not more
