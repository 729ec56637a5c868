"""What happens to the board's files when an install would erase them (the new build puts its
filesystem elsewhere): the installer dialog asks each time (:class:`FilesQuestion`), the
classroom tray takes one choice per run (:class:`TrayFilesChoice`).

Both offer a folder to copy the files into first (``core/board_files.py`` copies them through
MicroPython's REPL); the default is a new dated folder in the user's home, so an earlier copy
is never overwritten.
"""
from __future__ import annotations

import os
import threading
import time
import tkinter as tk
from tkinter import filedialog, ttk
from typing import Any, Dict, Optional, Tuple

from thonny.ui_utils import ems_to_pixels

from thonnycontrib.esp32cam.core.contrast import WARNING, marked
from thonnycontrib.esp32cam.core.i18n import N_, _
from thonnycontrib.esp32cam.frontend import theme_colors
from thonnycontrib.esp32cam.frontend.fit import BUTTON_WIDTH
from thonnycontrib.esp32cam.frontend.keyboard import bind_dialog_keys
from thonnycontrib.esp32cam.frontend.readable_styles import readable_window

CANCEL, ERASE, BACKUP = "cancel", "erase", "backup"

# the texts are translated where shown
QUESTION_TITLE = N_("The board's files will be erased")
COPY_INTO = N_("Copy them to this computer first, into:")
BROWSE = N_("Browse…")
COPY_BUTTON = N_("Copy the files, then install")
ERASE_BUTTON = N_("Erase them and install")
CANCEL_BUTTON = N_("Write nothing")
NO_FOLDER = N_("Choose a folder to copy the files into.")
TRAY_LABEL = N_("A board whose files another layout would erase:")
TRAY_FOLDER = N_("Copy into:")
TRAY_NO_FOLDER = N_("Choose a folder to copy the boards' files into (or another choice for them).")
TRAY_CHOICES = {  # shown text -> choice
    N_("Leave it as it is (nothing written)"): CANCEL,
    N_("Copy its files first, then install"): BACKUP,
    N_("Erase its files and install"): ERASE,
}


def default_backup_folder(when: Optional[float] = None) -> str:
    """~/ESP32-CAM files/<date> <time>: a new folder for every install."""
    stamp = time.strftime("%Y-%m-%d %H.%M.%S", time.localtime(when))
    return os.path.join(os.path.expanduser("~"), "ESP32-CAM files", stamp)


class FilesAnswer:
    """The user's answer, handed from Tk's thread to the installer's worker."""

    def __init__(self) -> None:
        self._event = threading.Event()
        self.choice: Tuple[str, Optional[str]] = (CANCEL, None)
        self.abandoned = False  # the install was cancelled while the question was open

    def give(self, choice: str, folder: Optional[str] = None) -> None:
        self.choice = (choice, folder)
        self._event.set()

    @property
    def given(self) -> bool:
        return self._event.is_set()

    def wait(self, cancel: threading.Event) -> Tuple[str, Optional[str]]:
        while not self._event.wait(0.1):
            if cancel.is_set():
                self.abandoned = True
                return CANCEL, None
        return self.choice


def _folder_row(master: Any, var: tk.StringVar, title: str) -> Tuple[ttk.Entry, ttk.Button]:
    entry = ttk.Entry(master, textvariable=var, width=40)

    def browse() -> None:
        chosen = filedialog.askdirectory(parent=master, title=_(title), mustexist=False,
                                         initialdir=os.path.dirname(var.get()) or os.path.expanduser("~"))
        if chosen:
            var.set(chosen)

    return entry, ttk.Button(master, text=_(BROWSE), command=browse, width=BUTTON_WIDTH)


class FilesQuestion(tk.Toplevel):
    """Asked before anything is written: copy the files first, erase them, or write nothing.
    Closing the window writes nothing."""

    def __init__(self, parent: Any, message: str, answer: FilesAnswer, folder: str) -> None:
        super().__init__(parent)
        self.title(_(QUESTION_TITLE))
        self.transient(parent)
        self.answer = answer
        frame = ttk.Frame(self, padding=12)
        frame.grid(sticky="nsew")
        frame.columnconfigure(0, weight=1)
        self.message_label = ttk.Label(frame, text=message, justify="left", wraplength=ems_to_pixels(44))
        self.message_label.grid(row=0, column=0, columnspan=2, sticky="w")
        ttk.Label(frame, text=_(COPY_INTO)).grid(row=1, column=0, columnspan=2, sticky="w",
                                                 pady=(10, 2))
        self.folder_var = tk.StringVar(value=folder)
        self.folder_entry, self.browse_button = _folder_row(frame, self.folder_var, COPY_INTO)
        self.folder_entry.grid(row=2, column=0, sticky="we")
        self.browse_button.grid(row=2, column=1, padx=(6, 0))
        theme_colors.use_theme(frame)
        self.note_label = ttk.Label(frame, text="", style=theme_colors.WARNING)
        self.note_label.grid(row=3, column=0, columnspan=2, sticky="w")
        buttons = ttk.Frame(frame)
        buttons.grid(row=4, column=0, columnspan=2, sticky="e", pady=(10, 0))
        self.copy_button = ttk.Button(buttons, text=_(COPY_BUTTON), command=self._copy, width=BUTTON_WIDTH,
                                      default="active")
        self.erase_button = ttk.Button(buttons, text=_(ERASE_BUTTON), width=BUTTON_WIDTH,
                                       command=lambda: self._give(ERASE))
        self.cancel_button = ttk.Button(buttons, text=_(CANCEL_BUTTON), width=BUTTON_WIDTH,
                                        command=lambda: self._give(CANCEL))
        for column, button in enumerate((self.copy_button, self.erase_button, self.cancel_button)):
            button.configure(width=len(str(button.cget("text"))) + 2)  # Thonny's themes fix a button's width
            button.grid(row=0, column=column, padx=(6 if column else 0, 0))
        readable_window(self)  # Thonny's styles as they read in this window (WCAG AA), before it shows
        self.protocol("WM_DELETE_WINDOW", lambda: self._give(CANCEL))
        # Enter: copy, then install (the focused button instead, if one has it); Escape: write nothing
        bind_dialog_keys(self, default=self._copy, cancel=lambda: self._give(CANCEL))
        self._place(parent)
        self.after_idle(self._grab)
        self._watch()

    def _watch(self) -> None:
        if self.answer.abandoned:  # Cancel in the installer: nothing is written, the question goes
            self._give(CANCEL)
        else:
            self.after(200, self._watch)

    def _place(self, parent: Any) -> None:
        """Over the installer, kept on the screen."""
        self.update_idletasks()
        w, h = self.winfo_reqwidth(), self.winfo_reqheight()
        x = parent.winfo_rootx() + (parent.winfo_width() - w) // 2
        y = parent.winfo_rooty() + (parent.winfo_height() - h) // 3
        x = max(0, min(x, self.winfo_screenwidth() - w))
        y = max(0, min(y, self.winfo_screenheight() - h))
        self.geometry(f"+{x}+{y}")

    def _grab(self) -> None:
        try:
            self.grab_set()  # the installer behind it waits for this answer
            self.copy_button.focus_set()
        except tk.TclError:  # not viewable yet (or already gone)
            pass

    def _copy(self) -> None:
        folder = self.folder_var.get().strip()
        if not folder:
            self.note_label.configure(text=marked(WARNING, _(NO_FOLDER)))
            return
        self._give(BACKUP, os.path.expanduser(folder))

    def _give(self, choice: str, folder: Optional[str] = None) -> None:
        if not self.answer.given:
            self.answer.give(choice, folder)
        try:
            self.grab_release()
        except tk.TclError:
            pass
        self.destroy()


def ask_about_files(parent: Any, message: str, answer: FilesAnswer) -> FilesQuestion:
    """On Tk's thread; the worker waits in ``answer.wait``."""
    return FilesQuestion(parent, message, answer, default_backup_folder())


class TrayFilesChoice(ttk.Frame):
    """The tray's row: what a board whose files the install would erase gets, this run.
    ``chosen`` holds the FlashJob options it stands for, kept current on Tk's thread (the
    worker reads it when the run starts); ``problem`` says why the run cannot start."""

    def __init__(self, master: Any) -> None:
        super().__init__(master)
        self.columnconfigure(1, weight=1)
        self.chosen: Dict[str, Any] = {"erase_files": False, "backup_dir": None}
        self.problem: Optional[str] = None
        ttk.Label(self, text=_(TRAY_LABEL)).grid(row=0, column=0, sticky="w", padx=(0, 6))
        self._choices = {_(text): choice for text, choice in TRAY_CHOICES.items()}  # as shown
        self.choice_var = tk.StringVar(value=next(iter(self._choices)))
        self.choice_box = ttk.Combobox(self, textvariable=self.choice_var,
                                       values=list(self._choices), state="readonly",
                                       width=max(map(len, self._choices)) + 1)
        self.choice_box.grid(row=0, column=1, columnspan=2, sticky="w")
        self.folder_label = ttk.Label(self, text=_(TRAY_FOLDER))
        self.folder_var = tk.StringVar(value=default_backup_folder())
        self.folder_entry, self.browse_button = _folder_row(self, self.folder_var, TRAY_FOLDER)
        self.folder_label.grid(row=1, column=0, sticky="e", padx=(0, 6), pady=(4, 0))
        self.folder_entry.grid(row=1, column=1, sticky="we", pady=(4, 0))
        self.browse_button.grid(row=1, column=2, padx=(6, 0), pady=(4, 0))
        self.choice_var.trace_add("write", self._changed)
        self.folder_var.trace_add("write", self._changed)
        self._changed()

    def choose(self, choice: str) -> None:
        """As the user picking it from the list."""
        self.choice_var.set(next(text for text, c in self._choices.items() if c == choice))

    def _changed(self, *_args) -> None:
        choice = self._choices[self.choice_var.get()]
        folder = self.folder_var.get().strip()
        state = ["!disabled"] if choice == BACKUP else ["disabled"]
        for widget in (self.folder_label, self.folder_entry, self.browse_button):
            widget.state(state)
        self.problem = _(TRAY_NO_FOLDER) if choice == BACKUP and not folder else None
        self.chosen.update(erase_files=choice == ERASE,
                           backup_dir=os.path.expanduser(folder) if choice == BACKUP and folder else None)
