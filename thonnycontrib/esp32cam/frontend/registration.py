"""Everything ``load_plugin()`` registers besides the back-end: Tools/View/Edit
menu entries, the camera view, the Shell hints and the camera stub for completion.

Only labels and small closures live here. Each feature's module (dialogs, the
camera view, the boot-log classifier) is imported the first time it is used,
so Thonny's start-up does not pay for what the user may never open
(``benchmarks/bench_startup.py`` measures it).
"""
from __future__ import annotations

import sys
from typing import Any

from thonny import get_workbench

from thonnycontrib.esp32cam import BACKEND_NAME
from thonnycontrib.esp32cam.core.backend_commands import BOARD_FINDING_EVENT, CAMERA, LINK_RATE_EVENT, STUB_FAMILY
from thonnycontrib.esp32cam.core.boards import DEFAULT_PROFILE, OPTION_NAME
from thonnycontrib.esp32cam.core import menu_items
from thonnycontrib.esp32cam.core.fastlink import SPEED_OPTION
from thonnycontrib.esp32cam.core.i18n import _
from thonnycontrib.esp32cam.frontend.actions import (esp32cam_backend_active, open_doctor,
                                                     open_installer, open_wifi, request_template)
from thonnycontrib.esp32cam.frontend.keyboard import CAPTURE_COMMAND, CAPTURE_SEQUENCE
from thonnycontrib.esp32cam.templates import TEMPLATES

TOOLS_GROUP = 120


def Esp32CamCameraView(master: Any) -> Any:  # noqa: N802 - Thonny names the view after this
    """The camera view's constructor, as Thonny's View menu calls it."""
    from thonnycontrib.esp32cam.frontend.camera_wifi import WifiCameraView as View  # Live over Wi-Fi too

    return View(master)


VIEW_ID = Esp32CamCameraView.__name__


def show_camera_view() -> None:
    get_workbench().show_view(VIEW_ID)


def shown_camera_view() -> Any:
    """The camera view if it exists and is visible (its tab is the one shown), else None."""
    try:
        view = get_workbench().get_view(VIEW_ID, create=False)
    except (RuntimeError, KeyError):  # not created yet
        return None
    return view if view.winfo_ismapped() else None


def capture_in_camera_view() -> None:
    """The capture shortcut: the view's Capture button (Live: starts the stream)."""
    view = shown_camera_view()
    if view is not None:
        view.capture()


def _on_program_output(event: Any) -> None:
    """Shell hints for known boot-log lines, loaded at the ESP32-CAM back-end's first output."""
    if esp32cam_backend_active():
        from thonnycontrib.esp32cam.frontend import shell_hints

        shell_hints.install().on_output(event)


def _on_board_finding(event: Any) -> None:
    """The back-end learnt something the board did not print (the ROM answered: download mode)."""
    from thonnycontrib.esp32cam.frontend import shell_hints

    shell_hints.install().on_finding(event)


_COMPLETION_STUBS = "thonnycontrib.esp32cam.frontend.completion_stubs"


def _on_toplevel_response(event: Any) -> None:
    """Thonny's development head: the board's camera stub for its language server, asked
    for at the back-end's first prompt (``completion_stubs``)."""
    if esp32cam_backend_active():
        from thonnycontrib.esp32cam.frontend import completion_stubs

        completion_stubs.on_toplevel_response(event)


def _on_backend_restart(event: Any) -> None:
    module = sys.modules.get(_COMPLETION_STUBS)
    if module is not None:
        module.on_backend_restart(event)


def _on_stub_answer(msg: Any) -> None:
    """The board's camera family (the stub question, the camera view, the templates)."""
    if esp32cam_backend_active():
        from thonnycontrib.esp32cam.frontend import completion_stubs

        completion_stubs.RESPONSES[msg.event_type](msg)


def register_all() -> None:
    wb = get_workbench()
    wb.set_default(OPTION_NAME, DEFAULT_PROFILE)
    wb.set_default(f"{BACKEND_NAME}.catalog_url", "")  # HTTPS URL of a newer firmware catalog
    wb.set_default(f"{BACKEND_NAME}.{SPEED_OPTION}", "auto")  # core.fastlink

    wb.add_command("esp32cam_install_firmware", "tools", _(menu_items.INSTALL_FIRMWARE),
                   open_installer, group=TOOLS_GROUP)
    wb.add_command("esp32cam_doctor", "tools", _(menu_items.DOCTOR), open_doctor,
                   group=TOOLS_GROUP)
    wb.add_command("esp32cam_wifi", "tools", _(menu_items.WIFI), open_wifi,
                   tester=esp32cam_backend_active, group=TOOLS_GROUP)
    wb.add_view(Esp32CamCameraView, _(menu_items.CAMERA_VIEW), "e")
    wb.add_command("esp32cam_camera_view", "tools", _(menu_items.CAMERA_VIEW), show_camera_view,
                   tester=esp32cam_backend_active, group=TOOLS_GROUP)
    # F12 anywhere in Thonny while the view is shown (as F5 runs from anywhere), also in the menu
    wb.add_command(CAPTURE_COMMAND, "tools", _("Capture a picture (ESP32-CAM camera)"),
                   capture_in_camera_view, default_sequence=CAPTURE_SEQUENCE, group=TOOLS_GROUP,
                   tester=lambda: esp32cam_backend_active() and shown_camera_view() is not None)
    for name, (label, _file) in TEMPLATES.items():
        wb.add_command("esp32cam_template_" + name, "edit",
                       _("ESP32-CAM template: {title}").format(title=_(label)),
                       lambda n=name: request_template(n), tester=esp32cam_backend_active, group=200)
    wb.bind("ProgramOutput", _on_program_output, True)
    wb.bind(LINK_RATE_EVENT, _on_link_rate, True)
    wb.bind(BOARD_FINDING_EVENT, _on_board_finding, True)
    wb.bind("ToplevelResponse", _on_toplevel_response, True)
    wb.bind("BackendRestart", _on_backend_restart, True)
    for response in (STUB_FAMILY + "_response", CAMERA + "_response"):
        wb.bind(response, _on_stub_answer, True)


def _on_link_rate(event: Any) -> None:
    """The back-end settled the serial link's rate: show it in the status bar."""
    from thonnycontrib.esp32cam.frontend import link_status

    link_status.show(event)
