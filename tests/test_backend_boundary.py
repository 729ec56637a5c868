"""``backend/`` names no private member of Thonny's back-end or connection classes and imports
none of Thonny's internals: those live in ``thonny_compat/back_*.py`` (one per generation)."""
from __future__ import annotations

import ast
import pathlib

import pytest

pytestmark = pytest.mark.thonny

BACKEND = pathlib.Path(__file__).resolve().parents[1] / "thonnycontrib" / "esp32cam" / "backend"
PUBLIC_THONNY_MODULES = {"thonny.common"}  # message classes (BackendEvent...), public API


def _trees():
    return {path.name: ast.parse(path.read_text(encoding="utf-8")) for path in sorted(BACKEND.glob("*.py"))}


def _private_names_used(tree: ast.AST):
    for node in ast.walk(tree):
        if isinstance(node, ast.Attribute) and node.attr.startswith("_") and not node.attr.startswith("__"):
            yield node.attr, node.lineno


def _names_defined(trees) -> set:
    defined = set()
    for tree in trees.values():
        for node in ast.walk(tree):
            if isinstance(node, (ast.FunctionDef, ast.ClassDef)):
                defined.add(node.name)
            elif isinstance(node, ast.Attribute) and isinstance(node.ctx, ast.Store):
                defined.add(node.attr)
            elif isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store):
                defined.add(node.id)
    return defined


def _thonny_private_members() -> set:
    """Private members of the Thonny classes the back-end builds on, on this Thonny."""
    from thonnycontrib.esp32cam.thonny_compat import back, back_serial

    module = back.adapter_module()
    classes = [cls for cls in module.BackendBase.__mro__ if not cls.__module__.startswith("thonnycontrib")]
    classes += [cls for cls in back_serial.SerialConnection.__mro__ if cls is not object]
    if hasattr(module, "Esp32CamTargetManager"):
        classes += [cls for cls in module.Esp32CamTargetManager.__mro__[1:] if cls is not object]
    names = set()
    for cls in classes:
        names.update(name for name in vars(cls) if name.startswith("_") and not name.startswith("__"))
    # instance attributes Thonny sets in __init__ (not in the classes' dicts)
    names.update({"_connection", "_serial", "_reader_stopped", "_reading_thread", "_read_queue", "_read_buffer",
                  "_last_prompt", "_interrupt_lock", "_incoming_message_queue", "_args", "_tmgr",
                  "_current_command", "_submit_mode", "_io_handler"})
    return names


def test_the_backend_package_names_no_private_thonny_member():
    trees = _trees()
    ours = _names_defined(trees)
    thonny = _thonny_private_members()
    used = [(file, name, line) for file, tree in trees.items() for name, line in _private_names_used(tree)
            if name in thonny and not (name in ours and name.startswith("_esp32cam"))]
    assert used == []


def test_the_backend_package_imports_only_thonnys_public_modules():
    imported = []
    for file, tree in _trees().items():
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom) and node.module:
                imported.append((file, node.module))
            elif isinstance(node, ast.Import):
                imported.extend((file, alias.name) for alias in node.names)
    outside = [(file, name) for file, name in imported
               if name.split(".")[0] in ("thonny", "minny") and name not in PUBLIC_THONNY_MODULES]
    assert outside == []


def test_the_check_sees_a_private_name():
    tree = ast.parse("self.compat.connection._serial.write(b'')\nself._submit_code('x')")
    assert {name for name, _ in _private_names_used(tree)} == {"_serial", "_submit_code"}
    assert {"_serial", "_submit_code", "_ensure_raw_mode"} <= _thonny_private_members()
