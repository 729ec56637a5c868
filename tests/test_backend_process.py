"""The plug-in's back-end in a real Thonny back-end process (tests/backend_process.py), on
the Thonny generation of the venv that runs the tests (4.1, 5.0 or the development head),
against the virtual board wired "direct": an asserted RTS would hold the chip in reset and
an asserted DTR its IO0 low, so a prompt proves both lines are released."""
from __future__ import annotations

import os
import re
import textwrap
import time

import pytest
from thonny.common import ImmediateCommand, ToplevelCommand, ToplevelResponse

from tests.backend_process import BackendProcess
from thonnycontrib.esp32cam.core import backend_commands, boards

pytestmark = [pytest.mark.thonny, pytest.mark.timeout(300)]

BOOT = 115200
BLOB_SIZE = 20 * 1024


@pytest.fixture
def board():
    from tests.virtualboard import VirtualBoard, synthetic_firmware

    with VirtualBoard(wiring="direct", firmware=synthetic_firmware(family="lemariva"),
                      line_rate="unlimited") as b:
        b.events.wait_for("firmware_started", timeout=20)
        yield b


@pytest.fixture
def start(board, tmp_path):
    started = []

    def start_backend(speed: str = "auto", **kwargs) -> BackendProcess:
        process = BackendProcess(board.url, str(tmp_path / "user"), speed=speed, **kwargs)
        started.append(process)
        assert process.ack.strip() == "OK"
        ready = process.wait_ready(60)
        assert "MicroPython" in ready.get("welcome_text", ""), process.output()
        return process

    yield start_backend
    for process in started:
        process.close()


def _lines_always_released(board, since) -> None:
    """The back-end connected and let go, and neither line was ever asserted (the board
    reports the lines only when they change) nor the chip reset."""
    assert board.events.find("client_connected", since=since) is not None
    lines = board.events.all("lines", since=since)
    assert all(not e.data["dtr"] and not e.data["rts"] for e in lines), lines
    assert board.events.all("reset", since=since) == []


def _rates(process):
    return [e["rate"] for e in process.events(backend_commands.LINK_RATE_EVENT)]


def test_connects_runs_code_stops_a_loop_and_lets_go_without_a_reset(board, start):
    mark = board.events.mark()
    process = start("115200")
    assert board.state == "running"
    assert _rates(process) == [BOOT] and board.events.find("repl_baud") is None
    assert "42" in process.shell("print(6 * 7)").split()

    process.send(ToplevelCommand("execute_source", source="while True:\n    pass\n", tty_mode=True, id="loop"))
    time.sleep(1.0)  # the loop runs
    seen = len(process.seen)
    process.send(ImmediateCommand("interrupt"))
    process.wait_for(lambda m: isinstance(m, ToplevelResponse), 20)
    assert "KeyboardInterrupt" in process.output(seen)
    assert "alive 15" in process.shell("print('alive', 3 * 5)")

    assert process.release_lines_and_wait() == 0
    board.events.wait_for("client_disconnected", timeout=5, since=mark)
    _lines_always_released(board, mark)


def _files_view_round_trip(process, tmp_path, blob: bytes) -> bytes:
    """Upload and download as Thonny's Files view does on this Thonny (thonny/plugins/files.py
    UploadDialog / DownloadDialog: prepare_upload, upload, prepare_download, download)."""
    from thonny.plugins.files import DownloadDialog, prepare_upload_items

    local = tmp_path / "blob.bin"
    local.write_bytes(blob)
    items = list(prepare_upload_items(str(local), str(tmp_path), "/"))
    prepared = process.inline("prepare_upload", target_paths=[i["target_path"] for i in items],
                              description="Uploading 'blob.bin' to /")
    assert prepared.get("existing_items") == {}, prepared
    uploaded = process.inline("upload", items=items, make_shebang_scripts_executable=False, timeout=180)
    assert not uploaded.get("errors") and not uploaded.get("error"), uploaded
    assert str(len(blob)) in process.shell("import os; print(os.stat('/blob.bin')[6])").split()

    down = tmp_path / "down"
    down.mkdir()
    prepared = process.inline("prepare_download", source_paths=["/blob.bin"], description="blob.bin")
    # DownloadDialog's own item builder (it uses nothing of the dialog)
    items = DownloadDialog._prepare_download_items(None, prepared["all_items"], str(down))
    downloaded = process.inline("download", items=items, timeout=180)
    assert not downloaded.get("errors") and not downloaded.get("error"), downloaded
    return (down / "blob.bin").read_bytes()


def _blob() -> bytes:
    return bytes((i * 7 + (i >> 8)) & 0xFF for i in range(BLOB_SIZE))  # every byte value, no text


def test_files_view_moves_a_file_byte_exact_with_thonnys_transfer_at_115200(board, start, tmp_path):
    process = start("115200")
    blob = _blob()
    assert _files_view_round_trip(process, tmp_path, blob) == blob
    log = (tmp_path / "user" / "backend.log").read_text(encoding="utf-8", errors="replace")
    assert "Fast upload" not in log and "Fast download" not in log  # Thonny's own transfer
    assert process.release_lines_and_wait() == 0


def test_the_fast_link_goes_above_115200_moves_files_byte_exact_and_leaves_115200(board, start, tmp_path):
    mark = board.events.mark()
    process = start("auto")
    assert _rates(process) and _rates(process)[-1] > BOOT, process.output()
    assert board.events.find("repl_baud", since=mark) is not None  # the board's UART switched
    blob = _blob()
    assert _files_view_round_trip(process, tmp_path, blob) == blob
    log = (tmp_path / "user" / "backend.log").read_text(encoding="utf-8", errors="replace")
    # the plug-in's own transfers ran (backend/fast_files.py), not Thonny's hexadecimal ones
    assert "Fast upload of /blob.bin: %d bytes" % BLOB_SIZE in log
    assert "Fast download of /blob.bin: %d bytes" % BLOB_SIZE in log
    assert "alive" in process.shell("print('alive')")

    assert process.release_lines_and_wait() == 0
    board.events.wait_for("client_disconnected", timeout=5, since=mark)
    _lines_always_released(board, mark)
    assert board.uart.chip_baud == BOOT + 1  # back at 115200 (the chip's divider: 115201)
    assert (tmp_path / "user" / "esp32cam" / "fast_link.json").is_file()  # thonny_compat.plugin_user_dir()


def test_an_upload_damaged_on_the_way_to_the_board_is_sent_again_and_arrives_byte_exact(board, start, tmp_path):
    process = start("auto")
    assert _rates(process)[-1] > BOOT, process.output()
    mark = board.events.mark()
    # two bytes of the upload get a bit flipped on the line to the chip, 2500 bytes apart
    # (the upload's code is about 1.3 KB; 20 KB of data follow it)
    board.uart.flip_to_chip(skip=6000, count=2, every=2500)
    blob = _blob()
    assert _files_view_round_trip(process, tmp_path, blob) == blob
    assert board.events.find("flipped_to_chip", since=mark) is not None
    log = (tmp_path / "user" / "backend.log").read_text(encoding="utf-8", errors="replace")
    again = re.search(r"Fast upload of /blob.bin: %d bytes \((\d+) blocks sent again\)" % BLOB_SIZE, log)
    assert again and int(again.group(1)) >= 2, log[-2000:]  # each damaged block and the one after it
    assert process.release_lines_and_wait() == 0


def test_a_camera_capture_brings_a_jpeg_and_the_shell_works_after(board, start):
    process = start("auto")
    profile = boards.get_profile(None).key
    settings = {"frame_size": "QVGA", "quality": 12, "vflip": False, "hmirror": False}
    response = process.inline(backend_commands.CAMERA, action="capture", profile=profile, request_id=1,
                              settings=settings, timeout=60)
    assert "problem" not in response, response
    assert response["jpeg"][:2] == b"\xff\xd8" and response["family"] == "lemariva"
    assert response["request_id"] == 1 and response["baudrate"] > BOOT
    # Run restarts the interpreter (a soft reboot keeps the fast rate): the camera is released
    # first, so a script that starts the camera itself works
    out = process.run("import camera\nprint('ran', camera.init(0, format=camera.JPEG))\n")
    assert "ran True" in out and "Traceback" not in out, out
    assert "42" in process.shell("print(6 * 7)").split()
    released = process.inline(backend_commands.CAMERA, action="release", profile=profile, request_id=2)
    assert released.get("released") is True
    assert process.release_lines_and_wait() == 0


# --- a Thonny whose internals moved again ------------------------------------------------------

HIDING_SITECUSTOMIZE = textwrap.dedent('''
    """Test only: Thonny as if its API had moved (modules gone, or a member gone)."""
    import importlib.abc, importlib.machinery, os, sys

    HIDDEN = [n for n in os.environ.get("ESP32CAM_TEST_HIDE_MODULES", "").split(",") if n]
    STRIP = os.environ.get("ESP32CAM_TEST_STRIP", "")  # "module:Class.member"

    class Mover(importlib.abc.MetaPathFinder):
        def find_spec(self, name, path, target=None):
            if any(name == h or name.startswith(h + ".") for h in HIDDEN):
                raise ModuleNotFoundError("No module named %r" % name, name=name)
            if STRIP and name == STRIP.split(":")[0]:
                spec = importlib.machinery.PathFinder.find_spec(name, path)
                loader = spec.loader
                original = loader.exec_module

                def exec_module(module):
                    original(module)
                    owner, member = STRIP.split(":")[1].split(".")
                    delattr(getattr(module, owner), member)

                loader.exec_module = exec_module
                return spec
            return None

    sys.meta_path.insert(0, Mover())
''')


def _moved_thonny(tmp_path, **env) -> BackendProcess:
    site = tmp_path / "site"
    site.mkdir()
    (site / "sitecustomize.py").write_text(HIDING_SITECUSTOMIZE)
    path = os.pathsep.join([str(site)] + [p for p in os.environ.get("PYTHONPATH", "").split(os.pathsep) if p])
    return BackendProcess("rfc2217://127.0.0.1:9", str(tmp_path / "user"), env=dict(env, PYTHONPATH=path))


def _assert_one_clear_line(process, tmp_path, needs: str) -> None:
    try:
        assert process.ack.strip() == "OK"
        message = process.wait_for(lambda m: m.event_type == "ProgramOutput", 30)
        status = process.proc.wait(30)
    finally:
        process.close()
    text = message["data"].strip()
    assert message["stream_name"] == "stderr" and "\n" not in text, text
    assert text.startswith("thonny-esp32cam does not support this Thonny") and needs in text, text
    assert status != 0
    assert "Traceback" not in process.stderr_text, process.stderr_text
    log = (tmp_path / "user" / "backend.log").read_text(encoding="utf-8", errors="replace")
    assert text in log


def test_a_thonny_without_the_known_connection_modules_gets_one_line_and_a_failed_exit(tmp_path):
    process = _moved_thonny(tmp_path, ESP32CAM_TEST_HIDE_MODULES="thonny.plugins.micropython.connection,minny")
    _assert_one_clear_line(process, tmp_path, "minny.connection")


def test_a_thonny_whose_back_end_lost_a_member_the_plug_in_uses_gets_one_line(tmp_path):
    from thonnycontrib.esp32cam import thonny_compat

    if thonny_compat.generation() == thonny_compat.MINNY:
        strip = "minny.target:ProperTargetManager._submit_code_via_raw_mode"
    else:
        strip = "thonny.plugins.micropython.bare_metal_backend:BareMetalMicroPythonBackend._submit_code_via_raw_mode"
    process = _moved_thonny(tmp_path, ESP32CAM_TEST_STRIP=strip)
    _assert_one_clear_line(process, tmp_path, "._submit_code_via_raw_mode")


def test_prepare_disconnect_puts_a_fast_board_back_at_115200_for_the_next_program(board, start):
    """Thonny sends prepare_disconnect before it lets go of the port (system shell, doctor,
    installer: mp_front.py ``disconnect``); a plain terminal at 115200 then gets a prompt."""
    from tests.virtualboard.testing import open_client, read_until

    process = start("auto")
    assert _rates(process)[-1] > BOOT
    process.inline("prepare_disconnect", timeout=30)
    assert board.uart.chip_baud == BOOT + 1
    assert process.release_lines_and_wait() == 0
    client = open_client(board.url, baudrate=BOOT)
    try:
        client.write(b"\r")
        assert read_until(client, b">>> ", 5).endswith(b">>> ")
    finally:
        client.close()


def test_firmware_that_keeps_its_repl_at_115200_says_so_once_in_the_shell(tmp_path):
    """The note is written while the back-end connects: before its first prompt (on the
    development head, while minny's target manager is still being built)."""
    from tests.virtualboard import VirtualBoard, synthetic_firmware

    old = "MicroPython v1.18-74-gfeeeb5ea3 on 2022-01-17; ESP32 module (spiram) with ESP32"
    with VirtualBoard(wiring="direct", firmware=synthetic_firmware("lemariva", banner=old),
                      line_rate="unlimited") as board:
        board.events.wait_for("firmware_started", timeout=20)
        process = BackendProcess(board.url, str(tmp_path / "user"), speed="auto")
        try:
            process.wait_ready(60)
            events = process.events(backend_commands.LINK_RATE_EVENT)
            assert [(e["rate"], e["unsupported"]) for e in events] == [(BOOT, True)]
            assert process.output(stream="stderr").count("keeps its REPL at 115200 baud") == 1
            assert "42" in process.shell("print(6 * 7)").split()
            assert process.release_lines_and_wait() == 0
        finally:
            process.close()


def test_a_clean_start_as_stop_restart_makes_one_works_at_the_fast_rate(board, start):
    """Stop/Restart starts the back-end with clean=True: Thonny soft-reboots the board
    (4.1/5.0 inside the first-prompt search, minny right after it)."""
    process = start("auto", clean=True)
    assert _rates(process) and _rates(process)[-1] > BOOT
    assert "alive 15" in process.shell("print('alive', 3 * 5)")
    assert process.release_lines_and_wait() == 0
    assert board.uart.chip_baud == BOOT + 1
