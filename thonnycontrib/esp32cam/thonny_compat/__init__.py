"""The one owner of Thonny's non-public names.

Everything else in the plug-in talks to this package; only its modules import
Thonny's internals (``thonny.plugins.*``, ``thonny.workdlg``, ``minny``, private
attributes), subclass Thonny's back-end, connection, proxy and page classes,
and implement Thonny's options-page contract. ``tests/test_thonny_boundary.py``
lists every ``thonny`` import outside it.

Thonny generations, chosen by what is importable (never by version strings):

- ``CLASSIC``: Thonny 4.1 and 5.0. The MicroPython back-end, its connection
  classes and state live in ``thonny.plugins.micropython``.
- ``MINNY``: Thonny's development head (5.0.0b1.dev0). The connection classes
  moved to ``minny.connection`` / ``minny.serial_connection``; the target state
  lives on minny's target manager (``backend._tmgr``).

Nothing here imports Tk, and importing this package imports no Thonny module,
so the CLI can ask for the user folder without Thonny's GUI.
"""
from __future__ import annotations

import importlib.util
import os
from functools import lru_cache
from typing import Optional

from thonnycontrib.esp32cam.core.i18n import _

CLASSIC = "classic"  # Thonny 4.1, 5.0
MINNY = "minny"  # Thonny's development head

PLUGIN_NAME = "thonny-esp32cam"


class UnsupportedThonny(ImportError):
    """This Thonny's internals are not the ones the plug-in knows.

    Its message is one line naming the plug-in and what it needs."""


def _importable(name: str) -> bool:
    try:
        return importlib.util.find_spec(name) is not None
    except (ImportError, ValueError):  # a parent package is missing
        return False


@lru_cache(maxsize=None)
def generation() -> str:
    """``CLASSIC`` or ``MINNY``; raises ``UnsupportedThonny`` for a Thonny the
    plug-in does not know (an API that moved again)."""
    if _importable("thonny.plugins.micropython.connection") and _importable(
        "thonny.plugins.micropython.serial_connection"
    ):
        return CLASSIC
    if _importable("minny.connection") and _importable("minny.bare_metal_target"):
        return MINNY
    raise UnsupportedThonny(unsupported_message(_(
        "MicroPython connection classes in thonny.plugins.micropython.connection "
        "(Thonny 4.1/5.0) or minny.connection (Thonny's next version)"
    )))


def unsupported_message(needs: str) -> str:
    """The one line Thonny's Shell and log show when this Thonny's API moved."""
    try:
        from importlib.metadata import version

        thonny_version = version("thonny")
    except Exception:
        thonny_version = _("unknown version")
    return _(
        "{plugin} does not support this Thonny ({version}): it needs {needs}. "
        "Thonny's other interpreters are unaffected; update {plugin} or use Thonny 4.1/5.0."
    ).format(plugin=PLUGIN_NAME, version=thonny_version, needs=needs)


def user_dir() -> str:
    """Thonny's user folder, computed by Thonny's own code (``import thonny`` loads no Tk).

    Thonny 4.1/5.0 have ``thonny.THONNY_USER_DIR``; the development head has
    ``thonny.get_thonny_user_dir()``."""
    import thonny

    getter = getattr(thonny, "get_thonny_user_dir", None)
    if callable(getter):
        return getter()
    folder: Optional[str] = getattr(thonny, "THONNY_USER_DIR", None)
    if folder:
        return folder
    raise UnsupportedThonny(unsupported_message("thonny.get_thonny_user_dir() or thonny.THONNY_USER_DIR"))


def plugin_user_dir() -> str:
    """The plug-in's own folder inside Thonny's user folder (``<user dir>/esp32cam``)."""
    return os.path.join(user_dir(), "esp32cam")
