"""Thonny 4.1 and 5.0 (checked against 4.1.7 and 5.0.1): the back-end's state and the
serial protocol live on the back-end object itself (``BareMetalMicroPythonBackend`` in
``thonny/plugins/micropython/bare_metal_backend.py``, identical in both versions)."""
from __future__ import annotations

import importlib.util
import os
from logging import getLogger
from typing import Any, BinaryIO, Callable, ContextManager, List, Optional, Tuple

import thonny.plugins.micropython as _mp_package
from thonny.plugins.micropython import bare_metal_backend as _bare_metal
from thonny.plugins.micropython import serial_connection as _serial_module
from thonny.plugins.micropython.bare_metal_backend import BareMetalMicroPythonBackend, launch_bare_metal_backend
from thonny.plugins.micropython.connection import MicroPythonConnection
from thonny.plugins.micropython.serial_connection import SerialConnection

from thonnycontrib.esp32cam.thonny_compat.back import BackendAdapter, BackendHooks, Callback, require
from thonnycontrib.esp32cam.thonny_compat.back_routing import CommandRouting

logger = getLogger("thonnycontrib.esp32cam.thonny_compat.back_classic")

EOT = b"\x04"
RAW_PROMPT = getattr(_bare_metal, "RAW_PROMPT", b">")

__all__ = ["BackendBase", "MicroPythonConnection", "SerialConnection", "prepare_launch"]

require(BareMetalMicroPythonBackend, "_process_until_initial_prompt", "_ensure_raw_mode", "_submit_code",
        "_submit_code_via_raw_mode", "_forward_unexpected_output", "_capture_output_until_active_prompt",
        "_read_file_via_serial", "_write_file_via_serial", "_get_file_size", "_handle_normal_command",
        "_perform_idle_tasks", "_handle_user_input", "_handle_eof_command", "_handle_immediate_command",
        "_cmd_prepare_disconnect", "_cmd_Run", "_cmd_run", "_cmd_execute_source", "_send_output",
        "_current_command_is_interrupted")
require(SerialConnection, "_listen_serial", "_make_output_available")


def _load_esp_backend_class() -> type:
    """Thonny's ``EspMicroPythonBackend`` without importing the ``thonny.plugins.esp``
    package, whose ``__init__`` pulls in front-end dialogs the back-end never uses."""
    path = os.path.join(os.path.dirname(os.path.dirname(_mp_package.__file__)), "esp", "esp_back.py")
    try:
        spec = importlib.util.spec_from_file_location("thonny_esp_back", path)
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)  # type: ignore[union-attr]
        return module.EspMicroPythonBackend
    except (OSError, AttributeError, ImportError):
        logger.warning("Thonny's esp_back.py not found at %s, using the generic back-end", path)
        return BareMetalMicroPythonBackend


_EspBackend: Any = _load_esp_backend_class()


class ClassicAdapter(BackendAdapter):
    def __init__(self, backend: Any, args: dict) -> None:
        self._backend = backend
        self._args = args

    @property
    def connection(self) -> Any:
        return self._backend._connection

    def launch_args(self) -> dict:
        return self._args

    def ensure_raw_mode(self) -> None:
        self._backend._ensure_raw_mode()

    def submit_code(self, code: str) -> None:
        self._backend._submit_code(code)

    def submit_raw(self, code: bytes) -> None:
        self._backend._submit_code_via_raw_mode(code)

    @property
    def interrupt_lock(self) -> ContextManager:
        return self._backend._interrupt_lock

    def forward_unexpected_output(self) -> None:
        self._backend._forward_unexpected_output()

    def read_to_prompt(self) -> Tuple[str, str]:
        return self._backend._capture_output_until_active_prompt()

    def note_raw_prompt(self) -> None:
        self._backend._last_prompt = EOT + RAW_PROMPT  # where Thonny's reader would have left it

    def send_output(self, text: str, stream: str = "stdout") -> None:
        self._backend._send_output(text, stream)

    def send_event(self, event: Any) -> None:
        self._backend.send_message(event)

    def command_interrupted(self) -> bool:
        return self._backend._current_command_is_interrupted()

    def commands_waiting(self) -> bool:
        return not self._backend._incoming_message_queue.empty()

    def file_size(self, path: str) -> int:
        return self._backend._get_file_size(path)

    def thonny_read_file(self, path: str, target: BinaryIO, callback: Callback) -> Optional[int]:
        return _EspBackend._read_file_via_serial(self._backend, path, target, callback)

    def thonny_write_file(self, source: BinaryIO, path: str, size: int, callback: Callback) -> Optional[int]:
        return _EspBackend._write_file_via_serial(self._backend, source, path, size, callback)


class BackendBase(CommandRouting, BackendHooks, _EspBackend):
    """Thonny's ESP back-end calling the plug-in's hooks from its own methods."""

    def __init__(self, connection: Any, clean: bool, args: dict) -> None:
        self.compat = ClassicAdapter(self, args)
        super().__init__(connection, clean, args)  # connects, then runs the main loop

    def _process_until_initial_prompt(self, interrupt: bool, clean: bool) -> None:
        self.esp32cam_connecting(interrupt)
        super()._process_until_initial_prompt(interrupt, clean)
        self.esp32cam_first_prompt()

    def _read_file_via_serial(self, source_path: str, target_fp: BinaryIO, callback: Callback) -> Any:
        return self.esp32cam_read_file(source_path, target_fp, callback)

    def _write_file_via_serial(self, source_fp: BinaryIO, target_path: str, file_size: int,
                               callback: Callback) -> Any:
        return self.esp32cam_write_file(source_fp, target_path, file_size, callback)

    def _get_sys_path_for_analysis(self) -> Optional[List[str]]:
        return self.esp32cam_analysis_paths(list(super()._get_sys_path_for_analysis() or []))


def prepare_launch(backend_class: type, connection_class: type) -> Callable[[], None]:
    """Thonny's launcher, with the plug-in's connection class where it opens the port."""

    def start() -> None:
        # launch_bare_metal_backend imports SerialConnection from Thonny's module when it
        # opens the port; in this (our own) process, make that name our subclass.
        _serial_module.SerialConnection = connection_class  # type: ignore[misc]
        launch_bare_metal_backend(backend_class)

    return start
