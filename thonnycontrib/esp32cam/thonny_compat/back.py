"""The back-end's face of ``thonny_compat``: what ``backend/`` uses of Thonny's back-end.

The plug-in's back-end (``backend/esp32cam_back.py``) is a set of mixins on top of
``backend_base()``, a subclass of Thonny's ESP32 back-end for this Thonny generation
(``back_classic`` for Thonny 4.1/5.0, ``back_minny`` for the development head). That
base overrides Thonny's private methods and calls the plainly named hooks of
``BackendHooks`` instead; the mixins reach Thonny through ``self.compat``, a
``BackendAdapter``. So no module outside this package names a private Thonny member.

``launch(module_name)`` runs the back-end process; a Thonny whose internals moved
again gets one line in its Shell and log and a non-zero exit, no traceback.
"""
from __future__ import annotations

import contextlib
import importlib
import sys
from abc import ABC, abstractmethod
from logging import getLogger
from types import ModuleType
from typing import Any, BinaryIO, Callable, ContextManager, List, Optional, Tuple

from thonnycontrib.esp32cam.thonny_compat import CLASSIC, UnsupportedThonny, generation, unsupported_message

logger = getLogger("thonnycontrib.esp32cam.thonny_compat.back")

Callback = Callable[[int, int], None]


class BackendAdapter(ABC):
    """Thonny's back-end (and on the development head its target manager) as the
    plug-in's mixins use it. One subclass per Thonny generation."""

    @property
    @abstractmethod
    def connection(self) -> Any:
        """Thonny's ``MicroPythonConnection`` (here always ``backend.url_serial.UrlSerialConnection``)."""

    @abstractmethod
    def launch_args(self) -> dict:
        """The launcher's arguments (port, dtr, rts, ``esp32cam_serial_speed``...)."""

    @abstractmethod
    def ensure_raw_mode(self) -> None:
        """The board at its raw REPL prompt."""

    @abstractmethod
    def submit_code(self, code: str) -> None:
        """Thonny's own submission (raw-paste, or raw on firmware without it); returns
        once the board accepted the code, its output follows."""

    @abstractmethod
    def submit_raw(self, code: bytes) -> None:
        """Submission in raw mode only (raw-paste would switch text mode back on); the
        caller holds ``interrupt_lock``."""

    @property
    @abstractmethod
    def interrupt_lock(self) -> ContextManager:
        """Held by Thonny while it writes a Ctrl-C: hold it to keep one out of a write."""

    @abstractmethod
    def forward_unexpected_output(self) -> None:
        """Output that came between commands goes to the Shell."""

    @abstractmethod
    def read_to_prompt(self) -> Tuple[str, str]:
        """Thonny's reader until the next active prompt: (stdout, stderr)."""

    @abstractmethod
    def note_raw_prompt(self) -> None:
        """The plug-in read the raw REPL's end of a run (EOT + ">") itself."""

    @abstractmethod
    def send_output(self, text: str, stream: str = "stdout") -> None:
        """Text in Thonny's Shell ("stdout" or "stderr")."""

    @abstractmethod
    def send_event(self, event: Any) -> None:
        """A ``thonny.common.BackendEvent`` to the front-end."""

    @abstractmethod
    def command_interrupted(self) -> bool:
        """The user pressed Stop (or Ctrl-C) during the current command."""

    @abstractmethod
    def commands_waiting(self) -> bool:
        """A command from the front-end waits behind the current one."""

    @abstractmethod
    def file_size(self, path: str) -> int:
        """Size of a file on the board."""

    @abstractmethod
    def thonny_read_file(self, path: str, target: BinaryIO, callback: Callback) -> Optional[int]:
        """Thonny's own serial download (hexadecimal blocks)."""

    @abstractmethod
    def thonny_write_file(self, source: BinaryIO, path: str, size: int, callback: Callback) -> Optional[int]:
        """Thonny's own serial upload."""


class BackendHooks:
    """What the generation's base calls from Thonny's own methods; the plug-in's mixins
    override these (and call ``super()``). Defaults: Thonny's behaviour."""

    compat: BackendAdapter

    def esp32cam_connecting(self, interrupt: bool) -> None:
        """The port is open; Thonny is about to look for the first prompt."""

    def esp32cam_first_prompt(self) -> None:
        """Thonny found the first prompt after connecting."""

    def esp32cam_busy(self) -> ContextManager:
        """Held while Thonny runs a command, its idle tasks, user input or a soft reboot."""
        return contextlib.nullcontext()

    def esp32cam_before_command(self) -> None:
        """Thonny is about to run a command from the front-end (inside ``esp32cam_busy``)."""

    def esp32cam_immediate(self, name: str) -> bool:
        """An immediate command (reader thread); True when the plug-in handled it."""
        return False

    def esp32cam_before_user_code(self) -> None:
        """Run, %run or a Shell command is about to run the user's code."""

    def esp32cam_before_disconnect(self) -> None:
        """Thonny is about to let go of the port (``prepare_disconnect``)."""

    def esp32cam_read_file(self, path: str, target: BinaryIO, callback: Callback) -> Optional[int]:
        """Files view / editor download over serial."""
        return self.compat.thonny_read_file(path, target, callback)

    def esp32cam_write_file(self, source: BinaryIO, path: str, size: int, callback: Callback) -> Optional[int]:
        """Files view / editor upload over serial. ``source`` may only be read (no seek)."""
        return self.compat.thonny_write_file(source, path, size, callback)

    def esp32cam_analysis_paths(self, paths: List[str]) -> List[str]:
        """Folders Thonny's back-end gives its code completion (Thonny 4.1/5.0)."""
        return paths


def adapter_module() -> ModuleType:
    """``back_classic`` or ``back_minny``; raises ``UnsupportedThonny``."""
    name = "back_classic" if generation() == CLASSIC else "back_minny"
    try:
        return importlib.import_module("thonnycontrib.esp32cam.thonny_compat." + name)
    except ImportError as error:
        raise_unsupported_for(error)
        raise


def backend_base() -> type:
    """Thonny's ESP32 back-end with ``BackendHooks`` wired in, for this Thonny."""
    return adapter_module().BackendBase


def raise_unsupported_for(error: ImportError) -> None:
    """An ImportError of a Thonny or minny module means this Thonny moved its API."""
    missing = getattr(error, "name", None) or ""
    if missing.split(".")[0] in ("thonny", "minny"):
        raise UnsupportedThonny(unsupported_message(f"{missing} ({error})")) from error


def require(owner: type, *names: str) -> None:
    """The members of Thonny's class ``owner`` the plug-in overrides or calls."""
    missing = [name for name in names if not hasattr(owner, name)]
    if missing:
        where = "%s.%s." % (owner.__module__, owner.__qualname__)
        raise UnsupportedThonny(unsupported_message(", ".join(where + name for name in missing)))


def launch(module_name: str) -> None:
    """Run the back-end process: import the plug-in's back-end module ``module_name``
    (it defines ``Esp32CamBackend`` and ``UrlSerialConnection``) and hand it to Thonny's
    launcher. A Thonny the plug-in does not know: one line, exit non-zero."""
    try:
        module = importlib.import_module(module_name)
        adapter = adapter_module()
        starter = adapter.prepare_launch(module.Esp32CamBackend, module.UrlSerialConnection)
    except UnsupportedThonny as error:
        exit_unsupported(str(error))
    except ImportError as error:
        try:
            raise_unsupported_for(error)
        except UnsupportedThonny as unsupported:
            exit_unsupported(str(unsupported))
        raise
    starter()


def exit_unsupported(line: str) -> None:
    """As Thonny's ``launch_bare_metal_backend`` does for a port it cannot open: the
    process ACK, one stderr ``ProgramOutput`` event, exit code (Thonny's internal-error
    code where it has one: no "exit code" line, no automatic restart)."""
    status = 1
    try:
        import thonny
        from thonny import common

        with contextlib.suppress(Exception):
            thonny.configure_backend_logging()
        logger.error("%s", line)
        status = getattr(common, "INTERNAL_ERROR_STATUS_CODE", 1)
        print(common.PROCESS_ACK)
        event = common.BackendEvent(event_type="ProgramOutput", stream_name="stderr", data="\n" + line + "\n")
        sys.stdout.write(common.serialize_message(event) + "\n")
    except Exception:  # not even thonny.common: the line on stderr, which Thonny also shows
        sys.stderr.write(line + "\n")
    sys.stdout.flush()
    sys.exit(status)
