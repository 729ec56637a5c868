"""The plug-in's catalogs: every string the code marks for translation is in the
template and translated (not fuzzy) in every language the plug-in ships, the
placeholders survive translation, and the compiled ``.mo`` files Thonny reads say
the same as the ``.po`` files translators edit (``make i18n`` keeps them so)."""
from __future__ import annotations

import gettext
import os
import re
import string
import subprocess
import sys
from pathlib import Path

import pytest

babel_messages = pytest.importorskip("babel.messages")
from babel.messages.extract import extract_from_dir  # noqa: E402
from babel.messages.pofile import read_po  # noqa: E402

from thonnycontrib.esp32cam.core import i18n  # noqa: E402

PACKAGE = Path(i18n.__file__).resolve().parent.parent
LOCALE = i18n.LOCALE_DIR
LANGUAGES = ("de", "es")
KEYWORDS = {"_": None, "N_": None, "ngettext": (1, 2)}


def _extracted() -> set:
    found = set()
    for _filename, _lineno, message, _comments, _context in extract_from_dir(
        str(PACKAGE), method_map=[("**.py", "python")], keywords=KEYWORDS
    ):
        found.add(message if isinstance(message, str) else message[0])
    return found


def _catalog(path: Path):
    with path.open("rb") as f:
        return read_po(f)


def _fields(text: str) -> set:
    return {name for _literal, name, _spec, _conv in string.Formatter().parse(text) if name is not None}


def _po(language: str) -> Path:
    return LOCALE / language / "LC_MESSAGES" / f"{i18n.DOMAIN}.po"


def test_the_code_marks_strings_for_translation():
    assert len(_extracted()) > 300  # the plug-in speaks through its catalogs


def test_template_has_every_marked_string():
    template = _catalog(LOCALE / f"{i18n.DOMAIN}.pot")
    missing = sorted(_extracted() - {m.id if isinstance(m.id, str) else m.id[0] for m in template if m.id})
    assert not missing, f"run `make i18n`; not in the template: {missing[:10]}"


@pytest.mark.parametrize("language", LANGUAGES)
def test_catalog_translates_every_marked_string(language):
    catalog = _catalog(_po(language))
    by_id = {(m.id if isinstance(m.id, str) else m.id[0]): m for m in catalog if m.id}
    problems = []
    for msgid in sorted(_extracted()):
        entry = by_id.get(msgid)
        if entry is None:
            problems.append(f"missing: {msgid!r}")
        elif entry.fuzzy:
            problems.append(f"fuzzy: {msgid!r}")
        else:
            strings = entry.string if isinstance(entry.string, tuple) else (entry.string,)
            if not all(strings):
                problems.append(f"untranslated: {msgid!r}")
    assert not problems, f"{len(problems)} entries need work in {language}: {problems[:10]}"


@pytest.mark.parametrize("language", LANGUAGES)
def test_translations_keep_the_placeholders(language):
    wrong = []
    for entry in _catalog(_po(language)):
        if not entry.id or not entry.string:
            continue
        ids = entry.id if isinstance(entry.id, tuple) else (entry.id,)
        strings = entry.string if isinstance(entry.string, tuple) else (entry.string,)
        wanted = set().union(*(_fields(i) for i in ids))
        for text in strings:
            # a singular may leave out the count ("one board" for "{count} boards")
            if _fields(text) - wanted or (len(ids) == 1 and _fields(text) != wanted):
                wrong.append((entry.id, text))
    assert not wrong, wrong[:5]


@pytest.mark.parametrize("language", LANGUAGES)
def test_compiled_catalog_matches_its_source(language):
    mo = _po(language).with_suffix(".mo")
    assert mo.exists(), "run `make i18n`"
    with mo.open("rb") as f:
        compiled = gettext.GNUTranslations(f)
    stale = []
    for entry in _catalog(_po(language)):
        if not entry.id or entry.fuzzy:
            continue
        if isinstance(entry.id, tuple):
            if compiled.ngettext(entry.id[0], entry.id[1], 1) != entry.string[0]:
                stale.append(entry.id[0])
        elif compiled.gettext(entry.id) != entry.string:
            stale.append(entry.id)
    assert not stale, f"run `make i18n`: the .mo is older than the .po for {stale[:5]}"


def _sample(language: str):
    """A translated sentence of the catalog (not a placeholder-only or symbol entry)."""
    return next(m for m in _catalog(_po(language)) if isinstance(m.id, str) and m.id and m.string
                and m.string != m.id and not m.fuzzy and re.search("[A-Za-z]{4} [A-Za-z]{4}", m.id))


def test_language_follows_the_setting_and_falls_back_to_english():
    entry = _sample("de")
    previous = i18n.current_language()
    try:
        i18n.set_language("de_DE")  # Thonny's code for German
        assert i18n._(entry.id) == entry.string
        i18n.set_language("xx_YY")  # a language the plug-in has no catalog for
        assert i18n._(entry.id) == entry.id
    finally:
        i18n.set_language(previous)


@pytest.mark.parametrize("env, language", [({"THONNY_LANGUAGE": "es_ES"}, "es"), ({"LANGUAGE": "de"}, "de")])
def test_backend_and_cli_processes_pick_their_language(env, language):
    """Thonny's back-end gets THONNY_LANGUAGE; the CLI follows the locale variables."""
    entry = _sample(language)
    code = "from thonnycontrib.esp32cam.core.i18n import _; import sys; print(_(sys.argv[1]))"
    clean = {k: v for k, v in os.environ.items()
             if k not in ("LANGUAGE", "LC_ALL", "LC_MESSAGES", "LANG", "THONNY_LANGUAGE")}
    env = {**clean, **env, "PYTHONIOENCODING": "utf-8", "PYTHONPATH": str(PACKAGE.parent.parent)}
    result = subprocess.run([sys.executable, "-c", code, entry.id], env=env, capture_output=True,
                            encoding="utf-8", cwd=str(PACKAGE.parent.parent), check=True)
    assert result.stdout.strip() == entry.string.strip()
