"""Frames streamed back to back in one raw-REPL run, with credit-based flow control.

One request per frame costs a command round trip per frame (submit the call,
read the frame, read the raw REPL's end): at 921600 baud that was a third of
a QVGA frame's time. A stream runs one call, ``__esp32cam.call('stream', n,
ms)``, and the board writes frames while it has *credit*:

- it starts with ``n`` credits (two: one frame on the wire while the next is
  captured), spends one per frame and gets one back for every ``+`` the host
  sends; any other byte from the host ends the stream once the credit it has
  is spent (so a host that asked for exactly N frames gets exactly N);
- with no credit left and nothing from the host for ``ms`` milliseconds, it ends
  the stream by itself (the host went away: the board must not stream forever);
- the end is the helper's ordinary acknowledgement frame (``K`` with the number
  of frames sent), or an ``E`` frame when the camera failed.

The host grants credit before it hands a frame on, so the board is never idle
while the host decodes. Credits are single bytes read with ``select.poll`` on
``sys.stdin``: the ESP32 port answers that poll from its UART stdin ring buffer
in every version the catalog offers (``ports/esp32/mphalport.c``,
``mp_hal_stdio_poll``, v1.14 to v1.27), and two bytes in flight never come near
the ring's 256/260 bytes.
"""
from __future__ import annotations

from typing import Callable, Optional

from .transfer import KIND_JPEG, ByteSource, DamagedFrame, Frame, read_frame

GRANT = b"+"  # one more frame, please
STOP = b"."  # end the stream when the credit already granted is spent
CREDIT = 2  # frames the board may have in flight
SILENT_MS = 2000  # the board ends a stream when the host grants nothing for this long

FrameHandler = Callable[[Frame], None]
KeepGoing = Callable[[], bool]


def read_stream(source: ByteSource, write: Callable[[bytes], None], on_frame: FrameHandler,
                keep_going: KeepGoing, timeout: float,
                on_damaged: Optional[Callable[[], None]] = None) -> Optional[Frame]:
    """Read a running stream's frames until it ends; return its last frame (``K`` or ``E``),
    or None when the raw REPL's end came first (the code died; see ``read_frame``).

    After each JPEG frame ``keep_going()`` decides: grant one more, or stop (once). The
    frames already granted still come after a stop (at most ``CREDIT``), and are handed on.
    A JPEG frame damaged on the way (CRC-32) is dropped (``on_damaged()`` is told; credit is
    granted or not as after a good frame): the camera view and ``snapshot --count`` never
    see it."""
    stopping = False
    while True:
        frame: Optional[Frame]
        try:
            frame = read_frame(source, timeout)
        except DamagedFrame as e:
            if e.kind != KIND_JPEG:
                raise
            frame = None  # dropped (read to its end, so in step): the board spent a credit on it
        else:
            if frame is None or frame.kind != KIND_JPEG:
                return frame
        if not stopping:
            stopping = not keep_going()
            write(STOP if stopping else GRANT)
        if frame is not None:
            on_frame(frame)
        elif on_damaged is not None:
            on_damaged()


def frames_limit(count: int) -> KeepGoing:
    """``keep_going`` for exactly ``count`` frames (with the first ``CREDIT`` already granted)."""
    granted = [min(CREDIT, count)]

    def keep_going() -> bool:
        if granted[0] >= count:
            return False
        granted[0] += 1
        return True

    return keep_going
