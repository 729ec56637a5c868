"""The camera view's controls: Capture, Live, Save as…, Flash LED, Size, Quality, Flip, Mirror.

The view usually sits in Thonny's narrow right-hand column: the controls wrap (FlowFrame).
The toolbar holds the chosen values; the view is told when one changes.
"""
from __future__ import annotations

import tkinter as tk
from tkinter import ttk
from typing import Any, Callable, Dict

from thonny.ui_utils import create_tooltip

from thonnycontrib.esp32cam.core.camera import families as fam
from thonnycontrib.esp32cam.core.i18n import _
from thonnycontrib.esp32cam.frontend.fit import BUTTON_WIDTH
from thonnycontrib.esp32cam.frontend.flow import FlowFrame
from thonnycontrib.esp32cam.frontend import theme_colors
from thonnycontrib.esp32cam.frontend.keyboard import capture_key_text

Action = Callable[[], Any]


class CameraToolbar(FlowFrame):
    def __init__(self, master: tk.Misc, capture: Action, save_as: Action, live_toggled: Action,
                 flash_toggled: Action, settings_changed: Action) -> None:
        super().__init__(master)
        self.live = tk.BooleanVar(self, False)
        self.frame_size = tk.StringVar(self, fam.DEFAULT_FRAME_SIZE)
        self.quality = tk.IntVar(self, fam.DEFAULT_QUALITY)
        self.vflip = tk.BooleanVar(self, False)
        self.hmirror = tk.BooleanVar(self, False)
        self.flash = tk.BooleanVar(self, False)
        add = self.add
        self.capture_button = add(ttk.Button(self, text=_("Capture"), command=capture,
                                                  width=BUTTON_WIDTH))
        create_tooltip(self.capture_button, _("Take a picture ({key})").format(key=capture_key_text()))
        add(ttk.Checkbutton(self, text=_("Live"), variable=self.live, command=live_toggled))
        self.save_button = add(ttk.Button(self, text=_("Save as…"), command=save_as,
                                          state="disabled", width=BUTTON_WIDTH))
        add(ttk.Checkbutton(self, text=_("Flash LED"), variable=self.flash, command=flash_toggled))
        size = add(ttk.Frame(self))  # a label stays with its field
        ttk.Label(size, text=_("Size")).pack(side="left", padx=(0, 2))
        size_box = ttk.Combobox(size, textvariable=self.frame_size, values=fam.frame_size_names(),
                                width=8, state="readonly")
        size_box.pack(side="left")
        size_box.bind("<<ComboboxSelected>>", lambda e: settings_changed(), True)
        quality_group = add(ttk.Frame(self))
        ttk.Label(quality_group, text=_("Quality")).pack(side="left", padx=(0, 2))
        theme_colors.use_theme(self)
        quality = ttk.Spinbox(quality_group, from_=fam.QUALITY_MIN, to=fam.QUALITY_MAX, increment=5,
                              textvariable=self.quality, width=4, command=settings_changed, style=theme_colors.SPINBOX)
        quality.pack(side="left")
        quality.bind("<Return>", lambda e: settings_changed(), True)
        add(ttk.Checkbutton(self, text=_("Flip"), variable=self.vflip, command=settings_changed))
        add(ttk.Checkbutton(self, text=_("Mirror"), variable=self.hmirror,
                            command=settings_changed))

    def settings(self) -> Dict[str, Any]:
        """The camera settings chosen (a quality typed out of range is corrected in the field)."""
        try:
            quality = fam.clamp_quality(int(self.quality.get()))
        except (tk.TclError, ValueError):
            quality = fam.DEFAULT_QUALITY
            self.quality.set(quality)
        return {"frame_size": self.frame_size.get(), "quality": quality,
                "vflip": bool(self.vflip.get()), "hmirror": bool(self.hmirror.get())}
