"""The connection doctor against the virtual ESP32-CAM over real RFC2217.

Every condition runs on its own board; the conditions run in parallel (a
module fixture) because the probe mostly waits on the line. For each one:
the doctor's code, that it carries evidence and a fix, and where the fix can
be applied here, that applying it leads to a working REPL.
"""
from __future__ import annotations

import json
import subprocess
import sys
import time
import traceback
from concurrent.futures import ThreadPoolExecutor
from typing import Any, Callable, Dict, Optional

import pytest
import serial

from tests.conftest import REPO_ROOT
from tests.virtualboard import VirtualBoard, synthetic_firmware
from thonnycontrib.esp32cam.core import diagnosis as dg
from thonnycontrib.esp32cam.core import doctor

LEMARIVA = synthetic_firmware("lemariva")
OFFICIAL = synthetic_firmware(None)
STUBBORN_MAIN = """\
import time
time.sleep(0.5)  # set-up (Wi-Fi, camera...) before the loop
n = 0
while True:
    try:
        n += 1
        print('tick', n)
        time.sleep(0.2)
    except KeyboardInterrupt:
        print('not now')
"""


def _booted(board: VirtualBoard, since: int = 0) -> None:
    board.events.wait_for("firmware_started", timeout=15, since=since)


def _reset_and_wait(board: VirtualBoard) -> None:
    mark = board.events.mark()
    board.press_reset()
    _booted(board, mark)


def _diagnose(board: VirtualBoard, configured: Optional[doctor.Lines] = None) -> dg.Diagnosis:
    return doctor.diagnose(board.url, configured, ports=[])


# ---------------------------------------------------------------- conditions
# Each returns {"code": first diagnosis, "json": its JSON, "after": code after the fix (or None)}.
def lines_condition(wiring: str, dtr: bool, rts: bool) -> Callable[[], Dict[str, Any]]:
    def run() -> Dict[str, Any]:
        with VirtualBoard(wiring=wiring, firmware=LEMARIVA) as board:
            _booted(board)
            first = _diagnose(board, doctor.Lines(dtr, rts))
            after = None
            if first.code == dg.HELD_IN_RESET:
                # the fix: use the lines that worked (what the dialog stores)
                after = _diagnose(board, doctor.Lines(bool(first.dtr), bool(first.rts))).code
            return {"first": first, "after": after}
    return run


def hold_boot_condition(wiring: str) -> Callable[[], Dict[str, Any]]:
    def run() -> Dict[str, Any]:
        with VirtualBoard(wiring=wiring, firmware=LEMARIVA) as board:
            _booted(board)
            mark = board.events.mark()
            board.hold_boot(True)          # jumper IO0-GND left in place...
            board.press_reset()            # ...and the board reset: ROM download mode
            board.events.wait_for("boot", timeout=5, since=mark)
            first = _diagnose(board)
            board.hold_boot(False)         # the user removes the jumper
            if wiring == "none":
                board.press_reset()        # no auto-reset wiring: the user taps RST
                _booted(board, mark)
            else:
                doctor.release_and_reset(board.url)   # the doctor's own fix
            return {"first": first, "after": _diagnose(board).code}
    return run


def download_by_lines_condition() -> Dict[str, Any]:
    """Direct wiring: a client asserted DTR and reset the board into the ROM."""
    with VirtualBoard(wiring="direct", firmware=LEMARIVA) as board:
        _booted(board)
        mark = board.events.mark()
        other = serial.serial_for_url(board.url, do_not_open=True, baudrate=115200)
        other.dtr, other.rts = True, True      # pyserial's default: IO0 low, EN low
        other.open()
        other.rts = False                      # EN released while IO0 is still low
        board.events.wait_for("boot", timeout=5, since=mark)
        other.dtr = False
        other.close()
        first = _diagnose(board)
        return {"first": first, "after": None, "boot_modes": [e.data["mode"] for e in board.events.all("boot", mark)]}


def firmware_condition(wait_event: str = "firmware_started", **board_kwargs: Any) -> Callable[[], Dict[str, Any]]:
    """Conditions fixed by installing a camera build (written straight into the flash
    here: the installer itself is tested with esptool elsewhere), then a reset."""
    def run() -> Dict[str, Any]:
        firmware = board_kwargs.pop("firmware", LEMARIVA)
        with VirtualBoard(firmware=firmware, **board_kwargs) as board:
            board.events.wait_for(wait_event, timeout=15)
            first = _diagnose(board)
            after = None
            if dg.FIX_OPEN_INSTALLER in first.fixes:
                board.flash.write(0x1000, LEMARIVA)
                board.flash.flush()
                doctor.release_and_reset(board.url)
                after = _diagnose(board).code
            return {"first": first, "after": after}
    return run


def busy_condition() -> Dict[str, Any]:
    with VirtualBoard(firmware=LEMARIVA) as board:
        _booted(board)
        other = serial.serial_for_url(board.url, do_not_open=True, baudrate=115200)
        other.dtr = other.rts = False
        other.open()                           # e.g. a serial monitor left open
        try:
            first = _diagnose(board)
        finally:
            other.close()                      # the fix: close the other program, retry
        time.sleep(0.1)
        return {"first": first, "after": _diagnose(board).code}


def _start_stubborn_program(board: VirtualBoard) -> None:
    """Put STUBBORN_MAIN on the board as main.py (with an independent client, mpremote) and reboot into it."""
    _booted(board)
    code = f"f=open('main.py','w');f.write({STUBBORN_MAIN!r});f.close()"
    subprocess.run([sys.executable, "-m", "mpremote", "connect", board.url, "exec", code],
                   check=True, capture_output=True, timeout=60)
    _reset_and_wait(board)
    time.sleep(0.8)  # main.py's own set-up time: the doctor must meet the loop, not the set-up


def stubborn_program_condition() -> Dict[str, Any]:
    with VirtualBoard(firmware=LEMARIVA) as board:
        _start_stubborn_program(board)
        first = _diagnose(board)
        fixed = doctor.interrupt_at_boot(board.url)
        after = _diagnose(board).code
        _reset_and_wait(board)                 # and it stays fixed after a reset
        after_reset = _diagnose(board).code
        return {"first": first, "after": after, "after_reset": after_reset,
                "fix_prompt": fixed.prompt, "main_disabled": fixed.main_disabled}


def silent_then_manual_rst_condition() -> Dict[str, Any]:
    """No auto-reset wiring and a blank flash: the boot log went by before the
    doctor connected. The fix: listen while the user presses RST."""
    import threading

    with VirtualBoard(wiring="none", firmware=None) as board:
        board.events.wait_for("no_firmware", timeout=5)
        first = _diagnose(board)
        pressed = threading.Event()

        def user(message: str) -> None:  # reads the doctor's prompt, presses RST a moment later
            if "Press the RST button" in message and not pressed.is_set():
                pressed.set()
                threading.Timer(0.3, board.press_reset).start()

        after = doctor.diagnose(board.url, ports=[], wait_for_rst=5.0, progress=user)
        return {"first": first, "after": after.code, "after_diagnosis": after, "pressed": pressed.is_set()}


def pty_condition() -> Dict[str, Any]:
    """A port that cannot carry DTR/RTS at all (a pseudo-terminal)."""
    with VirtualBoard(firmware=LEMARIVA, mode="pty") as board:
        _booted(board)
        return {"first": _diagnose_device(board.device), "after": None}


def _diagnose_device(device: str) -> dg.Diagnosis:
    return doctor.diagnose(device, doctor.Lines(True, True), ports=[])


CONDITIONS: Dict[str, Callable[[], Dict[str, Any]]] = {
    **{f"{w}-dtr{int(d)}-rts{int(r)}": lines_condition(w, d, r)
       for w in ("classic", "direct") for d in (False, True) for r in (False, True)},
    "none-dtr0-rts0": lines_condition("none", False, False),
    "none-dtr1-rts0": lines_condition("none", True, False),
    "none-dtr0-rts1": lines_condition("none", False, True),
    "none-dtr1-rts1": lines_condition("none", True, True),
    "dropped-link": firmware_condition(drop_after=20),
    "pty-no-modem-lines": pty_condition,
    "silent-then-manual-rst": silent_then_manual_rst_condition,
    "hold_boot-classic": hold_boot_condition("classic"),
    "hold_boot-direct": hold_boot_condition("direct"),
    "hold_boot-none": hold_boot_condition("none"),
    "download-by-lines": download_by_lines_condition,
    "blank-flash": firmware_condition("no_firmware", firmware=None),
    "official-build": firmware_condition(firmware=OFFICIAL),
    "brownout": firmware_condition("brownout", brownout=True),
    "no_psram": firmware_condition("psram_error", psram=False),
    "camera_missing": firmware_condition(camera_missing=True),
    "camera_missing-kaki5": firmware_condition(firmware=synthetic_firmware("kaki5"), camera_missing=True),
    "camera_ok-cnadler86": firmware_condition(firmware=synthetic_firmware("cnadler86")),
    "max_baud": firmware_condition(max_baud=57600),
    "busy": busy_condition,
    "stubborn-program": stubborn_program_condition,
}

EXPECTED = {
    # name: (first code, code after applying the fix or None when no fix applies here)
    "classic-dtr0-rts0": (dg.REPL_OK, None),
    "classic-dtr0-rts1": (dg.HELD_IN_RESET, dg.REPL_OK),
    "classic-dtr1-rts0": (dg.REPL_OK, None),
    "classic-dtr1-rts1": (dg.REPL_OK, None),
    "direct-dtr0-rts0": (dg.REPL_OK, None),
    "direct-dtr0-rts1": (dg.HELD_IN_RESET, dg.REPL_OK),
    "direct-dtr1-rts0": (dg.REPL_OK, None),
    "direct-dtr1-rts1": (dg.HELD_IN_RESET, dg.REPL_OK),
    "none-dtr0-rts0": (dg.REPL_OK, None),
    "none-dtr1-rts0": (dg.REPL_OK, None),
    "none-dtr0-rts1": (dg.REPL_OK, None),
    "none-dtr1-rts1": (dg.REPL_OK, None),
    "dropped-link": (dg.PORT_MISSING, None),
    "pty-no-modem-lines": (dg.REPL_OK, None),
    "silent-then-manual-rst": (dg.SILENT, dg.NO_FIRMWARE),
    "hold_boot-classic": (dg.DOWNLOAD_MODE, dg.REPL_OK),
    "hold_boot-direct": (dg.DOWNLOAD_MODE, dg.REPL_OK),
    "hold_boot-none": (dg.DOWNLOAD_MODE, dg.REPL_OK),
    "download-by-lines": (dg.REPL_OK, None),
    "blank-flash": (dg.NO_FIRMWARE, dg.REPL_OK),
    "official-build": (dg.NO_CAMERA_MODULE, dg.REPL_OK),
    "brownout": (dg.BROWNOUT, None),
    "no_psram": (dg.PSRAM_FAILURE, None),
    "camera_missing": (dg.CAMERA_PROBE_FAILED, None),
    "camera_missing-kaki5": (dg.CAMERA_PROBE_FAILED, None),
    "camera_ok-cnadler86": (dg.REPL_OK, None),
    "max_baud": (dg.BAUD_MISMATCH, None),
    "busy": (dg.PORT_BUSY, dg.REPL_OK),
    "stubborn-program": (dg.NOT_INTERRUPTIBLE, dg.REPL_OK),
}


@pytest.fixture(scope="module")
def outcomes() -> Dict[str, Any]:
    def guarded(name: str) -> Any:
        start = time.monotonic()
        try:
            result = CONDITIONS[name]()
        except Exception:
            return {"error": traceback.format_exc()}
        result["seconds"] = time.monotonic() - start
        return result

    with ThreadPoolExecutor(max_workers=4) as pool:
        futures = {name: pool.submit(guarded, name) for name in CONDITIONS}
        return {name: f.result() for name, f in futures.items()}


@pytest.mark.parametrize("name", list(EXPECTED))
def test_condition(outcomes, name):
    outcome = outcomes[name]
    assert "error" not in outcome, outcome.get("error")
    first: dg.Diagnosis = outcome["first"]
    expected_first, expected_after = EXPECTED[name]
    assert first.code == expected_first, first.to_text()
    assert first.fix and first.title and first.meaning
    assert first.evidence, "every diagnosis carries evidence"
    json.dumps(first.to_json())
    assert outcome["after"] == expected_after, first.to_text()


def test_held_in_reset_explains_with_evidence(outcomes):
    first = outcomes["direct-dtr1-rts1"]["first"]
    assert (first.dtr, first.rts) == (False, False)
    assert dg.FIX_SET_LINES in first.fixes
    assert any("DTR=on, RTS=on: no answer" in line for line in first.evidence)


def test_repl_ok_reports_the_lines_and_warns_about_dtr(outcomes):
    ok = outcomes["direct-dtr1-rts0"]["first"]
    assert (ok.dtr, ok.rts) == (True, False)
    assert "bootloader" in ok.meaning
    plain = outcomes["classic-dtr0-rts0"]["first"]
    assert (plain.dtr, plain.rts) == (False, False) and "bootloader" not in plain.meaning
    assert any(line.startswith("MicroPython v1.21.0") for line in plain.evidence)


def test_download_mode_evidence_and_fixes(outcomes):
    held = outcomes["hold_boot-classic"]["first"]
    assert "waiting for download" in held.evidence
    assert held.extra.get("io0_held") and dg.FIX_RELEASE_AND_RESET in held.fixes
    silent_rom = outcomes["hold_boot-none"]["first"]
    assert any("SYNC" in line for line in silent_rom.evidence)
    assert "RST" in silent_rom.meaning


def test_download_mode_left_by_lines_is_cured_by_the_probe_reset(outcomes):
    outcome = outcomes["download-by-lines"]
    assert outcome["boot_modes"][0] == "download"
    assert outcome["first"].code == dg.REPL_OK
    assert any("after the doctor reset it" in line for line in outcome["first"].evidence)


def test_boot_log_evidence_is_the_real_lines(outcomes):
    assert "Brownout detector was triggered" in outcomes["brownout"]["first"].evidence
    assert "flash read err, 1000" in outcomes["blank-flash"]["first"].evidence
    assert any("PSRAM ID read error" in line for line in outcomes["no_psram"]["first"].evidence)
    assert any("Camera probe failed" in line for line in outcomes["camera_missing"]["first"].evidence)
    assert outcomes["official-build"]["first"].extra["suggest_camera_build"] is True


def test_manual_rst_press_is_caught(outcomes):
    outcome = outcomes["silent-then-manual-rst"]
    assert dg.FIX_WAIT_FOR_RST in outcome["first"].fixes and outcome["pressed"]
    after = outcome["after_diagnosis"]
    assert "boot log after RST was pressed by hand" in after.evidence
    assert "flash read err, 1000" in after.evidence


def test_port_without_modem_lines_is_noted(outcomes):
    d = outcomes["pty-no-modem-lines"]["first"]
    assert any("cannot drive DTR/RTS" in line for line in d.evidence)


def test_dropped_link_is_not_called_busy(outcomes):
    d = outcomes["dropped-link"]["first"]
    assert d.meaning == "The connection to the serial server broke during the probe."
    assert any("connection lost" in line or "write failed" in line for line in d.evidence)


def test_stubborn_program_fix_renames_main(outcomes):
    outcome = outcomes["stubborn-program"]
    assert any("tick" in line for line in outcome["first"].evidence)
    assert outcome["fix_prompt"] and outcome["main_disabled"]
    assert outcome["after_reset"] == dg.REPL_OK


# ------------------------------------------------------------------- CLI
def _cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "thonnycontrib.esp32cam", "doctor", *args],
                          cwd=REPO_ROOT, capture_output=True, text=True, timeout=60,
                          env={**__import__("os").environ, "PYTHONPATH": str(REPO_ROOT)})


def test_cli_exit_codes_and_json():
    with VirtualBoard(wiring="direct", firmware=LEMARIVA) as board:
        _booted(board)
        ok = _cli("--port", board.url, "--json")
        held = _cli("--port", board.url, "--json", "--dtr", "on", "--rts", "on")
        text = _cli("--port", board.url)
    assert ok.returncode == 0, ok.stderr
    data = json.loads(ok.stdout)
    assert data["diagnosis"] == "repl_ok" and data["lines"] == {"dtr": False, "rts": False}
    assert held.returncode == 1
    held_data = json.loads(held.stdout)
    assert held_data["diagnosis"] == "held_in_reset" and held_data["evidence"] and held_data["fix"]
    assert text.returncode == 0 and "Diagnosis: MicroPython REPL reachable [repl_ok]" in text.stdout
    assert "... Opening" in text.stderr  # progress goes to stderr


def test_cli_blank_board_and_fix_flag():
    with VirtualBoard(firmware=None) as board:
        board.events.wait_for("no_firmware", timeout=5)
        blank = _cli("--port", board.url, "--json")
    assert blank.returncode == 1
    assert json.loads(blank.stdout)["diagnosis"] == "no_firmware"

    with VirtualBoard(firmware=LEMARIVA) as board:
        _booted(board)
        mark = board.events.mark()
        board.hold_boot(True)
        board.press_reset()
        board.events.wait_for("boot", timeout=5, since=mark)
        stuck = _cli("--port", board.url, "--json", "--no-camera-check")
        board.hold_boot(False)
        fixed = _cli("--port", board.url, "--json", "--no-camera-check", "--fix", "release-and-reset")
    assert stuck.returncode == 1 and json.loads(stuck.stdout)["diagnosis"] == "download_mode"
    assert fixed.returncode == 0, fixed.stdout + fixed.stderr
    assert json.loads(fixed.stdout)["diagnosis"] == "repl_ok"


def test_cli_fix_interrupt_at_boot_frees_a_board_from_a_stubborn_program():
    with VirtualBoard(firmware=LEMARIVA) as board:
        _start_stubborn_program(board)
        stuck = _cli("--port", board.url, "--json", "--no-camera-check")
        fixed = _cli("--port", board.url, "--json", "--no-camera-check", "--fix", "interrupt-at-boot")
    assert stuck.returncode == 1 and json.loads(stuck.stdout)["diagnosis"] == "not_interruptible"
    assert fixed.returncode == 0, fixed.stdout + fixed.stderr
    assert json.loads(fixed.stdout)["diagnosis"] == "repl_ok"
    assert "main.py was renamed to main.py.disabled" in fixed.stderr
