"""Build the release files (sdist, then the wheel from that sdist) as ``make dist`` does.

The build runs on a copy of the checkout's files (those git tracks or would
add: what ``make dist`` sees, minus build/ and egg-info), so the checkout stays
clean, and a file the sdist forgets makes the wheel incomplete (the tests then
notice). One build per test process: ``built_dists()`` is cached.

``ESP32CAM_TEST_DIST=dist`` makes the tests check the files ``make dist`` left
in that folder instead of building their own (CI checks what it will publish).
"""
from __future__ import annotations

import atexit
import functools
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import List, NamedTuple

REPO_ROOT = Path(__file__).resolve().parent.parent

# the project files beside the package that go into the sdist (MANIFEST.in)
SDIST_FILES = ["setup.py", "setup.cfg", "pyproject.toml", "MANIFEST.in", "README.md", "LICENSE", "CHANGELOG.md"]


class Dists(NamedTuple):
    sdist: Path
    wheel: Path
    log: str  # the build's output


def version() -> str:
    """The version as the package states it (read, not imported: no Thonny needed)."""
    import ast

    tree = ast.parse((REPO_ROOT / "thonnycontrib" / "esp32cam" / "__init__.py").read_text(encoding="utf-8"))
    for node in tree.body:
        if isinstance(node, ast.Assign) and any(getattr(t, "id", None) == "__version__" for t in node.targets):
            return node.value.value  # type: ignore[attr-defined]
    raise AssertionError("thonnycontrib/esp32cam/__init__.py states no __version__")


def checkout_files(root: Path) -> List[str]:
    """The files of the checkout that are tracked or not ignored (git), as relative paths."""
    proc = subprocess.run(["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
                          cwd=str(root), capture_output=True, timeout=60)
    if proc.returncode != 0:  # not a git checkout (an unpacked sdist): its files are all there is
        return [p.relative_to(root).as_posix() for p in root.rglob("*")
                if p.is_file() and "__pycache__" not in p.parts and ".git" not in p.parts]
    names = sorted({n for n in proc.stdout.decode().split("\0") if n})
    return [n for n in names if (root / n).is_file()]  # tracked but deleted: not there


def build_dists(out: Path, source_root: Path = REPO_ROOT) -> Dists:
    src = Path(tempfile.mkdtemp(prefix="esp32cam-src-"))
    try:
        for name in checkout_files(source_root):
            (src / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source_root / name, src / name)
        proc = subprocess.run([sys.executable, "-m", "build", "--outdir", str(out), str(src)],
                              capture_output=True, text=True, timeout=300)
    finally:
        shutil.rmtree(src, ignore_errors=True)
    log = proc.stdout + proc.stderr
    if proc.returncode != 0:
        raise AssertionError("python -m build failed:\n" + log[-4000:])
    v = version()
    return Dists(out / f"thonny_esp32cam-{v}.tar.gz", out / f"thonny_esp32cam-{v}-py3-none-any.whl", log)


@functools.lru_cache(maxsize=None)
def built_dists() -> Dists:
    given = os.environ.get("ESP32CAM_TEST_DIST")
    if given:
        folder = Path(given).resolve()
        v = version()
        dists = Dists(folder / f"thonny_esp32cam-{v}.tar.gz", folder / f"thonny_esp32cam-{v}-py3-none-any.whl",
                      f"(built beforehand into {folder})")
        missing = [p.name for p in dists[:2] if not p.is_file()]
        if missing:
            raise AssertionError(f"ESP32CAM_TEST_DIST={given}: {', '.join(missing)} not there (run make dist)")
        return dists
    out = Path(tempfile.mkdtemp(prefix="esp32cam-dist-"))
    atexit.register(shutil.rmtree, out, True)
    return build_dists(out)
