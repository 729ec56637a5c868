"""A real HTTPS server on loopback (certificate from a trustme CA) serving
firmware images and catalogs to the installer's tests."""
from __future__ import annotations

import json
import ssl
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Dict, List, Optional

import trustme


class FirmwareServer:
    """``with FirmwareServer(tmp_path) as srv: srv.put("/a.bin", data); srv.url("/a.bin")``.

    ``srv.ca_file`` is the CA bundle (for ``SSL_CERT_FILE``); ``srv.client_context()``
    an SSL context trusting it.
    """

    def __init__(self, workdir: Path) -> None:
        self.ca = trustme.CA()
        cert = self.ca.issue_cert("127.0.0.1", "localhost")
        self.ca_file = Path(workdir) / "test-ca.pem"
        self.ca.cert_pem.write_to_path(str(self.ca_file))
        self.files: Dict[str, bytes] = {}
        self.requests: List[str] = []
        self.redirects: Dict[str, str] = {}  # path -> Location (answered with 302)
        self.stall_after: Dict[str, int] = {}  # path -> bytes sent before the server stalls
        self.release = threading.Event()  # ends every stall (set when the server stops)
        self.user_agents: List[str] = []
        server_ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        cert.configure_cert(server_ctx)
        owner = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802
                owner.requests.append(self.path)
                owner.user_agents.append(self.headers.get("User-Agent", ""))
                if self.path in owner.redirects:
                    self.send_response(302)
                    self.send_header("Location", owner.redirects[self.path])
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                    return
                body = owner.files.get(self.path)
                if body is None:
                    page = b"<!DOCTYPE html><html><body>404 Not Found</body></html>"
                    self.send_response(404)
                    self.send_header("Content-Type", "text/html")
                    self.send_header("Content-Length", str(len(page)))
                    self.end_headers()
                    self.wfile.write(page)
                    return
                self.send_response(200)
                self.send_header("Content-Type", "application/octet-stream")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                stall = owner.stall_after.get(self.path)
                if stall is not None:  # a link that dies mid-way: part of the body, then nothing
                    self.wfile.write(body[:stall])
                    self.wfile.flush()
                    owner.release.wait(30)
                    return
                self.wfile.write(body)

            def log_message(self, *args) -> None:
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.socket = server_ctx.wrap_socket(self.httpd.socket, server_side=True)
        self._thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    def __enter__(self) -> "FirmwareServer":
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.release.set()
        self.httpd.shutdown()
        self.httpd.server_close()

    def url(self, path: str) -> str:
        return f"https://127.0.0.1:{self.httpd.server_address[1]}{path}"

    def put(self, path: str, data: bytes) -> str:
        self.files[path] = data
        return self.url(path)

    def client_context(self) -> ssl.SSLContext:
        ctx = ssl.create_default_context()
        self.ca.configure_trust(ctx)
        return ctx


def catalog_with(builds: List[dict], default: Optional[str] = None,
                 updated: str = "2099-12-31") -> bytes:
    """Catalog JSON (schema 1) holding ``builds`` (newer than the bundled one unless ``updated`` says)."""
    data = {"schema": 1, "updated": updated, "builds": builds,
            "default": {"ai_thinker": default or builds[0]["id"]}}
    return json.dumps(data).encode()


def build_entry(build_id: str, url: str, data: Optional[bytes], *, family: str = "lemariva",
                chip: str = "esp32", tamper: bool = False) -> dict:
    """A catalog entry for ``data`` served at ``url`` (hash of the true data;
    ``tamper`` gives the hash of something else, as a compromised mirror would)."""
    import hashlib

    entry = {
        "id": build_id, "title": f"Test build {build_id}" + (" (no camera)" if family == "none" else ""),
        "source": "test", "family": family, "micropython": "1.21.0", "chip": chip,
        "offset": "0x1000" if chip == "esp32" else "0x0", "flash_mode": "dio", "url": url,
        "info_url": "https://example.invalid/info", "license": "MIT", "notes": "test",
        "boards": ["ai_thinker"],
    }
    if data is not None:
        digest = hashlib.sha256(data + (b"x" if tamper else b"")).hexdigest()
        entry.update(size=len(data), sha256=digest)
    return entry
