"""Front-end adapter for Thonny's development head (``MINNY``, 5.0.0b1.dev0).

What changed there (read in its ``thonny/config_ui.py``,
``thonny/plugins/backend_config_page.py`` and
``thonny/plugins/micropython/mp_front.py``):

- ``ConfigurationDialog._ok`` calls ``apply(changed_options)`` only when some
  option differs from the snapshot taken when the dialog opened
  (``get_changed_options``), and ``_cancel`` sets every changed option back.
  The page's own values stay page-local until OK; while one is pending, the
  dialog's list of changed options names the port option (see
  ``_extend_changed_options``).
- ``should_restart(changed_options)``; ``apply`` returns ``True``/``False``.
- The page is a notebook: Connection (intro, port box in rows 3-4, serial
  details in row 6, installer links in row 100), Options, Type stubs, Advanced.
  The plug-in's rows go into the Connection tab.
- Advanced has Thonny's own "DTR / RTS" box (a ``MappingCombobox`` of
  ``(dtr, rts)`` pairs; its default is both asserted, but this interpreter's
  defaults are released). That box writes the options when chosen; the page's
  own choice follows it, and the box follows the page's choice, so both show
  the value OK writes.
- ``_refresh_ports`` runs every 500 ms and empties a port text that is not a
  detected port's description: the text a user types (a network port) is kept
  as one more entry of ``_port_names_by_desc``.
- Views sit in ``WorkbenchPanedWindow`` panes (no ``preferred_size_in_pw``).
"""
from __future__ import annotations

import tkinter as tk
from logging import getLogger
from typing import Any, Dict, List, Optional

from thonnycontrib.esp32cam.thonny_compat.front_page import PageBase

logger = getLogger(__name__)

_NAMES = "_esp32cam_port_names"


def _looks_like_thonny_label(text: str) -> bool:
    return " @ " in text or (text.startswith("< ") and text.endswith(" >"))  # "desc @ device", "< WebREPL >"


class ConfigPage(PageBase):
    # --- the options-page contract -------------------------------------------------------
    def esp32cam_area(self) -> tk.Widget:
        return self.connection_page

    def is_modified(self) -> bool:
        return bool(self._connection_is_modified()) or self.esp32cam_modified()

    def should_restart(self, changed_options: List[str]) -> bool:
        return super().should_restart(changed_options) or self.esp32cam_needs_restart()

    def apply(self, changed_options: List[str]) -> bool:
        if not self.esp32cam_check():
            return False
        if super().apply(changed_options) is False:
            return False
        self.esp32cam_write()
        self.save_now()
        return True

    def get_new_machine_id(self) -> str:
        """Thonny's page looks the port option up among USB ports (a logged traceback for
        a network port or ``auto``): ask the interpreter's proxy (``front_proxy``)."""
        from thonny import get_workbench

        port = get_workbench().get_option(f"{self.backend_name}.port")
        return get_workbench().get_backends()[self.backend_name].proxy_class.machine_id_for_port(port)

    # --- OK applies this page when it has changes of its own ------------------------------
    def esp32cam_ready(self) -> None:
        self._initial_port_text = self.port_text_variable().get()
        self._thonny_lines = self._find_thonny_line_choice()
        if self._thonny_lines is not None:
            self._thonny_lines.bind("<<ComboboxSelected>>", self._on_thonny_lines, True)
        self._show_lines_in_thonny_box()
        self._extend_changed_options(self.winfo_toplevel())

    def esp32cam_pending(self) -> bool:
        """Something on this page that OK must apply (or refuse) though no option changed yet."""
        return (self.port_text_variable().get() != getattr(self, "_initial_port_text", None)
                or self.esp32cam_modified() or self.esp32cam_has_notes())

    def _extend_changed_options(self, dialog: Any) -> None:
        """The dialog applies pages only when ``get_changed_options()`` is not empty, but
        this page's port text, DTR/RTS, speed and board profile are page-local until
        OK (as Thonny's own port box is): while any of them is pending, the dialog's
        list names this interpreter's port option, so OK applies (or refuses) the page.
        Cancel sets that option back to the value it already has."""
        original = getattr(dialog, "get_changed_options", None)
        if not callable(original):
            return
        page = self
        name = f"{self.backend_name}.port"

        def get_changed_options() -> List[str]:
            names = list(original())
            try:
                if page.winfo_exists() and page.esp32cam_pending() and name not in names:
                    names.append(name)
            except tk.TclError:  # the page is gone
                pass
            return names

        dialog.get_changed_options = get_changed_options

    def esp32cam_live_change(self) -> None:
        self._show_lines_in_thonny_box()

    # --- Thonny's DTR / RTS box ------------------------------------------------------------
    def _find_thonny_line_choice(self) -> Optional[Any]:
        from thonny.ui_utils import MappingCombobox

        def walk(widget: tk.Misc):
            for child in widget.winfo_children():
                yield child
                yield from walk(child)

        for child in walk(self.advanced_page):
            mapping = getattr(child, "mapping", None)
            if isinstance(child, MappingCombobox) and mapping and all(
                    isinstance(v, tuple) and len(v) == 2 and all(isinstance(x, bool) for x in v)
                    for v in mapping.values()):
                return child
        logger.warning("Thonny's DTR / RTS choice not found on its Advanced tab")
        return None

    def thonny_line_choice(self) -> Optional[Any]:
        """Thonny's own DTR / RTS box (None where it is not found)."""
        return getattr(self, "_thonny_lines", None)

    def _show_lines_in_thonny_box(self) -> None:
        box = self.thonny_line_choice()
        lines = self.get_line_values()
        if box is not None and lines and box.get_selected_value() != (lines["dtr"], lines["rts"]):
            box.select_value((lines["dtr"], lines["rts"]))

    def _on_thonny_lines(self, event: Any = None) -> None:
        value = self.thonny_line_choice().get_selected_value()
        if isinstance(value, tuple) and len(value) == 2:
            self.on_thonny_lines_chosen(bool(value[0]), bool(value[1]))

    # --- typed ports survive the port refresh ---------------------------------------------
    @property
    def _port_names_by_desc(self) -> Dict[str, Optional[str]]:
        names = self.__dict__.setdefault(_NAMES, {})
        variable = self.__dict__.get("_port_desc_variable")
        text = variable.get() if variable is not None else ""
        if text and text not in names and not _looks_like_thonny_label(text):
            names[text] = text
        return names

    @_port_names_by_desc.setter
    def _port_names_by_desc(self, value: Dict[str, Optional[str]]) -> None:
        self.__dict__[_NAMES] = dict(value)

    def known_port_names(self) -> Dict[str, Optional[str]]:
        return {desc: name for desc, name in self.__dict__.get(_NAMES, {}).items() if desc != name}


def widen_view_column(view: tk.Widget, wanted: int) -> bool:
    """Dev head (workbench.py ``_init_containers``, ``show_view``): a view is shown in its
    ``containing_notebook`` (a ``ViewNotebook``; the view's Tk master is not), inside a
    vertical ``WorkbenchPanedWindow``, a pane of the horizontal ``_main_pw``."""
    pane: Any = getattr(view, "containing_notebook", None) or view
    parent = pane.master
    while parent is not None and not (isinstance(parent, tk.PanedWindow)
                                      and str(parent.cget("orient")) == "horizontal"):
        pane, parent = parent, getattr(parent, "master", None)
    if parent is None or str(pane) not in [str(p) for p in parent.panes()]:
        return False
    if pane.winfo_width() < wanted:
        parent.paneconfigure(pane, width=wanted)
    return True


def guard_backend_poll() -> None:
    """The development head's Runner polls back-end messages from an idle callback it cannot
    cancel (running.py ``_poll_backend_messages`` re-arms itself with ``after(20, lambda:
    after_idle(...))`` and keeps only the ``after`` id): when that callback runs while
    ``restart_backend`` is between two proxies (``_proxy`` None), it calls
    ``has_next_message`` on None and Thonny shows an internal error. Such a poll has nothing
    to do: ``restart_backend`` arms a new one. (Thonny 4.1/5.0 poll with one cancellable
    ``after`` and never touch a missing proxy.)"""
    from thonny.running import Runner

    original = Runner._poll_backend_messages
    if getattr(original, "esp32cam_guard", False):
        return

    def poll(self: Runner) -> None:
        if self._proxy is None:
            self._polling_after_id = None
            return
        try:
            original(self)
        except AttributeError:
            if self._proxy is not None:  # the proxy went away while its messages were read
                raise
            self._polling_after_id = None

    poll.esp32cam_guard = True  # type: ignore[attr-defined]
    Runner._poll_backend_messages = poll


# --- code completion: where the language server looks for stubs ---------------------------
def completion_stubs_folder(backend_name: str) -> Optional[str]:
    """The folder the development head's basedpyright takes as ``stubPath`` for this
    interpreter. ``thonny/plugins/pyright.py`` ``PyrightProxy.get_settings`` sets
    ``basedpyright.analysis.stubPath`` to the current proxy's ``get_user_stubs_location()``
    when that folder holds more than a typeshed (``_folder_may_contain_stubs_beyond_typeshed``:
    a ``camera.pyi`` there is); ``thonny/running.py`` ``BackendProxy.get_user_stubs_location``
    (a classmethod) is ``<Thonny user folder>/stubs/<backend name>``, the proxy's vendored
    typeshed copied in at the first call."""
    from thonny import get_workbench

    backend = get_workbench().get_backends().get(backend_name)
    getter = getattr(getattr(backend, "proxy_class", None), "get_user_stubs_location", None)
    return getter() if callable(getter) else None


def restart_language_servers() -> None:
    """The servers read ``stubPath`` when they start: restart them, as Thonny itself does
    after it replaced a board's stubs (``thonny/running.py``
    ``SubprocessProxy._store_state_info`` → ``Workbench.start_or_restart_language_servers``)."""
    from thonny import get_workbench

    get_workbench().start_or_restart_language_servers()
