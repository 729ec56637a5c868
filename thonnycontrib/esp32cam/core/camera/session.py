"""Host side of the camera: one object per connection, any driver family.

A ``CodeRunner`` executes code at the board's raw REPL and returns the frame
it wrote. The CLI has its own runner on pyserial (``rawrepl``); the Thonny
back-end provides one on top of its connection. Everything else — detection,
starting once, applying only changed settings, recovering after a soft
reboot, explaining errors — is here, shared and unit-tested.
"""
from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Callable, Dict, Optional, Protocol

from .. import boards
from . import families as fam
from . import problems, sensor_check
from .devicecode import CameraSettings, DeviceProtocol, HELPER, Step, detect_step, parse_info, release_code
from .stream import CREDIT, FrameHandler, KeepGoing
from .transfer import KIND_ERROR, RAW, DamagedFrame, Frame, looks_like_jpeg
from thonnycontrib.esp32cam.core.i18n import _

CAPTURE_TRIES = 3  # a frame damaged on the way (CRC-32) is asked for again, this often in all


@dataclass
class RunResult:
    frame: Optional[Frame]
    error_output: str = ""  # what the raw REPL reported on stderr (code died outside our try)
    seconds: float = 0.0


class CodeRunner(Protocol):
    def run(self, code: str, timeout: float) -> RunResult: ...

    def stream(self, code: str, on_frame: FrameHandler, keep_going: KeepGoing, timeout: float) -> RunResult:
        """Run ``code``, which streams frames (``stream.read_stream``); the result's frame is
        the stream's last one (``K`` or ``E``)."""
        ...


@dataclass
class Capture:
    jpeg: bytes
    wire_bytes: int
    seconds: float  # request to last byte

    @property
    def bytes_per_second(self) -> float:
        return self.wire_bytes / self.seconds if self.seconds > 0 else 0.0


@dataclass
class DeviceInfo:
    family: str
    heap: Optional[int]
    psram: Optional[bool] = None
    platform: str = ""
    version: str = ""
    raw: Dict[str, str] = field(default_factory=dict)


class CameraSession:
    def __init__(self, runner: CodeRunner, profile_key: Optional[str] = None,
                 encoding: str = RAW, timeout: float = 20.0, link_rate: int = 115200) -> None:
        self.runner = runner
        self.link_rate = link_rate  # the REPL UART's rate: frames leave paced above 115200
        self.profile = boards.get_profile(profile_key)
        self.encoding = encoding
        self.timeout = timeout
        self.info: Optional[DeviceInfo] = None
        self.protocol: Optional[DeviceProtocol] = None
        self.settings: Optional[CameraSettings] = None  # what the camera runs with now
        self.flash_on = False
        self.damaged_frames = 0  # frames dropped because their CRC-32 did not match

    @property
    def family(self) -> Optional[str]:
        return self.info.family if self.info else None

    @property
    def started(self) -> bool:
        return self.settings is not None

    # --- lifecycle -------------------------------------------------------------------------
    def detect(self) -> DeviceInfo:
        frame = self._run(detect_step())
        raw = parse_info(frame.text)
        heap = int(raw["heap"]) if raw.get("heap", "").isdigit() else None
        psram = {"1": True, "0": False}.get(raw.get("psram", "?"))
        if not raw.get("family"):
            raise problems.classify(raw.get("error", "ImportError: no module named 'camera'"),
                                    heap=heap, psram=psram, during="import")
        if raw["family"] not in fam.FAMILIES:
            raise problems.CameraProblem(problems.OTHER, _("Unknown camera driver"),
                                         _("The board reported driver family {family!r}.").format(
                                             family=raw["family"]))
        self.info = DeviceInfo(raw["family"], heap, psram, raw.get("platform", ""), raw.get("version", ""), raw)
        self.protocol = DeviceProtocol(self.info.family, self.profile, self.encoding,
                                       default_profile=self.profile.key == boards.DEFAULT_PROFILE,
                                       link_rate=self.link_rate)
        return self.info

    def start(self, settings: CameraSettings) -> None:
        """Initialise the camera once (detecting the family first if needed)."""
        settings = settings.normalized()
        if self.protocol is None:
            self.detect()
        assert self.protocol is not None
        self._run(self.protocol.install())
        try:
            self._run(self.protocol.start(settings))
        except problems.CameraProblem as e:
            if e.kind == problems.INIT_FAILED:
                raise sensor_check.explain(self, e) from None
            raise
        self.settings = settings

    def apply(self, settings: CameraSettings) -> None:
        """Change only what differs from the running settings."""
        settings = settings.normalized()
        if not self.started:
            self.start(settings)
            return
        assert self.protocol is not None and self.settings is not None
        for step in self.protocol.changes(self.settings, settings):
            self._call(step)
        self.settings = settings

    def capture(self, settings: Optional[CameraSettings] = None) -> Capture:
        if settings is not None or not self.started:
            self.apply(settings or self.settings or CameraSettings())
        assert self.protocol is not None
        for attempt in range(CAPTURE_TRIES):
            started = time.perf_counter()
            try:
                frame = self._call(self.protocol.snap())
            except DamagedFrame as e:  # read to the prompt: ask for the next frame
                self.damaged_frames += 1
                damage = e
                continue
            return Capture(_jpeg(frame), frame.wire_bytes, time.perf_counter() - started)
        raise problems.transfer_problem(_("{count} frames in a row: {damage}").format(
            count=CAPTURE_TRIES, damage=damage))

    def stream(self, on_frame: Callable[[Capture], None], keep_going: KeepGoing,
               settings: Optional[CameraSettings] = None, credit: int = CREDIT) -> int:
        """Frames back to back until ``keep_going()`` says stop; returns how many came.
        Each capture's ``seconds`` is the time since the previous frame (or the request)."""
        if settings is not None or not self.started:
            self.apply(settings or self.settings or CameraSettings())
        assert self.protocol is not None
        last = [time.perf_counter()]

        def handle(frame: Frame) -> None:
            now = time.perf_counter()
            seconds, last[0] = now - last[0], now
            on_frame(Capture(_jpeg(frame), frame.wire_bytes, seconds))

        step = self.protocol.stream(credit)
        result = self._again_after_soft_reboot(lambda: self.runner.stream(step.code, handle, keep_going,
                                                                          self.timeout))
        frame = self._frame_or_raise(result, step.during)
        if frame.kind != step.expect or not frame.text.isdigit():
            raise problems.transfer_problem(_("expected the end of the stream, got {kind!r}").format(
                kind=frame.kind))
        return int(frame.text)

    def set_flash(self, on: bool) -> None:
        if self.profile.flash_led is None:
            raise problems.no_flash_led(self.profile.title)
        if self.protocol is None:
            self.detect()
        assert self.protocol is not None
        if not self.started:
            self.start(self.settings or CameraSettings())
        self._call(self.protocol.flash(on))
        self.flash_on = bool(on)

    def run_step(self, step: Step, settings: Optional[CameraSettings] = None) -> Frame:
        """Another module's step (the Wi-Fi server, ``wifi_stream``) on the started camera."""
        self.apply(settings or self.settings or CameraSettings())
        return self._call(step)

    def release(self) -> None:
        """Deinit the camera on the board (safe to call any time)."""
        if self.protocol is not None:
            result = self.runner.run(release_code(), self.timeout)
            if result.frame is not None and result.frame.kind == KIND_ERROR:
                # deinit failing is not worth bothering the user; the helper is gone anyway
                pass
        self.settings = None
        self.flash_on = False

    def forget(self) -> None:
        """The board was reset or soft-rebooted: its helper is gone."""
        self.settings = None
        self.flash_on = False

    # --- plumbing ----------------------------------------------------------------------------
    def _again_after_soft_reboot(self, run: Callable[[], RunResult]) -> RunResult:
        """``run()``; when the helper is gone (a soft reboot, Stop/Ctrl+D, dropped it), install
        and start the camera again, once, and run again."""
        result = run()
        if result.frame is None and HELPER in result.error_output and "NameError" in result.error_output:
            wanted = self.settings or CameraSettings()
            self.settings = None
            self.start(wanted)
            result = run()
        return result

    def _call(self, step: Step) -> Frame:
        """Run ``step`` (again after a soft reboot, see above) and return its good answer."""
        return self._answer(self._again_after_soft_reboot(lambda: self.runner.run(step.code, self.timeout)), step)

    def _run(self, step: Step) -> Frame:
        """Run ``step`` once (detection, install, start: they make the helper)."""
        return self._answer(self.runner.run(step.code, self.timeout), step)

    def _answer(self, result: RunResult, step: Step) -> Frame:
        frame = self._frame_or_raise(result, step.during)
        if frame.kind != step.expect:
            raise problems.transfer_problem(_("expected frame {expected!r} during {step}, got "
                                              "{kind!r}")
                                            .format(expected=step.expect, step=step.during, kind=frame.kind))
        return frame

    def _frame_or_raise(self, result: RunResult, during: str) -> Frame:
        frame = result.frame
        text = result.error_output if frame is None else frame.text if frame.kind == KIND_ERROR else ""
        if self.link_rate > 115200 and ("SyntaxError" in text or "IndentationError" in text):
            raise problems.link_garbled(self.link_rate, text)  # our code compiles: the link changed it
        if result.frame is None:
            raise problems.classify(result.error_output or _("no answer from the board"),
                                    heap=self.info.heap if self.info else None, psram=self.info.psram if self.info else None,
                                    profile_title=self.profile.title, during=during)
        if result.frame.kind == KIND_ERROR:
            raise problems.classify(result.frame.text, heap=self.info.heap if self.info else None, psram=self.info.psram if self.info else None,
                                    profile_title=self.profile.title, during=during)
        return result.frame


def _jpeg(frame: Frame) -> bytes:
    """The frame's JPEG; a transfer problem when its bytes are not a whole one."""
    if not looks_like_jpeg(frame.payload):
        raise problems.transfer_problem(_("{count} bytes that are not a complete JPEG").format(
            count=len(frame.payload)))
    return frame.payload
