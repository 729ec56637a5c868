"""Front-end adapter for Thonny 4.1 and 5.0 (``CLASSIC``).

Options-page contract (``thonny/config_ui.py`` ``ConfigurationDialog._ok`` and
``thonny/plugins/backend_config_page.py`` ``BackendConfigurationPage.apply``,
4.1.7 and 5.0.1): OK calls ``apply()`` of every page (``False`` keeps the dialog
open), then ``should_restart()`` of the current interpreter page; the page's
own widgets are gridded in rows 0-13 and 100 of the page itself.
"""
from __future__ import annotations

import tkinter as tk

from thonnycontrib.esp32cam.thonny_compat.front_page import PageBase


class ConfigPage(PageBase):
    def is_modified(self):
        return super().is_modified() or self.esp32cam_modified()

    def should_restart(self):
        return super().should_restart() or self.esp32cam_needs_restart()

    def apply(self):
        if not self.esp32cam_check():
            return False
        if super().apply() is False:
            return False
        self.esp32cam_write()
        self.save_now()
        return None


def widen_view_column(view: tk.Widget, wanted: int) -> bool:
    """Thonny 4.1.7 / 5.0.1 (workbench.py ``_init_view``/``show_view``): a view sits in its
    ``home_widget`` inside an AutomaticNotebook inside an AutomaticPanedWindow, whose
    width in the main (horizontal) paned window is its ``preferred_size_in_pw``."""
    pane = getattr(view, "home_widget", view)
    parent = pane.master
    while parent is not None and not (isinstance(parent, tk.PanedWindow)
                                      and str(parent.cget("orient")) == "horizontal"):
        pane, parent = parent, getattr(parent, "master", None)
    if parent is None or getattr(pane, "preferred_size_in_pw", None) is None:
        return False
    if pane.winfo_width() < wanted:
        pane.preferred_size_in_pw = wanted
        restore = getattr(parent, "_check_restore_preferred_sizes", None)
        if restore is not None:
            restore()
    return True


# --- code completion -----------------------------------------------------------------------
def completion_stubs_folder(backend_name: str) -> None:
    """Thonny 4.1/5.0 complete code with Jedi in the back-end, where the plug-in's back-end
    puts the family's stub folder on Jedi's path (``esp32cam_analysis_paths``): no
    front-end folder to fill."""
    return None


def restart_language_servers() -> None:
    """No language server on Thonny 4.1/5.0."""
