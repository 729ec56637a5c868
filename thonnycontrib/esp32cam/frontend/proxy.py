"""Front-end proxy of the ESP32-CAM back-end (a subclass of Thonny's ESP32 proxy).

Adds to Thonny's ESP32 proxy: detection of camera-board adapters, the
``[ESP32CAM]`` DTR/RTS options as safe booleans, our back-end launcher,
network serial ports (``rfc2217://``/``socket://``) in labels, switcher and
remembered configurations, a system shell that keeps the line states, and a
disconnect that releases RTS before DTR so closing the port does not reset the board.
"""
from __future__ import annotations

import ast
import os.path
import subprocess
import sys
from logging import getLogger
from typing import Any, Dict, List, Tuple

from thonny import get_runner, get_workbench, running
from thonny.common import ImmediateCommand, InlineCommand
from thonny.plugins.esp import ESP32Proxy
from thonny.plugins.micropython.mp_front import WEBREPL_PORT_VALUE, BareMetalMicroPythonProxy

from thonnycontrib.esp32cam.core import backend_commands
from thonnycontrib.esp32cam.core.lines import miniterm_args
from thonnycontrib.esp32cam.core.ports import (
    ADAPTER_VIDS_PIDS,
    describes_camera_board,
    is_url_port,
    url_port_label,
)
from thonnycontrib.esp32cam.frontend.options import effective_line_options, effective_speed_setting

SETTING_ARG = "esp32cam_serial_speed"  # read by backend.fast_link

logger = getLogger(__name__)

RELEASE_TIMEOUT = 3.0  # seconds the back-end gets to release the lines and exit


class Esp32CamProxy(ESP32Proxy):
    # --- port detection -------------------------------------------------
    @classmethod
    def get_known_usb_vids_pids(cls):
        return super().get_known_usb_vids_pids() | set(ADAPTER_VIDS_PIDS)

    @classmethod
    def _is_potential_port(cls, p):
        return super()._is_potential_port(p) or (
            describes_camera_board(p.description) and "circuitpython" not in p.description.lower()
        )

    # --- launching ------------------------------------------------------
    def _get_backend_launcher_path(self) -> str:
        import thonnycontrib.esp32cam.backend

        return os.path.join(os.path.dirname(thonnycontrib.esp32cam.backend.__file__), "launcher.py")

    def _get_launcher_with_args(self) -> List[str]:
        cmd = super()._get_launcher_with_args()
        args = ast.literal_eval(cmd[1])
        for name, coerced in effective_line_options(log=True).items():
            args[name] = coerced.value
        args[SETTING_ARG] = effective_speed_setting(log=True)
        cmd[1] = repr(args)
        return cmd

    # --- disconnecting without a reset -----------------------------------
    def destroy(self, for_restart: bool = False):
        self._release_lines_before_stopping()
        super().destroy(for_restart=for_restart)

    def _release_lines_before_stopping(self) -> None:
        """Thonny kills the back-end process; first let it release RTS, then DTR."""
        proc = self._proc
        if proc is None or proc.poll() is not None or self._port in (None, WEBREPL_PORT_VALUE):
            return
        try:
            self._send_msg(ImmediateCommand(backend_commands.RELEASE_LINES))
            proc.wait(RELEASE_TIMEOUT)
        except subprocess.TimeoutExpired:
            logger.warning("Back-end did not release the lines in %s s", RELEASE_TIMEOUT)
        except (OSError, ValueError):
            logger.info("Back-end gone before releasing the lines", exc_info=True)

    # --- network serial ports in the front-end ---------------------------
    def _check_remember_current_configuration(self) -> None:
        if is_url_port(self._port):
            # Thonny's version looks the port up among USB ports (RuntimeError for URLs)
            # so skip that step and only remember the configuration
            super(BareMetalMicroPythonProxy, self)._check_remember_current_configuration()
        else:
            super()._check_remember_current_configuration()

    def _should_remember_configuration(self, configuration: Dict[str, Any]) -> bool:
        port = configuration.get(f"{self.backend_name}.port")
        return is_url_port(port) or super()._should_remember_configuration(configuration)

    @classmethod
    def get_switcher_configuration_label(cls, conf: Dict[str, Any]) -> str:
        port = conf.get(f"{cls.backend_name}.port")
        if is_url_port(port):
            return f"{cls.backend_description}  •  {url_port_label(port)}"
        return super().get_switcher_configuration_label(conf)

    @classmethod
    def get_switcher_entries(cls) -> List[Tuple[Dict[str, Any], str]]:
        entries = super().get_switcher_entries()
        known = [conf for conf, _ in entries]
        for conf in cls.get_last_configurations():
            if is_url_port(conf.get(f"{cls.backend_name}.port")) and conf not in known:
                entries.append((conf, cls.get_switcher_configuration_label(conf)))
                known.append(conf)
        return sorted(entries, key=lambda entry: entry[1])

    # --- Tools → Open system shell ---------------------------------------
    def open_custom_system_shell(self) -> None:
        from thonny import terminal

        lines = effective_line_options(log=True)
        get_runner().send_command_and_wait(InlineCommand("prepare_disconnect"), "Disconnecting")
        port = self._port
        self.disconnect()
        terminal.run_in_terminal(
            [
                running.get_front_interpreter_for_subprocess(sys.executable),
                "-m",
                "thonny.plugins.micropython.miniterm_wrapper",
            ]
            + miniterm_args(port, lines["dtr"].value, lines["rts"].value),
            cwd=get_workbench().get_local_cwd(),
            keep_open=False,
            title=port,
        )
