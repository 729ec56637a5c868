"""Helpers for tests that talk to a VirtualBoard the way host tools do."""
from __future__ import annotations

import os
import subprocess
import sys
import time
from importlib import metadata
from pathlib import Path
from typing import List, Optional

import serial

FASTCLIENT_DIR = Path(__file__).resolve().parent / "fastclient"


def open_client(url: str, *, dtr: Optional[bool] = False, rts: Optional[bool] = False,
                baudrate: int = 115200, timeout: float = 0.2) -> serial.Serial:
    """Open the board's port; dtr/rts None = pyserial's default (asserted)."""
    port = serial.serial_for_url(url, do_not_open=True, baudrate=baudrate, timeout=timeout)
    if dtr is not None:
        port.dtr = dtr
    if rts is not None:
        port.rts = rts
    port.open()
    return port


def read_until(port: serial.Serial, needle: bytes, timeout: float = 5.0) -> bytes:
    """Read until `needle` appears; returns everything read (raises on timeout)."""
    data = bytearray()
    deadline = time.monotonic() + timeout
    while needle not in data:
        if time.monotonic() > deadline:
            raise TimeoutError(f"{needle!r} not seen within {timeout} s; got {bytes(data)[-400:]!r}")
        data += port.read(max(1, port.in_waiting))
    return bytes(data)


def read_for(port: serial.Serial, seconds: float) -> bytes:
    data = bytearray()
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        data += port.read(max(1, port.in_waiting))
    return bytes(data)


def esptool_major() -> int:
    return int(metadata.version("esptool").split(".")[0])


def esptool_command(name: str) -> str:
    """Command spelling of the installed esptool (5: write-flash, 4: write_flash)."""
    return name if esptool_major() >= 5 else name.replace("-", "_")


def run_esptool(url: str, *args: str, fast_client: bool = False, timeout: float = 120) -> subprocess.CompletedProcess:
    """`python -m esptool --port URL ARGS` in this interpreter. The first word
    of ARGS that names a command is respelled for the installed esptool."""
    env = dict(os.environ)
    if fast_client:
        env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(FASTCLIENT_DIR), env.get("PYTHONPATH")]))
    words: List[str] = [esptool_command(a) if i == _command_index(args) else a for i, a in enumerate(args)]
    return subprocess.run([sys.executable, "-m", "esptool", "--port", url, *words], env=env,
                          capture_output=True, text=True, timeout=timeout)


def _command_index(args) -> int:
    for index, word in enumerate(args):
        if not word.startswith("-") and (index == 0 or args[index - 1] not in ("--baud", "-b", "--chip", "-c", "--before", "--after", "--port", "-p")):
            return index
    return -1
