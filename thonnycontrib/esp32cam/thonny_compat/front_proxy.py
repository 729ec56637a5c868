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

On the development head ``BareMetalMicroPythonProxy.__init__`` drops the port
``auto`` ("may come from pre-Thonny 5 configuration", so the back-end says "Port
not defined") and ``_start_background_process`` looks the machine id up from the
port *option* among USB ports (a logged traceback for ``auto`` or a URL). This
interpreter's default port is ``auto``: here it is resolved as Thonny 4.1/5.0's
``_fix_port`` does (exactly one potential port), and the machine id is the
resolved port's.
"""
from __future__ import annotations

import ast
from logging import getLogger
from typing import Any, Dict, List, Optional, Set, Tuple

from thonny import get_workbench
from thonny.plugins.esp import ESP32Proxy
from thonny.plugins.micropython import mp_front
from thonny.plugins.micropython.mp_front import WEBREPL_PORT_VALUE, BareMetalMicroPythonProxy

from thonnycontrib.esp32cam.core.i18n import _
from thonnycontrib.esp32cam.thonny_compat import MINNY, generation

Conf = Dict[str, Any]
AUTO_PORT = "auto"

logger = getLogger(__name__)


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

    def _start_background_process(self, clean=None, extra_args=[]):  # noqa: B006 (Thonny's signature)
        if generation() != MINNY:
            return super()._start_background_process(clean=clean, extra_args=extra_args)
        configured = get_workbench().get_option(f"{self.backend_name}.port")
        if self._port is None and configured == AUTO_PORT:
            self._port = self._find_auto_port()
        if configured != AUTO_PORT and not self.is_network_port(self._port):
            return super()._start_background_process(clean=clean, extra_args=extra_args)
        # Thonny's step would look the port *option* ("auto", a URL) up among USB ports
        self._machine_id = self.machine_id_for_port(self._port)
        return super(BareMetalMicroPythonProxy, self)._start_background_process(clean=clean, extra_args=extra_args)

    @classmethod
    def machine_id_for_port(cls, port: Optional[str]) -> str:
        """The development head's machine id (editors tie remote files to it) without a lookup
        that fails: a network port is its own id, ``auto`` is the one potential port's,
        a USB port's is its serial number; Thonny's "<unknown>" when there is none."""
        if port == AUTO_PORT:
            potential = cls._detect_potential_ports()
            port = potential[0][0] if len(potential) == 1 else None
        if port is None:
            return "<unknown>"
        if cls.is_network_port(port):
            return port
        return mp_front.get_machine_id_for_conf(cls.backend_name, {f"{cls.backend_name}.port": port})

    def _find_auto_port(self) -> Optional[str]:
        """The one potential port (this interpreter's adapters included), as Thonny 4.1/5.0
        resolve ``auto``; none or several: say so in the Shell, Thonny then says "Port not defined"."""
        mp_front.list_serial_ports(max_cache_age=0)
        potential = self._detect_potential_ports()
        if len(potential) == 1:
            logger.info("Port 'auto' is %s", potential[0][0])
            return potential[0][0]
        if potential:
            names = ", ".join(f"{desc} ({device})" for device, desc in potential)
            message = _("Port 'auto' found several boards: {names}. "
                        "Choose one in Configure interpreter.").format(names=names)
        else:
            message = _("Port 'auto' found no board adapter (CH340, CP210x, FTDI). "
                        "Connect the board or choose its port in Configure interpreter.")
        logger.warning(message)
        # after Thonny's restart_backend, which clears the Shell once this proxy is built
        get_workbench().after_idle(lambda: self._show_error(message))
        return None

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
