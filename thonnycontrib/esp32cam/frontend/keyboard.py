"""Keyboard use of the plug-in's windows: Enter runs the window's default action, Escape
closes it, Tab follows the visual order (Tk's creation order of the widgets), the first
meaningful control has the focus when the window opens.

What Thonny does, and the plug-in follows (thonny/ui_utils.py, thonny/workdlg.py in 4.1.7
and 5.0.1): Escape closes a dialog (``CommonDialogEx``) or cancels its work the way its
Cancel button does (``WorkDialog.on_cancel``, with its confirmation); Return and KP_Enter
run the default action (``QueryDialog``); ``show_dialog`` focuses the first entry,
combobox, list or button (``CommonDialog.set_initial_focus``). Thonny gives its dialog
widgets no mnemonics (no ``underline=`` on any of them), so the plug-in adds none: Alt+letter
would do something in the plug-in's windows and nothing in Thonny's own.

The camera view's capture: F12, free in Thonny 4.1.7 and 5.0.1 (their shortcuts: F5 run,
F6/F7/F8 debug, F9 cells/macros, F11 full screen, F3 find, Ctrl+F2 stop), registered as a
Thonny command: Thonny reads its key from the option ``shortcuts.esp32cam_camera_capture``
(``[shortcuts]`` in configuration.ini, workbench.py ``_publish_command``, 4.1.7 and 5.0.1).
"""
from __future__ import annotations

import tkinter as tk
from tkinter import ttk
from typing import Any, Callable, Optional, Union

ENTER_SEQUENCES = ("<Return>", "<KP_Enter>")
CAPTURE_COMMAND = "esp32cam_camera_capture"  # Thonny command id: option shortcuts.<id>
CAPTURE_SEQUENCE = "<F12>"

Action = Union[Callable[[], Any], tk.Widget]  # a function, or a button to invoke


def run_action(action: Action) -> None:
    """Call ``action``, or invoke it if it is a button (a disabled button does nothing)."""
    invoke = getattr(action, "invoke", None)
    if invoke is not None:
        invoke()
    else:
        action()


def _is_button(widget: Any) -> bool:
    return isinstance(widget, (ttk.Button, tk.Button))


def bind_dialog_keys(window: tk.Misc, default: Optional[Action] = None,
                     cancel: Optional[Action] = None, focus: Optional[tk.Widget] = None) -> None:
    """Enter (Return, KP_Enter): the focused button if a button has the focus, nothing in a
    multi-line Text (its own Return), else ``default``. Escape: ``cancel`` (leave it None where
    Thonny binds Escape already, as in a ``WorkDialog``). ``focus``: gets the focus now, so it
    has it when the window does. Widgets that bind Enter themselves and return "break" win."""
    def on_enter(event: tk.Event) -> Optional[str]:
        widget = event.widget
        if _is_button(widget):
            widget.invoke()
            return "break"
        if isinstance(widget, tk.Text) or default is None:
            return None
        run_action(default)
        return "break"

    for sequence in ENTER_SEQUENCES:
        window.bind(sequence, on_enter, True)
    if cancel is not None:
        window.bind("<Escape>", lambda event: (run_action(cancel), "break")[1], True)
    if focus is not None:
        focus.focus_set()


def bind_work_dialog_keys(dialog: Any) -> None:
    """A Thonny ``WorkDialog`` (``thonny_compat.front_dialog.WorkDialogBase``): Enter presses
    its OK button (Install) while no work runs; Escape is Thonny's (its Cancel button, which
    asks before it stops a job); ``show_dialog`` focuses its first box."""
    def press_ok() -> None:
        if dialog.is_idle():  # the button is disabled a moment later than the work starts
            dialog.ok_button().invoke()

    bind_dialog_keys(dialog, default=press_ok)


def capture_key_text() -> str:
    """The capture shortcut as menus show it ("F12", or what the user set in Thonny)."""
    from thonny import get_workbench
    from thonny.ui_utils import sequence_to_accelerator

    sequence = get_workbench().get_option("shortcuts." + CAPTURE_COMMAND) or CAPTURE_SEQUENCE
    return sequence_to_accelerator(sequence)


def bind_enter(widget: tk.Widget, action: Callable[[], Any]) -> None:
    """Enter on ``widget`` runs ``action`` instead of the window's default."""
    for sequence in ENTER_SEQUENCES:
        widget.bind(sequence, lambda event: (action(), "break")[1], True)


def focus_first_row(tree: ttk.Treeview) -> None:
    """The list's keyboard cursor on its first row (if none is there), so that the arrow keys
    and Space work as soon as the list has the focus; the selection is not changed."""
    rows = tree.get_children()
    if rows and not tree.focus():
        tree.focus(rows[0])
