# `platform` as on ESP32 MicroPython: describes the board, not the host.
from sim_sys import _board


def platform():
    return "MicroPython-%s-xtensa-IDFv5.0.4-with-newlib4.3.0" % _board()["release"]


def python_compiler():
    return ""


def libc_ver():
    return ("newlib", "4.3.0")
