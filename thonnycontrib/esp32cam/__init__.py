"""thonny-esp32cam: MicroPython on ESP32-CAM boards in Thonny.

Thonny calls ``load_plugin()`` at start-up. It only registers things; every
heavy import (pyserial, esptool, PIL, dialogs) happens when the user needs it,
so Thonny starts as fast as without the plug-in. ``python -m thonnycontrib.esp32cam``
runs the CLI and never imports Thonny.
"""

# The one place the release version is written: setup.cfg reads it
# (``version = attr:``), the CLI prints it (``--version``).
__version__ = "0.1.0"

BACKEND_NAME = "ESP32CAM"
BACKEND_DESCRIPTION = "MicroPython (ESP32-CAM)"


def load_plugin() -> None:
    # Thonny's built-in ESP plug-in is already loaded, so these imports are cheap.
    from thonny.plugins.micropython.mp_front import add_micropython_backend

    from thonnycontrib.esp32cam.core.lines import DEFAULT_DTR, DEFAULT_RTS
    from thonnycontrib.esp32cam.frontend.config_page import Esp32CamConfigPage, set_firmware_installer
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

    from thonnycontrib.esp32cam.frontend import registration

    registration.register_all()  # menus, camera view, Shell hints: each imported when first used
    set_firmware_installer(registration.open_installer)  # the interpreter page's installer link
