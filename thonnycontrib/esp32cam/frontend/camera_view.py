"""The ESP32-CAM camera view (View menu and Tools menu).

Thin Tk glue: requests go to the back-end as ``InlineCommand("esp32cam_camera")``
(handled by ``backend/camera_commands.py``) only while the REPL is idle;
answers arrive as ``esp32cam_camera_response`` events. Closing the view releases
(deinitialises) the camera. Its parts: the controls (``camera_toolbar``), the picture
(``camera_picture``, decoded with Pillow), a camera problem explained (``camera_problem``).
"""
from __future__ import annotations

import time
import tkinter as tk
from logging import getLogger
from tkinter import filedialog, ttk
from typing import Any, Dict, Optional

from thonny import get_workbench

from thonnycontrib.esp32cam import BACKEND_DESCRIPTION
from thonnycontrib.esp32cam.core.camera.frame_stats import FrameRate, frame_status, link_rate_text
from thonnycontrib.esp32cam.core.fetch import write_atomically
from thonnycontrib.esp32cam.core.i18n import _, ngettext
from thonnycontrib.esp32cam.frontend.backend_state import esp32cam_backend_active
from thonnycontrib.esp32cam.core.backend_commands import CAMERA_FRAME_EVENT
from thonnycontrib.esp32cam.frontend.camera_picture import CameraPicture
from thonnycontrib.esp32cam.frontend.camera_problem import CameraProblemPanel
from thonnycontrib.esp32cam.frontend.camera_requests import COMMAND, send_camera_command, stop_camera_stream
from thonnycontrib.esp32cam.frontend.camera_toolbar import CameraToolbar
from thonnycontrib.esp32cam.frontend.live_retry import LiveRetry
from thonnycontrib.esp32cam.frontend.readable_styles import readable_tree
from thonnycontrib.esp32cam.frontend.view_column import ColumnWidener

logger = getLogger(__name__)


def not_selected_text() -> str:
    return _("Select the interpreter “{interpreter}” (Tools → Options → Interpreter) "
             "to use the camera.").format(interpreter=_(BACKEND_DESCRIPTION))


def saved_text(path: str, size: int) -> str:
    return ngettext("Saved {path} ({size} byte).", "Saved {path} ({size} bytes).", size).format(
        path=path, size=size)


class Esp32CamCameraView(LiveRetry, ttk.Frame):
    def __init__(self, master: tk.Misc) -> None:
        super().__init__(master)
        self._request_id = 0
        self._pending: Optional[int] = None
        self._jpeg: Optional[bytes] = None
        self._frame_times = FrameRate()  # of the live frames that came one after another
        self._camera_in_use = False
        self._build()
        wb = get_workbench()
        wb.bind(COMMAND + "_response", self._on_response, True)
        wb.bind(CAMERA_FRAME_EVENT, self._on_stream_frame, True)
        wb.bind("ToplevelResponse", self._on_backend_idle, True)
        wb.bind("BackendRestart", self._on_backend_restart, True)

    # --- widgets ------------------------------------------------------------------------------
    def _build(self) -> None:
        self.controls = CameraToolbar(self, capture=self.capture, save_as=self.save_as,
                                      live_toggled=self._on_live_toggled, flash_toggled=self._on_flash_toggled,
                                      settings_changed=self._settings_changed)
        self.controls.grid(row=0, column=0, sticky="we", padx=4, pady=4)
        self.image_label = CameraPicture(self)
        self.image_label.grid(row=2, column=0, sticky="nsew")
        self.status_label = ttk.Label(self, text=_("Press Capture to take a picture."), anchor="w",
                                      wraplength=420, justify="left")
        self.status_label.grid(row=3, column=0, sticky="we", padx=4, pady=(2, 4))
        self.problem_frame = CameraProblemPanel(self, self._open_installer)
        self.columnconfigure(0, weight=1)
        self.rowconfigure(2, weight=1)
        self.bind("<Configure>", self._on_resized, True)
        self._column = ColumnWidener(self)  # once, when the view first appears
        readable_tree(self)  # Thonny's styles as they read in this view (WCAG AA)

    def _on_resized(self, event: Any) -> None:
        if event.widget is self:  # texts wrap to the view's width
            width = max(80, event.width - 12)
            self.status_label.configure(wraplength=width)
            self.problem_frame.wrap_to(width)

    # --- actions ------------------------------------------------------------------------------
    def settings(self) -> Dict[str, Any]:
        return self.controls.settings()

    def capture(self) -> bool:
        """One frame, or in Live mode a stream of them (the board sends frames back to back
        for a few seconds per request; the view asks again while Live stays on)."""
        if self._pending is not None:
            return False
        if self.controls.live.get():
            return self._send("stream", settings=self.settings())
        return self._send("capture", settings=self.settings())

    def _send(self, action: str, **kwargs: Any) -> bool:
        if not esp32cam_backend_active():
            self._show_status(not_selected_text())
            return False
        self._request_id += 1
        if not send_camera_command(action, request_id=self._request_id, **kwargs):
            self._show_status(_("The board is busy (a program is running) or not connected: "
                                "the camera waits until the REPL is idle."))
            self._ask_again_later()  # live_retry.py
            return False
        self._pending = self._request_id
        return True

    def _settings_changed(self) -> None:
        if not self.controls.live.get():
            self.capture()
        elif self._pending is not None:
            stop_camera_stream()  # the stream's end starts the next one, with the new settings

    def _on_live_toggled(self) -> None:
        if self.controls.live.get():
            self._frame_times.clear()
            self.capture()
        elif self._pending is not None:
            stop_camera_stream()

    def _on_flash_toggled(self) -> None:
        if self._pending is not None:
            self.after(100, self._on_flash_toggled)
            return
        self._send("flash", on=bool(self.controls.flash.get()), settings=self.settings())

    def save_as(self) -> Optional[str]:
        if not self._jpeg:
            return None
        path = filedialog.asksaveasfilename(parent=self.winfo_toplevel(), defaultextension=".jpg",
                                            initialfile="esp32cam.jpg",
                                            filetypes=[(_("JPEG image"), "*.jpg *.jpeg")])
        if not path:
            return None
        self.save_to(path)
        return path

    def save_to(self, path: str) -> None:
        assert self._jpeg is not None
        write_atomically(path, self._jpeg)
        self._show_status(saved_text(path, len(self._jpeg)))

    def release(self) -> None:
        if self.controls.live.get() and self._pending is not None:
            stop_camera_stream()
        self.controls.live.set(False)
        if self._camera_in_use:
            self._request_id += 1
            if send_camera_command("release", request_id=self._request_id):
                self._camera_in_use = False

    # --- responses ----------------------------------------------------------------------------
    def _on_response(self, msg: Any) -> None:
        if getattr(msg, "request_id", None) != self._pending:
            return  # an answer to a request made before a restart, or by someone else
        self._pending = None
        problem = getattr(msg, "problem", None)
        if problem:
            self.controls.live.set(False)
            self.controls.flash.set(False) if msg.action == "flash" else None
            self._show_problem(problem)
            return
        self._hide_problem()
        if msg.action == "capture":
            self._camera_in_use = True
            self._show_frame(msg, live=False)
        elif msg.action == "stream":
            self._camera_in_use = True
            if self.controls.live.get():
                self.capture()  # the next stream (with the settings as they are now)
        elif msg.action == "flash":
            self._camera_in_use = True
            self._show_status(_("Flash LED on.") if msg.flash else _("Flash LED off."))

    def _on_stream_frame(self, msg: Any) -> None:
        if getattr(msg, "request_id", None) == self._pending:
            self._show_frame(msg, live=True)

    def _show_frame(self, msg: Any, live: bool) -> None:
        jpeg: bytes = msg.jpeg
        try:
            full_size = self.image_label.show(jpeg)
        except Exception as e:  # a damaged frame: say so, keep the old picture
            self._show_status(_("A frame could not be decoded ({error}); try again.").format(
                error=e))
            return
        self._jpeg = jpeg
        self.controls.save_button.configure(state="normal")
        # frames/s only over frames that came one after another in Live mode
        fps = self._frame_times.tick(time.monotonic()) if live else ""
        if not live:
            self._frame_times.clear()
        rate = link_rate_text(getattr(msg, "wire_bytes", 0), getattr(msg, "seconds", 0) or 0,
                              getattr(msg, "baudrate", None))
        self._show_status(frame_status(full_size, len(jpeg), fps, rate, getattr(msg, "family", "?")))
        self.last_frame_info = {"size": full_size, "bytes": len(jpeg), "fps": fps, "shown": self.shown_size}

    @property
    def shown_size(self) -> Optional[tuple]:
        return self.image_label.shown_size

    def _show_status(self, text: str) -> None:
        self.status_label.configure(text=text)

    def _show_problem(self, problem: Dict[str, Any]) -> None:
        self.problem_frame.show(problem)
        self.problem_frame.grid(row=4, column=0, sticky="we", padx=6, pady=6)
        self.last_problem = problem
        self._show_status(problem.get("title", ""))

    def _hide_problem(self) -> None:
        self.problem_frame.grid_remove()
        self.last_problem = None

    def _open_installer(self) -> None:
        from thonnycontrib.esp32cam.core.sensors import BoardFacts
        from thonnycontrib.esp32cam.frontend import flash_dialog

        # an unsupported sensor: the installer preselects a build that drives it
        board = (self.last_problem or {}).get("board") or {}
        flash_dialog.open_installer(self.winfo_toplevel(), board_facts=BoardFacts.from_diagnosis(board))

    # --- Thonny events ------------------------------------------------------------------------
    def _on_backend_restart(self, event: Any = None) -> None:
        self._pending = None
        self._camera_in_use = False  # a new back-end process: the helper is gone

    def before_hide(self) -> bool:
        self.release()
        return True

    def destroy(self) -> None:
        try:
            self.release()
        except Exception:
            pass
        super().destroy()
