"""HTTPS download into the cache: verified before it is kept."""
from __future__ import annotations

import hashlib
import threading

import pytest

from tests.firmware_server import FirmwareServer, build_entry
from thonnycontrib.esp32cam.core.catalog import parse_catalog
from tests.firmware_server import catalog_with
from thonnycontrib.esp32cam.core.download import (DownloadCancelled, DownloadError, FirmwareCache,
                                                  download_file)

DATA = bytes(range(256)) * 1200  # ~300 KB


def _build(srv, path, data, **kw):
    return parse_catalog(catalog_with([build_entry("t", srv.put(path, data), data, **kw)])).builds[0]


def test_verified_download_is_cached_and_works_offline(tmp_path):
    cache = FirmwareCache(tmp_path / "fw")
    seen = []
    with FirmwareServer(tmp_path) as srv:
        build = _build(srv, "/fw.bin", DATA)
        path = cache.fetch(build, progress=lambda n, total: seen.append((n, total)),
                           ssl_context=srv.client_context())
        assert path.read_bytes() == DATA
        assert seen[0] == (0, len(DATA)) and seen[-1] == (len(DATA), len(DATA)) and len(seen) > 3
    # server gone: the cached copy is used
    assert cache.fetch(build) == path
    assert [p.name for p in (tmp_path / "fw").iterdir()] == [path.name]


def test_tampered_download_is_refused_and_not_cached(tmp_path):
    cache = FirmwareCache(tmp_path / "fw")
    with FirmwareServer(tmp_path) as srv:
        build = _build(srv, "/fw.bin", DATA, tamper=True)
        with pytest.raises(DownloadError) as info:
            cache.fetch(build, ssl_context=srv.client_context())
    message = str(info.value)
    assert build.sha256 in message and hashlib.sha256(DATA).hexdigest() in message
    assert "expected" in message and "refused" in message
    assert list((tmp_path / "fw").iterdir()) == []


def test_wrong_size_html_page_and_untrusted_certificate_are_refused(tmp_path):
    target = tmp_path / "fw" / "x.bin"
    with FirmwareServer(tmp_path) as srv:
        srv.put("/short.bin", DATA[:1000])
        with pytest.raises(DownloadError, match="expected 307200"):
            download_file(srv.url("/short.bin"), target, expected_size=len(DATA),
                          ssl_context=srv.client_context())
        with pytest.raises(DownloadError, match="404"):
            download_file(srv.url("/gone.bin"), target, ssl_context=srv.client_context())
        # default trust store does not know the test CA: refused
        with pytest.raises(DownloadError, match="Secure connection"):
            download_file(srv.url("/short.bin"), target)
    assert not target.exists() and list(target.parent.iterdir()) == []


def test_http_is_refused_and_cancel_leaves_nothing(tmp_path):
    with pytest.raises(DownloadError, match="only https"):
        download_file("http://127.0.0.1:9/fw.bin", tmp_path / "x.bin")
    cancel = threading.Event()
    cancel.set()
    with FirmwareServer(tmp_path) as srv:
        srv.put("/fw.bin", DATA)
        with pytest.raises(DownloadCancelled):
            download_file(srv.url("/fw.bin"), tmp_path / "x.bin", cancel=cancel,
                          ssl_context=srv.client_context())
    assert [p for p in tmp_path.iterdir() if p.suffix == ".bin"] == []


def test_damaged_cache_entry_is_replaced(tmp_path):
    cache = FirmwareCache(tmp_path / "fw")
    with FirmwareServer(tmp_path) as srv:
        build = _build(srv, "/fw.bin", DATA)
        path = cache.fetch(build, ssl_context=srv.client_context())
        path.write_bytes(DATA[:-1] + b"\x00")
        assert cache.cached(build) is None and not path.exists()
        assert cache.fetch(build, ssl_context=srv.client_context()).read_bytes() == DATA
        assert srv.requests.count("/fw.bin") == 2


def test_a_server_that_stops_answering_times_out_and_leaves_nothing(tmp_path):
    import socket
    import time

    server = socket.create_server(("127.0.0.1", 0))  # accepts, then never says a word (not even TLS)
    accepted = []
    threading.Thread(target=lambda: accepted.append(server.accept()), daemon=True).start()
    url = "https://127.0.0.1:%d/firmware.bin" % server.getsockname()[1]
    target = tmp_path / "cache" / "firmware.bin"
    started = time.monotonic()
    try:
        with pytest.raises(DownloadError) as info:
            download_file(url, target, timeout=0.5)
    finally:
        server.close()
    assert time.monotonic() - started < 5
    assert url in str(info.value) and "timed out" in str(info.value)
    assert list((tmp_path / "cache").iterdir()) == []  # no partial file


def test_a_redirect_to_http_is_refused_before_any_plain_text_request(tmp_path):
    """The plain-text request must never be made (issue 24): a recording HTTP server
    stands behind the redirect."""
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

    plain_requests = []

    class Plain(BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802
            plain_requests.append(self.path)
            self.send_response(200)
            self.send_header("Content-Length", str(len(DATA)))
            self.end_headers()
            self.wfile.write(DATA)

        def log_message(self, *args) -> None:
            pass

    plain = ThreadingHTTPServer(("127.0.0.1", 0), Plain)
    threading.Thread(target=plain.serve_forever, daemon=True).start()
    try:
        with FirmwareServer(tmp_path) as srv:
            srv.redirects["/fw.bin"] = "http://127.0.0.1:%d/fw.bin" % plain.server_address[1]
            with pytest.raises(DownloadError, match="non-HTTPS"):
                download_file(srv.url("/fw.bin"), tmp_path / "x.bin", ssl_context=srv.client_context())
            srv.redirects["/fw2.bin"] = srv.put("/real.bin", DATA)  # https -> https still works
            assert download_file(srv.url("/fw2.bin"), tmp_path / "y.bin",
                                 ssl_context=srv.client_context()) == hashlib.sha256(DATA).hexdigest()
    finally:
        plain.shutdown()
        plain.server_close()
    assert plain_requests == []
    assert not (tmp_path / "x.bin").exists()


def test_a_download_killed_mid_way_leaves_no_partial_file_for_ever(tmp_path):
    """A process killed mid-download (power loss) leaves its ``.part-*`` file; the next
    fetch removes such stale files, not one that another download is writing now."""
    import os
    import signal
    import subprocess
    import sys
    import time

    from tests.conftest import REPO_ROOT
    from thonnycontrib.esp32cam.core import download

    cache_dir = tmp_path / "fw"
    with FirmwareServer(tmp_path) as srv:
        build = _build(srv, "/fw.bin", DATA)
        srv.stall_after["/fw.bin"] = len(DATA) // 3
        code = ("import sys; from pathlib import Path\n"
                "from thonnycontrib.esp32cam.core.download import download_file\n"
                "download_file(sys.argv[1], Path(sys.argv[2]))")
        proc = subprocess.Popen([sys.executable, "-c", code, srv.url("/fw.bin"), str(cache_dir / "fw.bin")],
                                cwd=REPO_ROOT, env={**os.environ, "PYTHONPATH": str(REPO_ROOT),
                                                    "SSL_CERT_FILE": str(srv.ca_file)})
        deadline = time.monotonic() + 20
        parts = []
        while time.monotonic() < deadline and not any(p.stat().st_size > 0 for p in parts):
            time.sleep(0.05)
            parts = list(cache_dir.glob(".part-*")) if cache_dir.is_dir() else []
        os.kill(proc.pid, signal.SIGKILL)  # the power goes
        proc.wait(10)
        assert len(parts) == 1, "the killed download left no partial file to clean"
        stale = parts[0]
        old = time.time() - getattr(download, "STALE_PART_AGE", 600) - 60
        os.utime(stale, (old, old))  # ... and the user comes back later
        busy = cache_dir / ".part-busy.bin"  # another download writing right now
        busy.write_bytes(b"x" * 10)
        del srv.stall_after["/fw.bin"]
        path = FirmwareCache(cache_dir).fetch(build, ssl_context=srv.client_context())
    assert path.read_bytes() == DATA
    assert not stale.exists()
    assert busy.exists()
    assert sorted(p.name for p in cache_dir.iterdir()) == sorted([path.name, busy.name])
