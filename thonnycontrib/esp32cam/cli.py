"""Command-line entry: ``esp32cam <command> ...`` (console script) or
``python -m thonnycontrib.esp32cam <command> ...``.

Each sub-command lives in its own module under ``commands/`` exposing
``add_arguments(parser)`` and ``run(args) -> int``. Modules are imported only
when their command runs, so ``--help`` stays fast.
"""
from __future__ import annotations

import argparse
import importlib
import os
import sys
from typing import Dict, List, Optional, Tuple

from thonnycontrib.esp32cam import __version__
from thonnycontrib.esp32cam.core.i18n import N_, _

# command name -> (module under thonnycontrib.esp32cam.commands, one-line help: N_, shown with _())
COMMANDS: Dict[str, Tuple[str, str]] = {
    "doctor": ("doctor", N_("diagnose the serial connection to an ESP32-CAM")),
    "catalog": ("catalog", N_("list the curated MicroPython camera firmware builds")),
    "flash": ("flash", N_("install MicroPython firmware on an ESP32-CAM (esptool)")),
    "snapshot": ("snapshot", N_("take a photo with the ESP32-CAM and save it as JPEG")),
    "inspect": ("inspect", N_("tell what a firmware .bin is (chip, banner, camera driver, "
                              "integrity)")),
    "wifi": ("wifi", N_("put an ESP32-CAM on a Wi-Fi network (scan, join, join at every boot)")),
}


def _load(name: str):
    module_name = COMMANDS[name][0]
    return importlib.import_module("thonnycontrib.esp32cam.commands." + module_name)


def _prog() -> str:
    """``esp32cam`` when run as the console script, else the ``python -m`` form."""
    name = os.path.basename(sys.argv[0] or "")
    return "esp32cam" if name.startswith("esp32cam") else "python -m thonnycontrib.esp32cam"


def build_parser(command: Optional[str] = None) -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog=_prog(),
        description=_("ESP32-CAM tools from the thonny-esp32cam plug-in."),
    )
    parser.add_argument("--version", action="version", version=f"thonny-esp32cam {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name, (_module, help_text) in COMMANDS.items():
        p = sub.add_parser(name, help=_(help_text), description=_(help_text))
        if name == command:
            _load(name).add_arguments(p)
    return parser


def main(argv: Optional[List[str]] = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    command = next((a for a in argv if not a.startswith("-")), None)
    parser = build_parser(command if command in COMMANDS else None)
    args = parser.parse_args(argv)
    if not args.command:
        parser.print_help()
        return 2
    if hasattr(args, "all"):  # the commands that work on boards (commands/multiboard.py)
        from thonnycontrib.esp32cam.commands import multiboard

        missing = multiboard.default_port(args)
        if missing:
            parser.error(missing)
    try:
        return int(_load(args.command).run(args) or 0)
    except KeyboardInterrupt:
        print(_("Interrupted."), file=sys.stderr)
        return 130
