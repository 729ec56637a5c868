"""Shared pytest fixtures.

`xdisplay` starts one Xvfb for the session (unless DISPLAY already points to a
usable display) so real Tk/Thonny windows can be created headless.
"""
from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

from tests.xvfb import start_xvfb, stop_xvfb

REPO_ROOT = Path(__file__).resolve().parent.parent

# The tests read the plug-in's English messages: a developer's German locale must not
# translate them (Thonny's back-ends get THONNY_LANGUAGE from the test Workbench's setting).
os.environ["LANGUAGE"] = "en"
os.environ.pop("THONNY_LANGUAGE", None)


# Tests marked "alone" time the virtual board's ESP32-speed governor against a chip's
# figures; they measure the host's CPU, so `make test` runs them after the parallel run, on
# a quiet machine: ESP32CAM_TESTS_ALONE=later leaves them out, =only runs just them.
ALONE_ENV = "ESP32CAM_TESTS_ALONE"


def pytest_collection_modifyitems(config, items) -> None:
    mode = os.environ.get(ALONE_ENV, "")
    if mode not in ("later", "only"):
        return
    keep, drop = [], []
    for item in items:
        alone = item.get_closest_marker("alone") is not None
        (keep if alone == (mode == "only") else drop).append(item)
    if drop:
        config.hook.pytest_deselected(items=drop)
        items[:] = keep


def pytest_configure(config) -> None:
    """Before any test starts a Thonny: on the development head, link the basedpyright it
    does not vendor (tests/language_server.py). A Thonny started before the link existed ran
    node on a missing server, got BrokenPipeError in its BackendRestart handler and held the
    Workbench in an "Internal error" dialog (`make run`'s test, 3 of 4 CI runs)."""
    from tests.language_server import language_server_missing

    language_server_missing()  # no-op where it is linked already or cannot be (no node, no package)


def pytest_report_header(config) -> str:
    """Where the real firmware images come from (tests/real_images.py), without the network."""
    from tests.real_images import default_store, pinned_builds

    store, builds = default_store(), pinned_builds()
    here = sum(store.find(b) is not None for b in builds)
    places = ", ".join(str(p) for p in [*store.mirrors, store.cache_dir])
    missing = "" if here == len(builds) else "; the others are downloaded from the catalog's URLs on first use"
    return f"real firmware images: {here} of {len(builds)} found in {places}{missing}"


def _display_works(display: str) -> bool:
    if not shutil.which("xdpyinfo"):
        return False
    return subprocess.run(["xdpyinfo", "-display", display], capture_output=True).returncode == 0


@pytest.fixture(scope="session")
def xdisplay():
    """An X display for Tk: the caller's if it works, else a private Xvfb."""
    existing = os.environ.get("DISPLAY")
    if existing and _display_works(existing):
        yield existing
        return
    if not shutil.which("Xvfb"):
        pytest.fail("Xvfb is not installed (apt-get install xvfb); .ci/run installs it")
    started = start_xvfb(1280, 800, range(90, 140))
    if started is not None:
        proc, display = started
        os.environ["DISPLAY"] = display
        try:
            yield display
        finally:
            stop_xvfb(proc)
        return
    pytest.fail("could not start Xvfb")
