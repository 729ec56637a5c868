"""A pseudo-language a third longer than English, for layout tests.

German runs about a third longer than English, Spanish a little less; a window that
fits in English may clip or outgrow a small screen in them. ``install()`` makes the
plug-in's ``_()``/``ngettext()`` (``core.i18n``) return every message with each of
its lines 35 % longer (long German-like words appended), placeholders and line
breaks kept. Only the plug-in's own strings change, as with a real catalog: Thonny's
stay English.
"""
from __future__ import annotations

import gettext

FACTOR = 0.35
FILLER = "Übersetzungsverlängerung"  # German-like: long words the wrapping has to cope with


def lengthen_line(line: str) -> str:
    if not line.strip():
        return line
    extra = max(1, round(len(line.strip()) * FACTOR))
    words, left = [], extra - 1  # the space before the first word counts
    while left > 0:
        word = FILLER[:min(left, len(FILLER))]
        words.append(word)
        left -= len(word) + 1
    return line.rstrip() + " " + " ".join(words) + line[len(line.rstrip()):]


def lengthen(message: str) -> str:
    return "\n".join(lengthen_line(line) for line in message.split("\n"))


class Longer(gettext.NullTranslations):
    def gettext(self, message: str) -> str:
        return lengthen(message)

    def ngettext(self, singular: str, plural: str, n: int) -> str:
        return lengthen(singular if n == 1 else plural)


def install() -> None:
    from thonnycontrib.esp32cam.core import i18n

    i18n._translation = Longer()
