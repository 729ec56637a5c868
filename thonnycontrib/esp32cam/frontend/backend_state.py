"""Is the ESP32-CAM interpreter the one Thonny uses now? (A leaf module: the
menus, views and Shell hints all ask, none of them is imported for it.)"""
from __future__ import annotations

from thonny import get_workbench

from thonnycontrib.esp32cam import BACKEND_NAME


def esp32cam_backend_active() -> bool:
    return get_workbench().get_option("run.backend_name") == BACKEND_NAME
