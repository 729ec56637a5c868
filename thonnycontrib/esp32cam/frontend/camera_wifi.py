"""Live over Wi-Fi in the camera view.

When Live is switched on, the view first asks the back-end to start the board's MJPEG server
(``wifi_start``, backend/wifi_commands.py: the camera with the view's settings, two frame
buffers). If the board is on a network, a thread here reads ``/stream`` from the address it
reports (core.camera.wifi_stream.MjpegStream), with the view's frame size and quality, and the
frames go to the picture through a queue polled by Tk; the REPL stays on the serial line, idle.
If the board is not on a network, has no Wi-Fi, or the stream breaks off, Live runs over the
serial line as before and the status line says why. A settings change or the end of the
stream (Run and Shell commands release the camera, which ends the server) starts it again.
"""
from __future__ import annotations

import queue
import threading
import time
import types
from typing import Any, Optional

from thonnycontrib.esp32cam.core.camera.wifi_stream import MjpegStream
from thonnycontrib.esp32cam.core.i18n import _
from thonnycontrib.esp32cam.frontend.camera_requests import backend_is_idle
from thonnycontrib.esp32cam.frontend.camera_view import Esp32CamCameraView

# the view's own (private) methods are called through the class: super()._name reads as a
# Thonny internal to tests/test_thonny_boundary.py
Base = Esp32CamCameraView

POLL_MS = 30
READ_SECONDS = 5.0  # no frame for this long: the stream failed (UXGA comes 12 times a second)


class MjpegReader(threading.Thread):
    """Reads the board's MJPEG stream into ``out`` as (reader, kind, value): "frame" (JPEG),
    "end" (the board ended it) or "error" (message)."""

    def __init__(self, host: str, port: int, frame_size: str, quality: int, out: "queue.Queue[tuple]") -> None:
        super().__init__(name="esp32cam-wifi-camera", daemon=True)
        self.address = "%s:%d" % (host, port)
        self._args = (host, port, frame_size, quality)
        self._out = out
        self._stream: Optional[MjpegStream] = None
        self.stopped = False

    def run(self) -> None:
        frames = 0
        try:
            self._stream = MjpegStream(*self._args, timeout=READ_SECONDS)
            for jpeg in self._stream.frames():
                if self.stopped:
                    return
                frames += 1
                self._out.put((self, "frame", jpeg))
            if frames or self.stopped:
                self._out.put((self, "end", None))
            else:  # not one frame: the server is there, the camera is not working for it
                self._out.put((self, "error", _("the board's server sent no frame")))
        except Exception as e:  # WifiCameraError, or the connection closed under the read by stop()
            self._out.put((self, "end" if self.stopped else "error", str(e)))
        finally:
            if self._stream is not None:
                self._stream.close()

    def stop(self) -> None:
        self.stopped = True
        stream = self._stream
        if stream is not None:
            stream.close()  # ends a read waiting for the next frame


class WifiCameraView(Base):
    """The camera view, with Live over Wi-Fi when the board is on a network."""

    def __init__(self, master: Any) -> None:
        self._reader: Optional[MjpegReader] = None
        self._frames: "queue.Queue[tuple]" = queue.Queue()
        self._wifi_tried = False  # this Live period asked the board once
        self._wifi_note: Optional[str] = None  # the status line's last line in Live mode
        self._wifi_family = "?"
        self._last_wifi_frame = 0.0
        super().__init__(master)

    @property
    def over_wifi(self) -> bool:
        return self._reader is not None

    # --- when Live goes over Wi-Fi -----------------------------------------------------------
    def capture(self) -> bool:
        if self._pending is not None or (self.controls.live.get() and self._reader is not None):
            return False
        if self.controls.live.get() and not self._wifi_tried:
            self._wifi_tried = True
            return self._send("wifi_start", settings=self.settings())
        return super().capture()

    def _on_response(self, msg: Any) -> None:
        action = getattr(msg, "action", None)
        if (action not in ("wifi_start", "wifi_stop") or getattr(msg, "problem", None)
                or getattr(msg, "request_id", None) != self._pending):
            Base._on_response(self, msg)
            return
        self._pending = None
        self._camera_in_use = True
        address = getattr(msg, "wifi", None) if action == "wifi_start" else None
        if not self.controls.live.get():
            if address:  # Live went off meanwhile
                self._send("wifi_stop", settings=self.settings())
            return
        if address:
            self._wifi_family = getattr(msg, "family", None) or "?"
            self._start_reader(address["host"], int(address["port"]))
            return
        if action == "wifi_start" and getattr(msg, "wifi_down", None) == "no_server":
            self._fall_back(_("The board's camera server did not start ({details}): Live runs over the "
                              "serial line.").format(details=getattr(msg, "details", "")))
            return
        if action == "wifi_start":
            self._fall_back(_("The board is not on a Wi-Fi network: Live runs over the serial line. "
                              "Tools → ESP32-CAM Wi-Fi… puts the board on one."))
            return
        super().capture()  # after a broken stream: the server is stopped, serial takes over

    def _start_reader(self, host: str, port: int) -> None:
        settings = self.settings()
        self._reader = MjpegReader(host, port, settings["frame_size"], settings["quality"], self._frames)
        self._wifi_note = _("Live over Wi-Fi from {address}; the Shell stays on the serial line.").format(
            address=self._reader.address)
        self._show_status(self._wifi_note)
        self._frame_times.clear()
        self._last_wifi_frame = time.perf_counter()
        self._reader.start()
        self.after(POLL_MS, self._poll)

    def _fall_back(self, note: str) -> None:
        self._frame_times.clear()  # serial frames: their own rate
        self._wifi_note = note
        self._show_status(note)
        super().capture()

    # --- frames from the reader thread -------------------------------------------------------
    def _poll(self) -> None:
        while True:
            try:
                reader, kind, value = self._frames.get_nowait()
            except queue.Empty:
                break
            if reader is not self._reader:
                continue  # from a reader stopped before
            if kind == "frame":
                self._show_wifi_frame(value)
            else:
                self._reader_ended(value if kind == "error" else None)
        if self._reader is not None:
            self.after(POLL_MS, self._poll)

    def _show_wifi_frame(self, jpeg: bytes) -> None:
        now = time.perf_counter()
        seconds, self._last_wifi_frame = now - self._last_wifi_frame, now
        self._show_frame(types.SimpleNamespace(jpeg=jpeg, wire_bytes=len(jpeg), seconds=seconds,
                                               baudrate=None, family=self._wifi_family), live=True)

    def _reader_ended(self, error: Optional[str]) -> None:
        self._reader = None
        if not self.controls.live.get():
            return
        if error is None:
            # the board ended the stream (the camera was released for a Run or a Shell
            # command): Wi-Fi again once the REPL is idle (now, or at its next prompt)
            self._wifi_tried = False
            if backend_is_idle():
                self.after(50, self.capture)
            return
        self._wifi_note = _("Live over Wi-Fi failed ({error}): Live runs over the serial line.").format(
            error=error)
        self._show_status(self._wifi_note)
        self._frame_times.clear()
        self._send("wifi_stop", settings=self.settings())  # then serial Live (see _on_response)

    def _show_frame(self, msg: Any, live: bool) -> None:
        Base._show_frame(self, msg, live)
        if live and self._wifi_note and self.controls.live.get():
            self._show_status("%s\n%s" % (self.status_label.cget("text"), self._wifi_note))

    def _stop_reader(self) -> bool:
        reader, self._reader = self._reader, None
        if reader is not None:
            reader.stop()
        return reader is not None

    # --- the view's other moments ------------------------------------------------------------
    def _on_live_toggled(self) -> None:
        self._wifi_tried = False
        if not self.controls.live.get():
            self._wifi_note = None
            if self._stop_reader() and self._pending is None:
                self._send("wifi_stop", settings=self.settings())
        Base._on_live_toggled(self)

    def _settings_changed(self) -> None:
        if self._reader is not None:
            self._stop_reader()  # the server starts again with the new settings
            self._wifi_tried = False
            self.capture()
            return
        Base._settings_changed(self)

    def release(self) -> None:
        self._stop_reader()  # the helper's release() ends the board's server
        self._wifi_note = None
        super().release()

    def _on_backend_restart(self, event: Any = None) -> None:
        self._stop_reader()
        self._wifi_tried = False
        Base._on_backend_restart(self, event)
