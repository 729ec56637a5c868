"""HTTPS downloads into a cache folder, verified before they are kept.

A download goes to a temporary file in the cache folder and is renamed to its
final name only after size and SHA-256 match, so nothing corrupt or partial
is ever left under a name the installer would use.
"""
from __future__ import annotations

import hashlib
import os
import ssl
import tempfile
import threading
from pathlib import Path
from typing import Callable, List, Optional, Sequence

from thonnycontrib.esp32cam.core.catalog import Build
from thonnycontrib.esp32cam.core.fetch import (  # noqa: F401 (also this module's public names)
    CHUNK, DownloadCancelled, DownloadError, fetch_bytes, open_https, require_https, umask_mode,
    unlink_quietly, write_atomically)
from thonnycontrib.esp32cam.core.i18n import _

ProgressCallback = Callable[[int, Optional[int]], None]  # (bytes so far, total or None)
# A download writes its ``.part-*`` file at least once per read timeout (30 s) or fails and
# removes it; one untouched for this long belongs to a process that died (power loss, kill).
STALE_PART_AGE = 600.0


def sha256_of_file(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(CHUNK), b""):
            digest.update(chunk)
    return digest.hexdigest()


def download_file(url: str, target: Path, *, expected_size: Optional[int] = None,
                  expected_sha256: Optional[str] = None, progress: Optional[ProgressCallback] = None,
                  timeout: float = 30.0, cancel: Optional[threading.Event] = None,
                  ssl_context: Optional[ssl.SSLContext] = None,
                  max_size: int = 16 * 1024 * 1024) -> str:
    """Download ``url`` to ``target``; return the SHA-256 of what was written.

    ``target`` appears only when the whole download arrived and matched the
    expected size and hash (when given).
    """
    target = Path(target)
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(dir=target.parent, prefix=".part-", suffix=".bin")
    tmp = Path(tmp_name)
    digest = hashlib.sha256()
    received = 0
    try:
        with os.fdopen(fd, "wb") as out, open_https(url, timeout, ssl_context) as response:
            length = response.headers.get("Content-Length")
            total = int(length) if length and length.isdigit() else expected_size
            if progress:
                progress(0, total)
            while True:
                if cancel is not None and cancel.is_set():
                    raise DownloadCancelled(_("Download cancelled; nothing was kept."))
                try:
                    chunk = response.read(CHUNK)
                except (TimeoutError, OSError) as e:
                    raise DownloadError(_("Download of {url} broke off after {received} bytes "
                                           "({error}); nothing was kept, try again.").format(
                                           url=url, received=received, error=e)) from None
                if not chunk:
                    break
                received += len(chunk)
                if received > max_size:
                    raise DownloadError(_("{url} is larger than {max_size} bytes; refused.").format(
                                           url=url, max_size=max_size))
                digest.update(chunk)
                out.write(chunk)
                if progress:
                    progress(received, total)
        actual = digest.hexdigest()
        if expected_size is not None and received != expected_size:
            raise DownloadError(_("Downloaded {received} bytes from {url}, expected "
                                   "{expected_size}; the file was refused and not kept.").format(
                                   received=received, url=url, expected_size=expected_size))
        if expected_sha256 is not None and actual != expected_sha256.lower():
            raise DownloadError(_("SHA-256 mismatch for {url}: expected {expected_sha256}, got "
                                   "{actual}. The file was refused and not kept.").format(
                                   url=url, expected_sha256=expected_sha256, actual=actual))
        os.chmod(tmp, umask_mode())
        os.replace(tmp, target)
        return actual
    except BaseException:
        unlink_quietly(tmp)
        raise


MIRROR_ENV = "ESP32CAM_FIRMWARE_MIRROR"
Log = Callable[[str], None]


def mirror_dirs(setting: Optional[str] = None) -> List[Path]:
    """Firmware mirrors: folders of ``<sha256>.bin`` files (a classroom share, a USB
    stick), from ``$ESP32CAM_FIRMWARE_MIRROR`` (several joined by os.pathsep) and the
    ``[ESP32CAM] firmware_mirror`` setting, in that order."""
    found: List[Path] = []
    for value in (os.environ.get(MIRROR_ENV, ""), setting or ""):
        for part in str(value).split(os.pathsep):
            if part.strip() and Path(part.strip()).expanduser() not in found:
                found.append(Path(part.strip()).expanduser())
    return found


class FirmwareCache:
    """Verified firmware images in ``<cache_dir>`` (inside Thonny's user folder).

    Where a pinned image comes from, first that answers wins: the cache, each
    mirror folder, each of the build's URLs. Whatever the source, the bytes are
    used only when size and SHA-256 match the catalog.
    """

    def __init__(self, cache_dir: Path, mirrors: Sequence[Path] = ()) -> None:
        self.dir = Path(cache_dir)
        self.mirrors = [Path(m) for m in mirrors]

    def path_for(self, build: Build) -> Path:
        if build.sha256:
            return self.dir / f"{build.id}-{build.sha256[:16]}.bin"
        url_tag = hashlib.sha256(build.url.encode()).hexdigest()[:16]
        return self.dir / f"{build.id}-unpinned-{url_tag}.bin"

    def cached(self, build: Build) -> Optional[Path]:
        """The cached image if present and (for pinned .bin builds) still intact.

        Images extracted from archives have no pinned hash of their own: like
        unpinned builds they are inspected before every use."""
        path = self.path_for(build)
        if not path.is_file():
            return None
        if build.pinned and build.format == "bin" and (path.stat().st_size != build.size
                             or sha256_of_file(path) != build.sha256):
            unlink_quietly(path)  # damaged on disk: drop it, it will be downloaded again
            return None
        return path

    def remove_stale_parts(self, now: Optional[float] = None) -> None:
        """Partial files left by a download that was killed; a file another download is
        writing now is younger than ``STALE_PART_AGE`` and stays."""
        import time

        now = time.time() if now is None else now
        try:
            parts = list(self.dir.glob(".part-*"))
        except OSError:
            return
        for part in parts:
            try:
                if now - part.stat().st_mtime > STALE_PART_AGE:
                    part.unlink()
            except OSError:
                pass  # gone meanwhile, or not ours to remove

    def from_mirror(self, build: Build, log: Log = lambda s: None) -> Optional[Path]:
        """Copy the build's image from a mirror into the cache, if a mirror has it intact."""
        if not (build.pinned and build.format == "bin"):
            return None
        for folder in self.mirrors:
            candidate = folder / f"{build.sha256}.bin"
            if not candidate.is_file():
                continue
            try:
                data = candidate.read_bytes() if candidate.stat().st_size == build.size else None
            except OSError as e:
                log(_("Firmware mirror: cannot read {candidate} ({error}); skipped.").format(
                       candidate=candidate, error=e.strerror or e))
                continue
            if data is None or hashlib.sha256(data).hexdigest() != build.sha256:
                log(_("Firmware mirror: {candidate} does not match the catalog's size and "
                       "SHA-256; skipped (replace it with a good copy).").format(
                       candidate=candidate))
                continue
            target = self.path_for(build)
            write_atomically(target, data)
            log(_("Firmware taken from the mirror {folder} (SHA-256 verified).").format(
                   folder=folder))
            return target
        return None

    def fetch(self, build: Build, progress: Optional[ProgressCallback] = None,
              timeout: float = 30.0, cancel: Optional[threading.Event] = None,
              ssl_context: Optional[ssl.SSLContext] = None, log: Log = lambda s: None) -> Path:
        """The build's image from the cache or a mirror, else downloaded (and verified)
        from the first of its URLs that delivers the pinned bytes."""
        self.remove_stale_parts()
        path = self.cached(build) or self.from_mirror(build, log)
        if path is not None:
            if progress and build.size:
                progress(build.size, build.size)
            return path
        errors: List[str] = []
        for url in build.sources:
            try:
                return self._download(build, url, progress, timeout, cancel, ssl_context)
            except DownloadCancelled:
                raise
            except DownloadError as e:
                errors.append(str(e))
                if url != build.sources[-1]:
                    log(_("{error}\nTrying the next source of the same file…").format(error=e))
        raise DownloadError(errors[0] if len(errors) == 1 else
                            _("Every source of this firmware failed:\n") + "\n".join(errors))

    def _download(self, build: Build, url: str, progress: Optional[ProgressCallback],
                  timeout: float, cancel: Optional[threading.Event],
                  ssl_context: Optional[ssl.SSLContext]) -> Path:
        path = self.path_for(build)
        if build.format == "zip":
            archive = path.with_suffix(".zip")
            download_file(url, archive, expected_size=build.size, expected_sha256=build.sha256,
                          progress=progress, timeout=timeout, cancel=cancel, ssl_context=ssl_context)
            try:
                write_atomically(path, extract_member(archive, build.member or "firmware.bin"))
            finally:
                unlink_quietly(archive)
            return path
        download_file(url, path, expected_size=build.size, expected_sha256=build.sha256,
                      progress=progress, timeout=timeout, cancel=cancel, ssl_context=ssl_context)
        return path


def extract_member(archive: Path, member: str, max_size: int = 16 * 1024 * 1024) -> bytes:
    """The bytes of ``member`` (matched by file name) inside a release zip."""
    import zipfile

    try:
        with zipfile.ZipFile(archive) as zf:
            name = os.path.basename(member)
            matches = sorted((i for i in zf.infolist() if os.path.basename(i.filename) == name
                              and not i.is_dir()), key=lambda i: len(i.filename))
            if not matches:
                listing = ", ".join(i.filename for i in zf.infolist()[:10]) or "nothing"
                raise DownloadError(_("The archive has no {name} (it contains: {listing}).").format(
                                       name=name, listing=listing))
            info = matches[0]
            if info.file_size > max_size:
                raise DownloadError(_("{filename} in the archive is {file_size} bytes: too "
                                       "large for a firmware image; refused.").format(
                                       filename=info.filename, file_size=info.file_size))
            with zf.open(info) as f:
                data = f.read(max_size + 1)
    except zipfile.BadZipFile:
        with open(archive, "rb") as f:
            head = f.read(200).lstrip().lower()
        what = _("a web page") if head.startswith((b"<!doctype", b"<html")) else _(
                "damaged or not a zip")
        raise DownloadError(_("The download is not a ZIP archive ({what}); nothing was kept.").format(
                               what=what)) from None
    if len(data) > max_size:
        raise DownloadError(_("{member} in the archive is too large; refused.").format(
                               member=member))
    return data


def installer_dir(thonny_user_dir: str) -> Path:
    """The installer's folder inside Thonny's user folder (catalog copy, ``firmware/`` cache).

    Both the front-end and the CLI pass ``thonny_compat.user_dir()`` (Thonny's own
    computation, on every Thonny generation; ``import thonny`` does not import Tk).
    """
    return Path(thonny_user_dir) / "esp32cam"


def firmware_cache(thonny_user_dir: str, mirror_setting: Optional[str] = None) -> FirmwareCache:
    return FirmwareCache(installer_dir(thonny_user_dir) / "firmware", mirror_dirs(mirror_setting))
