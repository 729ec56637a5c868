"""The camera stub the front-end puts where the development head's language server looks
(``frontend/completion_stubs.py``): the board's family, replaced when it changes, taken out
for a firmware without camera module, never outside Thonny's user folder, never over a
``camera.pyi`` the user wrote. (In Thonny: tests/test_camera_view.py, the completion tests.)"""
from __future__ import annotations

import pytest

from thonnycontrib.esp32cam.frontend.completion_stubs import MARKER, STUB_NAME, place_stub, stub_text
from thonnycontrib.esp32cam.stubs import stub_path


@pytest.fixture
def folders(tmp_path):
    user = tmp_path / "thonny-user"
    stubs = user / "stubs" / "ESP32CAM"
    stubs.mkdir(parents=True)
    return user, stubs


def test_the_family_stub_is_the_plugins_with_a_marker_line():
    text = stub_text("kaki5")
    first, rest = text.split("\n", 1)
    assert first.startswith(MARKER) and "(kaki5)" in first
    assert rest == (open(f"{stub_path('kaki5')}/{STUB_NAME}", encoding="utf-8").read())


def test_placed_replaced_when_the_family_changes_and_left_when_it_does_not(folders):
    user, stubs = folders
    assert place_stub(str(stubs), "lemariva", str(user)) is True
    assert (stubs / STUB_NAME).read_text(encoding="utf-8") == stub_text("lemariva")
    assert place_stub(str(stubs), "lemariva", str(user)) is False  # same board again: no restart
    assert place_stub(str(stubs), "cnadler86", str(user)) is True
    assert "class Camera" in (stubs / STUB_NAME).read_text(encoding="utf-8")
    assert sorted(p.name for p in stubs.iterdir()) == [STUB_NAME]  # no temporary file left


def test_taken_out_for_a_firmware_without_camera_module(folders):
    user, stubs = folders
    assert place_stub(str(stubs), None, str(user)) is False  # nothing to take out
    place_stub(str(stubs), "kaki5", str(user))
    assert place_stub(str(stubs), None, str(user)) is True
    assert not (stubs / STUB_NAME).exists()


def test_a_camera_stub_of_the_users_own_is_left_alone(folders):
    user, stubs = folders
    own = "def my_camera() -> None: ...\n"
    (stubs / STUB_NAME).write_text(own, encoding="utf-8")
    assert place_stub(str(stubs), "lemariva", str(user)) is False
    assert place_stub(str(stubs), None, str(user)) is False
    assert (stubs / STUB_NAME).read_text(encoding="utf-8") == own


def test_nothing_is_written_outside_thonnys_user_folder(tmp_path):
    user = tmp_path / "thonny-user"
    elsewhere = tmp_path / "elsewhere"
    user.mkdir()
    assert place_stub(str(elsewhere), "lemariva", str(user)) is False
    assert not elsewhere.exists()
    # a link out of the user folder counts as outside
    (user / "stubs").symlink_to(tmp_path, target_is_directory=True)
    assert place_stub(str(user / "stubs" / "elsewhere"), "lemariva", str(user)) is False
    assert not elsewhere.exists()


def test_only_the_plugins_families(folders):
    user, stubs = folders
    with pytest.raises(ValueError):
        place_stub(str(stubs), "../../evil", str(user))
    assert list(stubs.iterdir()) == []


def test_a_language_server_that_cannot_restart_is_logged_not_raised(folders, monkeypatch, caplog):
    """Thonny's development head restarts every language server; its ruff server, without
    ruff installed, exits at once and the restart raises BrokenPipeError in Thonny's client:
    the plug-in's event handler must not turn that into an internal error."""
    from thonnycontrib.esp32cam import thonny_compat
    from thonnycontrib.esp32cam.frontend import completion_stubs
    from thonnycontrib.esp32cam.thonny_compat import front

    user, stubs = folders

    def broken_pipe() -> None:
        raise BrokenPipeError(32, "Broken pipe")

    monkeypatch.setattr(front, "completion_stubs_folder", lambda backend_name: str(stubs))
    monkeypatch.setattr(front, "restart_language_servers", broken_pipe)
    monkeypatch.setattr(thonny_compat, "user_dir", lambda: str(user))
    monkeypatch.setattr(completion_stubs, "_placed", None)
    completion_stubs._update("kaki5")
    assert (stubs / STUB_NAME).read_text(encoding="utf-8") == stub_text("kaki5")
    assert "did not restart" in caplog.text
