"""The camera view's picture: the last frame, decoded with Pillow and drawn as large as
the picture area allows, keeping its aspect; drawn again when the area changes size."""
from __future__ import annotations

import io
import tkinter as tk
from typing import Any, Optional, Tuple

from thonnycontrib.esp32cam.frontend import theme_colors


class CameraPicture(tk.Label):
    def __init__(self, master: tk.Misc) -> None:
        # width/height 1: the grid, not the picture, decides the label's size; the picture follows
        super().__init__(master, anchor="center", width=1, height=1)
        theme_colors.paint(self, background=lambda w: theme_colors.text_area_colours(w)["background"])
        self._image: Any = None  # the last frame, decoded at full size (PIL image)
        self._photo: Any = None  # keeps the Tk image alive
        self._render_pending: Optional[str] = None
        self.bind("<Configure>", self._on_resized, True)

    def show(self, jpeg: bytes) -> Tuple[int, int]:
        """Draw ``jpeg`` and return its full size; a damaged frame raises and the old picture stays."""
        from PIL import Image

        image = Image.open(io.BytesIO(jpeg))
        image.load()
        self._image = image.convert("RGB")
        self._render()
        return image.size

    @property
    def shown_size(self) -> Optional[tuple]:
        return (self._photo.width(), self._photo.height()) if self._photo is not None else None

    def _render(self) -> None:
        from PIL import Image, ImageTk

        self._render_pending = None
        if self._image is None:
            return
        area_w = max(self.winfo_width(), 32)
        area_h = max(self.winfo_height(), 24)
        scale = min(area_w / self._image.width, area_h / self._image.height)
        size = (max(1, round(self._image.width * scale)), max(1, round(self._image.height * scale)))
        image = self._image if size == self._image.size else self._image.resize(size, Image.BILINEAR)
        self._photo = ImageTk.PhotoImage(image)
        self.configure(image=self._photo)

    def _on_resized(self, event: Any) -> None:
        if self._image is not None and self._render_pending is None:
            self._render_pending = self.after(50, self._render)  # once per burst of resize events
