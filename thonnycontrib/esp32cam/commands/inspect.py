"""``python -m thonnycontrib.esp32cam inspect FILE [--json]``: what a firmware .bin is.

Exit codes: 0 = an intact firmware image; 4 = corrupt, or not a usable image.
"""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any, Dict

from thonnycontrib.esp32cam.core.image import CHIP_LABELS, ImageError, ImageInfo, inspect_image
from thonnycontrib.esp32cam.core.prepare import MAX_IMAGE
from thonnycontrib.esp32cam.core.i18n import _


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("file", metavar="FILE", help=_("firmware image (.bin)"))
    parser.add_argument("--json", action="store_true", help=_("print the result as JSON"))


def as_dict(info: ImageInfo) -> Dict[str, Any]:
    return {
        "chip": info.chip, "kind": info.kind, "offset": f"{info.offset:#x}",
        "banner": info.banner, "version": info.version, "family": info.family,
        "flash_mode": info.flash_mode, "flash_size": info.flash_size, "size": info.size,
        "sha256": info.sha256, "integrity": info.integrity, "reason": info.integrity_problem,
    }


def run(args: argparse.Namespace) -> int:
    path = Path(args.file)
    try:
        if path.stat().st_size > MAX_IMAGE:
            raise ImageError(_("{name} is {size} bytes: far too large for a firmware image.").format(
                name=path.name, size=path.stat().st_size))
        info = inspect_image(path.read_bytes(), require_intact=False, flash_size=MAX_IMAGE)
    except OSError as e:
        return _refuse(args, _("Cannot read {path}: {error}").format(path=path, error=e.strerror or e))
    except ImageError as e:
        return _refuse(args, str(e))
    if args.json:
        print(json.dumps(as_dict(info), indent=1))
    else:
        family = {"none": _("none (no camera module: REPL only)"), None: _("unknown")}.get(
            info.family, info.family)
        rows = [(_("Chip"), CHIP_LABELS.get(info.chip, info.chip)),
                (_("Kind"), _("{kind} image, flash at {offset}").format(kind=info.kind,
                                                                      offset=f"{info.offset:#x}")),
                (_("Banner"), info.banner or _("no MicroPython banner found")),
                ("MicroPython", info.version or "?"), (_("Camera driver"), family),
                (_("Flash"), f"{info.flash_mode.upper()}, {info.flash_size}"),
                (_("Size"), _("{size} bytes").format(size=f"{info.size:,}")), ("SHA-256", info.sha256),
                (_("Integrity"), _("ok (checksums and SHA-256 of every part verified)")
                 if info.integrity == "ok" else _(
                         "CORRUPT: {reason}").format(reason=info.integrity_problem))]
        for name, value in rows:
            print(f"{name + ':':15}{value}")
    return 0 if info.integrity == "ok" else 4


def _refuse(args: argparse.Namespace, reason: str) -> int:
    if args.json:
        print(json.dumps({"chip": None, "family": None, "banner": None, "version": None,
                          "offset": None, "integrity": "corrupt", "reason": reason}, indent=1))
    else:
        print(_("Not a usable firmware image: {reason}").format(reason=reason), file=sys.stderr)
    return 4
