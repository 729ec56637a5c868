"""SLIP framing used by the ESP32 ROM serial protocol."""
from __future__ import annotations

from typing import List

END, ESC, ESC_END, ESC_ESC = 0xC0, 0xDB, 0xDC, 0xDD


def encode(payload: bytes) -> bytes:
    body = payload.replace(b"\xdb", b"\xdb\xdd").replace(b"\xc0", b"\xdb\xdc")
    return b"\xc0" + body + b"\xc0"


class Decoder:
    """Incremental decoder; bytes outside frames (noise, boot chatter) are ignored."""

    def __init__(self) -> None:
        self._frame = bytearray()
        self._in_frame = False
        self._escaped = False

    def feed(self, data: bytes) -> List[bytes]:
        frames: List[bytes] = []
        for byte in data:
            if byte == END:
                if self._frame:
                    frames.append(bytes(self._frame))
                    self._frame.clear()
                self._in_frame = True
                self._escaped = False
                continue
            if not self._in_frame:
                continue
            if self._escaped:
                self._escaped = False
                self._frame.append({ESC_END: END, ESC_ESC: ESC}.get(byte, byte))
            elif byte == ESC:
                self._escaped = True
            else:
                self._frame.append(byte)
        return frames
