"""The plug-in's own gettext domain (Thonny's catalogs are Thonny's).

Every user-visible string of the plug-in goes through ``_()`` (or ``ngettext()``
for counts). Strings defined at import time (tables, constants) are marked with
``N_()`` and translated where they are shown, so a language chosen later applies.

Which language:
- Thonny's front-end: ``set_language(get_option("general.language"))`` in
  ``load_plugin``;
- Thonny's back-end process: Thonny passes its language setting in the
  ``THONNY_LANGUAGE`` environment variable (thonny/running.py, 4.1 to the
  development head), read here at import;
- the CLI: the usual locale variables (LANGUAGE, LC_ALL, LC_MESSAGES, LANG).

Catalogs: ``thonnycontrib/esp32cam/locale/<lang>/LC_MESSAGES/thonny_esp32cam.po``
(compiled ``.mo`` beside them); ``make i18n`` re-extracts and updates them.
"""
from __future__ import annotations

import gettext
import os
from pathlib import Path
from typing import Optional

DOMAIN = "thonny_esp32cam"
LOCALE_DIR = Path(__file__).resolve().parent.parent / "locale"

_translation: gettext.NullTranslations = gettext.NullTranslations()
_language: Optional[str] = None


def _candidates(code: str) -> list:
    """Thonny's codes are like ``de_DE`` or ``zh_TW``: try the whole code, then the language."""
    code = code.replace("-", "_").split(".")[0]
    result = [code]
    if "_" in code:
        result.append(code.split("_")[0])
    return result


def set_language(code: Optional[str]) -> None:
    """Translate into ``code`` (a Thonny language code such as ``de_DE``); ``None`` or
    ``""`` means the locale environment variables; ``en``/unknown codes mean English."""
    global _translation, _language
    languages = _candidates(code) if code else None
    _translation = gettext.translation(
        DOMAIN, str(LOCALE_DIR), languages=languages, fallback=True
    )
    _language = code or None


def current_language() -> Optional[str]:
    """The code given to ``set_language`` (``None`` when it followed the environment)."""
    return _language


def _(message: str) -> str:
    return _translation.gettext(message)


def ngettext(singular: str, plural: str, n: int) -> str:
    return _translation.ngettext(singular, plural, n)


def percent(value: float) -> str:
    """"87 %", for a ``{share}`` placeholder: a "%" inside a msgid ("% of") reads to gettext
    tools as a C format and breaks compiling the catalogs."""
    return "{:.0f} %".format(value)


def N_(message: str) -> str:
    """Marks a string for extraction without translating it yet."""
    return message


# Thonny's back-end process gets the front-end's language this way; elsewhere the locale.
set_language(os.environ.get("THONNY_LANGUAGE") or None)
