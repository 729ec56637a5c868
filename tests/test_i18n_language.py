"""The plug-in speaks the user's language outside Thonny's window too: the command line
follows the locale variables (LANGUAGE, LC_ALL, LC_MESSAGES, LANG), the back-end process
Thonny's THONNY_LANGUAGE, and a language chosen with ``set_language`` reaches the texts
of core/ that are built from import-time tables (``N_``) as well as the ones built at once.

The expected texts come from the compiled catalogs themselves (``.mo``), so the tests say
"the message went through the catalog", whatever the translators wrote."""
from __future__ import annotations

import gettext
import os
import subprocess
import sys
from pathlib import Path
from typing import Dict

import pytest

from thonnycontrib.esp32cam.core import i18n

ROOT = Path(__file__).resolve().parent.parent
CATALOG_LINE = "Firmware catalog of {date} (bundled). * recommended; default for AI-Thinker: {default}"
NO_PORT = "No board given: pass --port PORT (or set ESPTOOL_PORT)."
CANCELLED = "Cancelled before anything was written: the board is unchanged."
BUSY_TITLE = "The port is busy"  # a diagnosis title: an N_ table, translated when read


def _translation(language: str) -> gettext.NullTranslations:
    mo = i18n.LOCALE_DIR / language / "LC_MESSAGES" / f"{i18n.DOMAIN}.mo"
    assert mo.is_file(), f"{mo.relative_to(ROOT)} is not built (make i18n)"
    with mo.open("rb") as f:
        return gettext.GNUTranslations(f)


def _translated(language: str, message: str) -> str:
    """The catalog's translation of ``message`` (which it must have)."""
    text = _translation(language).gettext(message)
    assert text != message, f"the {language} catalog does not translate {message!r} (make i18n)"
    return text


def _env(**language: str) -> Dict[str, str]:
    """This environment without any language setting, plus ``language``."""
    env = {k: v for k, v in os.environ.items()
           if k not in ("LANGUAGE", "LC_ALL", "LC_MESSAGES", "LANG", "THONNY_LANGUAGE", "ESPTOOL_PORT")}
    env["PYTHONPATH"] = os.pathsep.join([str(ROOT)] + [p for p in [os.environ.get("PYTHONPATH")] if p])
    env.update(language)
    return env


def _cli(*args: str, **language: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "thonnycontrib.esp32cam", *args], cwd=str(ROOT),
                          env=_env(**language), capture_output=True, text=True, timeout=120)


@pytest.mark.parametrize("language", ["de", "es"])
def test_the_command_line_follows_the_locale(language):
    from thonnycontrib.esp32cam.core.catalog import load_bundled

    catalog = load_bundled()
    default = catalog.default_for()
    header = _translated(language, CATALOG_LINE).format(date=catalog.updated, default=default.id)
    no_port = _translated(language, NO_PORT)

    listed = _cli("catalog", LANGUAGE=language, LANG="C.UTF-8")
    assert listed.returncode == 0, listed.stderr
    assert listed.stdout.splitlines()[0] == header
    assert CATALOG_LINE.split("{")[0] not in listed.stdout  # no English header left

    refused = _cli("wifi", "--scan", LANGUAGE=language, LANG="C.UTF-8")
    assert refused.returncode == 2
    assert no_port in refused.stderr and NO_PORT not in refused.stderr

    # LANG alone is enough (no LANGUAGE), as on most desktops
    alone = _cli("wifi", "--scan", LANG=f"{language}_{language.upper()}.UTF-8")
    assert no_port in alone.stderr


def test_english_stays_english_without_a_language():
    english = _cli("wifi", "--scan", LANG="C.UTF-8")
    assert english.returncode == 2 and NO_PORT in english.stderr


def test_set_language_reaches_core_messages_and_import_time_tables():
    from thonnycontrib.esp32cam.core import diagnosis as dg
    from thonnycontrib.esp32cam.core import flash_messages as fm

    cancelled = _translated("de", CANCELLED)
    busy = _translated("de", BUSY_TITLE)
    previous = i18n.current_language()
    try:
        i18n.set_language("de_DE")  # Thonny's codes carry the region: de_DE finds de
        assert fm.cancel_message(False) == cancelled
        assert dg.Diagnosis(dg.PORT_BUSY).title == busy
        assert dg.KINDS[dg.PORT_BUSY].title == BUSY_TITLE  # the table itself stays the msgid
        i18n.set_language("en")
        assert fm.cancel_message(False) == CANCELLED
        assert dg.Diagnosis(dg.PORT_BUSY).title == BUSY_TITLE
    finally:
        i18n.set_language(previous)


def test_the_backend_process_takes_thonnys_language():
    """Thonny starts its back-end with THONNY_LANGUAGE (thonny/running.py); it wins over
    the locale variables, which belong to the user's desktop, not to Thonny's setting."""
    expected = _translated("de", CANCELLED)
    code = ("from thonnycontrib.esp32cam.core import flash_messages as fm\n"
            "print(fm.cancel_message(False))\n")
    done = subprocess.run([sys.executable, "-c", code], cwd=str(ROOT), capture_output=True, text=True,
                          env=_env(THONNY_LANGUAGE="de_DE", LANGUAGE="es", PYTHONIOENCODING="utf-8"),
                          timeout=60)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == expected
