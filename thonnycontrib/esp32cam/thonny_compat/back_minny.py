"""Thonny's development head (5.0.0b1.dev0, thonny commit 80ac108e, minny f9cc95ce): the
serial protocol moved into minny. ``BareMetalMicroPythonBackend`` builds a
``minny.bare_metal_target.BareMetalTargetManager`` (``self._tmgr``) in its ``__init__``; the
target manager owns the connection, raw mode, code submission, the first prompt (found
while it is constructed, before the back-end can send messages) and the Files transfers
(``read_file_ex`` / ``write_file_ex``). The ESP32 back-end is ``esp32_back.py``."""
from __future__ import annotations

import importlib.util
import os
import threading
from logging import getLogger
from typing import Any, BinaryIO, Callable, ContextManager, List, Optional, Tuple

from minny import serial_connection as _serial_module
from minny.bare_metal_target import BareMetalTargetManager
from minny.connection import MicroPythonConnection
from minny.serial_connection import SerialConnection
from minny.target import EOT, RAW_PROMPT
from thonny.plugins.micropython import bare_metal_backend as _bare_metal
from thonny.plugins.micropython.bare_metal_backend import BareMetalMicroPythonBackend, launch_bare_metal_backend

from thonnycontrib.esp32cam.thonny_compat.back import BackendAdapter, BackendHooks, Callback, require
from thonnycontrib.esp32cam.thonny_compat.back_routing import CommandRouting

logger = getLogger("thonnycontrib.esp32cam.thonny_compat.back_minny")

__all__ = ["BackendBase", "MicroPythonConnection", "SerialConnection", "prepare_launch"]

require(BareMetalTargetManager, "_process_until_initial_prompt", "_read_file_via_repl", "_write_file_via_repl",
        "_ensure_raw_mode", "_submit_code", "_submit_code_via_raw_mode", "handle_unexpected_output",
        "_capture_output_until_active_prompt", "_get_file_size", "get_connection")
require(BareMetalMicroPythonBackend, "_send_ready_message", "_handle_normal_command", "_perform_idle_tasks",
        "_handle_user_input", "_handle_eof_command", "_handle_immediate_command", "_cmd_prepare_disconnect",
        "_cmd_Run", "_cmd_run", "_cmd_execute_source", "_send_output", "_current_command_is_interrupted")
require(SerialConnection, "_listen_serial", "_make_output_available", "stop_reader")
if not isinstance(getattr(_bare_metal, "BareMetalTargetManager", None), type):
    from thonnycontrib.esp32cam.thonny_compat import UnsupportedThonny, unsupported_message

    raise UnsupportedThonny(unsupported_message("BareMetalTargetManager in " + _bare_metal.__name__))


def _load_esp_backend_class() -> type:
    """Thonny's ``Esp32MicroPythonBackend`` without importing the ``thonny.plugins.esp``
    package, whose ``__init__`` pulls in front-end dialogs the back-end never uses."""
    path = os.path.join(os.path.dirname(os.path.dirname(_bare_metal.__file__)), "esp", "esp32_back.py")
    try:
        spec = importlib.util.spec_from_file_location("thonny_esp32_back", path)
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)  # type: ignore[union-attr]
        return module.Esp32MicroPythonBackend
    except (OSError, AttributeError, ImportError):
        logger.warning("Thonny's esp32_back.py not found at %s, using the generic back-end", path)
        return BareMetalMicroPythonBackend


class MinnyAdapter(BackendAdapter):
    def __init__(self, backend: Any, args: dict) -> None:
        self._backend = backend
        self._args = args
        self.target: Any = None  # the Esp32CamTargetManager, set as soon as it exists
        self._ready = False  # the back-end has sent its first ToplevelResponse
        self._pending_events: List[Any] = []

    @property
    def backend(self) -> Any:
        return self._backend

    @property
    def connection(self) -> Any:
        return self.target.get_connection()

    def launch_args(self) -> dict:
        return self._args

    def ensure_raw_mode(self) -> None:
        self.target._ensure_raw_mode()

    def submit_code(self, code: str) -> None:
        self.target._submit_code(code)

    def submit_raw(self, code: bytes) -> None:
        self.target._submit_code_via_raw_mode(code)

    @property
    def interrupt_lock(self) -> ContextManager:
        return self.target._interrupt_lock  # taken by the target's _interrupt (Ctrl-C) and _submit_code

    def forward_unexpected_output(self) -> None:
        self.target.handle_unexpected_output()

    def read_to_prompt(self) -> Tuple[str, str]:
        return self.target._capture_output_until_active_prompt()

    def note_raw_prompt(self) -> None:
        self.target._last_prompt = EOT + RAW_PROMPT  # where minny's reader would have left it

    def send_output(self, text: str, stream: str = "stdout") -> None:
        if self._ready:
            self._backend._send_output(text, stream)
        else:  # while the target connects, minny's own output path (the process's stdout/stderr)
            self.target._io_handler._send_output(text, stream)

    def send_event(self, event: Any) -> None:
        if self._ready:
            self._backend.send_message(event)
        else:  # the back-end cannot send messages before its first ToplevelResponse
            self._pending_events.append(event)

    def became_ready(self) -> None:
        self._ready = True
        events, self._pending_events = self._pending_events, []
        for event in events:
            self._backend.send_message(event)

    def command_interrupted(self) -> bool:
        return self._backend._current_command_is_interrupted()

    def commands_waiting(self) -> bool:
        return not self._backend._incoming_message_queue.empty()

    def file_size(self, path: str) -> int:
        return self.target._get_file_size(path)

    def thonny_read_file(self, path: str, target: BinaryIO, callback: Callback) -> Optional[int]:
        return self.target.esp32cam_thonny_read(path, target, callback)

    def thonny_write_file(self, source: BinaryIO, path: str, size: int, callback: Callback) -> Optional[int]:
        return self.target.esp32cam_thonny_write(source, path, size, callback)


class Esp32CamTargetManager(BareMetalTargetManager):
    """minny's target manager calling the plug-in's hooks around the first prompt and
    for serial file transfers."""

    # The adapter of the back-end being constructed (one back-end per process): the
    # back-end's __init__ builds this class where it builds BareMetalTargetManager.
    constructing: Optional[MinnyAdapter] = None

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        adapter = Esp32CamTargetManager.constructing
        assert adapter is not None, "built only by the plug-in's back-end"
        Esp32CamTargetManager.constructing = None
        self._esp32cam = adapter
        self._esp32cam_interrupt_event: Optional[threading.Event] = None
        adapter.target = self
        super().__init__(*args, **kwargs)  # connects: finds the first prompt

    def _process_until_initial_prompt(self, interrupt: bool) -> None:
        self._esp32cam.backend.esp32cam_connecting(interrupt)
        super()._process_until_initial_prompt(interrupt)
        self._esp32cam.backend.esp32cam_first_prompt()

    def _read_file_via_repl(self, source_path: str, target_fp: BinaryIO, callback: Callback,
                            interrupt_event: threading.Event) -> int:
        self._esp32cam_interrupt_event = interrupt_event
        return self._esp32cam.backend.esp32cam_read_file(source_path, target_fp, callback)

    def _write_file_via_repl(self, target_path: str, source_fp: BinaryIO, file_size: int,
                             callback: Callback) -> int:
        written = self._esp32cam.backend.esp32cam_write_file(source_fp, target_path, file_size, callback)
        return file_size if written is None else written

    def esp32cam_thonny_read(self, path: str, target_fp: BinaryIO, callback: Callback) -> int:
        event = self._esp32cam_interrupt_event or threading.Event()
        return super()._read_file_via_repl(path, target_fp, callback, event)

    def esp32cam_thonny_write(self, source_fp: BinaryIO, path: str, size: int, callback: Callback) -> int:
        return super()._write_file_via_repl(path, source_fp, size, callback)


_EspBackend: Any = _load_esp_backend_class()


class BackendBase(CommandRouting, BackendHooks, _EspBackend):
    """Thonny's ESP32 back-end with the plug-in's target manager, calling the plug-in's
    hooks from its own methods."""

    def __init__(self, connection: Any, clean: bool, args: dict) -> None:
        self.compat = MinnyAdapter(self, args)
        Esp32CamTargetManager.constructing = self.compat
        super().__init__(connection, clean, args)  # builds the target (connects), then runs the main loop

    def _send_ready_message(self) -> None:
        self.compat.became_ready()  # what the connect hooks announced, before the first prompt
        super()._send_ready_message()


def prepare_launch(backend_class: type, connection_class: type) -> Callable[[], None]:
    """Thonny's launcher, with the plug-in's connection class where it opens the port and
    the plug-in's target manager where the back-end builds its own."""

    def start() -> None:
        # In this (our own) process: launch_bare_metal_backend imports SerialConnection
        # from minny's module when it opens the port, and BareMetalMicroPythonBackend
        # builds the module's BareMetalTargetManager (a subclass keeps its isinstance checks).
        _serial_module.SerialConnection = connection_class  # type: ignore[misc]
        _bare_metal.BareMetalTargetManager = Esp32CamTargetManager  # type: ignore[misc]
        launch_bare_metal_backend(backend_class)

    return start
