"""thonny-esp32cam: MicroPython on ESP32-CAM boards in Thonny.

Thonny calls ``load_plugin()`` at start-up. It only registers things; every
heavy import (pyserial, esptool, PIL, dialogs) happens when the user needs it,
so Thonny starts as fast as without the plug-in. ``python -m thonnycontrib.esp32cam``
runs the CLI and never imports Thonny.
"""

BACKEND_NAME = "ESP32CAM"
BACKEND_DESCRIPTION = "MicroPython (ESP32-CAM)"


def load_plugin() -> None:
    # Thonny's built-in ESP plug-in is already loaded, so these imports are cheap.
    from thonny.plugins.micropython.mp_front import add_micropython_backend

    from thonnycontrib.esp32cam.core.lines import DEFAULT_DTR, DEFAULT_RTS
    from thonnycontrib.esp32cam.frontend.config_page import Esp32CamConfigPage
    from thonnycontrib.esp32cam.frontend.proxy import Esp32CamProxy

    add_micropython_backend(
        BACKEND_NAME,
        Esp32CamProxy,
        BACKEND_DESCRIPTION,
        Esp32CamConfigPage,
        sort_key="35a",  # right after Thonny's "MicroPython (ESP32)" (35)
        dtr=DEFAULT_DTR,
        rts=DEFAULT_RTS,
    )

    # Menu commands (installer, connection doctor, camera view ...) are added
    # below, one `add_command` each, with handlers that import their module lazily.
    from thonny import get_workbench

    from thonnycontrib.esp32cam.frontend import camera_view

    camera_view.register(get_workbench())  # camera view (View + Tools menu), code templates (Edit menu)

    # Connection doctor (Tools menu) and Shell hints for known boot-log lines.
    get_workbench().add_command(
        "esp32cam_doctor", "tools", "Diagnose ESP32-CAM connection…", _open_doctor, group=120)
    from thonnycontrib.esp32cam.frontend import shell_hints

    shell_hints.install()

    # Firmware installer: Tools menu, and the "Install or update" link on the interpreter page.
    get_workbench().set_default(f"{BACKEND_NAME}.catalog_url", "")  # HTTPS URL of a newer catalog
    get_workbench().add_command(
        "esp32cam_install_firmware", "tools", "Install MicroPython for ESP32-CAM…",
        _open_installer, group=120)
    from thonnycontrib.esp32cam.frontend.config_page import set_firmware_installer

    set_firmware_installer(_open_installer)


def _open_doctor() -> None:
    from thonnycontrib.esp32cam.frontend.doctor_dialog import open_doctor_dialog

    open_doctor_dialog()


def _open_installer(master=None) -> None:
    from thonnycontrib.esp32cam.frontend.flash_dialog import open_installer

    open_installer(master)
