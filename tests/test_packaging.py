"""The wheel: only ``thonnycontrib/esp32cam/`` (a namespace sub-package), package
data included, the declared requirements and licence."""
from __future__ import annotations

import shutil
import subprocess
import sys
import zipfile
from email.parser import Parser
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> zipfile.ZipFile:
    # built from a copy of what the sdist holds, so the checkout gets no build/ or egg-info
    src = tmp_path_factory.mktemp("src")
    for name in ["setup.cfg", "pyproject.toml", "README.md", "LICENSE"]:
        shutil.copy(REPO_ROOT / name, src / name)
    shutil.copytree(REPO_ROOT / "thonnycontrib", src / "thonnycontrib",
                    ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
    out = tmp_path_factory.mktemp("dist")
    proc = subprocess.run([sys.executable, "-m", "build", "--wheel", "--outdir", str(out), str(src)],
                          capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    assert "deprecated" not in proc.stdout + proc.stderr
    (path,) = out.glob("thonny_esp32cam-0.1.0-py3-none-any.whl")
    with zipfile.ZipFile(path) as zf:
        yield zf


def test_wheel_holds_only_the_plugin_package(wheel):
    names = wheel.namelist()
    package = [n for n in names if not n.startswith("thonny_esp32cam-0.1.0.dist-info/")]
    assert package and all(n.startswith("thonnycontrib/esp32cam/") for n in package)
    assert "thonnycontrib/__init__.py" not in names  # namespace package, shared with other plug-ins
    for data in ["core/catalog.json", "stubs/lemariva/camera.pyi", "stubs/kaki5/camera.pyi",
                 "stubs/cnadler86/camera.pyi", "templates/mjpeg_stream.py.txt"]:
        assert "thonnycontrib/esp32cam/" + data in names
    sources = {n for n in package if n.endswith(".py")}
    on_disk = {p.relative_to(REPO_ROOT).as_posix()
               for p in (REPO_ROOT / "thonnycontrib" / "esp32cam").rglob("*.py")}
    assert sources == on_disk


def test_wheel_metadata(wheel):
    meta = Parser().parsestr(wheel.read("thonny_esp32cam-0.1.0.dist-info/METADATA").decode())
    assert meta["Name"] == "thonny-esp32cam"
    assert meta["License"] == "MIT"
    requires = meta.get_all("Requires-Dist")
    for req in ["thonny>=4.1", "esptool>=4.7", "pyserial>=3.5", "pillow"]:
        assert req in requires
    assert "Environment :: Plugins" in meta.get_all("Classifier")
    assert "black window" in meta.get_payload()  # the README is the long description
