"""Edit menu: camera code templates, opened in a new editor.

Each template is rendered for the driver family found on the connected board
(asked from the back-end) and the board profile chosen on the config page.
"""
from __future__ import annotations

from typing import Any, Optional

from thonny import get_workbench

from thonnycontrib.esp32cam.core.i18n import _
from thonnycontrib.esp32cam.frontend.camera_requests import COMMAND, board_profile_key, send_camera_command
from thonnycontrib.esp32cam.templates import render

_REQUEST_PREFIX = "template:"
_listening = False


def open_template_in_editor(name: str, family: str, profile_key: Optional[str] = None) -> Any:
    code = render(name, family, profile_key or board_profile_key())
    notebook = get_workbench().get_editor_notebook()
    notebook.open_new_file()
    editor = notebook.get_current_editor()
    editor.get_text_widget().insert("1.0", code)
    return editor


def request_template(name: str) -> bool:
    """Ask the board for its camera driver; the editor opens when the answer comes."""
    global _listening
    if not _listening:
        get_workbench().bind(COMMAND + "_response", _on_response, True)
        _listening = True
    if not send_camera_command("info", request_id=_REQUEST_PREFIX + name):
        _message(_("Connect the ESP32-CAM first"),
                 _("Templates are written for the camera driver on the board. Select the "
                   "“MicroPython (ESP32-CAM)” interpreter and wait for the >>> prompt "
                   "(stop a running program first)."))
        return False
    return True


def _on_response(msg: Any) -> None:
    request_id = getattr(msg, "request_id", None)
    if not isinstance(request_id, str) or not request_id.startswith(_REQUEST_PREFIX):
        return
    name = request_id[len(_REQUEST_PREFIX):]
    problem = getattr(msg, "problem", None)
    if problem:
        _message(problem.get("title") or _("Camera problem"), problem.get("explanation", ""))
        return
    open_template_in_editor(name, msg.family)


def _message(title: str, text: str) -> None:
    from tkinter import messagebox

    messagebox.showinfo(title, text, master=get_workbench())
