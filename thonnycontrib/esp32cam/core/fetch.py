"""HTTPS fetches and atomic writes: the plumbing under the firmware cache
(``download``) and the catalog's refresh (``catalog``), which both import it."""
from __future__ import annotations

import os
import ssl
import sys
import tempfile
import urllib.error
import urllib.request
from pathlib import Path
from typing import Optional
from thonnycontrib.esp32cam.core.i18n import _

CHUNK = 64 * 1024


def user_agent() -> str:
    """``thonny-esp32cam/<version>``. The version is the package's ``__version__``; the import
    system initialises a package before any of its modules, so it is read from there, not
    imported (core does not depend on the plug-in's face, which registers Thonny's UI)."""
    face = sys.modules.get(__name__.rsplit(".", 2)[0])  # thonnycontrib.esp32cam
    return f"thonny-esp32cam/{getattr(face, '__version__', 'unknown')}"


class DownloadError(Exception):
    """A download failed or was refused; the message tells the user what happened."""


class DownloadCancelled(DownloadError):
    pass


def require_https(url: str) -> None:
    if not url.lower().startswith("https://"):
        raise DownloadError(_("Refusing to download {url!r}: only https:// URLs are allowed.").format(
                               url=url))


class _HttpsOnlyRedirects(urllib.request.HTTPRedirectHandler):
    """Refuses a redirect to anything but https:// before it is followed, so no
    plain-text request is ever made (urllib's own handler follows http:// targets)."""

    def redirect_request(self, req, fp, code, msg, headers, newurl):  # type: ignore[override]
        if not newurl.lower().startswith("https://"):
            fp.close()
            raise DownloadError(_("{full_url} redirected to a non-HTTPS address ({newurl}); "
                                   "refused.").format(full_url=req.full_url, newurl=newurl))
        return super().redirect_request(req, fp, code, msg, headers, newurl)


def open_https(url: str, timeout: float, ssl_context: Optional[ssl.SSLContext]):
    require_https(url)
    context = ssl_context or ssl.create_default_context()  # honours SSL_CERT_FILE
    request = urllib.request.Request(url, headers={"User-Agent": user_agent()})
    opener = urllib.request.build_opener(urllib.request.HTTPSHandler(context=context),
                                         _HttpsOnlyRedirects())
    try:
        response = opener.open(request, timeout=timeout)
    except urllib.error.HTTPError as e:
        raise DownloadError(_("The server answered {code} {reason} for {url}.").format(
                               code=e.code, reason=e.reason, url=url)) from None
    except urllib.error.URLError as e:
        reason = e.reason
        if isinstance(reason, ssl.SSLError):
            raise DownloadError(_("Secure connection to {url} failed ({reason}); the download "
                                   "was not used.").format(url=url, reason=reason)) from None
        raise DownloadError(_("Could not reach {url} ({reason}). Check the internet connection; "
                               "builds downloaded earlier still work offline.").format(
                               url=url, reason=reason)) from None
    except (TimeoutError, OSError) as e:
        raise DownloadError(_("Could not download {url}: {error}").format(url=url, error=e)) from None
    if not response.geturl().lower().startswith("https://"):  # belt and braces
        response.close()
        raise DownloadError(_("{url} redirected to a non-HTTPS address; refused.").format(url=url))
    return response


def fetch_bytes(url: str, timeout: float = 20.0, max_size: int = 2_000_000,
                ssl_context: Optional[ssl.SSLContext] = None) -> bytes:
    """A small HTTPS resource (e.g. the catalog) read into memory."""
    with open_https(url, timeout, ssl_context) as response:
        try:
            data = response.read(max_size + 1)
        except (TimeoutError, OSError) as e:
            raise DownloadError(_("Download of {url} failed: {error}").format(url=url, error=e)) from None
    if len(data) > max_size:
        raise DownloadError(_("{url} is larger than {max_size} bytes; refused.").format(
                               url=url, max_size=max_size))
    return data


def umask_mode() -> int:
    """The mode a new file gets from open(): 0o666 less the user's umask (mkstemp's
    0o600 would make photos and images unreadable to anyone else)."""
    mask = os.umask(0)
    os.umask(mask)
    return 0o666 & ~mask


def write_atomically(target: Path, data: bytes) -> None:
    """``target`` appears whole or not at all, with the mode the user's umask gives."""
    target = Path(target)
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=".part-", suffix=target.suffix)
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
        os.chmod(tmp, umask_mode())
        os.replace(tmp, target)
    except BaseException:
        unlink_quietly(Path(tmp))
        raise


def unlink_quietly(path: Path) -> None:
    try:
        path.unlink()
    except OSError:
        pass
