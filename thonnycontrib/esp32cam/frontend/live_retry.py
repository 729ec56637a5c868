"""The camera view's Live mode resumes when the back-end is free again.

A program's end (or a Shell command's) resumes it at Thonny's idle event; a Thonny
command that was under way when Live asked sends no such event, so the view asks again
itself shortly."""
from __future__ import annotations

from typing import Any

LIVE_RETRY_MS = 500


class LiveRetry:
    """For the camera view: ``controls``, ``_pending``, ``_frame_times``, ``capture()`` and Tk."""

    _live_retry = False  # a Live request waits for the back-end to be free

    def _on_backend_idle(self: Any, event: Any = None) -> None:
        if self.controls.live.get() and self._pending is None and self.winfo_ismapped():
            self._frame_times.clear()  # the pause is no part of the frame rate
            self.after(50, self.capture)

    def _ask_again_later(self: Any) -> None:
        if self.controls.live.get() and not self._live_retry:
            self._live_retry = True
            self.after(LIVE_RETRY_MS, self._retry_live)

    def _retry_live(self: Any) -> None:
        from thonnycontrib.esp32cam.frontend.backend_state import esp32cam_backend_active

        self._live_retry = False
        if self.controls.live.get() and self._pending is None and esp32cam_backend_active():
            self.capture()
