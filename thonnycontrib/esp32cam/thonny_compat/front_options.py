"""Thonny's configuration, written now (a leaf module: ``front`` and ``front_page`` use it)."""
from __future__ import annotations

from logging import getLogger

from thonnycontrib.esp32cam.thonny_compat import PLUGIN_NAME

logger = getLogger(__name__)


def save_configuration() -> None:
    """Write Thonny's whole configuration to ``configuration.ini`` now.

    Thonny saves only on a clean exit (``Workbench._on_close`` calls
    ``_configuration_manager.save()`` in 4.1.7, 5.0.1 and the dev head); a laptop
    switched off would lose what OK just set."""
    from thonny import get_workbench

    manager = getattr(get_workbench(), "_configuration_manager", None)
    if manager is None or not callable(getattr(manager, "save", None)):
        logger.warning("%s: this Thonny has no configuration save(); settings are saved on exit",
                       PLUGIN_NAME)
        return
    try:
        manager.save()
    except OSError:
        logger.exception("Could not save configuration.ini now (Thonny saves it again on exit)")
