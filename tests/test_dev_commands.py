"""The developer commands: which Thonny `make run`/`make test` install where, and the
legs of `.ci/run` (read by `make -n` and from the script itself, nothing installed)."""
from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent

pytestmark = pytest.mark.skipif(shutil.which("make") is None, reason="GNU make is not installed")


# Under `make test VENV=... THONNY=...` (as .ci/run calls it) make hands its command-line
# variables down through MAKEFLAGS, and they would override the ones these tests pass
_MAKE_ENV_NAMES = ("MAKEFLAGS", "MFLAGS", "MAKELEVEL", "MAKEOVERRIDES", "GNUMAKEFLAGS",
                   "VENV", "THONNY", "ESPTOOL", "NEXT_DIR", "JOBS", "PYTEST_ARGS", "RUN_USER_DIR")


def _make(*args: str) -> subprocess.CompletedProcess:
    env = {name: value for name, value in os.environ.items() if name not in _MAKE_ENV_NAMES}
    # -B: print every recipe even where a virtualenv of that name exists already
    return subprocess.run(["make", "-n", "-B", "-C", str(ROOT), *args], capture_output=True, text=True,
                          timeout=30, env=env)


def _pip_install(result: subprocess.CompletedProcess) -> str:
    assert result.returncode == 0, result.stderr
    return next(line for line in result.stdout.splitlines()
                if "pip install -q" in line and "--upgrade pip" not in line and "--no-deps" not in line)


@pytest.fixture
def next_dir(tmp_path):
    folder = tmp_path / "thonny-next"
    folder.mkdir()
    for name in ("thonny-5.0.0b1.dev0-py3-none-any.whl", "minny-0.0.1a2-py3-none-any.whl"):
        (folder / name).write_bytes(b"")  # only the names matter to `make -n`
    return folder


def test_default_thonny_is_5_0_1_in_dot_venv():
    line = _pip_install(_make("venv"))
    assert line.startswith(".venv/bin/python ") and '"thonny==5.0.1"' in line and '"esptool>=5"' in line
    assert "basedpyright" not in line  # Thonny 5.0.1 completes with Jedi
    assert "--user-dir .run/thonny-user" in _make("run").stdout


def test_thonny_next_installs_both_wheels_into_its_own_venv_and_user_folder(next_dir):
    result = _make("venv", "THONNY=next", f"NEXT_DIR={next_dir}")
    line = _pip_install(result)
    assert line.startswith(".venv-thonny-5.0.0b1.dev0/bin/python ")
    assert f'"{next_dir}/thonny-5.0.0b1.dev0-py3-none-any.whl"' in line
    assert f'"{next_dir}/minny-0.0.1a2-py3-none-any.whl"' in line   # minny comes along
    assert "-r requirements-dev.txt" in line                          # with their dependencies
    assert line.split()[-1] == "basedpyright"                         # its language server, for the tests
    assert "--force-reinstall --no-deps" in result.stdout             # a rebuilt wheel is taken
    run = _make("run", "THONNY=next", f"NEXT_DIR={next_dir}").stdout
    assert "--user-dir .run/thonny-user-thonny-5.0.0b1.dev0" in run


def test_a_thonny_wheel_brings_the_minny_wheel_beside_it(next_dir):
    wheel = next_dir / "thonny-5.0.0b1.dev0-py3-none-any.whl"
    line = _pip_install(_make("venv", f"THONNY={wheel}"))
    assert f'"{next_dir}/minny-0.0.1a2-py3-none-any.whl"' in line
    assert line.startswith(".venv-thonny-5.0.0b1.dev0/bin/python ")


def test_thonny_next_without_wheels_says_where_it_looked(tmp_path):
    result = _make("venv", "THONNY=next", f"NEXT_DIR={tmp_path}")
    assert result.returncode != 0
    assert f"THONNY=next: no thonny-*.whl in {tmp_path} (set NEXT_DIR" in result.stderr


def test_another_pypi_thonny_gets_its_own_venv():
    line = _pip_install(_make("venv", "THONNY=thonny==4.1.7", "ESPTOOL=esptool==4.8.1"))
    assert line.startswith(".venv-thonny4.1.7/bin/python ") and '"esptool==4.8.1"' in line


def test_ci_runs_three_legs_with_the_bundled_esptool_and_the_development_head():
    text = (ROOT / ".ci" / "run").read_text()
    legs = re.findall(r'^run_leg "([^"]+)" (\S+) "?([^" ]+)"? "([^"]+)" "([^"]*)"(?: (\d+))?$', text, re.M)
    assert legs == [  # the last field: the leg's pytest-xdist workers, when not the Makefile's
        ("Thonny 5.0.1", ".venv", "thonny==5.0.1", "esptool>=5", "", ""),
        ("Thonny 4.1.7", ".venv41", "thonny==4.1.7", "esptool==4.8.1", "-m 'thonny or esptool'", ""),
        ("Thonny dev head", ".venv-next", "next", "esptool>=5", "-m 'thonny and not ui'", "3"),
    ]
    assert '${jobs:+JOBS="$jobs"}' in text
    assert "NEXT_DIR=${NEXT_DIR:-../shared/thonny-next}" in text
    assert "python3 .ci/fetch-firmware" in text
