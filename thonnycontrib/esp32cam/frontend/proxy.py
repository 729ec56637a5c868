"""Front-end proxy of the ESP32-CAM back-end (a subclass of Thonny's ESP32 proxy).

Adds to Thonny's ESP32 proxy: detection of camera-board adapters, the
``[ESP32CAM]`` DTR/RTS options as safe booleans, our back-end launcher,
network serial ports (``rfc2217://``/``socket://``) in labels, switcher and
remembered configurations, a system shell that keeps the line states, and a
disconnect that releases RTS before DTR so closing the port does not reset the board.
"""
from __future__ import annotations

import os.path
import subprocess
from logging import getLogger
from typing import Any, Dict

from thonny import get_runner
from thonny.common import ImmediateCommand, InlineCommand

from thonnycontrib.esp32cam.core import backend_commands
from thonnycontrib.esp32cam.core.i18n import _
from thonnycontrib.esp32cam.core.lines import miniterm_args
from thonnycontrib.esp32cam.core.ports import (
    ADAPTER_VIDS_PIDS,
    describes_camera_board,
    is_url_port,
    url_port_label,
)
from thonnycontrib.esp32cam.frontend.options import effective_line_options, effective_speed_setting
from thonnycontrib.esp32cam.thonny_compat import front

SETTING_ARG = "esp32cam_serial_speed"  # read by backend.fast_link

logger = getLogger(__name__)

RELEASE_TIMEOUT = 3.0  # seconds the back-end gets to release the lines and exit


class Esp32CamProxy(front.proxy_base()):
    # --- port detection -------------------------------------------------
    @classmethod
    def extra_known_vids_pids(cls):
        return set(ADAPTER_VIDS_PIDS)

    @classmethod
    def is_extra_potential_port(cls, p) -> bool:
        return describes_camera_board(p.description) and "circuitpython" not in p.description.lower()

    # --- launching ------------------------------------------------------
    def backend_launcher_path(self) -> str:
        import thonnycontrib.esp32cam.backend

        return os.path.join(os.path.dirname(thonnycontrib.esp32cam.backend.__file__), "launcher.py")

    def adjust_backend_args(self, args: Dict[str, Any]) -> None:
        for name, coerced in effective_line_options(log=True).items():
            args[name] = coerced.value
        args[SETTING_ARG] = effective_speed_setting(log=True)

    # --- disconnecting without a reset -----------------------------------
    def before_stop(self) -> None:
        """Thonny kills the back-end process; first let it release RTS, then DTR."""
        proc = self.backend_process()
        if proc is None or proc.poll() is not None or not self.has_serial_port():
            return
        try:
            self.send_immediate(ImmediateCommand(backend_commands.RELEASE_LINES))
            proc.wait(RELEASE_TIMEOUT)
        except subprocess.TimeoutExpired:
            logger.warning("Back-end did not release the lines in %s s", RELEASE_TIMEOUT)
        except (OSError, ValueError):
            logger.info("Back-end gone before releasing the lines", exc_info=True)

    # --- network serial ports in the front-end ---------------------------
    @classmethod
    def is_network_port(cls, port: Any) -> bool:
        return is_url_port(port)

    @classmethod
    def network_port_label(cls, port: str) -> str:
        return url_port_label(port)

    # --- Tools → Open system shell ---------------------------------------
    def open_custom_system_shell(self) -> None:
        lines = effective_line_options(log=True)
        get_runner().send_command_and_wait(InlineCommand("prepare_disconnect"), _("Disconnecting"))
        port = self.current_port()
        self.disconnect()
        front.run_miniterm_in_terminal(miniterm_args(port, lines["dtr"].value, lines["rts"].value), title=port)
