"""Thonny's development head completes code through the basedpyright language server.

Its ``thonny/plugins/pyright.py`` (``PyrightProxy._create_server_process``) runs
``node <thonny>/vendored_libs/basedpyright/langserver.index.js --stdio``; the wheel in
../shared/thonny-next does not vendor basedpyright (see the README beside it). The test
set-up takes the language server from the PyPI package ``basedpyright`` instead (the
dev-head leg installs it: ``make venv THONNY=next``; never a requirement of the plug-in)
and links its package folder in at the path Thonny expects.

Parent side: ``language_server_missing()`` links it and returns None, or a reason to skip
(no basedpyright, no node). Scenario side (in the Workbench process):
``editor_completions(h, source)`` opens ``source`` in a new editor, ``shell_completions(h,
line)`` types ``line`` at the Shell's prompt, and each asks the language server for the
completions at the end, as Thonny's own completer (``thonny/plugins/autocomplete.py``
``Completer.request_completions_for_text``) does.
"""
from __future__ import annotations

import importlib.util
import os
import shutil
import sys
from pathlib import Path
from typing import Any, List, Optional, Union

LANGSERVER = "langserver.index.js"


def _thonny_vendored_dir() -> Path:
    spec = importlib.util.find_spec("thonny")
    assert spec is not None and spec.origin
    return Path(spec.origin).parent / "vendored_libs" / "basedpyright"


def _node() -> Optional[str]:
    """Where Thonny's pyright plug-in finds node (``PyrightProxy._get_node_path``): beside
    the Python executable, beside the thonny package folder, or on PATH."""
    name = "node.exe" if os.name == "nt" else "node"
    spec = importlib.util.find_spec("thonny")
    thonny_parent = Path(spec.origin).parent.parent if spec and spec.origin else None
    for folder in (Path(sys.executable).parent, thonny_parent):
        if folder is not None and (folder / name).is_file():
            return str(folder / name)
    return shutil.which(name)


def language_server_missing() -> Optional[str]:
    """Make Thonny find basedpyright's language server (a symlink from Thonny's vendored
    path to the pip package's folder); None when it is there, else why it cannot be."""
    if _node() is None:
        return ("node (Node.js) is not installed: Thonny's pyright plug-in runs basedpyright's "
                "language server with it")
    target = _thonny_vendored_dir()
    if (target / LANGSERVER).is_file():
        return None
    spec = importlib.util.find_spec("basedpyright")
    if spec is None or not spec.submodule_search_locations:
        return (f"the basedpyright pip package is not installed in {sys.prefix} (pip install basedpyright; "
                "`make venv THONNY=next` installs it): this Thonny does not vendor its language server")
    source = Path(list(spec.submodule_search_locations)[0])
    if not (source / LANGSERVER).is_file():
        return f"the basedpyright package in {source} has no {LANGSERVER}"
    if target.is_symlink() and not target.exists():
        target.unlink()  # a link to a basedpyright uninstalled since
    if target.exists():
        return f"{target} exists but has no {LANGSERVER}"
    try:
        target.symlink_to(source, target_is_directory=True)
    except FileExistsError:  # another test worker linked it just now
        pass
    except OSError as e:
        return f"could not link {target} to {source}: {e}"
    return None if (target / LANGSERVER).is_file() else f"{target} does not lead to {LANGSERVER}"


# ---------------------------------------------------------------- scenario side
def initialized_language_server(h: Any, timeout: float = 90) -> Any:
    def ready() -> Any:
        proxy = h.wb.get_main_language_server_proxy()
        return proxy if proxy is not None and proxy.is_initialized() else None

    return h.wait_until(ready, timeout, "an initialized language server")


def _complete(h: Any, server: Any, uri: str, position: Any, timeout: float) -> List[str]:
    from thonny.lsp_types import CompletionItem, CompletionList, CompletionParams, LspResponse, TextDocumentIdentifier

    answers: List[Any] = []

    def on_answer(response: Any) -> None:
        answers.append(response)

    # Thonny's client decodes the answer into the type its handler's parameter names (not a string)
    on_answer.__annotations__["response"] = LspResponse[Union[List[CompletionItem], CompletionList, None]]
    server.request_completion(CompletionParams(textDocument=TextDocumentIdentifier(uri=uri), position=position),
                              on_answer)
    h.wait_until(lambda: answers, timeout, "the language server's completions")
    result = answers[0].get_result_or_raise() or []
    items = result.items if isinstance(result, CompletionList) else result
    return sorted({item.label for item in items})


def editor_completions(h: Any, source: str, timeout: float = 90) -> List[str]:
    """The labels the language server offers at the end of ``source`` in a new editor."""
    from thonny.lsp_types import Position

    server = initialized_language_server(h, timeout)
    notebook = h.wb.get_editor_notebook()
    notebook.open_new_file()
    editor = notebook.get_current_editor()
    text = editor.get_text_widget()
    text.insert("1.0", source)
    text.mark_set("insert", "end-1c")
    editor.send_changes_to_primed_servers()
    lines = source.split("\n")
    try:
        return _complete(h, server, editor.get_uri(),
                         Position(line=len(lines) - 1, character=len(lines[-1])), timeout)
    finally:
        text.edit_modified(False)  # no "save changes?" when the Workbench closes


def shell_completions(h: Any, line: str, timeout: float = 90) -> List[str]:
    """The labels the language server offers at the end of ``line`` typed at the Shell's prompt."""
    from thonny import editor_helpers, get_shell

    server = initialized_language_server(h, timeout)
    text = get_shell().text
    text.mark_set("insert", "end-1c")
    start = text.index("insert")
    text.insert("insert", line)
    text.send_changes_to_language_server()
    position = editor_helpers.get_cursor_ls_position(text, text.get_current_line_ls_offset(),
                                                     text.get_current_column_ls_offset())
    try:
        return _complete(h, server, text.get_ls_uri(), position, timeout)
    finally:
        text.delete(start, "end-1c")  # the prompt back as it was
