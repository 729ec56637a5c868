"""No import cycles inside the plug-in: every import between its modules (lazy ones
inside functions and those under ``if TYPE_CHECKING:`` too: a type that needs the
other module is a dependency on it) forms a DAG. Imports of a package's
``__init__`` are not edges: Python initialises it first."""
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


def _imports(tree: ast.AST, modules: Dict[str, Path]) -> Set[str]:
    targets: Set[str] = set()

    def visit(node: ast.AST) -> None:
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
    assert "thonnycontrib.esp32cam.frontend.camera_wifi" in graph["thonnycontrib.esp32cam.frontend.registration"]
    assert "thonnycontrib.esp32cam.frontend.camera_view" in graph["thonnycontrib.esp32cam.frontend.camera_wifi"]


def test_no_import_cycles():
    assert _cycles(_graph()) == []


def test_imports_only_for_type_checking_are_edges_too():
    tree = ast.parse("from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n"
                     "    from thonnycontrib.esp32cam.core.catalog import Build\n")
    assert _imports(tree, _modules()) == {"thonnycontrib.esp32cam.core.catalog"}


def test_core_does_not_import_the_plugins_face():
    """core is the bottom layer: the package's ``__init__`` (load_plugin, Thonny's UI) is above it."""
    importing = []
    for name, path in _modules().items():
        if ".core." not in name:
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom) and node.module == PACKAGE:
                importing.append(name)
            elif isinstance(node, ast.Import) and any(a.name == PACKAGE for a in node.names):
                importing.append(name)
    assert importing == []


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
