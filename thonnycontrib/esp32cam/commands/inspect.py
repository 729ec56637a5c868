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


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("file", metavar="FILE", help="firmware image (.bin)")
    parser.add_argument("--json", action="store_true", help="print the result as JSON")


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
            raise ImageError(f"{path.name} is {path.stat().st_size} bytes: far too large for a "
                             "firmware image.")
        info = inspect_image(path.read_bytes(), require_intact=False, flash_size=MAX_IMAGE)
    except OSError as e:
        return _refuse(args, f"Cannot read {path}: {e.strerror or e}")
    except ImageError as e:
        return _refuse(args, str(e))
    if args.json:
        print(json.dumps(as_dict(info), indent=1))
    else:
        family = {"none": "none (no camera module: REPL only)", None: "unknown"}.get(
            info.family, info.family)
        rows = [("Chip", CHIP_LABELS.get(info.chip, info.chip)),
                ("Kind", f"{info.kind} image, flash at {info.offset:#x}"),
                ("Banner", info.banner or "no MicroPython banner found"),
                ("MicroPython", info.version or "?"), ("Camera driver", family),
                ("Flash", f"{info.flash_mode.upper()}, {info.flash_size}"),
                ("Size", f"{info.size:,} bytes"), ("SHA-256", info.sha256),
                ("Integrity", "ok (checksums and SHA-256 of every part verified)"
                 if info.integrity == "ok" else f"CORRUPT: {info.integrity_problem}")]
        for name, value in rows:
            print(f"{name + ':':15}{value}")
    return 0 if info.integrity == "ok" else 4


def _refuse(args: argparse.Namespace, reason: str) -> int:
    if args.json:
        print(json.dumps({"chip": None, "family": None, "banner": None, "version": None,
                          "offset": None, "integrity": "corrupt", "reason": reason}, indent=1))
    else:
        print(f"Not a usable firmware image: {reason}", file=sys.stderr)
    return 4
