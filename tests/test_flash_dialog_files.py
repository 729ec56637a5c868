"""The installer dialog and the classroom tray keep the board's files (issue 22 item 3), in a
real Thonny Workbench under Xvfb, with real esptool, real firmware images and the virtual
board; files are put on the board and read back with mpremote (an independent client).

- same layout (kaki5 2023-05-21 -> 2023-06-07, both vfs at 0x300000): no question, the files
  survive, Thonny's Shell reads main.py afterwards; pressing Install again writes nothing;
- another layout (lemariva 1.21.0, vfs at 0x200000 -> kaki5): the dialog asks before writing;
  "Write nothing" leaves the board as it was, "Copy the files, then install" copies them into
  the chosen folder and installs;
- the tray: the per-run choice "Copy its files first" copies a board's files into a folder per
  port, and a board of the same layout keeps its files.
"""
from __future__ import annotations

import os
import re
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.real_images import real_firmware_dir, real_image
from tests.test_flash_dialog import _drive_modal, _press_install, _select_build
from tests.thonny_harness import REPO_ROOT, run_scenario
from tests.virtualboard import VirtualBoard
from tests.virtualboard.testing import FASTCLIENT_DIR
from thonnycontrib.esp32cam.core.catalog import load_bundled

pytestmark = [pytest.mark.thonny, pytest.mark.esptool]

OLD_SAME, NEW = "kaki5-20230521-ble", "kaki5-20230607-ble"  # vfs at 0x300000 in both
OLD_OTHER = "lemariva-v1.21.0"                              # vfs at 0x200000
MAIN_PY = "print('my program')\n"


def _env() -> dict:
    path = os.pathsep.join([str(FASTCLIENT_DIR), str(REPO_ROOT), os.environ.get("PYTHONPATH", "")])
    return {"PYTHONPATH": path.rstrip(os.pathsep)}


def _board(build_id: str) -> VirtualBoard:
    return VirtualBoard(wiring="classic", flash_timing="fast", en_delay=0.02,
                        firmware=real_image(load_bundled().get(build_id).sha256))


def _put_files(board: VirtualBoard, tmp_path: Path, tag: str) -> bytes:
    """main.py and photos/photo.jpg on the board's filesystem; returns the photo."""
    board.events.wait_for("firmware_started", timeout=30)
    main, photo = tmp_path / f"main-{tag}.py", tmp_path / f"photo-{tag}.jpg"
    main.write_text(MAIN_PY)
    photo.write_bytes(os.urandom(3000))
    env = dict(os.environ, **_env())
    proc = subprocess.run([sys.executable, "-m", "mpremote", "connect", board.url, "fs", "cp", str(main),
                           ":main.py", "+", "fs", "mkdir", ":photos", "+", "fs", "cp", str(photo),
                           ":photos/photo.jpg"], capture_output=True, text=True, timeout=90, env=env)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    return photo.read_bytes()


def _writes(log: str):
    return [line for line in log.splitlines() if line.startswith("$ ") and re.search(r"write[-_]flash", line)]


def _question(h):
    from thonnycontrib.esp32cam.frontend.files_question import FilesQuestion

    return next((w for w in h.widgets() if isinstance(w, FilesQuestion) and w.winfo_ismapped()), None)


def _log(dlg) -> str:
    return dlg.log_text.text.get("1.0", "end")


# ---- same layout: the files are kept, no question ----------------------------------------
def scenario_same_layout(h, url: str, mirror: str):
    h.select_backend("ESP32CAM", port=url)
    h.wait_for_prompt(30)

    def script(dlg, result):
        dlg.set_mirror(mirror)
        dlg.port_combo.set(url)
        _select_build(dlg, NEW)
        result["erase_default"] = dlg.erase_var.get()
        yield _press_install(dlg)
        result.update(success=dlg.success, log=_log(dlg), asked=_question(h) is not None)
        yield h.is_at_prompt  # reconnected to the new firmware
        dlg._cancel_button.invoke()  # "Close"
        yield lambda: True

    result = {"first": _drive_modal(h, script, timeout=240)}
    result["second"] = _drive_modal(h, script, timeout=120)  # opened again: the same build
    result["shell"] = h.run_in_shell("print(open('main.py').read()); print(len(open('photos/photo.jpg','rb').read()))")
    return result


def test_the_installer_keeps_the_files_of_a_build_with_the_same_layout(xdisplay, tmp_path):
    new = load_bundled().get(NEW)
    with _board(OLD_SAME) as board:
        photo = _put_files(board, tmp_path, "same")
        fs_before = board.flash.read(0x300000, 0x100000)
        r = run_scenario(scenario_same_layout, tmp_path / "user", env=_env(), timeout=300, url=board.url,
                         mirror=str(real_firmware_dir()))
        assert board.flash.read(0x1000, new.size) == real_image(new.sha256)
        assert board.flash.read(0x300000, 0x100000) == fs_before  # the filesystem not touched
    first, second = r["first"], r["second"]
    assert first["erase_default"] is False
    assert first["success"] and not first["asked"], first["log"]
    assert "The board's files are kept" in first["log"] and "littlefs filesystem at 0x300000" in first["log"]
    assert _writes(first["log"]) and not any("--erase-all" in c for c in _writes(first["log"]))
    assert "only the parts that differed" in first["log"]
    assert "my program" in r["shell"] and str(len(photo)) in r["shell"]
    assert second["success"] and _writes(second["log"]) == [], second["log"]
    assert "already holds this firmware" in second["log"]


# ---- another layout: asked before writing -------------------------------------------------
def scenario_other_layout(h, url: str, mirror: str, backup: str):
    h.select_backend("ESP32CAM", port=url)
    h.wait_for_prompt(30)

    def script(dlg, result):
        dlg.set_mirror(mirror)
        dlg.port_combo.set(url)
        _select_build(dlg, NEW)
        _press_install(dlg)
        yield lambda: _question(h) is not None
        question = _question(h)
        # the question takes the grab once mapped (Tk: a grab needs a viewable window), which a
        # loaded X server may show a moment after the window exists
        yield lambda: question.grab_status() or time.monotonic() > result.setdefault(
            "grab_deadline", time.monotonic() + 5)
        result.pop("grab_deadline", None)
        result.update(message=question.message_label.cget("text"),
                      log_while_asked=_log(dlg), default_folder=question.folder_var.get(),
                      grabbed=str(question.grab_status() or ""))
        question.cancel_button.invoke()  # "Write nothing"
        yield lambda: dlg._state in ("idle", "done")
        result.update(cancelled=dlg.success, cancel_log=_log(dlg), cancel_action=dlg._current_action_label["text"])
        yield h.is_at_prompt  # Thonny got the untouched board back

        _press_install(dlg)  # again, and this time the files are copied first
        yield lambda: _question(h) is not None
        question = _question(h)
        question.folder_var.set("")
        question.copy_button.invoke()  # no folder: it says so and stays
        result["no_folder"] = question.note_label.cget("text")
        question.folder_var.set(backup)
        question.copy_button.invoke()
        yield lambda: dlg._state in ("idle", "done")
        result.update(installed=dlg.success, install_log=_log(dlg))
        yield h.is_at_prompt
        dlg._cancel_button.invoke()
        yield lambda: True

    return _drive_modal(h, script, timeout=300)


def test_the_installer_asks_before_a_layout_change_erases_the_files_and_copies_them_first(xdisplay, tmp_path):
    new = load_bundled().get(NEW)
    backup = tmp_path / "copied"
    with _board(OLD_OTHER) as board:
        photo = _put_files(board, tmp_path, "other")
        r = run_scenario(scenario_other_layout, tmp_path / "user", env=_env(), timeout=360, url=board.url,
                         mirror=str(real_firmware_dir()), backup=str(backup))
        assert board.flash.read(0x1000, new.size) == real_image(new.sha256)
    assert r["message"].startswith("The board's files will be erased: they are in a littlefs filesystem at "
                                   "0x200000 (2 MB), and the new firmware's filesystem is at 0x300000"), r["message"]
    assert _writes(r["log_while_asked"]) == []  # asked before anything was written
    assert r["grabbed"] in ("local", "global")
    assert "ESP32-CAM files" in r["default_folder"]
    assert not r["cancelled"] and "Nothing was written: the board and its files are as they were." in r["cancel_log"]
    assert _writes(r["cancel_log"]) == [] and r["cancel_action"] == "Cancelled"
    assert r["no_folder"] == "\u26a0 Choose a folder to copy the files into."  # a warning: ⚠, not colour alone
    assert r["installed"], r["install_log"]
    assert re.search(r"Copied \d+ files to " + re.escape(str(backup)), r["install_log"]), r["install_log"]
    assert any("--erase-all" in c for c in _writes(r["install_log"])), r["install_log"]
    assert (backup / "main.py").read_text() == MAIN_PY
    assert (backup / "photos" / "photo.jpg").read_bytes() == photo


# ---- the tray: one choice per run ----------------------------------------------------------
def scenario_tray_files(h, urls: dict, mirror: str, backup: str):
    from thonnycontrib.esp32cam.frontend.classroom_dialog import TrayDialog
    from thonnycontrib.esp32cam.frontend.files_question import BACKUP
    from thonnycontrib.esp32cam.frontend.flash_dialog import FirmwareInstallerDialog

    installer = FirmwareInstallerDialog(h.wb)
    installer.set_mirror(mirror)
    _select_build(installer, NEW)

    def install(tray, result):
        choice = tray.files_choice
        result["default"] = (choice.choice_var.get(), dict(choice.chosen), str(choice.folder_entry.state()))
        choice.choose(BACKUP)
        choice.folder_var.set(backup)
        result["chosen"] = dict(choice.chosen)
        tray.run_button.invoke()
        yield lambda: tray.busy
        yield lambda: not tray.busy
        result["rows"] = {p: tray.table.row(p) for p in tray.table.tree.get_children()}
        result["boards"] = {b.port: b.to_json() for b in tray.boards}
        tray.close()
        yield lambda: True

    return h.drive_modal(TrayDialog, install, installer.tray_button.invoke, 240)


def test_the_tray_copies_the_files_of_a_board_whose_layout_changes(xdisplay, tmp_path):
    new = load_bundled().get(NEW)
    backup = tmp_path / "class-files"
    with _board(OLD_OTHER) as other, _board(OLD_SAME) as same:
        photo = _put_files(other, tmp_path, "other")
        _put_files(same, tmp_path, "same")
        same_fs = same.flash.read(0x300000, 0x100000)
        env = dict(_env(), ESP32CAM_NETWORK_PORTS=f"{other.url} {same.url}")
        r = run_scenario(scenario_tray_files, tmp_path / "user", env=env, timeout=300,
                         urls={"other": other.url, "same": same.url}, mirror=str(real_firmware_dir()),
                         backup=str(backup))
        for board in (other, same):
            assert board.flash.read(0x1000, new.size) == real_image(new.sha256)
        assert same.flash.read(0x300000, 0x100000) == same_fs
    text, chosen, folder_state = r["default"]
    assert text == "Leave it as it is (nothing written)" and chosen == {"erase_files": False, "backup_dir": None}
    assert "disabled" in folder_state
    assert r["chosen"] == {"erase_files": False, "backup_dir": str(backup)}
    assert all(row["result"].startswith("ok") for row in r["rows"].values()), r["rows"]
    boards = r["boards"]
    assert boards[other.url]["files"] == "copied, then erased", boards[other.url]
    assert boards[same.url]["files"] == "kept", boards[same.url]
    copied = [p for p in backup.iterdir()]
    assert len(copied) == 1, copied  # one folder: the board whose files were at risk
    assert (copied[0] / "main.py").read_text() == MAIN_PY
    assert (copied[0] / "photos" / "photo.jpg").read_bytes() == photo
    assert "files were copied" in boards[other.url]["message"]
