"""Code completion of the board's ``camera`` module on Thonny's development head.

There, the editor and the Shell complete code in the front-end, through the basedpyright
language server, which reads stubs from the interpreter's stub folder
(``thonny_compat.front.completion_stubs_folder``: ``<Thonny user folder>/stubs/ESP32CAM``).
At the back-end's first prompt the front-end asks it which camera driver family the board
has (``STUB_FAMILY``, detected once per back-end process) and puts that family's
``camera.pyi`` into the folder, or takes the plug-in's copy out when the firmware has no
camera module; when the file changed, the language servers are restarted so they read it.
A new back-end process (another board, new firmware, Stop/Restart) asks again, and camera
answers that name a family (the camera view, the templates) keep the file in step.

A ``camera.pyi`` the plug-in did not write (no ``MARKER`` line) is the user's: it is left
alone. Nothing is written outside Thonny's user folder.

Thonny 4.1/5.0 complete with Jedi in the back-end, which puts the family's stub folder on
Jedi's path itself (``backend/camera_commands.py``): nothing happens here there.
"""
from __future__ import annotations

import os
from logging import getLogger
from typing import Any, Optional

from thonny import get_runner
from thonny.common import InlineCommand

from thonnycontrib.esp32cam import BACKEND_NAME
from thonnycontrib.esp32cam.core.backend_commands import CAMERA, STUB_FAMILY
from thonnycontrib.esp32cam.core.camera.families import FAMILIES
from thonnycontrib.esp32cam.frontend.backend_state import esp32cam_backend_active

logger = getLogger(__name__)

STUB_NAME = "camera.pyi"
MARKER = "# thonny-esp32cam: the camera module of the connected board's driver"

_asked = False  # the current back-end process was asked for its family
_placed: Optional[str] = None  # the family whose stub this back-end process put in place


def stub_text(family: str) -> str:
    from thonnycontrib.esp32cam.stubs import stub_path

    with open(os.path.join(stub_path(family), STUB_NAME), encoding="utf-8") as f:
        body = f.read()
    return f"{MARKER} ({family}); replaced when another board or firmware is connected\n{body}"


def _inside(path: str, folder: str) -> bool:
    path, folder = os.path.realpath(path), os.path.realpath(folder)
    return os.path.commonpath([path, folder]) == folder


def place_stub(folder: str, family: Optional[str], user_dir: str) -> bool:
    """Put ``family``'s ``camera.pyi`` into ``folder`` (``None``: take the plug-in's copy out).
    True when the file changed. Refuses a folder outside ``user_dir`` (Thonny's user folder)
    and leaves a ``camera.pyi`` the plug-in did not write."""
    if family is not None and family not in FAMILIES:
        raise ValueError(f"unknown camera driver family {family!r}")
    if not _inside(folder, user_dir):
        logger.warning("Stub folder %s is outside Thonny's user folder %s: no camera.pyi there", folder, user_dir)
        return False
    target = os.path.join(folder, STUB_NAME)
    try:
        with open(target, encoding="utf-8") as f:
            current: Optional[str] = f.read()
    except FileNotFoundError:
        current = None
    if current is not None and not current.startswith(MARKER):
        logger.info("%s was not written by the plug-in: left as it is", target)
        return False
    if family is None:
        if current is None:
            return False
        os.remove(target)
        logger.info("Removed %s (the board has no camera module)", target)
        return True
    wanted = stub_text(family)
    if current == wanted:
        return False
    os.makedirs(folder, exist_ok=True)
    temporary = target + ".esp32cam-new"
    with open(temporary, "w", encoding="utf-8") as f:
        f.write(wanted)
    os.replace(temporary, target)  # a language server starting now reads the old or the new file
    logger.info("Put the %s camera stub into %s", family, target)
    return True


def _update(family: Optional[str]) -> None:
    global _placed
    if family is not None and family == _placed:
        return
    from thonnycontrib.esp32cam.thonny_compat import front, user_dir

    folder = front.completion_stubs_folder(BACKEND_NAME)
    if folder is None:
        return
    try:
        changed = place_stub(folder, family, user_dir())
    except (OSError, ValueError):
        logger.exception("Could not put the camera stub in place")
        return
    _placed = family
    if changed:
        try:
            front.restart_language_servers()
        except Exception:  # e.g. BrokenPipeError: Thonny's ruff server exits at once without ruff
            logger.exception("A language server did not restart; completion may lack the camera stub")


# --- Thonny's events (bound by registration.register_all) ----------------------------------
def on_backend_restart(event: Any = None) -> None:
    global _asked, _placed
    _asked = False
    _placed = None


def on_toplevel_response(event: Any = None) -> None:
    """At the back-end's first prompt: ask which family the board has (development head only)."""
    global _asked
    if _asked or not esp32cam_backend_active():
        return
    _asked = True
    from thonnycontrib.esp32cam.thonny_compat import front

    runner = get_runner()
    if front.completion_stubs_folder(BACKEND_NAME) is None or runner is None:
        return  # Thonny 4.1/5.0: the back-end feeds Jedi itself
    runner.send_command(InlineCommand(STUB_FAMILY))


def on_stub_family(msg: Any) -> None:
    family = getattr(msg, "family", None)
    if esp32cam_backend_active() and (family or getattr(msg, "known", False)):
        _update(family or None)


def on_camera_response(msg: Any) -> None:
    """A camera answer (the view, the templates) that names the board's family."""
    family = getattr(msg, "family", None)
    if family in FAMILIES and esp32cam_backend_active():
        _update(family)


RESPONSES = {STUB_FAMILY + "_response": on_stub_family, CAMERA + "_response": on_camera_response}
