"""The ESP32-CAM back-end: Thonny's ESP back-end with a URL-capable, reset-free connection.

To answer a front-end ``InlineCommand("<name>", ...)``, add a mixin with a
``_cmd_<name>(self, cmd)`` method to ``Esp32CamBackend``'s bases.
"""
from __future__ import annotations

import importlib.util
import os
from logging import getLogger
from typing import Type

import thonny.plugins.micropython as _mp_package
from thonny.common import ImmediateCommand
from thonny.plugins.micropython.bare_metal_backend import (
    BareMetalMicroPythonBackend,
    launch_bare_metal_backend,
)

from thonnycontrib.esp32cam.core import backend_commands
from thonnycontrib.esp32cam.backend.camera_commands import CameraCommandsMixin
from thonnycontrib.esp32cam.backend.fast_files import FastFilesMixin
from thonnycontrib.esp32cam.backend.fast_link import FastLinkMixin
from thonnycontrib.esp32cam.backend.url_serial import UrlSerialConnection

logger = getLogger("thonnycontrib.esp32cam.backend")

RELEASE_LINES_COMMAND = backend_commands.RELEASE_LINES


def _load_esp_backend_class() -> Type[BareMetalMicroPythonBackend]:
    """Thonny's ``EspMicroPythonBackend`` without importing the ``thonny.plugins.esp``
    package, whose ``__init__`` pulls in front-end dialogs the back-end never uses."""
    path = os.path.join(os.path.dirname(os.path.dirname(_mp_package.__file__)), "esp", "esp_back.py")
    try:
        spec = importlib.util.spec_from_file_location("thonny_esp_back", path)
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        return module.EspMicroPythonBackend
    except (OSError, AttributeError, ImportError):
        logger.warning("Thonny's esp_back.py not found at %s, using the generic back-end", path)
        return BareMetalMicroPythonBackend


_EspBackend = _load_esp_backend_class()


class Esp32CamBackend(FastFilesMixin, FastLinkMixin, CameraCommandsMixin, _EspBackend):  # type: ignore[misc, valid-type]
    def _handle_immediate_command(self, cmd: ImmediateCommand) -> None:
        if cmd["name"] == RELEASE_LINES_COMMAND:
            self._release_lines_and_exit()
        else:
            super()._handle_immediate_command(cmd)

    def _release_lines_and_exit(self) -> None:
        connection = self._connection
        self._esp32cam_end_stream()  # a live camera stream ends at its next frame
        try:
            self._esp32cam_leave()  # the board back at 115200 (backend.fast_link)
        except Exception:
            logger.exception("Could not restore the board's rate")
        logger.info("Releasing RTS, then DTR, before the port closes")
        try:
            if isinstance(connection, UrlSerialConnection):
                # The OS closes the port when the process exits; a full close() would
                # only add pyserial's RFC 2217 reconnect pause (0.3 s) to every disconnect.
                connection.release_lines()
        finally:
            os._exit(0)


def main() -> None:
    # launch_bare_metal_backend imports SerialConnection from Thonny's module when
    # it opens the port; in this (our own) process, make that name our subclass.
    import thonny.plugins.micropython.serial_connection as serial_connection

    serial_connection.SerialConnection = UrlSerialConnection  # type: ignore[misc]
    launch_bare_metal_backend(Esp32CamBackend)
