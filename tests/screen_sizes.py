"""Xvfb displays of a chosen size, for tests of how the plug-in's windows fit
small screens (school laptops: 1366×768, 1280×720).

Unlike the session's ``xdisplay`` fixture (1280×800), this always starts its
own Xvfb, so the screen really has the size asked for. There is no window
manager: ``winfo_rootx/rooty`` are exact and there is no title bar.
"""
from __future__ import annotations

import contextlib
from typing import Iterator

from tests.xvfb import start_xvfb, stop_xvfb

SMALL_SCREENS = [(1366, 768), (1280, 720)]


@contextlib.contextmanager
def xvfb_screen(width: int, height: int) -> Iterator[str]:
    """A private Xvfb ``width``×``height``; yields its DISPLAY name."""
    started = start_xvfb(width, height, range(200, 260))
    if started is not None:
        proc, display = started
        try:
            yield display
        finally:
            stop_xvfb(proc)
        return
    raise RuntimeError("could not start Xvfb")
