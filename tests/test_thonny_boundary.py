"""Only ``thonnycontrib/esp32cam/thonny_compat/`` touches Thonny's internals.

Reads every module of the plug-in (``ast``, no import) and lists, outside
``thonny_compat``:

- every import from ``thonny``/``minny`` that is not public API: allowed are
  ``thonny.get_workbench/get_runner/get_shell/get_sys_path_directory_containg_plugins``,
  ``thonny.languages.tr``, ``thonny.ui_utils`` and ``thonny.common`` (message classes);
- every private attribute of a Thonny object: ``getattr/hasattr/setattr`` with a
  ``"_name"`` on something other than ``self``; ``super()._name``; ``._name`` on a
  call's result (``get_workbench()._x``) or on a Thonny object's usual name
  (``wb``, ``runner``, ``proxy``, ``shell``...); and ``self._name`` in a class
  that never defines ``_name`` itself (an attribute inherited from Thonny or from
  a ``thonny_compat`` base).

The back-end modules are ported on another branch (``thonny_compat/back*``):
this test passes only when both are merged, and it is meant to stay strict.
"""
from __future__ import annotations

import ast
from pathlib import Path
from typing import Dict, Iterator, List, Set, Tuple

PACKAGE = Path(__file__).resolve().parent.parent / "thonnycontrib" / "esp32cam"
COMPAT = PACKAGE / "thonny_compat"

ALLOWED_FROM = {
    "thonny": {"get_workbench", "get_runner", "get_shell", "get_sys_path_directory_containg_plugins"},
    "thonny.languages": {"tr"},
}
ALLOWED_MODULES = {"thonny.ui_utils", "thonny.common"}  # any name
THONNY_OBJECT_NAMES = {"wb", "workbench", "runner", "proxy", "backend_proxy", "shell", "text",
                       "dialog", "notebook", "editor", "page", "target", "connection"}


def plugin_modules() -> Iterator[Path]:
    for path in sorted(PACKAGE.rglob("*.py")):
        if COMPAT not in path.parents and "stubs" not in path.relative_to(PACKAGE).parts:
            yield path


def _thonny_side(path: Path) -> bool:
    """Modules that run with Thonny (``core/``, ``commands/`` never import it: private
    names there are other libraries', e.g. pyserial's; their imports are still checked)."""
    parts = path.relative_to(PACKAGE).parts
    return parts[0] in ("frontend", "backend") or parts == ("__init__.py",)


def _is_private(name: str) -> bool:
    return name.startswith("_") and not (name.startswith("__") and name.endswith("__"))


def _import_findings(tree: ast.AST) -> List[Tuple[int, str]]:
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                top = alias.name.split(".")[0]
                if alias.name == "thonny" and alias.asname is None:
                    continue  # judged by what is used of it: see below
                if top in ("thonny", "minny") and alias.name not in ALLOWED_MODULES:
                    found.append((node.lineno, f"import {alias.name}"))
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            top = node.module.split(".")[0]
            if top not in ("thonny", "minny") or node.module in ALLOWED_MODULES:
                continue
            allowed = ALLOWED_FROM.get(node.module, set())
            for alias in node.names:
                if alias.name not in allowed:
                    found.append((node.lineno, f"from {node.module} import {alias.name}"))
    # ``import thonny``: only the public names may be used (``thonny.get_workbench()``, ...)
    public = ALLOWED_FROM["thonny"] | {m.split(".")[1] for m in ALLOWED_MODULES} | {"languages"}
    for node in ast.walk(tree):
        if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) and node.value.id == "thonny" \
                and node.attr not in public:
            found.append((node.lineno, f"thonny.{node.attr}"))
    return found


def _names_defined_on_self(cls: ast.ClassDef) -> Set[str]:
    names: Set[str] = set()
    for node in ast.walk(cls):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            names.add(node.name)
        elif isinstance(node, ast.Attribute) and isinstance(node.ctx, ast.Store) \
                and isinstance(node.value, ast.Name) and node.value.id in ("self", "cls"):
            names.add(node.attr)
        elif isinstance(node, (ast.Assign, ast.AnnAssign)) and node in cls.body:
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            names.update(t.id for t in targets if isinstance(t, ast.Name))
        elif isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "setattr" \
                and len(node.args) >= 2 and isinstance(node.args[1], ast.Constant):
            names.add(str(node.args[1].value))
    return names


def _attribute_findings(tree: ast.AST, own_names: Set[str] = frozenset()) -> List[Tuple[int, str]]:
    """``own_names``: private names the plug-in's classes define (outside ``thonny_compat``)."""
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) \
                and node.func.id in ("getattr", "hasattr", "setattr") and len(node.args) >= 2:
            obj, name = node.args[0], node.args[1]
            if isinstance(name, ast.Constant) and isinstance(name.value, str) and _is_private(name.value) \
                    and not (isinstance(obj, ast.Name) and obj.id in ("self", "cls")):
                found.append((node.lineno, f"{node.func.id}({ast.unparse(obj)}, {name.value!r})"))
        if not isinstance(node, ast.Attribute) or not _is_private(node.attr):
            continue
        value = node.value
        if isinstance(value, ast.Call) and isinstance(value.func, ast.Name) and value.func.id == "super":
            found.append((node.lineno, f"super().{node.attr}"))
        elif isinstance(value, ast.Call):
            found.append((node.lineno, f"{ast.unparse(value)}.{node.attr}"))
        elif isinstance(value, (ast.Name, ast.Attribute)):
            terminal = value.id if isinstance(value, ast.Name) else value.attr
            if terminal in THONNY_OBJECT_NAMES:
                found.append((node.lineno, f"{ast.unparse(value)}.{node.attr}"))
    for cls in [n for n in ast.walk(tree) if isinstance(n, ast.ClassDef)]:
        own = _names_defined_on_self(cls) | set(own_names)
        for node in ast.walk(cls):
            if isinstance(node, ast.Attribute) and isinstance(node.ctx, ast.Load) and _is_private(node.attr) \
                    and isinstance(node.value, ast.Name) and node.value.id in ("self", "cls") \
                    and node.attr not in own:
                found.append((node.lineno, f"{cls.name}: self.{node.attr} (not defined by the class)"))
    return found


def boundary_findings() -> Dict[str, List[str]]:
    result: Dict[str, List[str]] = {}
    trees = {path: ast.parse(path.read_text(encoding="utf-8"), filename=str(path)) for path in plugin_modules()}
    own: Set[str] = set()  # a mixin may use what another of the plug-in's classes defines
    for tree in trees.values():
        for cls in [n for n in ast.walk(tree) if isinstance(n, ast.ClassDef)]:
            own |= _names_defined_on_self(cls)
    for path, tree in trees.items():
        items = _import_findings(tree) + (_attribute_findings(tree, own) if _thonny_side(path) else [])
        items = sorted(set(items))
        if items:
            result[str(path.relative_to(PACKAGE.parent.parent))] = [f"line {n}: {what}" for n, what in items]
    return result


def test_only_thonny_compat_touches_thonny_internals():
    findings = boundary_findings()
    listing = "\n".join(f"{path}:\n  " + "\n  ".join(items) for path, items in findings.items())
    assert not findings, "Thonny internals used outside thonnycontrib/esp32cam/thonny_compat/:\n" + listing


def test_the_check_finds_each_kind_of_use():
    """The rules above catch what the plug-in's modules once did (so a pass means something)."""
    source = '''
from thonny import THONNY_USER_DIR, get_workbench
from thonny.plugins.esp import ESP32Proxy
from thonny.misc_utils import open_path_in_system_file_manager
from thonny.ui_utils import ems_to_pixels
from thonny.common import InlineCommand
import thonny.terminal
import minny.connection
import thonny

folder = thonny.THONNY_USER_DIR
plugins = thonny.get_sys_path_directory_containg_plugins()

class Proxy(ESP32Proxy):
    def _get_launcher_with_args(self):
        self._own = 1
        return super()._get_launcher_with_args() + [self._port, self._own]

def f(proxy, shell):
    getattr(proxy, "_proc", None)
    shell.text._insert_prompt()
    get_workbench()._configuration_manager.save()
'''
    tree = ast.parse(source)
    found = {what for _, what in _import_findings(tree) + _attribute_findings(tree)}
    assert found == {
        "from thonny import THONNY_USER_DIR",
        "from thonny.plugins.esp import ESP32Proxy",
        "from thonny.misc_utils import open_path_in_system_file_manager",
        "import thonny.terminal",
        "import minny.connection",
        "thonny.THONNY_USER_DIR",
        "super()._get_launcher_with_args",
        "Proxy: self._port (not defined by the class)",
        "getattr(proxy, '_proc')",
        "shell.text._insert_prompt",
        "get_workbench()._configuration_manager",
    }, found
