"""The ESP32-CAM back-end: Thonny's ESP32 back-end with a URL-capable, reset-free connection.

``thonny_compat.back.backend_base()`` is Thonny's ESP32 back-end of this Thonny
generation, calling the hooks the mixins below implement. To answer a front-end
``InlineCommand("<name>", ...)``, add a mixin with a ``_cmd_<name>(self, cmd)`` method
(Thonny's convention) to ``Esp32CamBackend``'s bases.

Importing this module on a Thonny the plug-in does not know raises
``thonny_compat.UnsupportedThonny``; ``launcher.py`` turns that into one line.
"""
from __future__ import annotations

import os
from logging import getLogger

from thonnycontrib.esp32cam.backend.camera_commands import CameraCommandsMixin
from thonnycontrib.esp32cam.backend.fast_files import FastFilesMixin
from thonnycontrib.esp32cam.backend.fast_link import FastLinkMixin
from thonnycontrib.esp32cam.backend.link_keeping import LinkKeepingMixin
from thonnycontrib.esp32cam.backend.url_serial import UrlSerialConnection
from thonnycontrib.esp32cam.core import backend_commands
from thonnycontrib.esp32cam.thonny_compat import back

logger = getLogger("thonnycontrib.esp32cam.backend")

RELEASE_LINES_COMMAND = backend_commands.RELEASE_LINES

__all__ = ["Esp32CamBackend", "UrlSerialConnection", "main"]


class Esp32CamBackend(FastFilesMixin, FastLinkMixin, LinkKeepingMixin, CameraCommandsMixin,
                      back.backend_base()):  # type: ignore[misc]
    def esp32cam_immediate(self, name: str) -> bool:
        if name == RELEASE_LINES_COMMAND:
            self._release_lines_and_exit()
        return super().esp32cam_immediate(name)

    def _release_lines_and_exit(self) -> None:
        connection = self.compat.connection
        self._esp32cam_end_stream()  # a live camera stream ends at its next frame
        try:
            self._esp32cam_leave()  # the board back at 115200 (backend.link_keeping)
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
    back.launch(__name__)
