"""Thonny's ESP32 proxy with its private hooks turned into public ones.

``frontend/proxy.py`` subclasses ``CameraProxyBase`` and implements only the
public hooks below; every private name of Thonny's proxy classes is used here.
Checked against ``thonny/plugins/micropython/mp_front.py`` and
``thonny/plugins/esp/__init__.py`` of Thonny 4.1.7, 5.0.1 and the development
head (5.0.0b1.dev0): ``_port``, ``_proc``, ``_send_msg``, ``_is_potential_port``,
``_get_backend_launcher_path``, ``_get_launcher_with_args`` (``[launcher,
repr(args)]``), ``_check_remember_current_configuration`` and
``_should_remember_configuration`` exist on all three; the switcher entries
gained a third item (the machine id) on the development head.
"""
from __future__ import annotations

import ast
from typing import Any, Dict, List, Optional, Set, Tuple

from thonny.plugins.esp import ESP32Proxy
from thonny.plugins.micropython.mp_front import WEBREPL_PORT_VALUE, BareMetalMicroPythonProxy

from thonnycontrib.esp32cam.thonny_compat import MINNY, generation

Conf = Dict[str, Any]


class CameraProxyBase(ESP32Proxy):
    # --- hooks for the plug-in's proxy ------------------------------------------------
    @classmethod
    def extra_known_vids_pids(cls) -> Set[Tuple[int, Optional[int]]]:
        """USB adapters to offer besides Thonny's ESP32 ones."""
        return set()

    @classmethod
    def is_extra_potential_port(cls, port_info: Any) -> bool:
        """A port Thonny's ESP32 rules would not offer but this interpreter should."""
        return False

    def backend_launcher_path(self) -> str:
        return super()._get_backend_launcher_path()

    def adjust_backend_args(self, args: Dict[str, Any]) -> None:
        """Change the back-end's start arguments in place (Thonny's ``repr(dict)``)."""

    def before_stop(self) -> None:
        """Called before Thonny stops the back-end process (disconnect, restart, exit)."""

    @classmethod
    def is_network_port(cls, port: Any) -> bool:
        """A port Thonny cannot look up among USB ports (``rfc2217://``, ``socket://``)."""
        return False

    @classmethod
    def network_port_label(cls, port: str) -> str:
        return port

    # --- what Thonny's proxy holds, read-only ------------------------------------------
    def current_port(self) -> Optional[str]:
        return self._port

    def backend_process(self) -> Any:
        return self._proc

    def has_serial_port(self) -> bool:
        return self._port not in (None, WEBREPL_PORT_VALUE)

    def send_immediate(self, command: Any) -> None:
        """Send an ``ImmediateCommand`` now, even while the back-end is busy."""
        self._send_msg(command)

    # --- Thonny's hooks -----------------------------------------------------------------
    @classmethod
    def get_known_usb_vids_pids(cls):
        return super().get_known_usb_vids_pids() | set(cls.extra_known_vids_pids())

    @classmethod
    def _is_potential_port(cls, p):
        return super()._is_potential_port(p) or cls.is_extra_potential_port(p)

    def _get_backend_launcher_path(self) -> str:
        return self.backend_launcher_path()

    def _get_launcher_with_args(self) -> List[str]:
        cmd = super()._get_launcher_with_args()
        args = ast.literal_eval(cmd[1])
        self.adjust_backend_args(args)
        cmd[1] = repr(args)
        return cmd

    def destroy(self, for_restart: bool = False):
        self.before_stop()
        super().destroy(for_restart=for_restart)

    def _check_remember_current_configuration(self) -> None:
        if self.is_network_port(self._port):
            # Thonny's own step looks the port up among USB ports (RuntimeError for a URL):
            # skip it, only remember the configuration
            super(BareMetalMicroPythonProxy, self)._check_remember_current_configuration()
        else:
            super()._check_remember_current_configuration()

    def _should_remember_configuration(self, configuration: Conf) -> bool:
        port = configuration.get(f"{self.backend_name}.port")
        return self.is_network_port(port) or super()._should_remember_configuration(configuration)

    @classmethod
    def get_switcher_configuration_label(cls, conf: Conf) -> str:
        port = conf.get(f"{cls.backend_name}.port")
        if cls.is_network_port(port):
            return f"{cls.backend_description}  •  {cls.network_port_label(port)}"
        return super().get_switcher_configuration_label(conf)

    @classmethod
    def get_switcher_entries(cls) -> List[Tuple[Any, ...]]:
        """Thonny's entries plus remembered network ports (Thonny shows only USB ports)."""
        entries = list(super().get_switcher_entries())
        known = [entry[0] for entry in entries]
        for conf in cls.get_last_configurations():
            port = conf.get(f"{cls.backend_name}.port")
            if cls.is_network_port(port) and conf not in known:
                label = cls.get_switcher_configuration_label(conf)
                # dev head: (conf, label, machine id); 4.1/5.0: (conf, label)
                entries.append((conf, label, port) if generation() == MINNY else (conf, label))
                known.append(conf)
        return sorted(entries, key=lambda entry: entry[1])
