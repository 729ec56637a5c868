"""Boards on the chip's own USB-Serial/JTAG (ESP32-S3 camera boards plugged in by their USB-C
socket, no USB-UART bridge): how to recognise the port, and finding it again after a reset.

The peripheral enumerates as VID 0x303A (Espressif) PID 0x1001 (esptool loader.py /
esp_pylib constants ESPRESSIF_VID, USB_JTAG_SERIAL_PID). It has no DTR/RTS wires to EN and
IO0: it reads the CDC line state (RTS alone resets the chip, DTR alone sets a force-download
flag), so esptool needs its own reset sequence for it (``--before usb-reset``,
USBJTAGSerialReset), and the baud rate means nothing. When the chip leaves the ROM
bootloader for the app the device drops off the bus and enumerates again (esp_pylib
serial_reset.hard_reset), possibly under another name (/dev/ttyACM0 -> /dev/ttyACM1 while
the old one is still held, COM5 -> COM6).
"""
from __future__ import annotations

import time
from typing import Any, Callable, Optional, Sequence

ESPRESSIF_VID = 0x303A
USB_SERIAL_JTAG_PID = 0x1001


def _comports() -> Sequence[Any]:
    from serial.tools.list_ports import comports

    try:
        return list(comports())
    except Exception:
        return []


def port_info(port: str, ports: Optional[Sequence[Any]] = None) -> Optional[Any]:
    """pyserial's ListPortInfo for ``port`` (None for URLs and unknown ports)."""
    for info in (_comports() if ports is None else ports):
        if getattr(info, "device", None) == port:
            return info
    return None


def is_usb_serial_jtag(port: str, ports: Optional[Sequence[Any]] = None) -> bool:
    info = port_info(port, ports)
    return (info is not None and getattr(info, "vid", None) == ESPRESSIF_VID
            and getattr(info, "pid", None) == USB_SERIAL_JTAG_PID)


def _url_answers(port: str) -> bool:
    import serial

    try:
        ser = serial.serial_for_url(port, do_not_open=True, baudrate=115200, timeout=0.2)
        ser.dtr = ser.rts = False  # opening must not reset or re-flag the chip
        ser.open()
    except (serial.SerialException, OSError, ValueError):
        return False
    try:
        ser.close()
    except Exception:
        pass
    return True


def wait_for_port(port: str, timeout: float = 10.0, serial_number: Optional[str] = None,
                  list_ports: Callable[[], Sequence[Any]] = _comports,
                  url_answers: Callable[[str], bool] = _url_answers,
                  settle: float = 0.3) -> Optional[str]:
    """The port's name once the re-enumerated device is back, or None after ``timeout``.

    A device port is found again by its USB serial number (the chip's MAC: the same in the
    ROM and in the app), under whatever name it got; a URL (RFC 2217 server) is back when it
    accepts a connection again. ``settle``: first wait for the device to leave the bus."""
    deadline = time.monotonic() + timeout
    time.sleep(settle)
    while time.monotonic() < deadline:
        if "://" in port:
            if url_answers(port):
                return port
        else:
            ports = list_ports()
            for info in ports:
                if serial_number and getattr(info, "serial_number", None) == serial_number:
                    return info.device
            if not serial_number and any(getattr(i, "device", None) == port for i in ports):
                return port
        time.sleep(0.1)
    return None
