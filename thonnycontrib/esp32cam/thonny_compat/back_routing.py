"""Routing of Thonny's back-end methods to the plug-in's hooks (``back.BackendHooks``).

The method names are the same on Thonny 4.1/5.0 and the development head
(``thonny/backend.py``, ``mp_back.py``, ``bare_metal_backend.py``), so both
generations' ``BackendBase`` put this mixin before Thonny's back-end class.
Imports no Thonny module.
"""
from __future__ import annotations

from typing import Any


class CommandRouting:
    # After prepare_disconnect the board is at its friendly REPL for the next program. The
    # ">>> " it printed may still reach the idle task (the reader stops only when its read
    # returns), which takes it for a restart (mp_back.py ``_forward_unexpected_output`` in
    # Thonny 4.1.7/5.0.1, ``handle_unexpected_output`` on the development head) and sends a
    # ToplevelResponse asking the board for its cwd: raw REPL again, left so when Thonny
    # closes the port.
    _esp32cam_let_go = False

    def _handle_normal_command(self, cmd: Any) -> None:
        self._esp32cam_let_go = False
        with self.esp32cam_busy():
            self.esp32cam_before_command()
            super()._handle_normal_command(cmd)

    def _perform_idle_tasks(self) -> None:
        if self._esp32cam_let_go:
            return
        with self.esp32cam_busy():
            super()._perform_idle_tasks()

    def _handle_user_input(self, msg: Any) -> None:
        with self.esp32cam_busy():
            super()._handle_user_input(msg)

    def _handle_eof_command(self, msg: Any) -> None:
        with self.esp32cam_busy():
            super()._handle_eof_command(msg)

    def _handle_immediate_command(self, cmd: Any) -> None:
        if not self.esp32cam_immediate(cmd["name"]):
            super()._handle_immediate_command(cmd)

    def _cmd_prepare_disconnect(self, cmd: Any) -> Any:
        self.esp32cam_before_disconnect()  # in the main loop
        response = super()._cmd_prepare_disconnect(cmd)
        self._esp32cam_let_go = True
        return response

    def _cmd_Run(self, cmd: Any) -> Any:
        self.esp32cam_before_user_code()
        return super()._cmd_Run(cmd)

    def _cmd_run(self, cmd: Any) -> Any:
        self.esp32cam_before_user_code()
        return super()._cmd_run(cmd)

    def _cmd_execute_source(self, cmd: Any) -> Any:
        self.esp32cam_before_user_code()
        return super()._cmd_execute_source(cmd)
