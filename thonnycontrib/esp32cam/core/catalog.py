"""The firmware catalog: curated MicroPython builds for ESP32-CAM boards.

The bundled copy (``catalog.json`` beside this module) is always available.
A refreshed copy may be downloaded from a configurable HTTPS URL; it is used
only after it validates, and it is kept in the cache folder for offline use.
"""
from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Dict, List, Optional, Sequence

from thonnycontrib.esp32cam.core.fetch import fetch_bytes, write_atomically
from thonnycontrib.esp32cam.core.i18n import _

BUNDLED_PATH = Path(__file__).with_name("catalog.json")
REFRESHED_NAME = "catalog.json"
FAMILIES = ("lemariva", "kaki5", "cnadler86", "none")
CHIP_OFFSETS = {"esp32": 0x1000, "esp32s3": 0x0}
FLASH_MODES = ("qio", "qout", "dio", "dout")
FLASH_SIZES = ("1MB", "2MB", "4MB", "8MB", "16MB")
_SHA256 = re.compile(r"^[0-9a-f]{64}$")
_ID = re.compile(r"^[a-z0-9][a-z0-9.\-]*$")
_REQUIRED = ("id", "title", "source", "family", "chip", "offset", "flash_mode", "url",
             "info_url", "license", "notes", "boards")


class CatalogError(ValueError):
    """The catalog data is unusable; the message says which entry and why."""


@dataclass(frozen=True)
class Build:
    id: str
    title: str
    source: str
    family: str
    chip: str
    offset: int
    flash_mode: Optional[str]  # None: not known before download (read from the image)
    url: str
    info_url: str
    license: str
    notes: str
    boards: Sequence[str]
    micropython: Optional[str] = None
    flash_size: Optional[str] = None
    size: Optional[int] = None
    sha256: Optional[str] = None
    banner: Optional[str] = None
    requires: Sequence[str] = field(default_factory=tuple)
    # camera sensors the build's esp32-camera drives (see docs/sensors.md); None: not known
    sensors: Optional[Sequence[str]] = None
    recommended: bool = False
    format: str = "bin"            # "zip": a release archive holding ``member``
    member: Optional[str] = None   # e.g. "firmware.bin" (matched by file name)
    urls: Sequence[str] = ()       # every source of the same bytes, tried in order (url first)

    @property
    def sources(self) -> Sequence[str]:
        return tuple(self.urls) or (self.url,)

    @property
    def non_commercial(self) -> bool:
        """Licences with a NonCommercial term (e.g. CC-BY-NC-SA-3.0)."""
        text = self.license.upper()
        return "-NC" in text or "NONCOMMERCIAL" in text.replace("-", "").replace(" ", "")

    @property
    def pinned(self) -> bool:
        """True when size and SHA-256 (of the download) are known, so it can be verified."""
        return self.sha256 is not None and self.size is not None

    @property
    def has_camera(self) -> bool:
        return self.family != "none"


@dataclass
class Catalog:
    builds: List[Build]
    defaults: Dict[str, str]
    origin: str  # "bundled" or the path of the refreshed copy
    updated: str = ""  # ISO date of the catalog's data
    problem: Optional[str] = None  # why a refreshed copy on disk was not used

    def get(self, build_id: str) -> Build:
        for build in self.builds:
            if build.id == build_id:
                return build
        raise CatalogError(_("No build with id {build_id!r} in the catalog (see `python -m "
                              "thonnycontrib.esp32cam catalog`).").format(build_id=build_id))

    def default_for(self, board: str = "ai_thinker") -> Optional[Build]:
        build_id = self.defaults.get(board)
        return self.get(build_id) if build_id else None

    def for_board(self, board: str) -> List[Build]:
        return [b for b in self.builds if board in b.boards]


def _check_entry(raw: Dict[str, Any]) -> Build:
    name = raw.get("id", "?")

    def fail(why: str) -> CatalogError:
        return CatalogError(_("Catalog entry {name!r}: {reason}").format(name=name, reason=why))

    missing = [k for k in _REQUIRED if k not in raw]
    if missing:
        raise fail(_("missing {keys}").format(keys=", ".join(missing)))
    if not isinstance(raw["id"], str) or not _ID.match(raw["id"]):
        raise fail(_("id must be lower-case letters, digits, '.' or '-'"))
    for key in ("title", "source", "url", "info_url", "license", "notes"):
        if not isinstance(raw[key], str) or not raw[key].strip():
            raise fail(_("{key} must be a non-empty string").format(key=key))
    if raw["family"] not in FAMILIES:
        raise fail(_("family must be one of {values}").format(values=", ".join(FAMILIES)))
    if raw["chip"] not in CHIP_OFFSETS:
        raise fail(_("chip must be one of {values}").format(values=", ".join(CHIP_OFFSETS)))
    try:
        offset = int(raw["offset"], 16) if isinstance(raw["offset"], str) else int(raw["offset"])
    except ValueError:
        raise fail(_("offset is not a number")) from None
    if offset != CHIP_OFFSETS[raw["chip"]]:
        raise fail(_("offset {offset:#x} does not match chip {chip} ({expected:#x})").format(
                      offset=offset, chip=raw['chip'], expected=CHIP_OFFSETS[raw['chip']]))
    sha = raw.get("sha256")
    unpinned = sha is None
    if raw["flash_mode"] not in FLASH_MODES and not (unpinned and raw["flash_mode"] is None):
        raise fail(_("flash_mode must be one of {values} (null only for unpinned builds: read from "
                     "the image)").format(values=", ".join(FLASH_MODES)))
    if raw.get("flash_size") not in (None,) + FLASH_SIZES:
        raise fail(_("flash_size must be one of {values}").format(values=", ".join(FLASH_SIZES)))
    for key in ("url", "info_url"):
        if not raw[key].startswith("https://"):
            raise fail(_("{key} must be an https:// URL").format(key=key))
    urls = raw.get("urls", [raw["url"]])
    if (not isinstance(urls, list) or not urls or urls[0] != raw["url"]
            or not all(isinstance(u, str) and u.startswith("https://") for u in urls)):
        raise fail(_("urls must be a list of https:// URLs that starts with url"))
    if len(urls) > 1 and sha is None:
        raise fail(_("several urls need a pinned sha256 (they must serve the same bytes)"))
    if sha is not None and (not isinstance(sha, str) or not _SHA256.match(sha)):
        raise fail(_("sha256 must be 64 lower-case hex digits"))
    size = raw.get("size")
    if size is not None and (not isinstance(size, int) or size <= 0):
        raise fail(_("size must be a positive integer"))
    if (sha is None) != (size is None):
        raise fail(_("give both size and sha256, or neither"))
    archive = raw.get("format", "bin")
    if archive not in ("bin", "zip"):
        raise fail(_("format must be 'bin' or 'zip'"))
    if not raw["url"].lower().split("?")[0].endswith("." + archive):
        raise fail(_("url must point to a .{archive} file (format {archive})").format(
                      archive=archive))
    member = raw.get("member", "firmware.bin" if archive == "zip" else None)
    if archive == "zip" and (not isinstance(member, str) or not member.endswith(".bin")):
        raise fail(_("member must name the .bin image inside the zip"))
    boards = raw["boards"]
    if not isinstance(boards, list) or not boards or not all(isinstance(b, str) for b in boards):
        raise fail(_("boards must be a non-empty list of board names"))
    sensors = raw.get("sensors")
    if sensors is not None and (not isinstance(sensors, list)
                                or not all(isinstance(x, str) and x.isupper() for x in sensors)):
        raise fail(_("sensors must be a list of sensor names such as \"OV2640\""))
    if raw["family"] == "none" and "no camera" not in raw["title"].lower():
        raise fail(_("a build without a camera module must say 'no camera' in its title"))
    return Build(
        id=raw["id"], title=raw["title"], source=raw["source"], family=raw["family"],
        chip=raw["chip"], offset=offset, flash_mode=raw["flash_mode"], url=raw["url"],
        info_url=raw["info_url"], license=raw["license"], notes=raw["notes"],
        boards=tuple(boards), micropython=raw.get("micropython"),
        flash_size=raw.get("flash_size"), size=size, sha256=sha, banner=raw.get("banner"),
        requires=tuple(raw.get("requires") or ()), recommended=bool(raw.get("recommended")),
        format=archive, member=member, urls=tuple(urls),
        sensors=None if sensors is None else tuple(sensors),
    )


def parse_catalog(text: str, origin: str = "bundled") -> Catalog:
    """Parse and validate catalog JSON; raise CatalogError naming the problem."""
    try:
        data = json.loads(text)
    except ValueError as e:
        raise CatalogError(_("The catalog is not valid JSON: {error}").format(error=e)) from None
    if not isinstance(data, dict) or data.get("schema") != 1:
        raise CatalogError(_("The catalog has an unknown format (expected schema 1)."))
    raw_builds = data.get("builds")
    if not isinstance(raw_builds, list) or not raw_builds:
        raise CatalogError(_("The catalog lists no builds."))
    builds = [_check_entry(raw) for raw in raw_builds]
    ids = [b.id for b in builds]
    duplicates = sorted({i for i in ids if ids.count(i) > 1})
    if duplicates:
        raise CatalogError(_("Duplicate build ids in the catalog: {ids}").format(ids=", ".join(duplicates)))
    defaults = data.get("default") or {}
    if not isinstance(defaults, dict):
        raise CatalogError(_("The catalog's 'default' must map board names to build ids."))
    for board, build_id in defaults.items():
        if build_id not in ids:
            raise CatalogError(_("The default for {board} ({build_id}) is not in the catalog.").format(
                                  board=board, build_id=build_id))
    updated = data.get("updated", "")
    if not isinstance(updated, str) or not re.fullmatch(r"\d{4}-\d{2}-\d{2}", updated):
        raise CatalogError(_("The catalog's 'updated' must be a date like 2026-11-28."))
    return Catalog(builds=builds, defaults=dict(defaults), origin=origin, updated=updated)


def load_bundled() -> Catalog:
    return parse_catalog(BUNDLED_PATH.read_text(encoding="utf-8"), "bundled")


def load_catalog(cache_dir: Optional[Path]) -> Catalog:
    """The newer (by ``updated``) of the bundled copy and a refreshed copy in ``cache_dir``.

    A plug-in update brings a newer bundled catalog than an old refresh; a damaged
    refreshed copy never blocks the installer: the bundled one is used and
    ``problem`` says why.
    """
    bundled = load_bundled()
    if cache_dir is None:
        return bundled
    refreshed_path = Path(cache_dir) / REFRESHED_NAME
    if not refreshed_path.is_file():
        return bundled
    try:
        refreshed = parse_catalog(refreshed_path.read_text(encoding="utf-8"), str(refreshed_path))
    except (CatalogError, OSError, UnicodeDecodeError) as e:
        bundled.problem = (_("The refreshed catalog {path} is damaged ({error}); using the "
                             "catalog that came with the plug-in. Refresh the catalog again.").format(
                              path=refreshed_path, error=e))
        return bundled
    return refreshed if refreshed.updated > bundled.updated else bundled


def refresh_catalog(url: str, cache_dir: Path, timeout: float = 20.0) -> Catalog:
    """Download the catalog from ``url`` (HTTPS), validate it, then cache it.

    Raises DownloadError or CatalogError; the cached copy is replaced only by
    a catalog that validated.
    """
    text = fetch_bytes(url, timeout=timeout, max_size=2_000_000).decode("utf-8", "replace")
    catalog = parse_catalog(text, origin=url)
    target = Path(cache_dir) / REFRESHED_NAME
    write_atomically(target, text.encode("utf-8"))
    catalog.origin = str(target)
    return catalog
