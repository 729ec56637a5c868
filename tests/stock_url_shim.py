"""Test-side shim: lets Thonny's STOCK ESP32 interpreter talk to a URL port.

Stock Thonny opens only local serial ports (``serial.Serial``), but the virtual
board is reached through ``rfc2217://``. This shim changes nothing except how
the port is opened: the stock SerialConnection still creates the port object,
sets DTR/RTS only if configured (else pyserial's default: asserted) and opens
it; the object just opens the URL with ``serial_for_url`` instead.

- Front-end (in a Workbench scenario): ``install_frontend()`` makes
  ``ESP32Proxy`` start this file instead of Thonny's ``esp_back.py`` and skips
  the USB lookup Thonny does for remembered ports (it raises for URLs).
- Back-end: run as a script, it patches ``serial.Serial`` and runs Thonny's
  own ESP32 back-end as ``__main__``: ``thonny/plugins/esp/esp_back.py`` on
  Thonny 4.1/5.0, ``esp32_back.py`` on the development head, whose
  ``minny.serial_connection.SerialConnection`` creates its port with
  ``serial.Serial`` the same way (minny f9cc95c).
"""
from __future__ import annotations

import os
import sys


class _UrlOpeningSerial:
    """Collects what SerialConnection sets before open(), then opens the URL."""

    def __init__(self, port=None, **kwargs):
        self.__dict__.update(_kwargs=kwargs, _pending={"port": port}, _ser=None)

    def __setattr__(self, name, value):
        if self._ser is None:
            self._pending[name] = value
        else:
            setattr(self._ser, name, value)

    def open(self):
        import serial

        url = self._pending.pop("port")
        kwargs = dict(self._kwargs)
        if "://" in url:
            kwargs.pop("exclusive", None)
            if url.lower().startswith("rfc2217://"):
                kwargs.pop("write_timeout", None)  # not supported by pyserial's RFC 2217 client
        ser = serial.serial_for_url(url, do_not_open=True, **kwargs)
        for name, value in self._pending.items():
            setattr(ser, name, value)
        ser.open()
        self.__dict__["_ser"] = ser

    @property
    def out_waiting(self):
        return getattr(self._ser, "out_waiting", 0)

    def cancel_read(self):
        if hasattr(self._ser, "cancel_read"):
            self._ser.cancel_read()
        else:
            self._ser.close()

    def __getattr__(self, name):
        if self._ser is None:
            return self._pending.get(name)
        return getattr(self._ser, name)


def install_frontend() -> None:
    """Call inside the Workbench process before selecting the stock ESP32 back-end."""
    from thonny.plugins.esp import ESP32Proxy
    from thonny.plugins.micropython.mp_front import BareMetalMicroPythonProxy

    ESP32Proxy._get_backend_launcher_path = lambda self: os.path.abspath(__file__)
    BareMetalMicroPythonProxy._check_remember_current_configuration = lambda self: None


def _run_stock_backend() -> None:
    import runpy

    import serial
    import thonny.plugins.micropython as mp

    serial.Serial = _UrlOpeningSerial  # type: ignore[misc, assignment]
    esp_dir = os.path.join(os.path.dirname(os.path.dirname(mp.__file__)), "esp")
    esp_back = next(path for path in (os.path.join(esp_dir, name) for name in ("esp32_back.py", "esp_back.py"))
                    if os.path.isfile(path))
    sys.argv[0] = esp_back
    runpy.run_path(esp_back, run_name="__main__")


if __name__ == "__main__":
    _run_stock_backend()
