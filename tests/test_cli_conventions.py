"""The CLI follows esptool's conventions (``-p/--port``, ``-b/--baud``, ``$ESPTOOL_PORT``), is
a console script too, works where Thonny's plug-in manager installs it (pip ``--user`` with
``PYTHONUSERBASE`` = Thonny's plug-in folder: thonny/plugins/pip_gui.py
``PluginsPipDialog._run_pip_with_dialog`` in Thonny 4.1.7 and 5.0.1), and never dies with a
traceback when nobody can answer its question."""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.dist_build import built_dists, version
from tests.virtualboard import VirtualBoard, synthetic_firmware
from thonnycontrib.esp32cam.commands import multiboard

REPO = Path(__file__).resolve().parent.parent


def _cli(args, env=None, timeout=120, **kw):
    return subprocess.run([sys.executable, "-m", "thonnycontrib.esp32cam", *args], cwd=str(REPO),
                          env=dict(os.environ if env is None else env, PYTHONPATH=str(REPO)),
                          capture_output=True, text=True, timeout=timeout, **kw)


def _no_port_env():
    return {k: v for k, v in os.environ.items() if k != multiboard.PORT_ENV}


def test_esptool_port_is_the_default_port_and_an_explicit_port_wins():
    with VirtualBoard(wiring="classic", firmware=synthetic_firmware("lemariva")) as board:
        board.events.wait_for("firmware_started", timeout=20)
        from_env = _cli(["doctor", "--json", "--no-speed-check", "--no-camera-check", "--no-rom-mac"],
                        dict(_no_port_env(), ESPTOOL_PORT=board.url))
        explicit = _cli(["doctor", "-p", board.url, "--json", "--no-speed-check", "--no-camera-check",
                         "--no-rom-mac"], dict(_no_port_env(), ESPTOOL_PORT="/dev/does-not-exist"))
    for proc in (from_env, explicit):
        assert proc.returncode == 0, proc.stdout + proc.stderr
        result = json.loads(proc.stdout)
        assert result["diagnosis"] == "repl_ok" and result["port"] == board.url


def test_no_port_and_no_esptool_port_is_a_usage_error():
    proc = _cli(["doctor"], _no_port_env())
    assert proc.returncode == 2
    assert "No board given: pass --port PORT (or set ESPTOOL_PORT), or --all." in proc.stderr


def test_esptool_port_is_one_port_name_as_esptool_reads_it():
    class Args:
        port, all = None, False
    args = Args()
    assert multiboard.default_port(args, {"ESPTOOL_PORT": "/dev/ttyUSB0 /dev/ttyUSB1"}) is None
    assert args.port == ["/dev/ttyUSB0 /dev/ttyUSB1"]  # not split: esptool takes the value whole


def test_short_options_are_esptools():
    flash = _cli(["flash", "--help"]).stdout
    assert "-p PORT, --port PORT" in flash and "-b BAUD, --baud BAUD" in flash
    snapshot = _cli(["snapshot", "--help"]).stdout
    assert "-p PORT, --port PORT" in snapshot and "-b BAUD, --baud BAUD" in snapshot


@pytest.mark.esptool
def test_flash_without_yes_and_no_terminal_says_pass_yes(tmp_path):
    image = tmp_path / "fw.bin"
    image.write_bytes(synthetic_firmware("lemariva"))
    with VirtualBoard(wiring="classic", flash_timing="fast", micropython=False) as board:
        before = board.flash.read(0, 4 << 20)
        proc = _cli(["flash", "-p", board.url, "--file", str(image)],
                    dict(os.environ, THONNY_USER_DIR=str(tmp_path / "user")), stdin=subprocess.DEVNULL)
        # the board is read first (the question says how much is written and what happens to
        # its files), but nothing is written without an answer
        assert board.flash.read(0, 4 << 20) == before
    assert proc.returncode == 2, proc.stdout + proc.stderr
    assert "stdin is not a terminal: pass --yes to write without asking. Nothing written." in proc.stderr
    assert "Traceback" not in proc.stderr and "EOFError" not in proc.stderr


def test_catalog_uses_thonnys_user_folder_on_every_generation(tmp_path):
    proc = _cli(["catalog", "--json"], dict(os.environ, THONNY_USER_DIR=str(tmp_path / "user")))
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout)["origin"] == "bundled"


@pytest.mark.slow
def test_installed_as_thonnys_plugin_manager_does(tmp_path):
    """pip --user into PYTHONUSERBASE=<Thonny user folder>/plugins, by a Python without Thonny
    (as Thonny's bundled Python is no virtualenv; a venv refuses --user)."""
    base_python = getattr(sys, "_base_executable", sys.executable)
    userbase = tmp_path / "Thonny" / "plugins"
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "PYTHONUSERBASE", "PYTHONNOUSERSITE")}
    install = subprocess.run(
        [base_python, "-m", "pip", "--disable-pip-version-check", "--no-color", "install",
         "--no-warn-script-location", "--user", "--no-deps", "--no-index", str(built_dists().wheel)],
        env=dict(env, PYTHONUSERBASE=str(userbase)), capture_output=True, text=True, timeout=300)
    assert install.returncode == 0, install.stdout + install.stderr
    script = userbase / ("Scripts/esp32cam.exe" if os.name == "nt" else "bin/esp32cam")
    assert script.is_file()

    # the situation the README explains: the user folder is not on Python's path by itself
    plain = subprocess.run([base_python, "-m", "thonnycontrib.esp32cam", "--version"], env=env,
                           cwd=str(tmp_path), capture_output=True, text=True, timeout=60)
    assert plain.returncode != 0 and "No module named 'thonnycontrib'" in plain.stderr

    # README's one-liner: PYTHONUSERBASE set to Thonny's plug-in folder
    with_base = dict(env, PYTHONUSERBASE=str(userbase), THONNY_USER_DIR=str(tmp_path / "Thonny"))
    for cmd in ([base_python, "-m", "thonnycontrib.esp32cam", "--version"], [str(script), "--version"]):
        proc = subprocess.run(cmd, env=with_base, cwd=str(tmp_path), capture_output=True, text=True, timeout=60)
        assert proc.returncode == 0 and proc.stdout.strip() == f"thonny-esp32cam {version()}", proc.stderr
    # without Thonny importable the catalog still works, in $THONNY_USER_DIR
    catalog = subprocess.run([str(script), "catalog"], env=with_base, cwd=str(tmp_path),
                             capture_output=True, text=True, timeout=60)
    assert catalog.returncode == 0 and "lemariva-v1.21.0" in catalog.stdout, catalog.stderr
    assert "usage: esp32cam" in subprocess.run([str(script)], env=with_base, capture_output=True,
                                               text=True, timeout=60).stdout
