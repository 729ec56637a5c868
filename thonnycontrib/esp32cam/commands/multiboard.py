"""Several boards for ``flash``, ``doctor`` and ``snapshot``: ``--port A --port B``,
``--all``, ``--log FILE``, ``--timeout``; one status line per board, then a
summary table (or ``--json``). With one ``--port`` and none of ``--all``/``--log``
each command behaves exactly as its single-board form."""
from __future__ import annotations

import argparse
import json
import os
import sys
from typing import Callable, List, Optional, Sequence

from thonnycontrib.esp32cam.core import classroom as cr
from thonnycontrib.esp32cam.core import ports as pt
from thonnycontrib.esp32cam.core.i18n import N_, _, ngettext


def add_arguments(parser: argparse.ArgumentParser, timeout: float, json_flag: bool = True) -> None:
    target = parser.add_mutually_exclusive_group()
    target.add_argument("-p", "--port", action="append", metavar="PORT",
                        help=_("serial device (COM5, /dev/ttyUSB0) or URL "
                               "(rfc2217://HOST:PORT); repeat for several boards, handled in "
                               "parallel (default: ${env})").format(
                                   env=PORT_ENV))
    target.add_argument("--all", action="store_true",
                        help=_("every detected ESP32-CAM adapter (CH340/CH9102, CP210x, FTDI; "
                               "network ports from ${env})").format(env=pt.NETWORK_PORTS_ENV))
    if json_flag:
        parser.add_argument("--json", action="store_true",
                            help=_("print the result as JSON (several boards: a list, one entry "
                                   "per board)"))
    parser.add_argument("--log", metavar="FILE", help=_("append one CSV row per board (time, port, "
                        "MAC, firmware, SHA-256, result, seconds)"))
    parser.add_argument("--timeout", type=float, default=timeout, metavar="SECONDS",
                        help=_("give up a board after this long when several run (default "
                               "{seconds})")
                        .format(seconds=f"{timeout:.0f}"))


# esptool 4.8.1 (argparse) and 5.x (click): ``--port/-p`` defaults to $ESPTOOL_PORT, read as
# one port name (no list); an explicit --port wins; no port at all makes esptool scan.
PORT_ENV = "ESPTOOL_PORT"


def default_port(args: argparse.Namespace, environ=None) -> Optional[str]:
    """Without --port and --all: the board of $ESPTOOL_PORT, as esptool takes it. Returns an
    error message (exit code 2) when there is none."""
    if args.port or args.all:
        return None
    port = (os.environ if environ is None else environ).get(PORT_ENV, "").strip()
    if not port:
        return _("No board given: pass --port PORT (or set {env}), or --all.").format(env=PORT_ENV)
    args.port = [port]
    return None


def is_multi(args: argparse.Namespace, json_is_multi: bool = True) -> bool:
    """Several boards, or a report of several-boards form (--log; --json for commands
    that had no JSON output of their own)."""
    return bool(args.all or args.log or len(args.port or ()) > 1
                or (json_is_multi and getattr(args, "json", False)))


def resolve_ports(args: argparse.Namespace) -> List[str]:
    """The ports to work on; raises ValueError with an actionable message."""
    if args.all:
        from thonnycontrib.esp32cam.core import portcheck

        found = list(pt.camera_adapter_ports(portcheck.list_ports()))
        if not found:
            raise ValueError(_("--all found no ESP32-CAM adapter (CH340/CH341/CH9102, CP210x, "
                               "FTDI). Plug the boards in, check their drivers, or name them "
                               "with --port."))
        return found
    ports = []
    for port in args.port:
        checked, error = pt.check_port_text(port)
        if error or checked == "auto":
            raise ValueError(error or _("'auto' cannot be used here: name each port, or use "
                                        "--all."))
        ports.append(checked)
    duplicates = sorted({p for p in ports if ports.count(p) > 1})
    if duplicates:
        raise ValueError(_("{ports} given twice: one job per board at a time.").format(
            ports=", ".join(duplicates)))
    return ports


def ports_or_none(args: argparse.Namespace) -> Optional[List[str]]:
    """``resolve_ports``, with its message on stderr and None (exit code 2) when it refuses."""
    try:
        return resolve_ports(args)
    except ValueError as e:
        print(e, file=sys.stderr)
        return None


def run_many(args: argparse.Namespace, ports: Sequence[str], job: Callable[[cr.BoardRun], None],
             command: str, what: str = N_("firmware"),
             prepare: Callable[[cr.BoardRun], None] = lambda b: None,
             stream=None) -> int:
    quiet = getattr(args, "json", False) or getattr(args, "quiet", False)
    stream = sys.stderr if stream is None else stream
    printer: Optional[cr.StatusLines] = None if quiet else cr.StatusLines(ports, stream)
    if printer is not None:
        print(ngettext("{command}: {count} board in parallel", "{command}: {count} boards in parallel",
                       len(ports)).format(command=command, count=len(ports)), file=stream, flush=True)
    boards = cr.run_boards(ports, job, args.timeout,
                           on_update=printer.update if printer else (lambda b: None), prepare=prepare)
    if args.log:
        try:
            cr.append_csv_log(args.log, boards, command)
        except OSError as e:
            print(_("Could not write the log {file}: {error}").format(file=args.log, error=e.strerror or e),
                  file=sys.stderr)
    if getattr(args, "json", False):
        print(json.dumps(cr.to_json(boards), indent=1))
    else:
        print(cr.summary_table(boards, what))
    return cr.exit_code(boards)
