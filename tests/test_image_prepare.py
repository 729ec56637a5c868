"""Getting an image ready: unpinned catalog entries and local files are
inspected, refused ones never stay in the cache."""
from __future__ import annotations

import hashlib

import pytest

from tests.firmware_server import FirmwareServer, build_entry, catalog_with
from tests.virtualboard import synthetic_firmware
from thonnycontrib.esp32cam.core.catalog import parse_catalog
from thonnycontrib.esp32cam.core.download import FirmwareCache
from thonnycontrib.esp32cam.core.image import ImageError
from thonnycontrib.esp32cam.core.prepare import prepare_build, prepare_file


def _unpinned(srv, path, data, chip="esp32"):
    entry = build_entry("unpinned", srv.put(path, data), None, family="cnadler86", chip=chip)
    return parse_catalog(catalog_with([entry])).builds[0]


def test_unpinned_build_is_inspected_and_its_hash_shown(tmp_path, monkeypatch):
    image = synthetic_firmware("cnadler86")
    cache = FirmwareCache(tmp_path / "fw")
    with FirmwareServer(tmp_path) as srv:
        monkeypatch.setenv("SSL_CERT_FILE", str(srv.ca_file))
        build = _unpinned(srv, "/mpy_cam.bin", image)
        assert not build.pinned
        prepared = prepare_build(build, cache)
    summary = prepared.summary()
    assert hashlib.sha256(image).hexdigest() in summary
    assert "MicroPython v1.27.0-dirty on 2026-01-12" in summary and "cnadler86 camera driver" in summary
    assert prepared.info.kind == "combined" and prepared.path.read_bytes() == image


@pytest.mark.parametrize("served, message", [
    (b"<!DOCTYPE html><html><body>404: Not Found</body></html>", "HTML page"),
    (synthetic_firmware("cnadler86", chip="esp32s3"), "for ESP32-S3, but the catalog lists this build for ESP32:"),
    (synthetic_firmware("cnadler86")[:-4000], "truncated"),
])
def test_unusable_unpinned_download_is_refused_and_not_cached(tmp_path, monkeypatch, served, message):
    cache = FirmwareCache(tmp_path / "fw")
    with FirmwareServer(tmp_path) as srv:
        monkeypatch.setenv("SSL_CERT_FILE", str(srv.ca_file))
        with pytest.raises(ImageError, match=message):
            prepare_build(_unpinned(srv, "/x.bin", served), cache)
    assert list((tmp_path / "fw").iterdir()) == []


def test_local_files(tmp_path):
    good = tmp_path / "lemariva.bin"
    good.write_bytes(synthetic_firmware("lemariva"))
    prepared = prepare_file(str(good), "esp32")
    assert prepared.info.family == "lemariva" and prepared.chip == "esp32"
    official = tmp_path / "official.bin"
    official.write_bytes(synthetic_firmware(None))
    assert "no camera module (REPL only)" in prepare_file(str(official), "esp32").summary()
    s3 = tmp_path / "s3.bin"
    s3.write_bytes(synthetic_firmware("kaki5", chip="esp32s3"))
    assert prepare_file(str(s3), "esp32s3").info.chip == "esp32s3"
    with pytest.raises(ImageError, match="Cannot read"):
        prepare_file(str(tmp_path / "missing.bin"), "esp32")
    big = tmp_path / "huge.bin"
    with open(big, "wb") as f:
        f.truncate(17 * 1024 * 1024)
    with pytest.raises(ImageError, match="far too large"):
        prepare_file(str(big), "esp32")


def _zip(members) -> bytes:
    import io
    import zipfile

    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, data in members.items():
            zf.writestr(name, data)
    return buffer.getvalue()


def _zip_build(srv, data):
    entry = build_entry("cnadler-zip", srv.put("/mpy_cam-v1.27.0-XIAO_ESP32S3.zip", data), None,
                        family="cnadler86", chip="esp32s3")
    entry.update(format="zip", member="firmware.bin", flash_mode=None)
    return parse_catalog(catalog_with([entry])).builds[0]


def test_release_zip_is_extracted_and_inspected(tmp_path, monkeypatch):
    image = synthetic_firmware("cnadler86", chip="esp32s3")
    archive = _zip({"mpy_cam-v1.27.0-XIAO_ESP32S3/README.txt": b"hi",
                    "mpy_cam-v1.27.0-XIAO_ESP32S3/firmware.bin": image})
    cache = FirmwareCache(tmp_path / "fw")
    with FirmwareServer(tmp_path) as srv:
        monkeypatch.setenv("SSL_CERT_FILE", str(srv.ca_file))
        prepared = prepare_build(_zip_build(srv, archive), cache)
    assert prepared.path.read_bytes() == image and prepared.info.chip == "esp32s3"
    assert prepared.info.family == "cnadler86" and hashlib.sha256(image).hexdigest() in prepared.summary()
    assert [p.suffix for p in (tmp_path / "fw").iterdir()] == [".bin"]  # the zip is not kept
    # offline: the extracted image is reused (and inspected again)
    assert prepare_build(_zip_build(srv, archive), cache).path == prepared.path


@pytest.mark.parametrize("served, message", [
    (b"<!DOCTYPE html><html><body>Not Found</body></html>", r"not a ZIP archive \(a web page\)"),
    (_zip({"mpy_cam/partition-table.bin": b"x", "mpy_cam/bootloader.bin": b"y"}),
     "has no firmware.bin .*partition-table.bin"),
    (_zip({"firmware.bin": synthetic_firmware("cnadler86", chip="esp32")}),
     "for ESP32, but the catalog lists this build for ESP32-S3:"),
])
def test_bad_release_zip_is_refused_and_nothing_kept(tmp_path, monkeypatch, served, message):
    from thonnycontrib.esp32cam.core.download import DownloadError

    cache = FirmwareCache(tmp_path / "fw")
    with FirmwareServer(tmp_path) as srv:
        monkeypatch.setenv("SSL_CERT_FILE", str(srv.ca_file))
        with pytest.raises((DownloadError, ImageError), match=message):
            prepare_build(_zip_build(srv, served), cache)
    assert list((tmp_path / "fw").iterdir()) == []
