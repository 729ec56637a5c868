"""The ESP32-CAM camera view (View menu and Tools menu).

Thin Tk glue: requests go to the back-end as ``InlineCommand("esp32cam_camera")``
(handled by ``backend/camera_commands.py``) only while the REPL is idle;
answers arrive as ``esp32cam_camera_response`` events. JPEG frames are decoded
with Pillow. Closing the view releases (deinitialises) the camera.
"""
from __future__ import annotations

import io
import os
import time
import tkinter as tk
from collections import deque
from logging import getLogger
from tkinter import filedialog, ttk
from typing import Any, Deque, Dict, Optional

from thonny import get_workbench

from thonnycontrib.esp32cam.core.camera import families as fam
from thonnycontrib.esp32cam.core.camera.problems import ACTION_INSTALL_FIRMWARE
from thonnycontrib.esp32cam.frontend.backend_state import esp32cam_backend_active
from thonnycontrib.esp32cam.core.backend_commands import CAMERA_FRAME_EVENT
from thonnycontrib.esp32cam.frontend.camera_requests import COMMAND, send_camera_command, stop_camera_stream
from thonnycontrib.esp32cam.frontend.flow import FlowFrame

logger = getLogger(__name__)

FPS_WINDOW = 8  # live frames the frames-per-second figure averages over
MIN_WIDTH_EM = 30  # the view's column is widened to this when the view first opens...
MAX_SHARE = 0.4  # ...but to no more than this share of Thonny's window


class Esp32CamCameraView(ttk.Frame):
    def __init__(self, master: tk.Misc) -> None:
        super().__init__(master)
        self._request_id = 0
        self._pending: Optional[int] = None
        self._live = tk.BooleanVar(self, False)
        self._size = tk.StringVar(self, fam.DEFAULT_FRAME_SIZE)
        self._quality = tk.IntVar(self, fam.DEFAULT_QUALITY)
        self._vflip = tk.BooleanVar(self, False)
        self._hmirror = tk.BooleanVar(self, False)
        self._flash = tk.BooleanVar(self, False)
        self._jpeg: Optional[bytes] = None
        self._photo: Any = None  # keeps the Tk image alive
        self._frame_times: Deque[float] = deque(maxlen=FPS_WINDOW)
        self._camera_in_use = False
        self._image: Any = None  # the last frame, decoded at full size (PIL image)
        self._render_pending: Optional[str] = None
        self._widened = False
        self._build()
        wb = get_workbench()
        wb.bind(COMMAND + "_response", self._on_response, True)
        wb.bind(CAMERA_FRAME_EVENT, self._on_stream_frame, True)
        wb.bind("ToplevelResponse", self._on_backend_idle, True)
        wb.bind("BackendRestart", self._on_backend_restart, True)

    # --- widgets ------------------------------------------------------------------------------
    def _build(self) -> None:
        # the view usually sits in Thonny's narrow right-hand column: the controls wrap
        self.controls = FlowFrame(self)
        self.controls.grid(row=0, column=0, sticky="we", padx=4, pady=4)
        add = self.controls.add
        self.capture_button = add(ttk.Button(self.controls, text="Capture", command=self.capture))
        add(ttk.Checkbutton(self.controls, text="Live", variable=self._live, command=self._on_live_toggled))
        self.save_button = add(ttk.Button(self.controls, text="Save as…", command=self.save_as, state="disabled"))
        add(ttk.Checkbutton(self.controls, text="Flash LED", variable=self._flash, command=self._on_flash_toggled))
        size = add(ttk.Frame(self.controls))  # a label stays with its field
        ttk.Label(size, text="Size").pack(side="left", padx=(0, 2))
        size_box = ttk.Combobox(size, textvariable=self._size, values=fam.frame_size_names(), width=8, state="readonly")
        size_box.pack(side="left")
        size_box.bind("<<ComboboxSelected>>", lambda e: self._settings_changed(), True)
        quality_group = add(ttk.Frame(self.controls))
        ttk.Label(quality_group, text="Quality").pack(side="left", padx=(0, 2))
        quality = ttk.Spinbox(quality_group, from_=fam.QUALITY_MIN, to=fam.QUALITY_MAX, increment=5,
                              textvariable=self._quality, width=4, command=self._settings_changed)
        quality.pack(side="left")
        quality.bind("<Return>", lambda e: self._settings_changed(), True)
        add(ttk.Checkbutton(self.controls, text="Flip", variable=self._vflip, command=self._settings_changed))
        add(ttk.Checkbutton(self.controls, text="Mirror", variable=self._hmirror, command=self._settings_changed))

        # width/height 1: the grid, not the picture, decides the label's size; the picture follows
        self.image_label = tk.Label(self, background="#202020", anchor="center", width=1, height=1)
        self.image_label.grid(row=2, column=0, sticky="nsew")
        self.image_label.bind("<Configure>", self._on_image_area_resized, True)
        self.status_label = ttk.Label(self, text="Press Capture to take a picture.", anchor="w",
                                      wraplength=420, justify="left")
        self.status_label.grid(row=3, column=0, sticky="we", padx=4, pady=(2, 4))

        self.problem_frame = ttk.Frame(self)
        self.problem_title = ttk.Label(self.problem_frame, text="", foreground="#b00020", font="BoldTkDefaultFont")
        self.problem_title.grid(row=0, column=0, sticky="w")
        self.problem_text = ttk.Label(self.problem_frame, text="", wraplength=480, justify="left")
        self.problem_text.grid(row=1, column=0, sticky="w")
        self.install_button = ttk.Button(self.problem_frame, text="Install camera firmware…", command=self._open_installer)
        self.columnconfigure(0, weight=1)
        self.rowconfigure(2, weight=1)
        self.bind("<Configure>", self._on_resized, True)
        self.bind("<Map>", self._on_first_map, True)

    def _on_resized(self, event: Any) -> None:
        if event.widget is self:  # texts wrap to the view's width
            width = max(80, event.width - 12)
            self.status_label.configure(wraplength=width)
            self.problem_text.configure(wraplength=width)

    def _on_first_map(self, event: Any) -> None:
        if event.widget is self and not self._widened:
            self._widened = True
            self.after_idle(self._widen_pane)

    def _widen_pane(self) -> None:
        """Thonny docks the view in its right-hand column, by default about 15 em
        wide: give that column MIN_WIDTH_EM (at most MAX_SHARE of the window) once,
        when the view first appears; the user's later sash moves are respected."""
        from thonny.ui_utils import ems_to_pixels

        from thonnycontrib.esp32cam.thonny_compat import front

        wanted = min(ems_to_pixels(MIN_WIDTH_EM), int(self.winfo_toplevel().winfo_width() * MAX_SHARE))
        front.widen_view_column(self, wanted)

    # --- actions ------------------------------------------------------------------------------
    def settings(self) -> Dict[str, Any]:
        try:
            quality = fam.clamp_quality(int(self._quality.get()))
        except (tk.TclError, ValueError):
            quality = fam.DEFAULT_QUALITY
            self._quality.set(quality)
        return {"frame_size": self._size.get(), "quality": quality,
                "vflip": bool(self._vflip.get()), "hmirror": bool(self._hmirror.get())}

    def capture(self) -> bool:
        """One frame, or in Live mode a stream of them (the board sends frames back to back
        for a few seconds per request; the view asks again while Live stays on)."""
        if self._pending is not None:
            return False
        if self._live.get():
            return self._send("stream", settings=self.settings())
        return self._send("capture", settings=self.settings())

    def _send(self, action: str, **kwargs: Any) -> bool:
        if not esp32cam_backend_active():
            self._show_status("Select the interpreter “%s” (Tools → Options → Interpreter) to use the camera."
                              % "MicroPython (ESP32-CAM)")
            return False
        self._request_id += 1
        if not send_camera_command(action, request_id=self._request_id, **kwargs):
            self._show_status("The board is busy (a program is running) or not connected: "
                              "the camera waits until the REPL is idle.")
            return False
        self._pending = self._request_id
        return True

    def _settings_changed(self) -> None:
        if not self._live.get():
            self.capture()
        elif self._pending is not None:
            stop_camera_stream()  # the stream's end starts the next one, with the new settings

    def _on_live_toggled(self) -> None:
        if self._live.get():
            self._frame_times.clear()
            self.capture()
        elif self._pending is not None:
            stop_camera_stream()

    def _on_flash_toggled(self) -> None:
        if self._pending is not None:
            self.after(100, self._on_flash_toggled)
            return
        self._send("flash", on=bool(self._flash.get()), settings=self.settings())

    def save_as(self) -> Optional[str]:
        if not self._jpeg:
            return None
        path = filedialog.asksaveasfilename(parent=self.winfo_toplevel(), defaultextension=".jpg",
                                            initialfile="esp32cam.jpg", filetypes=[("JPEG image", "*.jpg *.jpeg")])
        if not path:
            return None
        self.save_to(path)
        return path

    def save_to(self, path: str) -> None:
        assert self._jpeg is not None
        tmp = path + ".part"
        with open(tmp, "wb") as f:
            f.write(self._jpeg)
        os.replace(tmp, path)
        self._show_status("Saved %s (%d bytes)." % (path, len(self._jpeg)))

    def release(self) -> None:
        if self._live.get() and self._pending is not None:
            stop_camera_stream()
        self._live.set(False)
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
            self._live.set(False)
            self._flash.set(False) if msg.action == "flash" else None
            self._show_problem(problem)
            return
        self._hide_problem()
        if msg.action == "capture":
            self._camera_in_use = True
            self._show_frame(msg, live=False)
        elif msg.action == "stream":
            self._camera_in_use = True
            if self._live.get():
                self.capture()  # the next stream (with the settings as they are now)
        elif msg.action == "flash":
            self._camera_in_use = True
            self._show_status("Flash LED %s." % ("on" if msg.flash else "off"))

    def _on_stream_frame(self, msg: Any) -> None:
        if getattr(msg, "request_id", None) == self._pending:
            self._show_frame(msg, live=True)

    def _show_frame(self, msg: Any, live: bool) -> None:
        from PIL import Image

        jpeg: bytes = msg.jpeg
        try:
            image = Image.open(io.BytesIO(jpeg))
            image.load()
        except Exception as e:  # a damaged frame: say so, keep the old picture
            self._show_status("A frame could not be decoded (%s); try again." % e)
            return
        self._jpeg = jpeg
        self._image = image.convert("RGB")
        self._render()
        self.save_button.configure(state="normal")
        # frames/s only over frames that came one after another in Live mode
        fps = ""
        if live:
            self._frame_times.append(time.monotonic())
            if len(self._frame_times) >= 2:
                span = self._frame_times[-1] - self._frame_times[0]
                if span > 0:
                    fps = " · %.1f fps" % ((len(self._frame_times) - 1) / span)
        else:
            self._frame_times.clear()
        rate = ""
        seconds = getattr(msg, "seconds", 0) or 0
        if seconds > 0:
            bps = msg.wire_bytes / seconds
            rate = "%.1f kB/s" % (bps / 1000)
            baud = getattr(msg, "baudrate", None)
            if baud:
                rate += " (%d %% of %d baud)" % (round(100 * bps / (baud / 10)), baud)
        full_size = image.size
        self._show_status("%d×%d · %s bytes%s\n%s · %s driver"
                          % (full_size[0], full_size[1], format(len(jpeg), ",").replace(",", " "), fps, rate,
                             getattr(msg, "family", "?")))
        self.last_frame_info = {"size": full_size, "bytes": len(jpeg), "fps": fps, "shown": self.shown_size}

    @property
    def shown_size(self) -> Optional[tuple]:
        return (self._photo.width(), self._photo.height()) if self._photo is not None else None

    def _render(self) -> None:
        """Show the last frame as large as the picture area allows, keeping its aspect."""
        from PIL import Image, ImageTk

        self._render_pending = None
        if self._image is None:
            return
        area_w = max(self.image_label.winfo_width(), 32)
        area_h = max(self.image_label.winfo_height(), 24)
        scale = min(area_w / self._image.width, area_h / self._image.height)
        size = (max(1, round(self._image.width * scale)), max(1, round(self._image.height * scale)))
        image = self._image if size == self._image.size else self._image.resize(size, Image.BILINEAR)
        self._photo = ImageTk.PhotoImage(image)
        self.image_label.configure(image=self._photo)

    def _on_image_area_resized(self, event: Any) -> None:
        if self._image is not None and self._render_pending is None:
            self._render_pending = self.after(50, self._render)  # once per burst of resize events

    def _show_status(self, text: str) -> None:
        self.status_label.configure(text=text)

    def _show_problem(self, problem: Dict[str, Any]) -> None:
        self.problem_title.configure(text=problem.get("title", "Camera problem"))
        text = problem.get("explanation", "")
        details = (problem.get("details") or "").strip()
        if details:
            text += "\n\nThe board said: " + details.splitlines()[-1]
        self.problem_text.configure(text=text)
        if problem.get("action") == ACTION_INSTALL_FIRMWARE:
            self.install_button.grid(row=2, column=0, sticky="w", pady=(6, 0))
        else:
            self.install_button.grid_remove()
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
    def _on_backend_idle(self, event: Any = None) -> None:
        # a program ended (or a Shell command): resume Live if it was waiting
        if self._live.get() and self._pending is None and self.winfo_ismapped():
            self._frame_times.clear()  # the pause is no part of the frame rate
            self.after(50, self.capture)

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
