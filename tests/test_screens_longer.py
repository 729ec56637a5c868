"""The plug-in's windows still fit 1366×768 and 1280×720 in German and Spanish (the
plug-in's catalogs), and with every text of the plug-in a third longer than English
(``tests.pseudo_long``: a text added later, before its translation, or a language
that runs longer still). The windows of test_screens and test_screens_classroom, in
the same states, judged the same way (``assert_fits``), and no label or button inside
them shows less than its whole text."""
from __future__ import annotations

from typing import Any, Dict

import pytest

from tests.test_default_window import _clipped
from tests.test_screens import LONG_DIR, LONG_URL, NARROW, assert_fits, screen  # noqa: F401
from tests.thonny_harness import run_scenario

pytestmark = [pytest.mark.thonny, pytest.mark.ui, pytest.mark.timeout(300)]


LANGUAGES = ["de_DE", "es_ES", "pseudo-long"]


@pytest.fixture(params=LANGUAGES)
def language(request):
    return request.param


def scenario_longer(h, language: str, module: str, name: str, **kwargs: Any) -> Dict[str, Any]:
    """``module.name`` (a scenario of test_screens*) in ``language`` and every
    measurement also listing the clipped texts."""
    import importlib

    from tests import pseudo_long, test_screens
    from thonnycontrib.esp32cam.core import i18n

    if language == "pseudo-long":
        pseudo_long.install()
    else:
        i18n.set_language(language)
        assert i18n._("Close") != "Close", f"no {language} catalog"
    target = importlib.import_module(module)
    plain = test_screens.measure

    def measure(toplevel, buttons):
        return dict(plain(toplevel, buttons), clipped=_clipped(toplevel))

    target.measure = measure
    return getattr(target, name)(h, **kwargs)


def _check(fit: Dict[str, Any], resized: bool = False) -> None:
    assert_fits(fit, resized)
    assert not fit["clipped"], f"texts cut: {fit['clipped']}"


def test_interpreter_page_fits_in_longer_languages(screen, language, tmp_path):
    env, _size = screen
    r = run_scenario(scenario_longer, tmp_path / "user", env=env, language=language,
                     module="tests.test_screens",
                     name="scenario_options_page", shot="", switch=False)
    _check(r["fit"])
    assert r["dtr"] is True, r  # and it still works


def test_installer_fits_in_longer_languages(screen, language, tmp_path):
    env, _size = screen
    not_firmware = tmp_path / "not-firmware.bin"
    not_firmware.write_bytes(b"<html>not a firmware image</html>" * 10)
    r = run_scenario(scenario_longer, tmp_path / "user", env=env, language=language,
                     module="tests.test_screens",
                     name="scenario_installer", shot="", long_dir=LONG_DIR, long_url=LONG_URL,
                     not_firmware=str(not_firmware))
    for state in ("first", "mirror", "refused", "full", "files_question"):
        _check(r[state])


def test_doctor_fits_in_longer_languages(screen, language, tmp_path):
    env, _size = screen
    r = run_scenario(scenario_longer, tmp_path / "user", env=env, language=language,
                     module="tests.test_screens",
                     name="scenario_doctor", shot="", timeout=150)
    _check(r["fit"])
    _check(r["narrow"], resized=True)
    _check(r["narrow2"], resized=True)


def test_several_boards_windows_fit_in_longer_languages(screen, language, tmp_path):
    env, _size = screen
    r = run_scenario(scenario_longer, tmp_path / "user", env=env, language=language,
                     module="tests.test_screens_classroom",
                     name="scenario_trays", shot="")
    for state in ("install_first", "install_done", "doctor"):
        _check(r[state])
