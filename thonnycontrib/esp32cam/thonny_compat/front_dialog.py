"""Thonny's ``WorkDialog`` (``thonny/workdlg.py``) with public names for the parts
the installer uses: the same in 4.1.7, 5.0.1 and the development head
(``_progress_bar``, ``_ok_button``, ``_state``, ``_work_events_queue`` read by
``_update_ui`` → ``handle_work_event``)."""
from __future__ import annotations

from tkinter import ttk
from typing import Any

from thonny.workdlg import WorkDialog


class WorkDialogBase(WorkDialog):
    def progress_bar(self) -> ttk.Progressbar:
        return self._progress_bar

    def ok_button(self) -> ttk.Button:
        return self._ok_button

    def is_idle(self) -> bool:
        """No work under way (Install may start): Thonny's ``_state`` is "idle"."""
        return self._state == "idle"

    def post_work_event(self, kind: str, *args: Any) -> None:
        """Thread-safe: ``handle_work_event(kind, args)`` runs on Tk's thread."""
        self._work_events_queue.put((kind, args))
