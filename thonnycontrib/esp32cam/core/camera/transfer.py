"""Binary-safe transfer of camera frames from the device's raw REPL to the host.

The device writes one *frame* per request on its stdout:

    b"\\x02ESPCAM:<kind>:<encoding>:<n>:<crc>\\n" + <n encoded payload bytes>

crc: the CRC-32 of the n bytes on the wire (8 hex digits, ``binascii.crc32`` as the
Files view's blocks carry it), or ``-`` from a build without ``binascii.crc32``.
A frame whose bytes do not match it was damaged on the way (``DamagedFrame``): it
was read to its end, so the next frame (or the raw REPL's end) follows in step.

kind: ``J`` JPEG image, ``I`` info (UTF-8 ``key=value`` lines), ``E`` error
text (a MicroPython traceback), ``K`` acknowledgement.
encoding:
  ``N`` raw bytes, no escaping: 0 % overhead. Safe whenever the reader is our own
        (CLI) or Thonny's serial reader runs with text mode off.
  ``X`` raw bytes with two escapes (0x1B -> 1B 1B, 0x05 -> 1B 06): Thonny's
        serial reader treats a chunk ending in 0x05 (ENQ) as flow control in text
        mode; about 0.8 % overhead on JPEG data.
  ``B`` base64: 33 % more bytes (a quarter of the line wasted); last resort for
        channels that are not 8-bit clean.
Reading by length means stray bytes (0x04, prompts) inside the payload never
confuse the raw-REPL framing.
"""
from __future__ import annotations

import base64
import binascii
import re
from dataclasses import dataclass
from typing import Optional, Protocol, Union
from thonnycontrib.esp32cam.core.i18n import _

RAW = "N"
ESCAPED = "X"
BASE64 = "B"
ENCODINGS = (RAW, ESCAPED, BASE64)

KIND_JPEG = "J"
KIND_INFO = "I"
KIND_ERROR = "E"
KIND_ACK = "K"

HEADER_PREFIX = b"\x02ESPCAM:"
HEADER_RE = re.compile(rb"\x02ESPCAM:([JIEK]):([NXB]):(\d{1,9}):([0-9a-f]{8}|-)\n")
EOT = b"\x04"
# A header, or the raw REPL's end-of-output marker when the code failed before writing one.
HEADER_OR_EOT_RE = re.compile(rb"\x02ESPCAM:([JIEK]):([NXB]):(\d{1,9}):([0-9a-f]{8}|-)\n|\x04")

_ESC = 0x1B
_UNESCAPE = {0x1B: b"\x1b", 0x06: b"\x05"}
_ESCAPE_RE = re.compile(rb"\x1b(.)", re.DOTALL)


class TransferError(Exception):
    """The bytes that arrived do not form a valid frame (line noise, lost bytes)."""


class DamagedFrame(TransferError):
    """A whole frame arrived but its CRC-32 does not match: bytes changed on the line.
    The frame was read to its end, so the connection is still in step."""

    def __init__(self, message: str, kind: str = KIND_JPEG) -> None:
        super().__init__(message)
        self.kind = kind


class ByteSource(Protocol):
    """What a frame reader needs: Thonny's MicroPythonConnection has exactly this."""

    def read(self, size: int, timeout: float = 10) -> bytes: ...

    def read_until(self, terminator: Union[bytes, "re.Pattern[bytes]"], timeout: float = 10) -> bytes: ...


@dataclass
class Frame:
    kind: str
    payload: bytes
    wire_bytes: int  # bytes that crossed the line for this frame (header included)
    stray_output: bytes = b""  # device output that came before the header

    @property
    def text(self) -> str:
        return self.payload.decode("utf-8", errors="replace")


def escape(data: bytes) -> bytes:
    """Host-side twin of the device escaping (used by tests and the simulator)."""
    return bytes(data).replace(b"\x1b", b"\x1b\x1b").replace(b"\x05", b"\x1b\x06")


def unescape(data: bytes) -> bytes:
    def sub(match: "re.Match[bytes]") -> bytes:
        code = match.group(1)[0]
        if code not in _UNESCAPE:
            raise TransferError(_("invalid escape 1B {code:02X} in camera data").format(code=code))
        return _UNESCAPE[code]

    if data.endswith(b"\x1b") and not _ends_with_escaped_escape(data):
        raise TransferError(_("camera data ends inside an escape sequence"))
    return _ESCAPE_RE.sub(sub, bytes(data))


def _ends_with_escaped_escape(data: bytes) -> bool:
    run = len(data) - len(data.rstrip(b"\x1b"))
    return run % 2 == 0


def encode(encoding: str, data: bytes) -> bytes:
    if encoding == RAW:
        return bytes(data)
    if encoding == ESCAPED:
        return escape(data)
    if encoding == BASE64:
        return base64.b64encode(data) + b"\n"
    raise ValueError("unknown transfer encoding %r" % (encoding,))


def decode(encoding: str, data: bytes) -> bytes:
    if encoding == RAW:
        return bytes(data)
    if encoding == ESCAPED:
        return unescape(data)
    if encoding == BASE64:
        try:
            return base64.b64decode(bytes(data).strip(), validate=True)
        except (binascii.Error, ValueError) as e:
            raise TransferError(_("camera data is not valid base64: {error}").format(error=e)) from None
    raise TransferError(_("unknown transfer encoding {encoding!r}").format(encoding=encoding))


def make_header(kind: str, encoding: str, encoded: Union[int, bytes]) -> bytes:
    """The header for ``encoded`` (the bytes on the wire: with their CRC-32), or for a length
    alone (no CRC, as from a build without ``binascii.crc32``)."""
    if isinstance(encoded, int):
        return b"%s%s:%s:%d:-\n" % (HEADER_PREFIX, kind.encode(), encoding.encode(), encoded)
    return b"%s%s:%s:%d:%08x\n" % (HEADER_PREFIX, kind.encode(), encoding.encode(), len(encoded),
                                   binascii.crc32(encoded) & 0xFFFFFFFF)


def read_frame(source: ByteSource, timeout: float) -> Optional[Frame]:
    """Read the next frame. Returns None when the raw REPL's 0x04 came first
    (the code died before writing a frame); everything read is then pushed back
    with ``source.unread`` when the source supports it, else lost."""
    head = bytes(source.read_until(HEADER_OR_EOT_RE, timeout=timeout))
    match = HEADER_OR_EOT_RE.search(head)
    if match is None:  # a soft read that timed out
        raise TransferError(_("no answer from the camera within {seconds} s").format(
            seconds=f"{timeout:.0f}"))
    if match.group(0) == EOT:
        if HEADER_PREFIX in head[:match.start()]:  # a frame began, its header was damaged
            raise DamagedFrame(_("a frame header arrived damaged"), "?")
        unread = getattr(source, "unread", None)
        if unread is not None:
            unread(head)
        return None
    kind, encoding, length = match.group(1).decode(), match.group(2).decode(), int(match.group(3))
    body = bytes(source.read(length, timeout=max(timeout, 2 + length / 500.0)))
    if len(body) != length:
        raise TransferError(_("camera data cut short: {received} of {length} bytes").format(
            received=len(body), length=length))
    crc = match.group(4)
    if crc != b"-" and binascii.crc32(body) & 0xFFFFFFFF != int(crc, 16):
        raise DamagedFrame(_("the CRC-32 of {length} bytes does not match: bytes changed on the "
                             "serial line").format(length=length), kind)
    payload = decode(encoding, body)
    return Frame(kind, payload, wire_bytes=len(match.group(0)) + length,
                 stray_output=head[: match.start()])


def looks_like_jpeg(data: bytes) -> bool:
    return len(data) > 4 and data[:2] == b"\xff\xd8" and b"\xff\xd9" in data[-16:]
