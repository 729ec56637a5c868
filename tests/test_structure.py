"""Structure the code keeps: no class grows past ~200 lines, and the camera's device
protocol alone decides which steps an operation takes (the session only runs them)."""
from __future__ import annotations

import ast
from pathlib import Path

from thonnycontrib.esp32cam.core import boards
from thonnycontrib.esp32cam.core.camera import devicecode, families as fam
from thonnycontrib.esp32cam.core.camera.transfer import KIND_ACK, KIND_JPEG

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "thonnycontrib" / "esp32cam"
MAX_CLASS_LINES = 200


def class_sizes():
    for path in sorted(PACKAGE.rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ClassDef):
                yield f"{path.relative_to(PACKAGE).as_posix()}:{node.name}", node.end_lineno - node.lineno + 1


def test_no_class_is_over_200_lines():
    too_large = {name: size for name, size in class_sizes() if size > MAX_CLASS_LINES}
    assert too_large == {}


def test_the_protocol_says_which_calls_a_settings_change_takes():
    protocol = devicecode.DeviceProtocol(fam.KAKI5, boards.get_profile(None))
    running = devicecode.CameraSettings().normalized()
    assert protocol.changes(running, running) == []
    wanted = devicecode.CameraSettings(frame_size="QVGA", vflip=not running.vflip).normalized()
    steps = protocol.changes(running, wanted)
    assert [s.during for s in steps] == ["start", "flip"]
    assert all(s.expect == KIND_ACK for s in steps)
    assert protocol.snap().expect == KIND_JPEG


def test_the_session_asks_the_protocol_for_steps_not_for_code():
    tree = ast.parse((PACKAGE / "core" / "camera" / "session.py").read_text(encoding="utf-8"))
    code_calls = sorted({n.func.attr for n in ast.walk(tree) if isinstance(n, ast.Call)
                         and isinstance(n.func, ast.Attribute) and n.func.attr.endswith("_code")})
    assert code_calls == []


def test_one_install_sequence_serves_the_cli_the_dialog_and_the_classroom():
    """Only core/install.py drives the flasher and the post-install check; the CLI, the
    installer dialog and the classroom's FlashJob go through its Installer."""
    users = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        called = {n.func.id if isinstance(n.func, ast.Name) else n.func.attr
                  for n in ast.walk(tree) if isinstance(n, ast.Call)
                  and isinstance(n.func, (ast.Name, ast.Attribute))}
        for name in ("Flasher", "check_board", "Installer"):
            if name in called:
                users.setdefault(name, set()).add(path.relative_to(PACKAGE).as_posix())
    assert users["Flasher"] == {"core/install.py"}
    assert users["check_board"] == {"core/install.py"}
    assert users["Installer"] == {"commands/flash.py", "frontend/install_run.py", "core/classroom.py"}
