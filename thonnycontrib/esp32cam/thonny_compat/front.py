"""The front-end's one door to Thonny's internals (Tk side).

``frontend/*`` and ``load_plugin()`` import Thonny's non-public names only
through this module: the bases of the proxy and the options page (with
Thonny's private hooks turned into public ones, ``front_proxy``), the options
page contract of each generation (``front_classic`` / ``front_minny``, chosen by
what is importable), ``WorkDialog``, the miniterm terminal, the configuration
save and the view layout.

Importing this module imports nothing of Thonny; its functions import what
they need when called. Call ``require_supported()`` first (it raises
``UnsupportedThonny`` with the one line to show) and catch ``ImportError``
around what follows: a Thonny name that moved again surfaces there.

Interface (names the front-end uses): ``require_supported``, ``add_backend``,
``proxy_base`` (→ ``front_proxy.CameraProxyBase``), ``config_page_base``
(→ ``front_classic.ConfigPage`` / ``front_minny.ConfigPage``, both on
``front_page.PageBase``), ``work_dialog_base`` (→ ``front_dialog.WorkDialogBase``),
``proxy_port``, ``proxy_process``, ``run_miniterm_in_terminal``,
``save_configuration``, ``open_folder``, ``insert_shell_prompt``, ``status_bar``,
``widen_view_column``, ``report_unsupported``, ``completion_stubs_folder``,
``restart_language_servers``, ``syntax_colour``.
"""
from __future__ import annotations

import sys
import tkinter as tk
from logging import getLogger
from typing import Any, List, Optional

from thonnycontrib.esp32cam.thonny_compat import (
    CLASSIC,
    MINNY,
    PLUGIN_NAME,
    UnsupportedThonny,
    generation,
    unsupported_message,
)
from thonnycontrib.esp32cam.thonny_compat.front_options import save_configuration

logger = getLogger(__name__)

# Thonny's own miniterm wrapper (same module name in 4.1.7, 5.0.1 and the development head).
MINITERM_MODULE = "thonny.plugins.micropython.miniterm_wrapper"


def require_supported() -> str:
    """The generation, or ``UnsupportedThonny`` (its message is the one line to show)."""
    return generation()


def _adapter():
    if generation() == MINNY:
        from thonnycontrib.esp32cam.thonny_compat import front_minny as adapter
    else:
        from thonnycontrib.esp32cam.thonny_compat import front_classic as adapter
    return adapter


# --- back-end registration -------------------------------------------------------------
def add_backend(name: str, proxy_class: type, description: str, config_page: type, *,
                sort_key: str, dtr: bool, rts: bool) -> None:
    """Thonny's ``add_micropython_backend`` (same signature on every generation; it sets
    the ``<name>.*`` defaults, ``dtr``/``rts`` included, and registers the interpreter)."""
    from thonny.plugins.micropython.mp_front import add_micropython_backend

    if generation() == MINNY:
        _adapter().guard_backend_poll()
    add_micropython_backend(name, proxy_class, description, config_page, sort_key=sort_key,
                            dtr=dtr, rts=rts)


def proxy_base() -> type:
    """Base class of the plug-in's proxy: Thonny's ESP32 proxy with public hooks."""
    from thonnycontrib.esp32cam.thonny_compat.front_proxy import CameraProxyBase

    return CameraProxyBase


def config_page_base() -> type:
    """Base class of the plug-in's interpreter page: Thonny's ESP32 page plus this
    generation's options-page contract (see ``front_classic.PageContract``)."""
    return _adapter().ConfigPage


def work_dialog_base() -> type:
    """Thonny's ``WorkDialog`` with public ``progress_bar()``, ``ok_button()``,
    ``post_work_event()`` (``front_dialog``)."""
    from thonnycontrib.esp32cam.thonny_compat.front_dialog import WorkDialogBase

    return WorkDialogBase


def status_bar() -> Optional[tk.Widget]:
    """Thonny's status bar frame (``Workbench._statusbar``, a ttk.Frame whose row 1 holds
    the status text in column 1 and the interpreter switcher to the right: 4.1.7 … dev head)."""
    from thonny import get_workbench

    return getattr(get_workbench(), "_statusbar", None)


# --- what a proxy holds ------------------------------------------------------------------
def proxy_port(proxy: Any) -> Optional[str]:
    """The port the current back-end uses (None: no proxy, or not a bare-metal one)."""
    getter = getattr(proxy, "current_port", None)
    if callable(getter):
        return getter()
    return getattr(proxy, "_port", None)  # Thonny's own proxies (4.1.7 … dev head)


def proxy_process(proxy: Any) -> Any:
    """The back-end's ``subprocess.Popen`` (None when not running)."""
    return getattr(proxy, "_proc", None)  # SubprocessProxy._proc in 4.1.7 … dev head


# --- Tools → Open system shell -----------------------------------------------------------
def run_miniterm_in_terminal(miniterm_args: List[str], title: str) -> None:
    """Thonny's miniterm wrapper in a system terminal, as Thonny's own
    ``open_custom_system_shell`` starts it (4.1.7 … dev head), with our arguments."""
    from thonny import get_workbench, running, terminal

    terminal.run_in_terminal(
        [running.get_front_interpreter_for_subprocess(sys.executable), "-m", MINITERM_MODULE]
        + list(miniterm_args),
        cwd=get_workbench().get_local_cwd(),
        keep_open=False,
        title=title,
    )


def open_folder(path: str) -> None:
    """The system file manager at ``path`` (``thonny.ui_utils`` in 4.1.7 … dev head)."""
    from thonny.ui_utils import open_path_in_system_file_manager

    open_path_in_system_file_manager(path)


# --- Shell ---------------------------------------------------------------------------------
def insert_shell_prompt() -> None:
    """A fresh ``>>>`` after text printed below the prompt (``ShellText._insert_prompt``,
    4.1.7 … dev head); does nothing where that is gone."""
    from thonny import get_shell

    text = getattr(get_shell(), "text", None)
    insert = getattr(text, "_insert_prompt", None)
    if callable(insert):
        insert()


def report_unsupported(message: str) -> None:
    """One line in the log and, once Thonny is up, once in its Shell; no dialog."""
    logger.error(message)
    try:
        from thonny import get_workbench

        wb = get_workbench()
    except Exception:  # not even get_workbench: the log has it
        return
    if wb is None:
        return
    shown: List[bool] = []

    def show(event: Any = None) -> None:
        if shown:
            return
        shown.append(True)
        try:
            from thonny import get_shell

            get_shell().print_error("\n" + message + "\n")
        except Exception:
            logger.exception("Could not show the message in the Shell")

    if getattr(wb, "ready", False):
        wb.after_idle(show)
    else:
        wb.bind("WorkbenchReady", show, True)  # 4.1.7 … dev head: after the start-up


# --- code completion -----------------------------------------------------------------------
def completion_stubs_folder(backend_name: str) -> Optional[str]:
    """The folder where this Thonny's front-end completion (the development head's language
    server) looks for the stubs of ``backend_name``'s interpreter; None where completion
    runs in the back-end (Thonny 4.1/5.0: Jedi, fed by the back-end itself)."""
    return _adapter().completion_stubs_folder(backend_name)


def restart_language_servers() -> None:
    """Let the language servers read the stub folder again (nothing on Thonny 4.1/5.0)."""
    _adapter().restart_language_servers()


# --- views -------------------------------------------------------------------------------
def widen_view_column(view: tk.Widget, wanted: int) -> bool:
    """Give the column (pane of Thonny's horizontal main paned window) holding ``view``
    at least ``wanted`` pixels; False when this Thonny's layout is not known."""
    return _adapter().widen_view_column(view, wanted)


__all__ = [
    "CLASSIC", "MINNY", "MINITERM_MODULE", "UnsupportedThonny", "add_backend", "completion_stubs_folder",
    "config_page_base", "insert_shell_prompt", "open_folder", "proxy_base", "proxy_port", "proxy_process",
    "report_unsupported", "require_supported", "restart_language_servers", "run_miniterm_in_terminal",
    "save_configuration", "status_bar", "unsupported_message", "widen_view_column", "work_dialog_base",
]


def syntax_colour(tag: str) -> Optional[str]:
    """The foreground Thonny's syntax theme gives ``tag`` (e.g. ``"stderr"``, ``"hyperlink"``
    in the Shell), or None; ``thonny.codeview.get_syntax_options_for_tag`` in 4.1.7, 5.0.1
    and the development head."""
    try:
        from thonny.codeview import get_syntax_options_for_tag
    except ImportError:
        return None
    colour = get_syntax_options_for_tag(tag).get("foreground")
    return str(colour) if colour else None
