"""The release files: the wheel holds only ``thonnycontrib/esp32cam/`` (a namespace
sub-package) with its data, the declared requirements, licence, authors and
project URLs; the sdist holds what the wheel is built from; both pass ``twine check``."""
from __future__ import annotations

import subprocess
import sys
import tarfile
import zipfile
from email.parser import Parser
from pathlib import Path

import pytest

from tests.dist_build import SDIST_FILES, built_dists, version

REPO_ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def wheel() -> zipfile.ZipFile:
    dists = built_dists()
    assert "deprecated" not in dists.log
    with zipfile.ZipFile(dists.wheel) as zf:
        yield zf


def test_wheel_holds_only_the_plugin_package(wheel):
    names = wheel.namelist()
    package = [n for n in names if not n.startswith(f"thonny_esp32cam-{version()}.dist-info/")]
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
    meta = Parser().parsestr(wheel.read(f"thonny_esp32cam-{version()}.dist-info/METADATA").decode())
    assert meta["Name"] == "thonny-esp32cam"
    assert meta["Version"] == version()
    assert meta["License"] == "MIT"
    assert meta["Author"] and meta["Maintainer"]
    urls = dict(u.split(", ", 1) for u in meta.get_all("Project-URL"))
    assert set(urls) == {"Homepage", "Source", "Issues", "Changelog"}
    requires = meta.get_all("Requires-Dist")
    for req in ["thonny>=4.1", "esptool>=4.7", "pyserial>=3.5", "pillow"]:
        assert req in requires
    assert "Environment :: Plugins" in meta.get_all("Classifier")
    assert "black window" in meta.get_payload()  # the README is the long description


def test_sdist_holds_what_the_wheel_is_built_from():
    dists = built_dists()
    with tarfile.open(dists.sdist) as tf:
        names = {n.split("/", 1)[1] for n in tf.getnames() if "/" in n}
    for name in SDIST_FILES:
        assert name in names
    assert "thonnycontrib/esp32cam/core/catalog.json" in names
    assert "thonnycontrib/__init__.py" not in names
    assert not any(n.startswith("tests/") for n in names)


def test_twine_check_passes_on_both_files():
    dists = built_dists()
    proc = subprocess.run([sys.executable, "-m", "twine", "check", "--strict", str(dists.sdist), str(dists.wheel)],
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert proc.stdout.count("PASSED") == 2
