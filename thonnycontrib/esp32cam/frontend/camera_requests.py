"""Sending camera requests to the back-end: shared by the camera view and the
code templates (which ask the board which driver it has)."""
from __future__ import annotations

from typing import Any

from thonny import get_runner, get_workbench
from thonny.common import ImmediateCommand, InlineCommand

from thonnycontrib.esp32cam.core import backend_commands, boards
from thonnycontrib.esp32cam.frontend.backend_state import esp32cam_backend_active

COMMAND = backend_commands.CAMERA


def board_profile_key() -> str:
    return boards.get_profile(get_workbench().get_option(boards.OPTION_NAME)).key


def backend_is_idle() -> bool:
    runner = get_runner()
    return bool(runner) and runner.is_waiting_toplevel_command() and esp32cam_backend_active()


def send_camera_command(action: str, **kwargs: Any) -> bool:
    """Send a camera request if the board is idle; False when it is busy or not connected."""
    if not backend_is_idle():
        return False
    get_runner().send_command(InlineCommand(COMMAND, action=action, profile=board_profile_key(), **kwargs))
    return True


def stop_camera_stream() -> None:
    """End a running Live stream at its next frame (its InlineResponse then follows)."""
    runner = get_runner()
    if runner is not None and esp32cam_backend_active():
        runner.send_command(ImmediateCommand(backend_commands.CAMERA_STOP))
