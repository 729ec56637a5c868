"""Widget options that let a text show whole in every Thonny theme and language.

Thonny's themes give ``TButton`` a fixed width of 11 characters
(``thonny/plugins/base_ui_themes.py``, Thonny 4.1.7 and 5.0.1): a longer text is cut
("Install came…"), and translations run longer (German about a third). A negative
ttk width is a minimum instead: the button is at least that wide, wider for its text.
"""
from __future__ import annotations

from typing import Any, Callable

BUTTON_WIDTH = -11
MIN_WRAP = 120  # px: a label is not wrapped narrower than this


def at_least(chars: int) -> int:
    """A ttk ``width`` of at least ``chars`` characters, more if the text needs it."""
    return -abs(chars)


def wrap_to_width(label: Any, container: Any, reserve: Callable[[], int] = lambda: 0) -> None:
    """Let ``label`` wrap to ``container``'s width less ``reserve()`` pixels (what sits
    beside it), whenever the container is resized: a text never cut, never widening it."""
    def follow(event: Any) -> None:
        if event.widget is container:
            label.configure(wraplength=max(MIN_WRAP, event.width - reserve()))

    container.bind("<Configure>", follow, True)
