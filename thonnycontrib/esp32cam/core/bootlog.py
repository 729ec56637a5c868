"""Classify what an ESP32(-CAM) prints on its serial line.

Pure text processing (no serial, no Tk): the connection doctor feeds it the
bytes captured while probing, the Shell hints feed it Thonny's program output.
Signatures are the exact strings the ESP32 ROM, ESP-IDF and MicroPython print
(see the field guide in the project notes).
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Dict, Iterable, List, Optional, Pattern, Tuple

# Stable signature codes, in the order they are checked on each line.
DOWNLOAD_MODE = "download_mode"
NO_FIRMWARE = "no_firmware"
CORRUPT_FIRMWARE = "corrupt_firmware"
BROWNOUT = "brownout"
PSRAM_FAILURE = "psram_failure"
PSRAM_WRONG_MODE = "psram_wrong_mode"  # ESP32-S3: the build's PSRAM driver (octal/quad) is not the board's
CAMERA_PROBE_FAILED = "camera_probe_failed"
UNSUPPORTED_SENSOR = "unsupported_sensor"  # esp32-camera found a sensor the build does not drive
NO_CAMERA_MODULE = "no_camera_module"
RESET = "reset"                # any ROM "rst:0x.." line (one per chip reset)
NORMAL_BOOT = "normal_boot"    # SPI flash boot / "entry 0x..." (the app is starting)
BANNER = "banner"              # MicroPython start-up banner
PROMPT = "prompt"              # friendly REPL prompt ">>> "
RAW_REPL = "raw_repl"
KEYBOARD_INTERRUPT = "keyboard_interrupt"
# Thonny's own messages when its MicroPython back-end cannot reach the board.
CONNECT_FAILED = "connect_failed"  # "Unable to connect to PORT: ..."
NO_RESPONSE = "no_response"        # "Device is busy or does not respond."
LOST_SYNC = "lost_sync"            # back-end lost the board in the middle of a command

_SIGNATURES: List[Tuple[str, Pattern[str]]] = [
    (DOWNLOAD_MODE, re.compile(r"DOWNLOAD_BOOT|waiting for download")),
    # ESP-IDF's bootloader refusing a damaged app (esp_image_format.c, IDF 4.4 and 5.x)
    (CORRUPT_FIRMWARE, re.compile(r"esp_image: (Checksum failed\.|Image hash failed)")),
    (NO_FIRMWARE, re.compile(r"flash read err|invalid header: 0x[0-9a-fA-F]+|ets_main\.c 371|"
                             r"No bootable app partitions in the partition table")),
    (BROWNOUT, re.compile(r"Brownout detector was triggered")),
    # ESP-IDF's PSRAM drivers when the PSRAM chip does not answer in the bus mode they
    # were built for. IDF v4.4 esp32s3 opi_psram.c (TAG "opi psram") and v5.x
    # esp_psram_impl_octal.c / esp_psram_impl_quad.c (TAGs "octal_psram" / "quad_psram"):
    # "... PSRAM chip not found or not supported, or wrong PSRAM line mode" and "PSRAM chip is
    # not connected, or wrong PSRAM line mode"; IDF v5 esp_psram.c then "PSRAM enabled but
    # initialization failed. Bailing out."
    (PSRAM_WRONG_MODE, re.compile(r"(?:opi psram|octal_psram|quad_psram|psram): .*wrong PSRAM line mode")),
    (PSRAM_FAILURE, re.compile(
        r"PSRAM ID read error|Failed to init external RAM|SPI RAM enabled but initialization failed|"
        r"PSRAM enabled but initialization failed|PSRAM chip is not connected")),
    # esp32-camera driver/esp_camera.c camera_probe, before its "Camera probe failed ... 0x106"
    (UNSUPPORTED_SENSOR, re.compile(r"Detected camera not supported")),
    (CAMERA_PROBE_FAILED, re.compile(r"Camera probe failed|Camera Init Failed")),
    (NO_CAMERA_MODULE, re.compile(r"ImportError: [Nn]o module named '?camera'?")),
    (RESET, re.compile(r"^rst:0x[0-9a-fA-F]+ \(")),
    (NORMAL_BOOT, re.compile(r"SPI_FAST_FLASH_BOOT|^entry 0x[0-9a-fA-F]+")),
    (BANNER, re.compile(r"MicroPython v?\S+ on \d{4}-\d\d-\d\d")),
    (PROMPT, re.compile(r"^>>> ?")),
    (RAW_REPL, re.compile(r"raw REPL; CTRL-B to exit")),
    (KEYBOARD_INTERRUPT, re.compile(r"KeyboardInterrupt")),
    (CONNECT_FAILED, re.compile(r"^Unable to connect to \S+")),
    (NO_RESPONSE, re.compile(r"Device is busy or does not respond")),
    (LOST_SYNC, re.compile(r"ProtocolError: Could not (get raw-paste confirmation|enter raw prompt|read command "
                           r"confirmation|complete raw paste)|ProtocolError: Unexpected read during raw paste")),
]

# Codes that describe a problem (as opposed to progress of a healthy boot).
PROBLEM_CODES = (DOWNLOAD_MODE, CORRUPT_FIRMWARE, NO_FIRMWARE, BROWNOUT, PSRAM_WRONG_MODE, PSRAM_FAILURE,
                 CAMERA_PROBE_FAILED, NO_CAMERA_MODULE, CONNECT_FAILED, NO_RESPONSE, LOST_SYNC,
                 UNSUPPORTED_SENSOR)
# Codes that show the firmware is up and talking: they end a problem episode.
HEALTHY_CODES = (BANNER, PROMPT, RAW_REPL)

# Control characters that legitimately appear: tab, newlines, ESC (ESP-IDF log
# colours), backspace (REPL line editing), Ctrl-D (raw REPL end markers).
_TEXT_CONTROLS = "\t\r\n\x1b\x08\x04"


@dataclass(frozen=True)
class Finding:
    """One recognised line: its signature code and the line itself (evidence)."""
    code: str
    line: str


def classify_line(line: str) -> List[str]:
    """All signature codes matching one line (usually zero or one)."""
    line = line.strip("\r\n")
    stripped = line.strip()
    codes = []
    for code, pattern in _SIGNATURES:
        if pattern.search(stripped if code in (RESET, NORMAL_BOOT, PROMPT, CONNECT_FAILED) else line):
            codes.append(code)
    return codes


def classify_text(text: str) -> List[Finding]:
    """Findings for every complete or partial line of ``text``, in order."""
    findings = []
    for line in re.split(r"\r\n|\r|\n", text):
        for code in classify_line(line):
            findings.append(Finding(code, line.strip()))
    return findings


def _bad_chars(data: bytes) -> int:
    text = data.decode("utf-8", errors="replace")
    return sum(1 for ch in text if ch == "\ufffd" or (ord(ch) < 0x20 and ch not in _TEXT_CONTROLS)
               or ord(ch) == 0x7F)


def garbage_ratio(data: bytes) -> float:
    """Share of bytes that cannot be console text (0.0 for empty input).

    Text is decoded as UTF-8 first, so a program printing "°C" is not noise."""
    if not data:
        return 0.0
    return min(1.0, _bad_chars(data) / len(data))


def looks_garbled(data: bytes, min_bytes: int = 12) -> bool:
    """True when enough bytes arrived and some are not text: a wrong baud rate
    (almost everything is noise) or a line too weak for its speed (a few bytes
    in a hundred are corrupted). One or two stray bytes (a reset glitch) are not."""
    if len(data) < min_bytes:
        return False
    bad = _bad_chars(data)
    return bad / len(data) >= 0.25 or (bad >= 3 and bad / len(data) >= 0.01)


def psram_build_mode(line: str) -> Optional[str]:
    """"octal" | "quad": which PSRAM driver logged a PSRAM_WRONG_MODE line."""
    found = re.search(r"(opi psram|octal_psram|quad_psram|psram): ", line)
    if found is None:
        return None
    return "octal" if found.group(1) in ("opi psram", "octal_psram") else "quad"


S3_ROM = re.compile(r"ESP-ROM:esp32s3")  # the ESP32-S3 ROM's first boot line


class BootLog:
    """Accumulates raw bytes from the device and classifies them line by line.

    ``feed`` returns the findings of the lines completed by that chunk (plus a
    trailing ">>> " prompt, which never gets a newline).
    """

    def __init__(self) -> None:
        self.raw = bytearray()
        self.findings: List[Finding] = []
        self._partial = ""
        self._prompt_partial_reported = False

    def feed(self, data: bytes) -> List[Finding]:
        if not data:
            return []
        self.raw += data
        text = self._partial + data.decode("utf-8", errors="replace")
        parts = re.split(r"\r\n|\r|\n", text)
        self._partial = parts.pop()
        new: List[Finding] = []
        for line in parts:
            if self._prompt_partial_reported and line.startswith(">>>"):
                self._prompt_partial_reported = False
                line = line[3:]  # the prompt itself was already reported
            for code in classify_line(line):
                new.append(Finding(code, line.strip()))
        if self._partial.startswith(">>>") and not self._prompt_partial_reported:
            new.append(Finding(PROMPT, ">>>"))
            self._prompt_partial_reported = True
        self.findings.extend(new)
        return new

    def has(self, code: str, since: int = 0) -> bool:
        return any(f.code == code for f in self.findings[since:])

    def count(self, code: str, since: int = 0) -> int:
        return sum(1 for f in self.findings[since:] if f.code == code)

    def first(self, code: str) -> Optional[Finding]:
        return next((f for f in self.findings if f.code == code), None)

    def problems(self, since: int = 0) -> List[str]:
        """Problem codes seen (from finding index ``since``), without repetitions,
        in order of first appearance."""
        seen: List[str] = []
        for f in self.findings[since:]:
            if f.code in PROBLEM_CODES and f.code not in seen:
                seen.append(f.code)
        return seen

    def garbled(self) -> bool:
        return looks_garbled(bytes(self.raw))

    def ends_with_prompt(self) -> bool:
        return self._partial.startswith(">>>") or bytes(self.raw).rstrip(b" ").endswith(b">>>")

    def text(self) -> str:
        return bytes(self.raw).decode("utf-8", errors="replace")

    def evidence(self, codes: Optional[Iterable[str]] = None, limit: int = 12) -> List[str]:
        """The lines that matter, in order, without consecutive duplicates.

        With ``codes`` only lines with those codes; otherwise every non-blank line
        (the tail of it if longer than ``limit``)."""
        if codes is not None:
            wanted = set(codes)
            lines = [f.line for f in self.findings if f.code in wanted]
        else:
            lines = [ln.strip() for ln in re.split(r"\r\n|\r|\n", self.text()) if ln.strip()]
        result: List[str] = []
        for ln in lines:
            if not result or result[-1] != ln:
                result.append(ln)
        return result[-limit:]


# Boot-level problems end when the firmware comes up; camera problems are
# reported once per back-end session (each camera.init() would repeat them).
SPECIFIC_BOOT_CODES = (DOWNLOAD_MODE, CORRUPT_FIRMWARE, NO_FIRMWARE, BROWNOUT, PSRAM_FAILURE)
BOOT_PROBLEM_CODES = (DOWNLOAD_MODE, CORRUPT_FIRMWARE, NO_FIRMWARE, BROWNOUT, PSRAM_WRONG_MODE, PSRAM_FAILURE, CONNECT_FAILED, NO_RESPONSE,
                      LOST_SYNC)


class EpisodeTracker:
    """Reports each problem once per occurrence (for the Shell hints).

    A problem code is reported the first time it is seen; further matches are
    the same episode (a brownout loop prints its line on every reset) until a
    healthy sign (banner, prompt) ends a boot-level episode, or :meth:`reset`
    (back-end restart) ends them all.
    """

    def __init__(self) -> None:
        self._log = BootLog()
        self._active: Dict[str, Finding] = {}

    def feed_text(self, text: str) -> List[Finding]:
        reported = []
        for finding in self._log.feed(text.encode("utf-8", errors="replace")):
            if finding.code in HEALTHY_CODES:
                for code in BOOT_PROBLEM_CODES:
                    self._active.pop(code, None)
            elif finding.code in PROBLEM_CODES and finding.code not in self._active:
                self._active[finding.code] = finding
                if finding.code == NO_RESPONSE and any(c in self._active for c in SPECIFIC_BOOT_CODES):
                    continue  # Thonny's generic advice: the specific hint already explains it
                if finding.code == CAMERA_PROBE_FAILED and UNSUPPORTED_SENSOR in self._active:
                    continue  # the probe failed because of that sensor, not the ribbon cable
                reported.append(finding)
        # keep memory bounded: only the partial line matters for the next chunk
        del self._log.raw[:]
        self._log.findings.clear()
        return reported

    def note(self, code: str, line: str = "") -> List[Finding]:
        """A problem found otherwise than in the text (e.g. the ROM answered a probe):
        reported unless the same episode already was."""
        if code not in PROBLEM_CODES or code in self._active:
            return []
        finding = Finding(code, line)
        self._active[code] = finding
        return [finding]

    def reset(self) -> None:
        self._log = BootLog()
        self._active.clear()
