"""The package metadata says which Thonny versions are tested, and the tests run on one of them."""
from __future__ import annotations

import configparser
from importlib.metadata import version
from pathlib import Path

from thonnycontrib.esp32cam import TESTED_THONNY

SETUP_CFG = Path(__file__).resolve().parent.parent / "setup.cfg"


def _metadata() -> configparser.ConfigParser:
    cfg = configparser.ConfigParser(interpolation=None)
    cfg.read(SETUP_CFG, encoding="utf-8")
    return cfg


def test_description_names_every_tested_thonny_version():
    description = _metadata()["metadata"]["description"]
    assert "Tested with Thonny " in description
    for tested in TESTED_THONNY:
        assert tested in description, (tested, description)


def test_requirement_is_thonny_4_1_or_newer_without_upper_bound():
    requires = [line.strip() for line in _metadata()["options"]["install_requires"].splitlines() if line.strip()]
    assert [r for r in requires if r.startswith("thonny")] == ["thonny>=4.1"]


def test_this_test_run_uses_a_tested_thonny():
    """Each venv/CI leg runs a version the metadata names (a new leg must be declared)."""
    assert version("thonny") in TESTED_THONNY, version("thonny")
