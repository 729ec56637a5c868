"""The real published firmware images the catalog pins, for tests.

They are other projects' binaries, not ours to commit. Where a test gets one, first
that has it intact:

1. an offline mirror folder of ``<sha256>.bin`` files: ``$ESP32CAM_TEST_FIRMWARE_DIR``,
   else ``../shared/firmware/`` beside the project root (if it exists);
2. the test cache: ``$ESP32CAM_TEST_FIRMWARE_CACHE``, else
   ``${XDG_CACHE_HOME:-~/.cache}/thonny-esp32cam/test-firmware/`` (outside the clone);
3. the catalog's own URLs (``core/catalog.json``: url/urls, size, sha256), downloaded
   with the plug-in's verified downloader (HTTPS only, kept only when size and
   SHA-256 match) into the cache.

Either folder has the layout of a firmware mirror, so it can also be handed to the
plug-in as one. An image that none of them yields fails the test that needs it
with one message naming the build, its URL and how to provide it (it is never
skipped: a test that silently ran on nothing proves nothing).
``python -m tests.real_images [FOLDER]`` (``.ci/fetch-firmware``) gets all of them ahead:
into FOLDER if given, else into the cache unless the mirror has them all.
"""
from __future__ import annotations

import hashlib
import os
import shutil
import ssl
import sys
import urllib.parse
from functools import lru_cache
from pathlib import Path
from typing import Callable, Dict, List, Optional, Sequence

from thonnycontrib.esp32cam.core.catalog import Build, load_bundled
from thonnycontrib.esp32cam.core.download import DownloadError, download_file, sha256_of_file

REPO_ROOT = Path(__file__).resolve().parent.parent
ENV_VAR = "ESP32CAM_TEST_FIRMWARE_DIR"
CACHE_ENV_VAR = "ESP32CAM_TEST_FIRMWARE_CACHE"
SHARED_MIRROR = REPO_ROOT.parent / "shared" / "firmware"


class MissingImage(Exception):
    """No mirror, cache or URL gave the image; the message says what to do."""


def default_cache_dir() -> Path:
    if os.environ.get(CACHE_ENV_VAR):
        return Path(os.environ[CACHE_ENV_VAR]).expanduser()
    base = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
    return base / "thonny-esp32cam" / "test-firmware"


def default_mirrors() -> List[Path]:
    if os.environ.get(ENV_VAR):
        return [Path(os.environ[ENV_VAR]).expanduser()]
    return [SHARED_MIRROR]


def _intact(path: Path, build: Build) -> bool:
    try:
        return path.stat().st_size == build.size and sha256_of_file(path) == build.sha256
    except OSError:
        return False


class ImageStore:
    """Real images by SHA-256 from mirrors, then the cache, then the builds' URLs."""

    def __init__(self, mirrors: Sequence[Path], cache_dir: Path,
                 ssl_context: Optional[ssl.SSLContext] = None, timeout: float = 30.0) -> None:
        self.mirrors = [Path(m) for m in mirrors]
        self.cache_dir = Path(cache_dir)
        self.ssl_context = ssl_context
        self.timeout = timeout
        self._failed: Dict[str, str] = {}  # sha256 -> message: a session asks the network once
        self._errors: Dict[str, str] = {}  # sha256 -> the first download error
        self._verified: Dict[str, Path] = {}  # sha256 -> a file checked in this session
        # hosts that could not be reached: not asked again this session (a network that
        # drops packets would otherwise cost a timeout per image)
        self._unreachable: Dict[str, str] = {}

    def find(self, build: Build) -> Optional[Path]:
        """The image from a mirror or the cache, if one holds it intact (no network)."""
        known = self._verified.get(build.sha256)
        if known is not None and known.is_file():
            return known
        for folder in [*self.mirrors, self.cache_dir]:
            candidate = folder / f"{build.sha256}.bin"
            if candidate.is_file() and _intact(candidate, build):
                self._verified[build.sha256] = candidate
                return candidate
        return None

    def path(self, build: Build) -> Path:
        """The image's file; downloaded into the cache when no folder has it."""
        found = self.find(build)
        if found is not None:
            return found
        if build.sha256 in self._failed:
            raise MissingImage(self._failed[build.sha256])
        target = self.cache_dir / f"{build.sha256}.bin"
        errors = []
        for url in build.sources:
            host = urllib.parse.urlsplit(url).netloc
            if host in self._unreachable:
                errors.append(f"{host} was unreachable earlier in this run ({self._unreachable[host]})")
                continue
            try:
                download_file(url, target, expected_size=build.size, expected_sha256=build.sha256,
                              timeout=self.timeout, ssl_context=self.ssl_context)
                self._verified[build.sha256] = target
                return target
            except DownloadError as e:
                errors.append(str(e))
                if str(e).startswith(("Could not reach", "Could not download")):
                    self._unreachable[host] = str(e)
        self._errors[build.sha256] = errors[0]
        self._failed[build.sha256] = self._missing_message(build, errors)
        raise MissingImage(self._failed[build.sha256])

    def folder_with(self, builds: Sequence[Build]) -> Path:
        """One folder holding every one of ``builds`` (a firmware mirror for the plug-in):
        a mirror that has them all, else the cache, filled from the mirrors and URLs."""
        for folder in self.mirrors:
            if all(self.find(b) == folder / f"{b.sha256}.bin" for b in builds):
                return folder
        return self.fill_cache(builds)

    def fill_cache(self, builds: Sequence[Build]) -> Path:
        """Put every one of ``builds`` into the cache folder (from a mirror or its URL)."""
        missing: List[Build] = []
        for build in builds:
            cached = self.cache_dir / f"{build.sha256}.bin"
            if _intact(cached, build):
                continue
            try:
                source = self.path(build)
            except MissingImage:
                missing.append(build)
                continue
            if source != cached:
                self.cache_dir.mkdir(parents=True, exist_ok=True)
                shutil.copyfile(source, cached)
        if len(missing) == 1:
            raise MissingImage(self._failed[missing[0].sha256])
        if missing:
            first = self._errors[missing[0].sha256]
            raise MissingImage(
                f"{len(missing)} of {len(builds)} real firmware images are missing: not in "
                f"{self._where()}, and the downloads failed (first: {first})\n"
                + "".join(f"  {b.id}: {b.sha256}.bin from {b.sources[0]}\n" for b in missing)
                + self._how())
        return self.cache_dir

    def _where(self) -> str:
        return " or ".join([*(str(m) for m in self.mirrors), f"the cache {self.cache_dir}"])

    def _how(self) -> str:
        return (f"Put each file into one of those folders under that name, set {ENV_VAR} to a "
                "folder that holds them, or run .ci/fetch-firmware where the network reaches the URLs.")

    def _missing_message(self, build: Build, errors: Sequence[str]) -> str:
        return (f"Real firmware image {build.id} ({build.sha256}.bin, {build.size} bytes) is missing: "
                f"not in {self._where()}, and downloading {build.sources[0]} failed: {errors[0]}\n"
                + self._how())


@lru_cache(maxsize=None)
def default_store() -> ImageStore:
    return ImageStore(default_mirrors(), default_cache_dir())


def pinned_builds() -> List[Build]:
    """Every bundled catalog build that names a size and SHA-256 of a plain .bin."""
    return [b for b in load_bundled().builds if b.pinned and b.format == "bin"]


def _build_for(sha256: str) -> Build:
    for build in pinned_builds():
        if build.sha256 == sha256:
            return build
    raise AssertionError(f"{sha256} is not a pinned build of the bundled catalog")


def _or_fail(get: Callable[[], Path]) -> Path:
    try:
        return get()
    except MissingImage as e:
        message = str(e)
    import pytest  # here: .ci/fetch-firmware uses this module without pytest installed

    pytest.fail(message, pytrace=False)  # outside the except: one message, no chained traceback


def real_firmware_dir() -> Path:
    """A folder holding all pinned images as ``<sha256>.bin`` (fetched if need be)."""
    return _or_fail(lambda: default_store().folder_with(pinned_builds()))


def real_image_path(sha256: str) -> Path:
    return _or_fail(lambda: default_store().path(_build_for(sha256)))


@lru_cache(maxsize=None)
def real_image(sha256: str) -> bytes:
    """The image's bytes, checked against its name."""
    data = real_image_path(sha256).read_bytes()
    assert hashlib.sha256(data).hexdigest() == sha256, f"{sha256}.bin is not what its name says"
    return data


def main(argv: Sequence[str]) -> int:
    """Make every pinned image available: into FOLDER if given, else in the mirror or
    the test cache (as the tests would). 1, with the message, if any is missing."""
    store = default_store()
    builds = pinned_builds()
    try:
        if argv:
            target = Path(argv[0]).resolve()
            folder = ImageStore([m for m in store.mirrors if m.resolve() != target], target).fill_cache(builds)
        else:
            folder = store.folder_with(builds)
    except MissingImage as e:
        print(e, file=sys.stderr)
        return 1
    print(f"{len(builds)} real firmware images in {folder}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
