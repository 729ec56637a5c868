"""Where firmware comes from: the mirror folder, several URLs for one pinned hash,
the newer of the bundled and refreshed catalog, and the catalog listing."""
from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from tests.firmware_server import FirmwareServer, build_entry, catalog_with
from tests.real_images import real_firmware_dir, real_image
from thonnycontrib.esp32cam.core import catalog as cat
from thonnycontrib.esp32cam.core.download import (MIRROR_ENV, DownloadError, FirmwareCache,
                                                  firmware_cache, mirror_dirs)

DATA = bytes(range(256)) * 400


def _build(entry: dict) -> cat.Build:
    return cat.parse_catalog(catalog_with([entry])).builds[0]


def test_mirror_serves_a_pinned_build_with_no_network(tmp_path):
    build = cat.load_bundled().get("lemariva-v1.21.0")  # its URL is unreachable from here
    notes = []
    cache = FirmwareCache(tmp_path / "fw", [tmp_path / "empty", real_firmware_dir()])
    path = cache.fetch(build, log=notes.append)
    assert path.read_bytes() == real_image(build.sha256)
    assert path.parent == tmp_path / "fw"  # copied into Thonny's cache, then reused
    assert any("taken from the mirror" in n for n in notes)
    assert FirmwareCache(tmp_path / "fw").fetch(build) == path


def test_a_wrong_file_in_the_mirror_is_skipped_and_the_download_used(tmp_path):
    mirror = tmp_path / "mirror"
    mirror.mkdir()
    notes = []
    with FirmwareServer(tmp_path) as srv:
        build = _build(build_entry("t", srv.put("/fw.bin", DATA), DATA))
        (mirror / f"{build.sha256}.bin").write_bytes(DATA[:-1] + b"\0")  # same size, other bytes
        path = FirmwareCache(tmp_path / "fw", [mirror]).fetch(
            build, ssl_context=srv.client_context(), log=notes.append)
    assert path.read_bytes() == DATA
    assert any("does not match the catalog" in n and "skipped" in n for n in notes)
    assert sorted(p.name for p in (tmp_path / "fw").iterdir()) == [path.name]  # nothing else kept


def test_mirror_from_environment_and_setting(tmp_path, monkeypatch):
    monkeypatch.setenv(MIRROR_ENV, os.pathsep.join([str(tmp_path / "a"), str(tmp_path / "b")]))
    assert mirror_dirs(str(tmp_path / "c")) == [tmp_path / "a", tmp_path / "b", tmp_path / "c"]
    assert firmware_cache(str(tmp_path / "user"), str(tmp_path / "c")).mirrors[-1] == tmp_path / "c"
    monkeypatch.delenv(MIRROR_ENV)
    assert mirror_dirs(None) == [] and mirror_dirs("") == []


def test_several_urls_for_one_pinned_hash_are_tried_in_order(tmp_path):
    with FirmwareServer(tmp_path) as srv:
        srv.put("/copy.bin", DATA)
        entry = build_entry("t", srv.url("/gone.bin"), DATA)
        entry["urls"] = [srv.url("/gone.bin"), srv.url("/copy.bin")]
        build = _build(entry)
        notes = []
        path = FirmwareCache(tmp_path / "fw").fetch(build, ssl_context=srv.client_context(),
                                                    log=notes.append)
        assert path.read_bytes() == DATA and "404" in notes[0] and "next source" in notes[0]
        entry["urls"] = [srv.url("/gone.bin"), srv.url("/also-gone.bin")]
        with pytest.raises(DownloadError, match="Every source of this firmware failed") as info:
            FirmwareCache(tmp_path / "fw2").fetch(_build(entry), ssl_context=srv.client_context())
        assert "gone.bin" in str(info.value) and "also-gone.bin" in str(info.value)


def test_official_build_lists_micropython_org_first():
    build = cat.load_bundled().get("official-v1.26.0-spiram")
    assert build.sources[0] == ("https://micropython.org/resources/firmware/"
                                "ESP32_GENERIC-SPIRAM-20250809-v1.26.0.bin")
    assert build.sources[1].startswith("https://raw.githubusercontent.com/Freenove/")


@pytest.mark.parametrize("urls, message", [
    (["https://a.example/x.bin"], "starts with url"),
    ("https://a.example/x.bin", "must be a list"),
    (["URL", "http://b.example/x.bin"], "https://"),
])
def test_bad_url_lists_are_rejected(urls, message):
    entry = build_entry("t", "https://a.example/t.bin", DATA)
    entry["urls"] = [entry["url"] if u == "URL" else u for u in urls] if isinstance(urls, list) else urls
    with pytest.raises(cat.CatalogError, match=message):
        _build(entry)


def _write_refreshed(folder, updated):
    folder.mkdir(exist_ok=True)
    text = catalog_with([build_entry("refreshed", "https://a.example/r.bin", DATA)], updated=updated)
    (folder / cat.REFRESHED_NAME).write_bytes(text)


def test_the_newer_of_bundled_and_refreshed_catalog_wins(tmp_path):
    bundled = cat.load_bundled()
    _write_refreshed(tmp_path, "2000-01-01")  # refreshed long ago, before a plug-in update
    older = cat.load_catalog(tmp_path)
    assert older.origin == "bundled" and older.problem is None
    _write_refreshed(tmp_path, "2099-01-01")
    newer = cat.load_catalog(tmp_path)
    assert newer.origin.endswith(cat.REFRESHED_NAME) and newer.updated > bundled.updated
    assert [b.id for b in newer.builds] == ["refreshed"]


def test_a_damaged_refreshed_catalog_is_reported(tmp_path):
    (tmp_path / cat.REFRESHED_NAME).write_text('{"schema": 1, "builds": [}')
    catalog = cat.load_catalog(tmp_path)
    assert catalog.origin == "bundled"
    assert "is damaged" in catalog.problem and "not valid JSON" in catalog.problem


def _cli(tmp_path, *args):
    env = dict(os.environ, THONNY_USER_DIR=str(tmp_path / "user"))
    return subprocess.run([sys.executable, "-m", "thonnycontrib.esp32cam", *args], env=env,
                          capture_output=True, text=True, timeout=60)


def test_catalog_listing_is_a_table_that_fits_100_columns(tmp_path):
    result = _cli(tmp_path, "catalog")
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert max(len(line) for line in lines) <= 100
    header = next(line for line in lines if line.strip().startswith("ID"))
    for column in ("CHIP", "CAMERA", "MPY", "LICENCE"):
        assert column in header
    bundled = cat.load_bundled()
    for build in bundled.builds:
        assert build.id in result.stdout
    nc_row = next(i for i, line in enumerate(lines) if "cnadler86-v1.27.0-freenove" in line)
    assert lines[nc_row].rstrip().endswith("CC-BY-NC-SA-3.0 NC")
    assert "NC = licence allows non-commercial use only." in result.stdout
    # every build shows a version; a long id stands on its own line, its columns below it
    long_id = "kaki5-20230717-esp32-s3-lilygo-t-camera-ov2640-wifi-ble"
    row = next(i for i, line in enumerate(lines) if line.strip() == long_id)
    assert "ESP32-S3" in lines[row + 1] and "1.20.0" in lines[row + 1]
    assert " ? " not in result.stdout


def test_catalog_unknown_board_is_an_error_listing_the_known_ones(tmp_path):
    result = _cli(tmp_path, "catalog", "--board", "ai-thinker")
    assert result.returncode == 2
    assert "Unknown board profile 'ai-thinker'" in result.stderr and "ai_thinker" in result.stderr
    ok = _cli(tmp_path, "catalog", "--board", "xiao_esp32s3_sense", "--json")
    builds = json.loads(ok.stdout)["builds"]
    assert builds and all("xiao_esp32s3_sense" in b["boards"] for b in builds)
    assert all(isinstance(b["non_commercial"], bool) for b in builds)
