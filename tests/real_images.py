"""The real published firmware images the catalog pins, for tests.

They live outside the repository (they are other projects' binaries, not ours
to commit): by default in ``../shared/firmware/`` beside the project root,
named ``<sha256>.bin``; ``ESP32CAM_TEST_FIRMWARE_DIR`` points elsewhere. The
folder has the layout of a firmware mirror, so it can also be handed to the
plug-in as one. A missing folder or image fails the test that needs it (it
is never skipped: a test that silently ran on nothing proves nothing).
"""
from __future__ import annotations

import hashlib
import os
from functools import lru_cache
from pathlib import Path
from typing import List

import pytest

from thonnycontrib.esp32cam.core.catalog import Build, load_bundled

REPO_ROOT = Path(__file__).resolve().parent.parent
ENV_VAR = "ESP32CAM_TEST_FIRMWARE_DIR"


def real_firmware_dir() -> Path:
    folder = Path(os.environ.get(ENV_VAR) or REPO_ROOT.parent / "shared" / "firmware")
    if not folder.is_dir():
        pytest.fail(f"the real firmware images are not at {folder} (set {ENV_VAR})")
    return folder


def pinned_builds() -> List[Build]:
    """Every bundled catalog build that names a size and SHA-256 of a plain .bin."""
    return [b for b in load_bundled().builds if b.pinned and b.format == "bin"]


def real_image_path(sha256: str) -> Path:
    path = real_firmware_dir() / f"{sha256}.bin"
    if not path.is_file():
        pytest.fail(f"real firmware image {sha256}.bin is missing from {path.parent}")
    return path


@lru_cache(maxsize=None)
def real_image(sha256: str) -> bytes:
    """The image's bytes, checked against its name."""
    data = real_image_path(sha256).read_bytes()
    assert hashlib.sha256(data).hexdigest() == sha256, f"{sha256}.bin is not what its name says"
    return data
