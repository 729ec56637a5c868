"""The bundled firmware catalog and its validation, refresh and fallback."""
from __future__ import annotations

import json
import re

import pytest

from tests.firmware_server import FirmwareServer, build_entry, catalog_with
from thonnycontrib.esp32cam.core import catalog as cat
from thonnycontrib.esp32cam.core.download import DownloadError


def test_bundled_catalog_validates_and_covers_required_builds():
    catalog = cat.load_bundled()
    raw = json.loads(cat.BUNDLED_PATH.read_text(encoding="utf-8"))["builds"]
    assert len(catalog.builds) == len(raw) >= 30
    for b in catalog.builds:
        if b.pinned:  # raw file pinned to a commit, with size and hash
            pinned_copy = [u for u in b.sources if u.startswith("https://raw.githubusercontent.com/")]
            assert pinned_copy and re.fullmatch(r"[0-9a-f]{40}", pinned_copy[0].split("/")[5]), \
                "a source pinned to a commit"
            assert re.fullmatch(r"[0-9a-f]{64}", b.sha256) and b.format == "bin"
        else:  # release asset pinned to a tag: a zip whose firmware.bin is inspected
            assert re.search(r"/releases/download/v\d+\.\d+\.\d+/[^/]+\.zip$", b.url)
            assert b.format == "zip" and b.member == "firmware.bin" and "inspected" in b.notes
        assert b.offset == {"esp32": 0x1000, "esp32s3": 0}[b.chip]
    assert sum(not b.pinned for b in catalog.builds) == 3
    ai_thinker_esp32 = {b.family for b in catalog.for_board("ai_thinker") if b.chip == "esp32"}
    assert {"lemariva", "kaki5", "cnadler86", "none"} <= ai_thinker_esp32
    official = [b for b in catalog.builds if b.family == "none"]
    assert official and all("REPL only — no camera module" in b.title for b in official)
    assert {b.chip for b in catalog.builds} == {"esp32", "esp32s3"}
    default = catalog.default_for("ai_thinker")
    assert default.id == "lemariva-v1.21.0" and default.recommended and default.has_camera
    assert sum(b.recommended for b in catalog.builds) == 3  # one per camera family
    cnadler = catalog.get("cnadler86-v1.27.0-freenove")
    assert "non-commercial" in cnadler.notes and "NC" in cnadler.license


@pytest.mark.parametrize("change, message", [
    ({"url": "http://example.com/x.bin"}, "https://"),
    ({"sha256": "ABC"}, "64 lower-case hex"),
    ({"offset": "0x0"}, "does not match chip esp32"),
    ({"chip": "esp32s3"}, "does not match chip esp32s3"),
    ({"family": "openmv"}, "family must be"),
    ({"size": None}, "both size and sha256"),
    ({"boards": []}, "boards"),
    ({"url": "https://example.com/x.zip"}, ".bin"),
])
def test_invalid_entries_are_rejected_with_a_reason(change, message):
    raw = json.loads(cat.BUNDLED_PATH.read_text(encoding="utf-8"))
    raw["builds"][0].update(change)
    raw["builds"][0] = {k: v for k, v in raw["builds"][0].items() if v is not None}
    with pytest.raises(cat.CatalogError, match=re.escape(message)):
        cat.parse_catalog(json.dumps(raw))


def test_duplicate_ids_and_broken_json_are_rejected():
    raw = json.loads(cat.BUNDLED_PATH.read_text(encoding="utf-8"))
    raw["builds"].append(dict(raw["builds"][0]))
    with pytest.raises(cat.CatalogError, match="Duplicate"):
        cat.parse_catalog(json.dumps(raw))
    with pytest.raises(cat.CatalogError, match="not valid JSON"):
        cat.parse_catalog("{oops")


def test_refresh_validates_caches_and_falls_back(tmp_path, monkeypatch):
    cache = tmp_path / "cache"
    with FirmwareServer(tmp_path) as srv:
        monkeypatch.setenv("SSL_CERT_FILE", str(srv.ca_file))
        good = catalog_with([build_entry("test-one", srv.url("/one.bin"), b"\xe9" * 64)])
        srv.put("/catalog.json", good)
        srv.put("/bad.json", b'{"schema": 1, "builds": [{"id": "x"}]}')
        refreshed = cat.refresh_catalog(srv.url("/catalog.json"), cache)
        assert [b.id for b in refreshed.builds] == ["test-one"]
        # an invalid catalog is refused and the previous good copy stays in use
        with pytest.raises(cat.CatalogError, match="missing"):
            cat.refresh_catalog(srv.url("/bad.json"), cache)
        with pytest.raises(DownloadError, match="404"):
            cat.refresh_catalog(srv.url("/missing.json"), cache)
    # offline: the cached refreshed copy is used
    assert [b.id for b in cat.load_catalog(cache).builds] == ["test-one"]
    # a damaged cached copy falls back to the bundled catalog
    (cache / cat.REFRESHED_NAME).write_text("garbage")
    assert cat.load_catalog(cache).origin == "bundled"
    with pytest.raises(DownloadError, match="only https"):
        cat.refresh_catalog("http://127.0.0.1:1/catalog.json", cache)


def test_cli_catalog_json_and_refresh_from_thonny_option(tmp_path):
    import os
    import subprocess
    import sys

    user = tmp_path / "user"
    user.mkdir()
    env = dict(os.environ, THONNY_USER_DIR=str(user))

    def cli(*args):
        return subprocess.run([sys.executable, "-m", "thonnycontrib.esp32cam", "catalog", *args],
                              env=env, capture_output=True, text=True, timeout=60)

    bundled = json.loads(cli("--json").stdout)
    assert bundled["origin"] == "bundled" and bundled["default"] == {"ai_thinker": "lemariva-v1.21.0"}
    assert {b["offset"] for b in bundled["builds"]} == {"0x1000", "0x0"}
    missing = cli("--refresh")
    assert missing.returncode == 2 and "catalog_url" in missing.stderr
    with FirmwareServer(tmp_path) as srv:
        env["SSL_CERT_FILE"] = str(srv.ca_file)
        srv.put("/c.json", catalog_with([build_entry("mirror-build", srv.url("/m.bin"), b"\xe9" * 99)]))
        (user / "configuration.ini").write_text(f"[ESP32CAM]\ncatalog_url = '{srv.url('/c.json')}'\n")
        refreshed = cli("--refresh")
        assert refreshed.returncode == 0 and "mirror-build" in refreshed.stdout, refreshed.stderr
    offline = json.loads(cli("--json").stdout)
    assert [b["id"] for b in offline["builds"]] == ["mirror-build"] and offline["origin"].endswith("catalog.json")
