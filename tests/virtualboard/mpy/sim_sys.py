# `sys` as on ESP32 MicroPython: platform "esp32", implementation from the flashed image's banner.
from sys import *  # noqa: F401,F403  (same objects: modules, path, argv, stdin/stdout, exit...)
import io as _io
import sys as _sys

for _name in dir(_sys):  # delegated attributes (path, argv, ps1...) are not copied by import *
    if not _name.startswith("__") and _name not in globals():
        globals()[_name] = getattr(_sys, _name)
del _name

platform = "esp32"
executable = ""
_BOARD = {"release": "1.21.0", "version": "v1.21.0 on 2023-10-13", "machine": "ESP32 module with ESP32", "tuple": (1, 21, 0)}


def _board():
    return _BOARD


def _parse_banner(banner):
    # "MicroPython v1.21.0 on 2023-10-13; ESP32 module with ESP32"
    head, _, machine = banner.partition("; ")
    version = head[len("MicroPython "):] if head.startswith("MicroPython ") else head
    release = version.split(" on ")[0].lstrip("v")
    nums = []
    for part in release.split("-")[0].split("."):
        try:
            nums.append(int(part))
        except ValueError:
            break
    while len(nums) < 3:
        nums.append(0)
    _BOARD.update(release=release, version=version, machine=machine or banner, tuple=tuple(nums[:3]))


class _Implementation:
    name = "micropython"

    @property
    def version(self):
        return _BOARD["tuple"] + ("",)

    @property
    def _machine(self):
        return _BOARD["machine"]

    _mpy = _sys.implementation._mpy

    def __repr__(self):
        return "(name='micropython', version=%r, _machine=%r, _mpy=%d)" % (self.version, self._machine, self._mpy)


implementation = _Implementation()


class _BinaryStdout:
    """sys.stdout.buffer: raw bytes on the UART. The host "cooks" all other output
    ("\n" -> "\r\n", as ESP32's stdout does); framed writes pass unchanged."""

    def __init__(self, raw):
        self._raw = raw

    def write(self, data):
        n = len(data)
        if n:
            self._raw.write(_RAW_MARK + n.to_bytes(4, "little"))
            self._raw.write(data)
        return n

    def flush(self):
        pass


class _Stdout(_io.IOBase):
    def __init__(self, real):
        self._real = real
        self.buffer = _BinaryStdout(real.buffer)

    def write(self, s):
        return self._real.write(s)

    def flush(self):
        pass


_RAW_MARK = b"\x1b\x00vb-raw:"  # must match firmware.py
stdout = _Stdout(_sys.stdout)
del _sys


def _setup(host, cfg):
    global version
    _parse_banner(cfg["banner"])
    version = "3.4.0; MicroPython " + _BOARD["version"].split(" on ")[0]
