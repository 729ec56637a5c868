"""Camera commands in Thonny's back-end process: ``_cmd_esp32cam_camera``.

Mixed into ``Esp32CamBackend`` (before Thonny's classes in the bases; Thonny is
reached through ``self.compat``, see ``thonny_compat.back``). The
bare-metal back-end handles commands only at the idle prompt, so a running
user program is never disturbed. Frames cross the serial line raw (no
base64): the code is submitted in raw mode with the connection's text mode
off, so Thonny's reader neither treats 0x05 as flow control nor waits for
complete UTF-8 sequences.

Before the user's code runs (Run, %run, Shell commands) the camera is
deinitialised, so scripts that call ``camera.init()`` themselves do not fail
with "already initialised".

The camera core is imported at the first camera request, not when the
back-end starts: connecting to the board does not wait for it.
"""
from __future__ import annotations

import time
from logging import getLogger
from typing import TYPE_CHECKING, Any, Callable, Dict, List, Optional

from thonnycontrib.esp32cam.backend.fast_link import binary_io
from thonnycontrib.esp32cam.core import backend_commands
from thonnycontrib.esp32cam.core.i18n import _

if TYPE_CHECKING:
    from thonnycontrib.esp32cam.core.camera.session import CameraSession, RunResult
    from thonnycontrib.esp32cam.core.camera.stream import FrameHandler, KeepGoing

logger = getLogger("thonnycontrib.esp32cam.backend.camera")

COMMAND_NAME = backend_commands.CAMERA  # answered by _cmd_esp32cam_camera below
STREAM_SECONDS = 3.0  # longest stream per request: other inline commands wait behind it


class ThonnyConnectionRunner:
    """``CodeRunner`` on top of a running Thonny bare-metal back-end."""

    def __init__(self, backend: Any, over_air: bool = False) -> None:
        self.backend = backend
        self.over_air = over_air  # WebREPL: text frames only (fast_link.binary_io)

    def run(self, code: str, timeout: float) -> RunResult:
        from thonnycontrib.esp32cam.core.camera import transfer

        return self._raw_run(code, timeout, lambda connection: transfer.read_frame(connection, timeout))

    def stream(self, code: str, on_frame: FrameHandler, keep_going: KeepGoing, timeout: float) -> RunResult:
        from thonnycontrib.esp32cam.core.camera import stream

        compat = self.backend.compat

        def write(data: bytes) -> None:
            with compat.interrupt_lock:  # never between the bytes of a Ctrl-C from the reader thread
                compat.connection.write(data)

        return self._raw_run(code, timeout,
                             lambda connection: stream.read_stream(connection, write, on_frame, keep_going, timeout),
                             stop=lambda: write(stream.STOP))  # the board ends once its credit is spent

    def _raw_run(self, code: str, timeout: float, read: Callable[[Any], Any],
                 stop: Optional[Callable[[], None]] = None) -> RunResult:
        """Submit ``code`` at the raw REPL with the connection's text mode off, ``read`` its
        frame(s), then the raw REPL's end."""
        from thonnycontrib.esp32cam.core.camera import problems, transfer
        from thonnycontrib.esp32cam.core.camera.session import RunResult

        compat = self.backend.compat
        connection = compat.connection
        started = time.perf_counter()
        compat.forward_unexpected_output()
        with binary_io(connection, over_air=self.over_air):
            with compat.interrupt_lock:
                # raw mode (not raw-paste): raw-paste would switch text mode back on
                compat.submit_raw(code.encode("utf-8"))
            try:
                frame = read(connection)
            except (transfer.TransferError, problems.CameraProblem):
                # damaged bytes, but the board is alive: read on to its prompt so the REPL stays in step
                if stop is not None:
                    stop()
                compat.read_to_prompt()
                raise
            stderr = self._read_to_raw_prompt(connection, timeout)
        return RunResult(frame, (stderr or "").strip(), time.perf_counter() - started)

    def _read_to_raw_prompt(self, connection: Any, timeout: float) -> str:
        """After the frame the raw REPL sends only EOT, the error text, EOT and ">": read that
        directly. Thonny's generic reader waits 50 ms for line ends it never gets here, which
        was half the time of a QVGA frame at 921600 baud."""
        from thonnycontrib.esp32cam.core.fastlink import RUN_END

        end = bytes(connection.soft_read_until(RUN_END, timeout))
        found = RUN_END.search(end)
        if found is None or end[:found.start()].strip():
            connection.unread(end)  # something else came first: let Thonny's reader sort it out
            return self.backend.compat.read_to_prompt()[1]
        self.backend.compat.note_raw_prompt()
        return found.group(1).decode("utf-8", "replace")


class CameraCommandsMixin:
    _esp32cam_session: Optional[CameraSession] = None
    _esp32cam_stop_stream = False  # set by the CAMERA_STOP immediate command (reader thread)
    _esp32cam_streaming = False

    def esp32cam_immediate(self, name: str) -> bool:
        if name == backend_commands.CAMERA_STOP:
            self._esp32cam_stop_stream = True
            return True
        return super().esp32cam_immediate(name)  # type: ignore[misc]

    def _esp32cam_end_stream(self, wait: float = 2.0) -> None:
        """Ask a running stream to end and wait for it (before the port is let go)."""
        self._esp32cam_stop_stream = True
        deadline = time.monotonic() + wait
        while self._esp32cam_streaming and time.monotonic() < deadline:
            time.sleep(0.01)

    # --- the command ---------------------------------------------------------------------
    def _cmd_esp32cam_camera(self, cmd: Any) -> Dict[str, Any]:
        from thonnycontrib.esp32cam.core.camera import problems, transfer

        action = cmd.get("action", "capture")
        request_id = cmd.get("request_id")
        try:
            response = self._esp32cam_dispatch(action, cmd)
        except problems.CameraProblem as e:
            response = {"problem": {"kind": e.kind, "title": e.title, "explanation": e.explanation,
                                    "details": e.details, "action": e.action, "board": e.board}}
        except transfer.TransferError as e:
            p = problems.transfer_problem(str(e))
            response = {"problem": {"kind": p.kind, "title": p.title, "explanation": p.explanation,
                                    "details": p.details, "action": None}}
        except TimeoutError as e:  # Thonny's ReadingTimeoutError: the board went silent mid-answer
            self._esp32cam_session = None
            response = {"problem": {"kind": problems.TRANSFER, "title": _(
                    "The board stopped answering"),
                                    "explanation": _(
                                            "The board went silent in the middle of a camera "
                                            "request (a reset, a brownout or a loose cable). "
                                            "Check the 5 V supply and press Stop/Restart "
                                            "(Ctrl+F2) to reconnect."),
                                    "details": str(e), "action": None}}
        response.update(action=action, request_id=request_id)
        return response

    def _esp32cam_dispatch(self, action: str, cmd: Any) -> Dict[str, Any]:
        from thonnycontrib.esp32cam.core.camera import devicecode, problems

        if action == "release":
            self._esp32cam_release()
            return {"released": True}
        session = self._esp32cam_get_session(cmd.get("profile"))
        settings = devicecode.CameraSettings(**(cmd.get("settings") or {})).normalized()
        if action == "flash":
            session.set_flash(bool(cmd.get("on")))
            return {"flash": session.flash_on}
        if action == "info":
            info = session.info or session.detect()
            return {"family": info.family, "psram": info.psram, "heap": info.heap}
        if action == "capture":
            cap = session.capture(settings)
            return {"jpeg": cap.jpeg, "wire_bytes": cap.wire_bytes, "seconds": cap.seconds,
                    "family": session.family, "settings": settings.__dict__,
                    "baudrate": self._esp32cam_baudrate()}
        if action == "stream":
            return {"streamed": self._esp32cam_stream(session, settings, cmd)}
        if action in ("wifi_start", "wifi_stop"):  # backend.wifi_commands
            return self._esp32cam_wifi_camera(action, session, settings)  # type: ignore[attr-defined]
        raise problems.CameraProblem(problems.OTHER, _("Unknown camera request"), repr(action))

    def _esp32cam_stream(self, session: CameraSession, settings: Any, cmd: Any) -> int:
        """Live frames as ``CAMERA_FRAME_EVENT`` events until the front-end says stop, another
        command is waiting (the user's code comes first) or ``seconds`` have passed (so the
        front-end's other inline commands, which wait behind this one, are not held long)."""
        from thonny.common import BackendEvent

        request_id = cmd.get("request_id")
        until = time.monotonic() + min(float(cmd.get("seconds") or STREAM_SECONDS), STREAM_SECONDS)
        baudrate = self._esp32cam_baudrate()

        def keep_going() -> bool:
            return (not self._esp32cam_stop_stream and time.monotonic() < until
                    and not self.compat.commands_waiting())  # type: ignore[attr-defined]

        def on_frame(cap: Any) -> None:
            self.compat.send_event(BackendEvent(  # type: ignore[attr-defined]
                backend_commands.CAMERA_FRAME_EVENT, request_id=request_id, jpeg=cap.jpeg,
                wire_bytes=cap.wire_bytes, seconds=cap.seconds, family=session.family,
                settings=settings.__dict__, baudrate=baudrate))

        self._esp32cam_stop_stream = False
        self._esp32cam_streaming = True
        try:
            return session.stream(on_frame, keep_going, settings)
        finally:
            self._esp32cam_streaming = False

    # --- the board's chip, PSRAM and sensor (for the installer) ------------------------------
    def _cmd_esp32cam_board_facts(self, cmd: Any) -> Dict[str, Any]:
        """The sensor probe at the idle prompt. It drives XCLK itself, which would take the
        clock from a running camera driver: the camera is released first (the view starts
        it again at its next frame)."""
        from thonnycontrib.esp32cam.core import boards, sensors
        from thonnycontrib.esp32cam.core.camera.transfer import KIND_INFO

        self._esp32cam_release()
        profile = boards.get_profile(cmd.get("profile"))
        try:
            result = self._esp32cam_runner().run(sensors.probe_code(profile, frame=True), 10.0)
        except Exception as e:  # the probe is a convenience: the installer works without it
            logger.info("Board probe failed", exc_info=True)
            return {"facts": None, "error": str(e)}
        if result.frame is None or result.frame.kind != KIND_INFO:
            return {"facts": None, "error": result.error_output or _("no answer to the probe")}
        facts = sensors.parse_probe(result.frame.text)
        return {"facts": {"chip": facts.chip or profile.chip, "psram": facts.psram, "sensor": facts.to_json()}}

    # --- session ---------------------------------------------------------------------------
    def _esp32cam_runner(self) -> ThonnyConnectionRunner:
        return ThonnyConnectionRunner(self, getattr(self, "_esp32cam_over_air", False))  # backend.fast_link

    def _esp32cam_get_session(self, profile: Optional[str]) -> CameraSession:
        session = self._esp32cam_session
        link_rate = getattr(self, "_esp32cam_link_rate", 115200)  # backend.fast_link
        if session is not None and ((profile and session.profile.key != profile) or session.link_rate != link_rate):
            self._esp32cam_release()  # pins or link rate changed: start again
            session = None
        if session is None:
            from thonnycontrib.esp32cam.core.camera import transfer
            from thonnycontrib.esp32cam.core.camera.session import CameraSession

            # over WebREPL the board's output arrives in text frames, which must be UTF-8
            runner = self._esp32cam_runner()
            encoding = transfer.BASE64 if runner.over_air else transfer.RAW
            session = CameraSession(runner, profile, encoding=encoding,
                                    link_rate=link_rate)
            self._esp32cam_session = session
        return session

    def _esp32cam_release(self) -> None:
        session = self._esp32cam_session
        self._esp32cam_session = None
        if session is not None and session.protocol is not None:
            try:
                session.release()
            except Exception:  # the user's code is about to run: never block it
                logger.exception("Could not release the camera")

    def _esp32cam_baudrate(self) -> Optional[int]:
        return getattr(self.compat.connection, "rate", None)  # type: ignore[attr-defined]

    # --- code completion: the stubs of the family on the board ---------------------------------
    _esp32cam_stub_family: Optional[str] = None
    _esp32cam_stub_checked = False
    _esp32cam_stub_known = False  # the board answered: a family, or no camera module

    def _cmd_esp32cam_stub_family(self, cmd: Any) -> Dict[str, Any]:
        """Thonny's development head completes code in the front-end (a language server):
        it asks which family's stub to give the server (``frontend/completion_stubs.py``).
        ``known`` is False when the board could not say (busy, a transfer error)."""
        family = self._esp32cam_family_for_stubs()
        return {"family": family, "known": bool(family) or self._esp32cam_stub_known}

    def esp32cam_analysis_paths(self, paths: List[str]) -> List[str]:
        paths = list(super().esp32cam_analysis_paths(paths))  # type: ignore[misc]
        family = self._esp32cam_family_for_stubs()
        if family:
            from thonnycontrib.esp32cam.stubs import stub_path

            paths.insert(0, stub_path(family))
        return paths

    def _esp32cam_family_for_stubs(self) -> Optional[str]:
        session = self._esp32cam_session
        if session is not None and session.family:
            return session.family
        if not self._esp32cam_stub_checked:
            # asked once per back-end process, at the prompt (completion runs there)
            self._esp32cam_stub_checked = True
            from thonnycontrib.esp32cam.core.camera import problems
            from thonnycontrib.esp32cam.core.camera.session import CameraSession

            try:
                self._esp32cam_stub_family = CameraSession(self._esp32cam_runner()).detect().family
                self._esp32cam_stub_known = True
            except problems.CameraProblem as e:
                # the firmware has no (usable) camera module: no stub; anything else: unknown
                self._esp32cam_stub_known = e.kind in (problems.NO_CAMERA_MODULE, problems.NO_PSRAM)
                logger.info("No camera driver found for code completion", exc_info=True)
            except Exception:
                logger.info("No camera driver found for code completion", exc_info=True)
        return self._esp32cam_stub_family

    # --- release before the user's code runs ------------------------------------------------
    def esp32cam_before_user_code(self) -> None:
        self._esp32cam_release()
        super().esp32cam_before_user_code()  # type: ignore[misc]
