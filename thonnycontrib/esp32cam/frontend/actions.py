"""Small entry points shared by the menus, the views and the Shell hints.

They live apart from ``registration`` so that a view can use them without
importing the module that registers it (no import cycle). Each one imports its
dialog when it is first used, so Thonny's start-up does not pay for it.
"""
from __future__ import annotations

from typing import Any

from thonnycontrib.esp32cam.frontend.backend_state import esp32cam_backend_active

__all__ = ["esp32cam_backend_active", "open_doctor", "open_installer", "request_template"]


def open_doctor(event: Any = None) -> None:
    from thonnycontrib.esp32cam.frontend.doctor_dialog import open_doctor_dialog

    open_doctor_dialog()


def open_installer(master: Any = None) -> None:
    from thonnycontrib.esp32cam.frontend.flash_dialog import open_installer as open_dialog

    open_dialog(master)


def open_wifi(event: Any = None) -> None:
    from thonnycontrib.esp32cam.frontend.wifi_dialog import open_wifi_dialog

    open_wifi_dialog()


def request_template(name: str) -> bool:
    from thonnycontrib.esp32cam.frontend.camera_templates import request_template as request

    return request(name)
