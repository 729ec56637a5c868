"""Re-installing writes only what differs and keeps the user's files (issue 22 items 2, 3).

Real esptool (whichever the running Python has: 5.x in the main venv, 4.8.1 in the
esptool-4 venv) against the virtual board; the board is read first (core/board_survey.py
in esptool's Python), then only the 64 KB regions whose MD5 differs are written and the
whole image verified. Files are written to and read from the board's littlefs through
mpremote, an independent client.
"""
from __future__ import annotations

import json
import os
import random
import re
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.real_images import real_firmware_dir, real_image, real_image_path
from tests.virtualboard import VirtualBoard, synthetic_firmware
from tests.virtualboard.testing import FASTCLIENT_DIR
from thonnycontrib.esp32cam.core import esptool_cmd as ec
from thonnycontrib.esp32cam.core import partitions as pt
from thonnycontrib.esp32cam.core.catalog import load_bundled
from thonnycontrib.esp32cam.core.flasher import FlashOptions
from thonnycontrib.esp32cam.core.image import inspect_image
from thonnycontrib.esp32cam.core.install import FILES_AT_RISK, Installer
from thonnycontrib.esp32cam.core.prepare import PreparedImage, prepare_file
from thonnycontrib.esp32cam.core.reinstall import REGION, regions

REPO = Path(__file__).resolve().parent.parent
pytestmark = pytest.mark.esptool


@pytest.fixture
def fast_client(monkeypatch):
    paths = [str(FASTCLIENT_DIR), str(REPO), os.environ.get("PYTHONPATH", "")]
    monkeypatch.setenv("PYTHONPATH", os.pathsep.join(p for p in paths if p))


def _install(url, prepared, tmp_path, lines=None, **kwargs):
    lines = [] if lines is None else lines
    erase = kwargs.pop("erase", False)
    options = FlashOptions(port=url, erase=erase, bauds=[921600], work_dir=str(tmp_path / "work"))
    installer = Installer(ec.find_esptool(sys.executable), on_line=lines.append)
    return installer.run(prepared, options, check_seconds=20, **kwargs), lines


def _writes(lines):
    """The esptool write commands run, and the flash addresses their files went to."""
    commands = [line for line in lines if line.startswith("$ ") and re.search(r"write[-_]flash", line)]
    return commands, [int(a, 16) for c in commands for a in re.findall(r" (0x[0-9a-f]+) \S+\.(?:bin|part)", c)]


def _synthetic(tmp_path, name, tail: bytes) -> PreparedImage:
    """A valid synthetic image with an incompressible tail after its app (not part of any
    segment): a ~450 KB image whose regions can be changed one at a time."""
    data = synthetic_firmware("lemariva") + tail
    path = tmp_path / f"{name}.bin"
    path.write_bytes(data)
    return PreparedImage(path, inspect_image(data, "esp32"), "esp32")


def _mpremote(url, *args, timeout=90):
    proc = subprocess.run([sys.executable, "-m", "mpremote", "connect", url, *args],
                          capture_output=True, text=True, timeout=timeout)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    return proc.stdout


def test_reinstalling_the_same_image_writes_nothing_and_a_changed_one_only_its_regions(tmp_path, fast_client):
    tail = random.Random(7).randbytes(6 * REGION)
    first = _synthetic(tmp_path, "first", tail)
    with VirtualBoard(wiring="classic", flash_timing="fast", en_delay=0.02) as board:
        report, lines = _install(board.url, first, tmp_path)  # a blank board: nothing to keep
        assert report.ok and report.started, "\n".join(lines)
        assert report.plan.mode == "fresh" and "no files to keep" in report.plan.message
        assert board.flash.read(0x1000, first.info.size) == first.path.read_bytes()

        again, lines = _install(board.url, first, tmp_path)
        assert again.ok and again.started, "\n".join(lines)
        assert _writes(lines)[0] == []  # no write-flash at all: every region's hash matched
        assert "already holds this firmware" in again.flash.message
        assert not again.flash.board_changed

        changed_tail = bytearray(tail)
        changed_tail[3 * REGION + 100:3 * REGION + 200] = bytes(100)  # one region of the tail
        second = _synthetic(tmp_path, "second", bytes(changed_tail))
        changed = (len(synthetic_firmware("lemariva")) + 3 * REGION + 100) // REGION
        board.flash.write(0x1000 + 1 * REGION, b"\0" * 16)  # and the board lost a bit of another region
        third, lines = _install(board.url, second, tmp_path)
        assert third.ok and third.started, "\n".join(lines)
        spans = regions(0x1000, second.info.size)
        assert third.plan.write == [spans[1], spans[changed]] and "2 of" in third.plan.message
        commands, addresses = _writes(lines)
        assert len(commands) == 1 and addresses == [spans[1][0], spans[changed][0]], commands
        assert any(re.search(r"verify[-_]flash", line) for line in lines if line.startswith("$ "))
        assert board.flash.read(0x1000, second.info.size) == second.path.read_bytes()
        assert not list((tmp_path / "work").glob("*.part"))  # the region files are removed


def test_the_read_and_the_write_share_one_stub_upload(tmp_path, fast_client):
    """Nothing is asked in between, so the read leaves esptool's stub running and the write's
    esptool finds it by its sync (no second reset, connect and stub upload); afterwards the
    board is reset into the new firmware with IO0 released."""
    image = _synthetic(tmp_path, "once", random.Random(3).randbytes(2 * REGION))
    with VirtualBoard(wiring="classic", flash_timing="fast", en_delay=0.02) as board:
        report, lines = _install(board.url, image, tmp_path)
        assert report.ok and report.started, "\n".join(lines)
        assert sum("Uploading stub" in line for line in lines) == 1, "\n".join(lines)
        # esptool 4.8.1 "Stub is already running", 5.x "Stub flasher is already running" (loader.py run_stub)
        assert any(re.search(r"Stub (flasher )?is already running", line) for line in lines), "\n".join(lines)
        assert board.flash.read(0x1000, image.info.size) == image.path.read_bytes()
        # the same image again: the read sees every hash match and resets the board itself
        again, lines = _install(board.url, image, tmp_path)
        assert again.ok and again.started and _writes(lines)[0] == [], "\n".join(lines)
        assert sum("Uploading stub" in line for line in lines) == 1
        assert not any(line.startswith("It was reset") for line in lines), "\n".join(lines)


@pytest.mark.slow
def test_a_reinstall_takes_a_small_fraction_of_the_first_install(tmp_path, fast_client):
    """Real flash timing and line rate: the first install of a real 1.4 MB build (the whole
    flash erased, as before) against re-installing it (read and hashed, nothing written)."""
    build = load_bundled().get("lemariva-v1.21.0")
    prepared = prepare_file(str(real_image_path(build.sha256)), "esp32")
    with VirtualBoard(wiring="classic", flash_timing="real", en_delay=0.02) as board:
        started = time.monotonic()
        report, lines = _install(board.url, prepared, tmp_path, erase=True)
        first = time.monotonic() - started
        assert report.ok and report.started, "\n".join(lines)
        started = time.monotonic()
        again, lines = _install(board.url, prepared, tmp_path)
        second = time.monotonic() - started
        assert again.ok and again.started and _writes(lines)[0] == [], "\n".join(lines)
    print(f"first install {first:.1f} s, re-install {second:.1f} s: {second / first:.2f}x")
    assert second / first <= 0.25, (first, second)


def _board_with_files(board, tmp_path):
    board.events.wait_for("firmware_started", timeout=30)
    local = tmp_path / "main.py"
    local.write_text("print('my program')\n")
    photo = tmp_path / "photo.jpg"
    photo.write_bytes(os.urandom(5000))
    _mpremote(board.url, "fs", "cp", str(local), ":main.py", "+", "fs", "mkdir", ":photos",
              "+", "fs", "cp", str(photo), ":photos/photo.jpg")
    return local.read_bytes(), photo.read_bytes()


def test_files_survive_a_reinstall_of_another_build_with_the_same_layout(tmp_path, fast_client):
    builds = load_bundled()
    old, new = builds.get("kaki5-20230521-ble"), builds.get("kaki5-20230607-ble")
    old_fs = pt.filesystem(pt.image_table(real_image(old.sha256), 0x1000), 4 << 20)
    assert (old_fs.offset, old_fs.size) == (0x300000, 0x100000)
    prepared = prepare_file(str(real_image_path(new.sha256)), "esp32")
    with VirtualBoard(wiring="classic", flash_timing="fast", en_delay=0.02,
                      firmware=real_image(old.sha256)) as board:
        main_py, photo = _board_with_files(board, tmp_path)
        fs_before = board.flash.read(old_fs.offset, old_fs.size)
        report, lines = _install(board.url, prepared, tmp_path)
        assert report.ok and report.started, "\n".join(lines)
        assert report.plan.mode == "keep" and "files are kept" in report.plan.message
        assert not any("erase" in c and "--erase-all" in c for c in _writes(lines)[0])
        assert board.flash.read(old_fs.offset, old_fs.size) == fs_before  # not one byte of it touched
        assert board.flash.read(0x1000, new.size) == real_image(new.sha256)
        out = _mpremote(board.url, "exec", "print(open('main.py').read()); "
                        "print(len(open('photos/photo.jpg','rb').read()))")
        assert "my program" in out and str(len(photo)) in out


def test_a_layout_change_is_announced_before_writing_and_the_files_can_be_copied_first(tmp_path, fast_client):
    builds = load_bundled()
    old, new = builds.get("lemariva-v1.21.0"), builds.get("kaki5-20230607-ble")  # vfs at 0x200000, 0x300000
    prepared = prepare_file(str(real_image_path(new.sha256)), "esp32")
    with VirtualBoard(wiring="classic", flash_timing="fast", en_delay=0.02,
                      firmware=real_image(old.sha256)) as board:
        main_py, photo = _board_with_files(board, tmp_path)
        flash_before = board.flash.read(0, 4 << 20)
        report, lines = _install(board.url, prepared, tmp_path)  # neither erase_files nor backup_dir
        assert not report.ok and report.flash.outcome == FILES_AT_RISK
        assert "The board's files will be erased" in report.flash.message
        assert "filesystem at 0x200000" in report.flash.message and "0x300000" in report.flash.message
        assert _writes(lines)[0] == [] and board.flash.read(0, 4 << 20) == flash_before

        backup = tmp_path / "backup"
        report, lines = _install(board.url, prepared, tmp_path, backup_dir=str(backup))
        assert report.ok and report.started, "\n".join(lines)
        assert (backup / "main.py").read_bytes() == main_py
        assert (backup / "photos" / "photo.jpg").read_bytes() == photo
        assert any("--erase-all" in c for c in _writes(lines)[0])
        assert board.flash.read(0x1000, new.size) == real_image(new.sha256)


def _cli(args, env, timeout=240, stdin=subprocess.DEVNULL):
    return subprocess.run([sys.executable, "-m", "thonnycontrib.esp32cam", *args], env=env, cwd=str(REPO),
                          capture_output=True, text=True, timeout=timeout, stdin=stdin)


def test_the_cli_says_before_writing_that_the_files_will_be_erased(tmp_path, fast_client):
    builds = load_bundled()
    old, new = builds.get("lemariva-v1.21.0"), builds.get("kaki5-20230607-ble")
    env = dict(os.environ, THONNY_USER_DIR=str(tmp_path / "user"),
               ESP32CAM_FIRMWARE_MIRROR=str(real_firmware_dir()))
    with VirtualBoard(wiring="classic", flash_timing="fast", en_delay=0.02,
                      firmware=real_image(old.sha256)) as board:
        main_py, _ = _board_with_files(board, tmp_path)
        flash_before = board.flash.read(0, 4 << 20)
        proc = _cli(["flash", "--port", board.url, "--build", new.id, "--baud", "921600"], env)
        out = proc.stdout + proc.stderr
        assert proc.returncode == 2, out  # nobody to ask: refused
        assert "The board's files will be erased" in out and "--backup-files" in out
        assert board.flash.read(0, 4 << 20) == flash_before

        proc = _cli(["flash", "--port", board.url, "--build", new.id, "--baud", "921600", "--yes",
                     "--backup-files", str(tmp_path / "copy")], env)
        out = proc.stdout + proc.stderr
        assert proc.returncode == 0, out
        assert "The board's files will be erased" in out
        assert (tmp_path / "copy" / "main.py").read_bytes() == main_py
        assert board.flash.read(0x1000, new.size) == real_image(new.sha256)

        proc = _cli(["flash", "--port", board.url, "--build", new.id, "--baud", "921600", "--yes"], env)
        out = proc.stdout + proc.stderr
        assert proc.returncode == 0, out
        assert "already holds this firmware" in out and "files are kept" in out


def test_the_cli_on_several_boards_copies_the_files_of_the_one_whose_layout_changes(tmp_path, fast_client):
    builds = load_bundled()
    new = builds.get("kaki5-20230607-ble")
    env = dict(os.environ, THONNY_USER_DIR=str(tmp_path / "user"),
               ESP32CAM_FIRMWARE_MIRROR=str(real_firmware_dir()))
    backup = tmp_path / "class"
    with VirtualBoard(wiring="classic", flash_timing="fast", en_delay=0.02,
                      firmware=real_image(builds.get("lemariva-v1.21.0").sha256)) as other, \
            VirtualBoard(wiring="classic", flash_timing="fast", en_delay=0.02,
                         firmware=real_image(builds.get("kaki5-20230521-ble").sha256)) as same:
        main_py, _ = _board_with_files(other, tmp_path)
        _board_with_files(same, tmp_path)
        same_fs = same.flash.read(0x300000, 0x100000)
        proc = _cli(["flash", "--port", other.url, "--port", same.url, "--build", new.id, "--baud", "921600",
                     "--yes", "--backup-files", str(backup), "--json"], env)
        out = proc.stdout + proc.stderr
        assert proc.returncode == 0, out
        for board in (other, same):
            assert board.flash.read(0x1000, new.size) == real_image(new.sha256)
        assert same.flash.read(0x300000, 0x100000) == same_fs
    folders = list(backup.iterdir())
    assert len(folders) == 1 and (folders[0] / "main.py").read_bytes() == main_py, folders
    results = {r["port"]: r for r in json.loads(proc.stdout[proc.stdout.index("["):])}
    assert results[other.url]["files"] == "copied, then erased" and "files were copied" in results[other.url]["message"]
    assert results[same.url]["files"] == "kept"
