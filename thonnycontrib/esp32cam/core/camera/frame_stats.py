"""What the camera view says under a frame: its size and bytes, the frame rate in Live
mode and how fast the serial link carried it (pure: the view shows the text)."""
from __future__ import annotations

from collections import deque
from typing import Deque, Optional, Tuple

from thonnycontrib.esp32cam.core.i18n import _, percent

FPS_WINDOW = 8  # live frames the frames-per-second figure averages over


class FrameRate:
    """Frames per second over the last frames that came one after another."""

    def __init__(self, window: int = FPS_WINDOW) -> None:
        self._times: Deque[float] = deque(maxlen=window)

    def __len__(self) -> int:
        return len(self._times)

    def clear(self) -> None:
        self._times.clear()

    def tick(self, now: float) -> str:
        """A live frame came at ``now`` (monotonic seconds): " · N fps", or "" until two did."""
        self._times.append(now)
        if len(self._times) >= 2:
            span = self._times[-1] - self._times[0]
            if span > 0:
                return " · %.1f fps" % ((len(self._times) - 1) / span)
        return ""


def link_rate_text(wire_bytes: int, seconds: float, baudrate: Optional[int]) -> str:
    """"12.3 kB/s (85 % of 115200 baud)"; "" when the time is not known."""
    if not seconds or seconds <= 0:
        return ""
    bps = wire_bytes / seconds
    rate = "%.1f kB/s" % (bps / 1000)
    if baudrate:
        rate += " " + _("({share} of {baud} baud)").format(share=percent(100 * bps / (baudrate / 10)),
                                                            baud=baudrate)
    return rate


def frame_status(size: Tuple[int, int], jpeg_bytes: int, fps: str, rate: str, family: str) -> str:
    return _("{width}×{height} · {size} bytes{fps}\n{rate} · {family} driver").format(
        width=size[0], height=size[1], size=format(jpeg_bytes, ",").replace(",", " "), fps=fps,
        rate=rate, family=family)
