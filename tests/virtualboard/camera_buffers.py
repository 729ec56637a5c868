"""esp32-camera's frame buffers as the virtual board's camera sensor fills them.

After espressif/esp32-camera driver/cam_hal.c (v2.0.4 ... head, e.g. commit 02e629a):

- ``cam_task`` runs on the sensor's VSYNC: in CAM_STATE_IDLE a VSYNC starts filling a free
  buffer (``frames[x].en``), if there is one (``cam_start_frame``); in CAM_STATE_READ_BUF the
  next VSYNC ends the frame, puts it in ``frame_buffer_queue`` and, on the same VSYNC,
  starts the next free buffer, or goes IDLE when none is free.
- ``frame_buffer_queue`` is ``fb_count`` long, ``fb_count - 1`` with CAMERA_GRAB_LATEST and
  more than one buffer (``cam_config``); when a finished frame finds it full, the oldest
  queued frame is taken out and its buffer given back (``cam_give``): the queue then always
  holds the newest frame. With CAMERA_GRAB_WHEN_EMPTY the queue holds every buffer, never
  overflows, and keeps frames however old they get.
- ``esp_camera_fb_get`` (``cam_take``) waits on the queue; ``esp_camera_fb_return``
  (``cam_give``) frees the buffer.

So one buffer, returned before the next get (as lemariva's ``capture()`` does): each frame
starts at the first VSYNC after the return and is ready one frame time later, half the
sensor's rate in a tight loop. Two buffers: the DMA fills one while the other is held: the
full rate. Ages: WHEN_EMPTY hands out queued frames in order (a slow reader gets frames as
old as its own period), LATEST the newest.

The model is lazy: the VSYNCs between two calls are replayed when the driver next asks.
"""
from __future__ import annotations

import collections
from typing import Deque, Optional

# After this many VSYNCs without a get or return the buffers are in their steady state
# (all queued, or LATEST swapping in each new frame): a long wait replays this many after
# the last call and this many before now, and skips those in between.
_REPLAY = 6


class FrameBuffers:
    def __init__(self, count: int, latest: bool, now: float, period: float) -> None:
        self.count = count
        self.latest = latest
        self.queue_len = count - 1 if latest and count > 1 else count
        self.free = count
        self.queue: Deque[float] = collections.deque()  # end times of the queued frames
        self.filling: Optional[float] = None  # VSYNC that started the frame being filled
        self.vsync = now  # the last VSYNC replayed; the sensor starts streaming at init
        self._on_vsync(now)

    def _on_vsync(self, at: float) -> None:
        if self.filling is not None:  # CAM_STATE_READ_BUF: this VSYNC ends the frame
            if len(self.queue) >= self.queue_len:
                self.queue.popleft()  # the oldest goes back to the DMA (cam_give)
                self.free += 1
            self.queue.append(at)
            self.filling = None
        if self.free:  # cam_start_frame: a free buffer takes the frame that starts now
            self.free -= 1
            self.filling = at

    def _replay(self, until: float, period: float) -> None:
        """The VSYNCs after the last one replayed, up to ``until``."""
        count = int((until - self.vsync) // period)
        skip = count - 2 * _REPLAY if count > 2 * _REPLAY else 0  # steady in between
        for done in range(count - skip):
            if done == _REPLAY:
                self.vsync += skip * period
            self.vsync += period
            self._on_vsync(self.vsync)

    def take(self, now: float, period: float) -> Optional[tuple]:
        """esp_camera_fb_get at ``now``: (time it returns, end time of the frame), or None
        when every buffer is held (the driver's timeout)."""
        self._replay(now, period)
        while not self.queue:
            if self.filling is None and not self.free:
                return None
            self.vsync += period
            self._on_vsync(self.vsync)
            now = max(now, self.vsync)
        return now, self.queue.popleft()

    def give(self, now: float, period: float) -> None:
        """esp_camera_fb_return at ``now``."""
        self._replay(now, period)
        self.free = min(self.count, self.free + 1)
