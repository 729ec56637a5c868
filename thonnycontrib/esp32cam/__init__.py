"""thonny-esp32cam: MicroPython on ESP32-CAM boards in Thonny.

Thonny calls ``load_plugin()`` at start-up. It only registers things; every
heavy import (pyserial, esptool, PIL, dialogs) happens when the user needs it,
so Thonny starts as fast as without the plug-in. ``python -m thonnycontrib.esp32cam``
runs the CLI and never imports Thonny.
"""
from thonnycontrib.esp32cam.core.i18n import N_

# The one place the release version is written: setup.cfg reads it
# (``version = attr:``), the CLI prints it (``--version``).
__version__ = "0.1.0"

# Thonny versions the tests run on (CI: one leg each); setup.cfg's description names them.
# Other versions >= 4.1 may work: thonny_compat picks its adapter by what is importable.
TESTED_THONNY = ("4.1.7", "5.0.1", "5.0.0b1.dev0")

BACKEND_NAME = "ESP32CAM"
BACKEND_DESCRIPTION = N_("MicroPython (ESP32-CAM)")  # translated at registration


def load_plugin() -> None:
    """Register the ESP32-CAM interpreter, its menus and views.

    On a Thonny whose internals the plug-in does not know (``thonny_compat``
    raises ``UnsupportedThonny``, or a name it imports moved), nothing is
    registered: one line in the log and in the Shell says so, no dialog, and
    Thonny's other interpreters are untouched."""
    from thonnycontrib.esp32cam.core.i18n import _
    from thonnycontrib.esp32cam.thonny_compat import UnsupportedThonny, unsupported_message

    _follow_thonny_language()  # before the unsupported-Thonny message and any label
    try:
        from thonnycontrib.esp32cam.thonny_compat import front

        front.require_supported()
        _register(front)
    except UnsupportedThonny as e:
        _report_unsupported(str(e))
    except ImportError as e:  # a Thonny name moved again
        _report_unsupported(unsupported_message(
            _("the Thonny module or name {name}").format(name=e.name or e)))


def _follow_thonny_language() -> None:
    """The plug-in speaks the language chosen in Thonny's options (general.language)."""
    from thonnycontrib.esp32cam.core.i18n import set_language

    try:
        from thonny import get_workbench

        set_language(get_workbench().get_option("general.language"))
    except Exception:  # no workbench: the locale variables decide (core.i18n)
        return


def _register(front) -> None:
    from thonnycontrib.esp32cam.core.i18n import _

    from thonnycontrib.esp32cam.core.lines import DEFAULT_DTR, DEFAULT_RTS
    from thonnycontrib.esp32cam.frontend.config_page import Esp32CamConfigPage, set_firmware_installer
    from thonnycontrib.esp32cam.frontend.proxy import Esp32CamProxy

    front.add_backend(
        BACKEND_NAME,
        Esp32CamProxy,
        _(BACKEND_DESCRIPTION),
        Esp32CamConfigPage,
        sort_key="35a",  # right after Thonny's "MicroPython (ESP32)" (35)
        dtr=DEFAULT_DTR,
        rts=DEFAULT_RTS,
    )

    from thonnycontrib.esp32cam.frontend import registration

    registration.register_all()  # menus, camera view, Shell hints: each imported when first used
    set_firmware_installer(registration.open_installer)  # the interpreter page's installer link


def _report_unsupported(message: str) -> None:
    try:
        from thonnycontrib.esp32cam.thonny_compat.front import report_unsupported
    except ImportError:  # the facade itself needs Tk and thonny: log only
        import logging

        logging.getLogger(__name__).error(message)
        return
    report_unsupported(message)
