"""The built wheel, installed as a user would: a fresh virtualenv (no system
site-packages, no checkout on the path) gets the wheel and this environment's
Thonny and esptool versions from the package index; Thonny starts under Xvfb
in an empty user folder, the plug-in must load with no error, register its
interpreter and menus, find its data, and connect to the virtual board.

It fails when the wheel lacks a module or a data file: every file of the
package in the checkout must be installed, the CLI must read the bundled
catalog, the scenario imports every module and loads catalog, templates and
stubs through the installed code (see the README of this change for the run
that proved it with a wheel built without catalog.json).
"""
from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import zipfile
from email.parser import Parser
from pathlib import Path

import pytest

from tests.dist_build import built_dists, version
from tests.test_readme_links import check_links
from tests.virtualboard import VirtualBoard, synthetic_firmware
from tests.wheel_smoke_scenario import other_generation_adapters

pytestmark = [pytest.mark.thonny, pytest.mark.slow]

REPO_ROOT = Path(__file__).resolve().parent.parent
PACKAGE = REPO_ROOT / "thonnycontrib" / "esp32cam"
DATA_SUFFIXES = (".py", ".json", ".pyi", ".txt")  # what setup.cfg's package_data and packages ship


def clean_env(**extra: str) -> dict:
    """This process's environment without anything that would put the checkout
    or this virtualenv on the fresh interpreter's path."""
    env = {k: v for k, v in os.environ.items()
           if k not in ("PYTHONPATH", "PYTHONHOME", "VIRTUAL_ENV", "PYTHONSTARTUP", "PYTHONUSERBASE")}
    env.update(extra)
    return env


def _module_name(path: Path) -> str:
    parts = path.relative_to(REPO_ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def installed_versions():
    import esptool
    import thonny

    return thonny.get_version(), esptool.__version__


def _installed_from_file(name: str) -> str | None:
    """The local wheel this environment's `name` was installed from, if it still exists:
    pip records it in the distribution's direct_url.json (PEP 610)."""
    from importlib.metadata import PackageNotFoundError, distribution
    from urllib.parse import unquote, urlparse

    try:
        text = distribution(name).read_text("direct_url.json")
    except PackageNotFoundError:
        return None
    url = urlparse(json.loads(text)["url"]) if text else None
    if url is None or url.scheme != "file" or not url.path.endswith(".whl"):
        return None
    path = Path(unquote(url.path))
    return str(path) if path.is_file() else None


def thonny_requirements(thonny_version: str) -> list:
    """What pip needs to install this environment's Thonny: the wheels it came from when it
    was installed from files (the development head: `make venv THONNY=next` installs the
    thonny and minny wheels of NEXT_DIR, which no index has), else the version from the index."""
    thonny_wheel = _installed_from_file("thonny")
    if thonny_wheel is None:
        return [f"thonny=={thonny_version}"]
    minny_wheel = _installed_from_file("minny")
    return [thonny_wheel] + ([minny_wheel] if minny_wheel else [])


@pytest.fixture(scope="module")
def fresh_venv(tmp_path_factory):
    """(python, site-packages) of a new virtualenv with the wheel installed."""
    wheel = built_dists().wheel
    root = tmp_path_factory.mktemp("fresh")
    venv_dir = root / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv_dir)], check=True, timeout=120)
    python = venv_dir / "bin" / "python"
    thonny_version, esptool_version = installed_versions()
    proc = subprocess.run(
        [str(python), "-m", "pip", "install", "--disable-pip-version-check", "-q",
         str(wheel), *thonny_requirements(thonny_version), f"esptool=={esptool_version}"],
        capture_output=True, text=True, env=clean_env(), cwd=str(root), timeout=600,
    )
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    site = subprocess.run([str(python), "-I", "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                          capture_output=True, text=True, env=clean_env(), check=True).stdout.strip()
    yield python, Path(site)


def run_isolated(python: Path, *args: str, cwd: Path, env: dict, timeout: float = 120) -> subprocess.CompletedProcess:
    return subprocess.run([str(python), "-I", *args], capture_output=True, text=True,
                          cwd=str(cwd), env=env, timeout=timeout)


def test_wheel_file_list_and_description():
    with zipfile.ZipFile(built_dists().wheel) as zf:
        names = zf.namelist()
        meta = Parser().parsestr(zf.read(f"thonny_esp32cam-{version()}.dist-info/METADATA").decode())
    assert "thonnycontrib/__init__.py" not in names  # namespace package shared with other plug-ins
    assert not [n for n in names if n.startswith("tests/") or "/tests/" in n]
    # the PyPI description: no relative link or image, absolute ones name files of the repository
    description = meta.get_payload()
    assert "black window" in description
    assert check_links(description, REPO_ROOT, allow_relative=False) == []


def test_every_package_file_is_installed(fresh_venv):
    _, site = fresh_venv
    expected = sorted(p.relative_to(REPO_ROOT).as_posix() for p in PACKAGE.rglob("*")
                      if p.is_file() and p.suffix in DATA_SUFFIXES and "__pycache__" not in p.parts)
    missing = [name for name in expected if not (site / name).is_file()]
    assert expected and missing == []
    assert not (site / "thonnycontrib" / "__init__.py").exists()


def test_cli_from_the_wheel(fresh_venv, tmp_path):
    python, site = fresh_venv
    env = clean_env()
    proc = run_isolated(python, "-m", "thonnycontrib.esp32cam", "--version", cwd=tmp_path, env=env)
    assert proc.returncode == 0 and proc.stdout.strip() == f"thonny-esp32cam {version()}", proc.stderr
    proc = run_isolated(python, "-m", "thonnycontrib.esp32cam", "catalog", "--json", cwd=tmp_path, env=env)
    assert proc.returncode == 0, proc.stderr
    bundled = json.loads((PACKAGE / "core" / "catalog.json").read_text(encoding="utf-8"))
    assert len(json.loads(proc.stdout)["builds"]) == len(bundled["builds"])


def test_thonny_loads_the_plugin_from_the_wheel(fresh_venv, tmp_path, xdisplay):
    python, site = fresh_venv
    work = tmp_path / "scenario"  # only the harness and the scenario: no checkout on the path
    work.mkdir()
    for name in ("thonny_harness.py", "wheel_smoke_scenario.py"):
        shutil.copy(REPO_ROOT / "tests" / name, work / name)
    user_dir = tmp_path / "user"
    user_dir.mkdir()
    (user_dir / "configuration.ini").write_text(
        "[general]\nsingle_instance = False\nlanguage = en_US\n", encoding="utf-8")
    result_file = tmp_path / "result.json"

    with VirtualBoard(wiring="direct", firmware=synthetic_firmware(family="lemariva")) as board:
        code = ("import sys; sys.path.insert(0, sys.argv[1]); import thonny_harness; "
                "sys.exit(thonny_harness._child_main(sys.argv[2:]))")
        proc = run_isolated(
            python, "-c", code, str(work), "wheel_smoke_scenario:scenario_smoke", str(user_dir),
            json.dumps({"url": board.url}), str(result_file), "1",
            cwd=work, env=clean_env(DISPLAY=xdisplay, THONNY_USER_DIR=str(user_dir)), timeout=150,
        )
    log = (user_dir / "frontend.log").read_text(errors="replace") if (user_dir / "frontend.log").exists() else ""
    assert result_file.exists(), f"Thonny died (exit {proc.returncode}):\n{proc.stderr[-3000:]}\n{log[-3000:]}"
    outcome = json.loads(result_file.read_text())
    assert not outcome["error"], outcome["error"] + "\n" + log[-3000:]
    assert outcome["exceptions"] == []
    value = outcome["value"]

    # the plug-in Thonny loaded is the installed wheel, not the checkout
    assert Path(value["plugin_file"]).resolve().is_relative_to(site.resolve())
    assert value["version"] == version()
    assert "Done loading plugins" in log  # Thonny's own start-up line: the log is the right one
    assert "Failed loading plugin" not in log and "Traceback" not in log, log[-3000:]
    # Thonny started the ESP32-CAM back-end from the wheel too (it logs the command)
    assert str(site / "thonnycontrib" / "esp32cam" / "backend" / "launcher.py") in log
    assert value["backend"] == "MicroPython (ESP32-CAM)"
    assert len(value["tools_menu"]) >= 3 and len(value["edit_menu"]) >= 4
    source_modules = {_module_name(p) for p in PACKAGE.rglob("*.py")
                      if "backend" not in p.parts and p.name != "__main__.py" and p != PACKAGE / "__init__.py"}
    source_modules -= other_generation_adapters()
    assert source_modules <= set(value["modules"])
    assert value["catalog_builds"] > 0 and all(value["templates"].values())
    assert value["stubs"] == ["cnadler86", "kaki5", "lemariva"]
    assert value["page_class"] == "thonnycontrib.esp32cam.frontend.config_page.Esp32CamConfigPage"
    # connected with the wheel's back-end: MicroPython answers in Thonny's Shell
    assert value["backend_name"] == "ESP32CAM"
    assert "42" in value["answer"], value["shell"]
