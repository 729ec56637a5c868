"""Where the tests' real firmware images come from (tests/real_images.py): an offline
mirror first, then the cache, then the build's own URL through the plug-in's verified
downloader — here a real HTTPS server on loopback with a test CA (this machine's
network does not reach the catalog's hosts)."""
from __future__ import annotations

import socket
from pathlib import Path

import pytest

from tests.firmware_server import FirmwareServer, build_entry, catalog_with
from tests.real_images import ENV_VAR, ImageStore, MissingImage, default_cache_dir, default_mirrors
from thonnycontrib.esp32cam.core.catalog import parse_catalog

DATA = bytes(range(256)) * 257  # stands in for a firmware image: only size and SHA-256 matter


def _build(url: str, data: bytes = DATA, build_id: str = "test-image", tamper: bool = False):
    text = catalog_with([build_entry(build_id, url, data, tamper=tamper)]).decode()
    return parse_catalog(text, origin="test").builds[0]


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]  # nobody listens there once it is closed


def test_an_image_in_the_mirror_is_used_without_network_or_cache(tmp_path):
    with FirmwareServer(tmp_path) as server:
        build = _build(server.put("/fw.bin", DATA))
        mirror, cache = tmp_path / "mirror", tmp_path / "cache"
        mirror.mkdir()
        (mirror / f"{build.sha256}.bin").write_bytes(DATA)
        store = ImageStore([mirror], cache, ssl_context=server.client_context())
        assert store.path(build) == mirror / f"{build.sha256}.bin"
        assert store.folder_with([build]) == mirror
        assert server.requests == [] and not cache.exists()


def test_a_missing_image_is_fetched_verified_cached_and_then_served_from_the_cache(tmp_path):
    with FirmwareServer(tmp_path) as server:
        build = _build(server.put("/fw.bin", DATA))
        mirror, cache = tmp_path / "no-such-mirror", tmp_path / "cache"
        path = ImageStore([mirror], cache, ssl_context=server.client_context()).path(build)
        assert path == cache / f"{build.sha256}.bin" and path.read_bytes() == DATA
        assert server.requests == ["/fw.bin"]
        # a later session (a new store) finds it in the cache: no second download
        again = ImageStore([mirror], cache, ssl_context=server.client_context())
        assert again.path(build) == path and again.folder_with([build]) == cache
        assert server.requests == ["/fw.bin"]
        assert sorted(p.name for p in cache.iterdir()) == [f"{build.sha256}.bin"]


def test_a_damaged_mirror_copy_is_skipped_and_the_image_fetched(tmp_path):
    with FirmwareServer(tmp_path) as server:
        build = _build(server.put("/fw.bin", DATA))
        mirror, cache = tmp_path / "mirror", tmp_path / "cache"
        mirror.mkdir()
        (mirror / f"{build.sha256}.bin").write_bytes(DATA[:-1] + b"\x00")
        store = ImageStore([mirror], cache, ssl_context=server.client_context())
        assert store.folder_with([build]) == cache
        assert (cache / f"{build.sha256}.bin").read_bytes() == DATA and server.requests == ["/fw.bin"]


def test_a_corrupt_download_is_refused_and_not_cached(tmp_path):
    with FirmwareServer(tmp_path) as server:
        build = _build(server.put("/fw.bin", DATA), tamper=True)  # catalog hash of other bytes
        cache = tmp_path / "cache"
        store = ImageStore([], cache, ssl_context=server.client_context())
        with pytest.raises(MissingImage) as failure:
            store.path(build)
        with pytest.raises(MissingImage):
            store.path(build)  # the same session does not ask the server again
    message = str(failure.value)
    assert "SHA-256 mismatch" in message and "refused and not kept" in message
    assert server.requests == ["/fw.bin"]
    assert list(cache.iterdir()) == []  # no image, no partial file


def test_no_network_and_no_mirror_gives_one_message_naming_build_url_and_remedy(tmp_path):
    url = f"https://127.0.0.1:{_closed_port()}/firmware/fw.bin"
    build = _build(url, build_id="kaki5-test")
    mirror, cache = tmp_path / "shared" / "firmware", tmp_path / "cache"
    store = ImageStore([mirror], cache)
    with pytest.raises(MissingImage) as one:
        store.path(build)
    message = str(one.value)
    for part in ("kaki5-test", f"{build.sha256}.bin", url, str(mirror), str(cache), ENV_VAR,
                 ".ci/fetch-firmware", "Could not reach"):
        assert part in message, (part, message)
    assert "Traceback" not in message

    other = _build(f"https://127.0.0.1:{_closed_port()}/other.bin", data=DATA[:1000], build_id="other")
    with pytest.raises(MissingImage) as several:
        store.folder_with([build, other])
    summary = str(several.value)
    assert summary.startswith("2 of 2 real firmware images are missing")
    assert f"  kaki5-test: {build.sha256}.bin from {url}" in summary and "  other: " in summary

    # a host that could not be reached is not asked again in the same run
    same_host = _build(url.replace("fw.bin", "second.bin"), data=DATA[:2000], build_id="second")
    with pytest.raises(MissingImage) as again:
        store.path(same_host)
    assert f"127.0.0.1:{url.split(':')[2].split('/')[0]} was unreachable earlier in this run" in str(again.value)


def test_default_folders_are_the_environment_s_or_beside_the_clone_and_a_user_cache(monkeypatch, tmp_path):
    monkeypatch.delenv(ENV_VAR, raising=False)
    monkeypatch.delenv("ESP32CAM_TEST_FIRMWARE_CACHE", raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    root = Path(__file__).resolve().parent.parent
    assert default_mirrors() == [root.parent / "shared" / "firmware"]
    assert default_cache_dir() == tmp_path / "xdg" / "thonny-esp32cam" / "test-firmware"
    assert root not in default_cache_dir().parents  # never inside the clone
    monkeypatch.setenv(ENV_VAR, str(tmp_path / "m"))
    monkeypatch.setenv("ESP32CAM_TEST_FIRMWARE_CACHE", str(tmp_path / "c"))
    assert default_mirrors() == [tmp_path / "m"] and default_cache_dir() == tmp_path / "c"
