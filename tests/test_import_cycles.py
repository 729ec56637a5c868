"""No import cycles inside the plug-in: every import (lazy ones inside functions
too, but not those under ``if TYPE_CHECKING:``) between its modules forms a DAG.
Imports of a package's ``__init__`` are not edges: Python initialises it first."""
from __future__ import annotations

import ast
from pathlib import Path
from typing import Dict, List, Set

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = "thonnycontrib.esp32cam"


def _modules() -> Dict[str, Path]:
    found = {}
    for path in (ROOT / "thonnycontrib" / "esp32cam").rglob("*.py"):
        parts = list(path.relative_to(ROOT).with_suffix("").parts)
        if parts[-1] == "__init__":
            continue
        found[".".join(parts)] = path
    return found


def _is_type_checking(node: ast.If) -> bool:
    test = node.test
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or \
        (isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING")


def _imports(tree: ast.AST, modules: Dict[str, Path]) -> Set[str]:
    targets: Set[str] = set()

    def visit(node: ast.AST) -> None:
        if isinstance(node, ast.If) and _is_type_checking(node):
            for child in node.orelse:
                visit(child)
            return
        if isinstance(node, ast.Import):
            targets.update(a.name for a in node.names if a.name in modules)
        elif isinstance(node, ast.ImportFrom) and node.module and node.module.startswith(PACKAGE):
            if node.module in modules:
                targets.add(node.module)
            for alias in node.names:  # from pkg import submodule
                name = f"{node.module}.{alias.name}"
                if name in modules:
                    targets.add(name)
        for child in ast.iter_child_nodes(node):
            visit(child)

    visit(tree)
    return targets


def _graph() -> Dict[str, Set[str]]:
    modules = _modules()
    return {name: _imports(ast.parse(path.read_text(encoding="utf-8")), modules) - {name}
            for name, path in modules.items()}


def _cycles(graph: Dict[str, Set[str]]) -> List[List[str]]:
    cycles, state, stack = [], {}, []

    def walk(node: str) -> None:
        state[node] = "open"
        stack.append(node)
        for nxt in sorted(graph.get(node, ())):
            if state.get(nxt) == "open":
                cycles.append(stack[stack.index(nxt):] + [nxt])
            elif nxt not in state:
                walk(nxt)
        stack.pop()
        state[node] = "done"

    for node in sorted(graph):
        if node not in state:
            walk(node)
    return cycles


def test_the_graph_sees_real_edges():
    graph = _graph()
    assert "thonnycontrib.esp32cam.core.catalog" in graph["thonnycontrib.esp32cam.core.download"] or \
        "thonnycontrib.esp32cam.core.download" in graph["thonnycontrib.esp32cam.core.catalog"]
    assert "thonnycontrib.esp32cam.frontend.camera_view" in graph["thonnycontrib.esp32cam.frontend.registration"]


def test_no_import_cycles():
    assert _cycles(_graph()) == []


def test_the_cycle_finder_finds_a_cycle():
    assert _cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == [["a", "b", "c", "a"]]


def test_backend_answers_the_command_names_the_frontend_sends():
    from thonnycontrib.esp32cam.backend.camera_commands import CameraCommandsMixin
    from thonnycontrib.esp32cam.core import backend_commands

    assert callable(getattr(CameraCommandsMixin, "_cmd_" + backend_commands.CAMERA))
    source = (ROOT / "thonnycontrib/esp32cam/backend/esp32cam_back.py").read_text()
    assert "backend_commands.RELEASE_LINES" in source
    proxy = (ROOT / "thonnycontrib/esp32cam/frontend/proxy.py").read_text()
    assert "ImmediateCommand(backend_commands.RELEASE_LINES)" in proxy
