"""Wi-Fi setup in Thonny's back-end process: ``_cmd_esp32cam_wifi`` (core.wifi's code run at
the board's idle prompt, between the user's commands)."""
from __future__ import annotations

import os
from logging import getLogger
from typing import Any, Dict

from thonnycontrib.esp32cam.core import webrepl_access, wifi
from thonnycontrib.esp32cam.core.i18n import _

logger = getLogger("thonnycontrib.esp32cam.backend.wifi")


def take_password(path: str) -> str:
    """The password the front-end left in ``path``; the file is removed at once."""
    try:
        with open(path, encoding="utf-8") as f:
            return f.read()
    finally:
        try:
            os.remove(path)
        except OSError:
            pass


class WifiCommandsMixin:
    def _esp32cam_exec_text(self, code: str) -> str:
        """Run ``code`` at the raw REPL; its output (a device error raises RuntimeError)."""
        self.compat.submit_code(code)  # type: ignore[attr-defined]
        out, err = self.compat.read_to_prompt()  # type: ignore[attr-defined]
        if err.strip():
            raise RuntimeError(err.strip())
        return out

    def _cmd_esp32cam_wifi(self, cmd: Any) -> Dict[str, Any]:
        self._esp32cam_release()  # type: ignore[attr-defined]  # the camera view restarts it
        password = take_password(cmd["password_file"]) if cmd.get("password_file") else ""
        webrepl_password = take_password(cmd["webrepl_file"]) if cmd.get("webrepl_file") else ""
        try:
            networks = wifi.parse_scan(self._esp32cam_exec_text(wifi.SCAN_CODE))
            found = [{"ssid": n.ssid, "rssi": n.rssi, "channel": n.channel, "secured": n.secured,
                      "signal": n.signal} for n in networks]
            if cmd.get("do") != "join":
                return {"networks": found}
            ssid = str(cmd.get("ssid", ""))
            seconds = float(cmd.get("seconds", wifi.DEFAULT_JOIN_SECONDS))
            _result, outcome, stored = wifi.join_and_keep(self._esp32cam_exec_text, ssid, password, seconds,
                                                    bool(cmd.get("store", True)), networks)
            logger.info("Wi-Fi join of %r: %s", ssid, outcome.code)  # never the password
            webrepl_url = None
            if stored and webrepl_password and webrepl_access.enable(self._esp32cam_exec_text, webrepl_password):
                webrepl_url = webrepl_access.url(outcome.ip)
                logger.info("WebREPL started at %s", webrepl_url)  # never its password
            return {"networks": found, "ok": outcome.ok, "code": outcome.code, "message": outcome.message,
                    "ip": outcome.ip, "rssi": outcome.rssi, "stored": stored, "webrepl_url": webrepl_url}
        except wifi.NoNetworkModule as e:
            return {"error": str(e), "code": "no_network"}
        except (RuntimeError, ValueError, OSError) as e:
            logger.info("Wi-Fi command failed", exc_info=True)
            return {"error": _("The board did not finish the Wi-Fi step: {error}").format(error=e),
                    "code": "board_error"}

    def _esp32cam_wifi_camera(self, action: str, session: Any, settings: Any) -> Dict[str, Any]:
        """The camera view's Live over Wi-Fi: ``wifi_start`` starts the camera with ``settings``
        and the board's MJPEG server (core.camera.wifi_stream) and answers its address, or why
        not (``wifi_down``); ``wifi_stop`` ends the server. The REPL stays on the serial line."""
        from thonnycontrib.esp32cam.core.camera import problems, wifi_stream

        if action == "wifi_stop":
            return {"wifi_frames": wifi_stream.stop_on(session)}
        if session.protocol is not None:
            # a server already streaming holds the camera: end it before new settings restart it
            wifi_stream.stop_on(session)
        session.apply(settings)  # a camera that does not start is the view's problem to explain
        try:
            host, port = wifi_stream.start_on(session, settings)
        except wifi_stream.NotOnWifi:
            return {"wifi": None, "wifi_down": "not_joined"}
        except (ValueError, problems.CameraProblem) as e:  # the server did not start: serial Live
            logger.info("The Wi-Fi camera server did not start", exc_info=True)
            return {"wifi": None, "wifi_down": "no_server", "details": str(e).splitlines()[0] if str(e) else ""}
        return {"wifi": {"host": host, "port": port}, "family": session.family}
