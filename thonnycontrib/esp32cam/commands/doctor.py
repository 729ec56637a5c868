"""``python -m thonnycontrib.esp32cam doctor --port PORT_OR_URL [--json]``.

Exit code 0 only when the MicroPython REPL is reachable (several boards: on
every board). With several boards (``--port A --port B``, ``--all``) each
board is diagnosed in parallel and identified by its MAC: through
``machine.unique_id()`` when MicroPython answers, else through the ROM with
esptool (``--no-rom-mac`` skips that; it resets the board once more).
"""
from __future__ import annotations

import argparse
import json
import sys

from thonnycontrib.esp32cam.core import boards
from thonnycontrib.esp32cam.core import diagnosis as dg
from thonnycontrib.esp32cam.core.i18n import N_, _


def _profile(text: str) -> str:
    if not boards.is_valid_profile(text):
        raise argparse.ArgumentTypeError(_("choose one of: {profiles}").format(
            profiles=", ".join(boards.profile_keys())))
    return text.strip().lower()


def _line_state(text: str) -> bool:
    word = text.strip().lower()
    if word in ("on", "1", "true", "asserted"):
        return True
    if word in ("off", "0", "false", "released"):
        return False
    raise argparse.ArgumentTypeError(_("use on or off"))


def add_arguments(parser: argparse.ArgumentParser) -> None:
    from thonnycontrib.esp32cam.commands import multiboard

    multiboard.add_arguments(parser, timeout=120.0)
    parser.add_argument("--no-rom-mac", action="store_true",
                        help=_("several boards: do not ask a board without MicroPython for its MAC "
                        "through the ROM (esptool)"))
    parser.add_argument("--dtr", type=_line_state, metavar="on|off",
                        help=_("DTR your interpreter uses; with --rts, the doctor also tries them"))
    parser.add_argument("--rts", type=_line_state, metavar="on|off",
                        help=_("RTS your interpreter uses"))
    parser.add_argument("--no-camera-check", action="store_true",
                        help=_("do not import/initialise the camera module"))
    parser.add_argument("--no-speed-check", action="store_true",
                        help=_("skip measuring the fastest serial speed the adapter sustains"))
    parser.add_argument("--fix", choices=["release-and-reset", "interrupt-at-boot"],
                        help=_("apply this fix first, then diagnose"))
    parser.add_argument("--wait-for-rst", type=float, default=0.0, metavar="SECONDS",
                        help=_("if the board stays silent, listen this long while you press RST"))
    parser.add_argument("--board", type=_profile, default=None,
                        help=_("board pin profile for the camera sensor check (default "
                               "ai_thinker): {profiles}").format(profiles=", ".join(boards.profile_keys())))
    parser.add_argument("--quiet", "-q", action="store_true", help=_("no progress messages"))


def run(args: argparse.Namespace) -> int:
    from thonnycontrib.esp32cam.commands import multiboard

    if multiboard.is_multi(args, json_is_multi=False):  # one board: its diagnosis as before
        return _run_many(args)
    args.port = args.port[0]
    return _run_one(args)


def _run_many(args: argparse.Namespace) -> int:
    from thonnycontrib.esp32cam.commands import multiboard
    from thonnycontrib.esp32cam.core import classroom as cr
    from thonnycontrib.esp32cam.core import doctor

    ports = multiboard.ports_or_none(args)
    if ports is None:
        return 2
    tool = None
    if not args.no_rom_mac:
        from thonnycontrib.esp32cam.commands.flash import plugin_site_dirs
        from thonnycontrib.esp32cam.core.esptool_cmd import EsptoolMissing, find_esptool

        try:
            tool = find_esptool(sys.executable, plugin_site_dirs())
        except EsptoolMissing:
            tool = None  # MACs of boards without MicroPython stay unknown
    configured = None
    if args.dtr is not None or args.rts is not None:
        configured = doctor.Lines(bool(args.dtr), bool(args.rts))

    job = cr.DoctorJob(configured, tool, check_camera=not args.no_camera_check,
                       check_speed=not args.no_speed_check, wait_for_rst=max(0.0, args.wait_for_rst),
                       fix=args.fix, profile=boards.get_profile(args.board) if args.board else None)
    return multiboard.run_many(args, ports, job, "doctor", what=N_("diagnosis"))


def _run_one(args: argparse.Namespace) -> int:
    from thonnycontrib.esp32cam.core import doctor

    def progress(msg: str) -> None:
        if not args.quiet and not args.json:
            print("... " + msg, file=sys.stderr, flush=True)

    fixed = doctor.apply_fix(args.port, args.fix, progress) if args.fix else None
    if fixed is not None and fixed.main_disabled:  # said even with --json: the board's files changed
        renamed = _("main.py was renamed to {name}: the board now starts into the REPL. Fix the "
                    "program, then rename it back.").format(name=fixed.disabled_as)
        if fixed.console_rate:
            renamed += " " + _("Its console was at {rate} baud (machine.UART(0, ...)); it is "
                               "back at 115200 now.").format(rate=fixed.console_rate)
        print(renamed, file=sys.stderr)
    elif fixed is not None and not fixed.prompt:
        progress(_("the running program could not be interrupted"))

    configured = None
    if args.dtr is not None or args.rts is not None:
        configured = doctor.Lines(bool(args.dtr), bool(args.rts))
    try:
        result: dg.Diagnosis = doctor.diagnose(args.port, configured, progress=progress,
                                               check_camera=not args.no_camera_check,
                                               check_speed=not args.no_speed_check,
                                               wait_for_rst=max(0.0, args.wait_for_rst),
                                               profile=boards.get_profile(args.board) if args.board else None)
    except Exception as e:  # a bug, not a board problem: say so without a traceback wall
        print(_("The doctor stopped unexpectedly: {error}").format(error=f"{type(e).__name__}: {e}"),
              file=sys.stderr)
        return 2
    if args.json:
        print(json.dumps(result.to_json(), indent=2))
    else:
        print(result.to_text())
    return 0 if result.ok else 1
