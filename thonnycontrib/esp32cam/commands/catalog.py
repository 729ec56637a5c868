"""``python -m thonnycontrib.esp32cam catalog [--json] [--refresh URL]``"""
from __future__ import annotations

import argparse
import json
import os
import sys
from dataclasses import asdict

from thonnycontrib.esp32cam.core.boards import PROFILES
from thonnycontrib.esp32cam.core.catalog import Build, CatalogError, load_catalog, refresh_catalog
from thonnycontrib.esp32cam.core.download import DownloadError, installer_dir
from thonnycontrib.esp32cam.core.i18n import _


NO_THONNY_DIR = ".esp32cam"  # in the home folder, when Thonny is not installed


def thonny_user_dir() -> str:
    """Thonny's user folder, computed by Thonny's own code (``import thonny`` loads no Tk),
    on every Thonny generation (``thonny_compat.user_dir``). Without Thonny (the plug-in
    installed into a plain Python with ``--no-deps``): ``$THONNY_USER_DIR`` as Thonny would
    honour it, else ``~/.esp32cam``."""
    from thonnycontrib.esp32cam import thonny_compat

    try:
        return thonny_compat.user_dir()
    except ModuleNotFoundError as e:
        if e.name != "thonny":
            raise
    return os.path.expanduser(os.environ.get("THONNY_USER_DIR") or os.path.join("~", NO_THONNY_DIR))


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--json", action="store_true", help=_("print the catalog as JSON"))
    parser.add_argument("--refresh", metavar="URL", nargs="?", const="",
                        help=_("download a newer catalog from this HTTPS URL (validated, then "
                               "cached); without URL: the one set in Thonny's options "
                               "([ESP32CAM] catalog_url)"))
    parser.add_argument("--board", help=_("only builds for this board profile (e.g. ai_thinker)"))


def configured_catalog_url(user_dir: str) -> str:
    """``[ESP32CAM] catalog_url`` from Thonny's configuration.ini ('' if unset)."""
    import ast
    import configparser
    import os

    parser = configparser.ConfigParser(interpolation=None)
    try:
        parser.read(os.path.join(user_dir, "configuration.ini"), encoding="utf-8")
        raw = parser.get("ESP32CAM", "catalog_url", fallback="")
    except (configparser.Error, OSError, UnicodeDecodeError):
        return ""
    try:  # Thonny stores repr() of values
        value = ast.literal_eval(raw)
    except (ValueError, SyntaxError):
        value = raw
    return value.strip() if isinstance(value, str) else ""


def run(args: argparse.Namespace) -> int:
    user_dir = thonny_user_dir()
    cache = installer_dir(user_dir)
    url = args.refresh
    if url == "":
        url = configured_catalog_url(user_dir)
        if not url:
            print(_("No catalog URL: give one (--refresh URL) or set catalog_url in the [ESP32CAM] "
                    "section of Thonny's configuration.ini."), file=sys.stderr)
            return 2
    try:
        catalog = refresh_catalog(url, cache) if url else load_catalog(cache)
    except (CatalogError, DownloadError) as e:
        print(_("Catalog not refreshed: {error}").format(error=e), file=sys.stderr)
        return 1
    if catalog.problem:
        print(catalog.problem, file=sys.stderr)
    if args.board and args.board not in PROFILES:
        print(_("Unknown board profile {board!r}. Known profiles: {profiles}.").format(
            board=args.board, profiles=", ".join(PROFILES)), file=sys.stderr)
        return 2
    builds = catalog.for_board(args.board) if args.board else catalog.builds
    if args.json:
        out = {"origin": catalog.origin, "updated": catalog.updated, "default": catalog.defaults,
               "builds": [dict(asdict(b), offset=f"{b.offset:#x}", non_commercial=b.non_commercial)
                          for b in builds]}
        print(json.dumps(out, indent=1, ensure_ascii=False, default=list))
        return 0
    default = catalog.default_for()
    print((_("Firmware catalog of {date} (bundled). * recommended; default for AI-Thinker: "
             "{default}")
           if catalog.origin == "bundled" else
           _("Firmware catalog of {date} (refreshed). * recommended; default for AI-Thinker: "
             "{default}"))
          .format(date=catalog.updated, default=default.id if default else "-"))
    print(table_header())
    for b in builds:
        print(table_row(b))
    if any(b.non_commercial for b in builds):
        print(_("NC = licence allows non-commercial use only."))
    print(_("Details of a build: --json, or the installer in Thonny."))
    return 0


ID_WIDTH = 38
_ROW = "{mark:2}{id:<%d} {chip:<9}{camera:<11}{version:<9}{licence}" % ID_WIDTH


def table_header() -> str:
    return _ROW.format(mark="", id="ID", chip=_("CHIP"), camera=_("CAMERA"), version="MPY",
                       licence=_("LICENCE"))


def table_row(b: Build) -> str:
    """One build in at most 100 columns; a long id stands on its own line above its row."""
    licence = b.license.replace(" (repository)", "") + (" NC" if b.non_commercial else "")
    fields = dict(mark="*" if b.recommended else "", chip=b.chip.upper().replace("ESP32S3", "ESP32-S3"),
                  camera=b.family if b.has_camera else _("none"), version=b.micropython or "?",
                  licence=licence[:100 - len(_ROW.format(mark="", id="", chip="", camera="",
                                                          version="", licence=""))])
    if len(b.id) <= ID_WIDTH:
        return _ROW.format(id=b.id, **fields)
    return f"{fields['mark']:2}{b.id}\n" + _ROW.format(**dict(fields, mark="", id=""))
