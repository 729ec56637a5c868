"""One version source: ``__version__`` in ``thonnycontrib/esp32cam/__init__.py``.
setup.cfg reads it, the CLI prints it, downloads name it, the changelog has its
entry, and no other file of the package states it."""
from __future__ import annotations

import configparser
import hashlib
import subprocess
import sys
from pathlib import Path

from tests.dist_build import version
from tests.firmware_server import FirmwareServer
from thonnycontrib.esp32cam.core.download import download_file

REPO_ROOT = Path(__file__).resolve().parent.parent


def test_setup_cfg_cli_and_changelog_use_the_package_version():
    cfg = configparser.ConfigParser(interpolation=None)
    cfg.read(REPO_ROOT / "setup.cfg", encoding="utf-8")
    assert cfg["metadata"]["version"] == "attr: thonnycontrib.esp32cam.__version__"
    v = version()
    proc = subprocess.run([sys.executable, "-m", "thonnycontrib.esp32cam", "--version"],
                          capture_output=True, text=True, cwd=str(REPO_ROOT), timeout=60)
    assert proc.returncode == 0 and proc.stdout.strip() == f"thonny-esp32cam {v}"
    assert f"## [{v}]" in (REPO_ROOT / "CHANGELOG.md").read_text(encoding="utf-8")


def test_no_other_file_of_the_package_states_the_version():
    v = version()
    stating = [p.relative_to(REPO_ROOT).as_posix() for p in (REPO_ROOT / "thonnycontrib").rglob("*")
               if p.is_file() and p.suffix in (".py", ".json", ".txt", ".pyi") and f'"{v}"' in p.read_text("utf-8")]
    assert stating == ["thonnycontrib/esp32cam/__init__.py"]
    assert "version = attr:" in (REPO_ROOT / "setup.cfg").read_text(encoding="utf-8")


def test_downloads_name_the_plugin_and_its_version(tmp_path):
    data = b"\xe9" + bytes(range(256)) * 4
    with FirmwareServer(tmp_path) as srv:
        url = srv.put("/fw.bin", data)
        download_file(url, tmp_path / "fw.bin", expected_size=len(data),
                      expected_sha256=hashlib.sha256(data).hexdigest(), ssl_context=srv.client_context())
    assert srv.user_agents == [f"thonny-esp32cam/{version()}"]
