"""``python -m thonnycontrib.esp32cam wifi --port P --ssid S --password-file F``.

Lists the networks the board hears (``--scan`` alone stops there), joins ``S`` with the
password read from ``F`` (``-`` = standard input; never from the command line, where
other users and the shell history see it), keeps the credentials on the board so it
joins at every boot (``--no-store``: this time only), and ends with the line
``IP address: A.B.C.D``. The password is never printed or logged.
``--webrepl-password-file W`` also keeps a WebREPL password (4-9 characters, first line of
``W``) on the board and starts WebREPL at every boot: then Thonny's ESP32-CAM interpreter
can connect over Wi-Fi (``ws://A.B.C.D:8266/``) without the cable.
Exit codes: 0 joined (or listed), 1 Wi-Fi problem (explained), 2 usage, 3 port/REPL problem.
"""
from __future__ import annotations

import argparse
import os
import sys
from typing import List, Optional

from thonnycontrib.esp32cam.core import webrepl_access, wifi
from thonnycontrib.esp32cam.core.i18n import _


def _seconds(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(_("a number of seconds, e.g. 20"))
    if not 1 <= value <= 120:
        raise argparse.ArgumentTypeError(_("use 1 .. 120 seconds"))
    return value


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("-p", "--port", metavar="PORT",
                        help=_("serial device (COM5, /dev/ttyUSB0) or URL (rfc2217://HOST:PORT) "
                        "(default: $ESPTOOL_PORT)"))
    parser.add_argument("--scan", action="store_true", help=_(
            "only list the networks the board hears"))
    parser.add_argument("--ssid", help=_("the network to join"))
    parser.add_argument("--password-file", metavar="FILE",
                        help=_("file whose first line is the network's password ('-': standard "
                               "input); leave out for an open network"))
    parser.add_argument("--timeout", type=_seconds, default=wifi.DEFAULT_JOIN_SECONDS, metavar="SECONDS",
                        help=_("how long the board may take to join (default {seconds})").format(
                            seconds=f"{wifi.DEFAULT_JOIN_SECONDS:.0f}"))
    parser.add_argument("--webrepl-password-file", metavar="FILE",
                        help=_("also allow WebREPL: file whose first line is the WebREPL password "
                               "(4 to 9 characters), kept on the board; WebREPL starts at every boot"))
    parser.add_argument("--no-store", action="store_true",
                        help=_("join this time only: keep nothing on the board"))
    parser.add_argument("--interrupt", action="store_true",
                        help=_("stop a program running on the board first (Ctrl-C)"))


def _read_password(path: Optional[str]) -> str:
    if path is None:
        return ""
    if path == "-":
        line = sys.stdin.readline()
    else:
        with open(path, encoding="utf-8") as f:
            line = f.readline()
    return line.rstrip("\r\n")


def _print_networks(networks: List[wifi.Network]) -> None:
    if not networks:
        print(_("The board hears no Wi-Fi network (an ESP32 sees only 2.4 GHz networks)."))
        return
    print(_("Networks the board hears (2.4 GHz only), strongest first:"))
    for n in networks:
        row = _("{ssid:<32} {rssi:4d} dBm  {signal:<9}  channel {channel:2d}").format(
            ssid=n.ssid, rssi=n.rssi, signal=_(n.signal), channel=n.channel)
        print("  " + row + ("" if n.secured else "  " + _("(open)")))


def run(args: argparse.Namespace) -> int:
    from thonnycontrib.esp32cam.core import doctor, portcheck
    from thonnycontrib.esp32cam.core.camera.rawrepl import RawRepl, ReplBusy

    err = lambda text: print(text, file=sys.stderr)  # noqa: E731
    port = args.port or os.environ.get("ESPTOOL_PORT", "").strip()
    if not port:
        err(_("No board given: pass --port PORT (or set ESPTOOL_PORT)."))
        return 2
    if not args.scan and not args.ssid:
        err(_("Name the network with --ssid (or list them with --scan)."))
        return 2
    try:
        password = _read_password(args.password_file)
    except (OSError, UnicodeDecodeError) as e:
        err(_("Cannot read the password file: {error}").format(error=e))
        return 2
    problem = wifi.check_password(password)
    if problem and not args.scan:
        err(problem)
        return 2
    webrepl_password = None
    if args.webrepl_password_file and not args.scan:
        try:
            webrepl_password = _read_password(args.webrepl_password_file)
        except (OSError, UnicodeDecodeError) as e:
            err(_("Cannot read the WebREPL password file: {error}").format(error=e))
            return 2
        problem = webrepl_access.check_password(webrepl_password)
        if problem or args.no_store:
            err(problem or _("WebREPL needs the network kept on the board: leave out --no-store."))
            return 2
    try:
        ser = doctor.open_serial(port)
    except Exception as e:  # serial.SerialException, OSError, ValueError for bad URLs
        err(portcheck.open_error_diagnosis(port, e, portcheck.list_ports()).to_text())
        return 3
    try:
        try:
            repl = RawRepl(ser, interrupt=args.interrupt)
        except ReplBusy as e:
            err(str(e))
            return 3
        try:
            return _work(args, repl, password, webrepl_password)
        except wifi.NoNetworkModule as e:
            err(str(e))
            return 1
        except (ReplBusy, OSError, RuntimeError, ValueError) as e:
            err(_("The board stopped answering: {error}\nPress RST and try again.").format(error=e))
            return 3
        finally:
            try:
                repl.leave()
            except (OSError, ReplBusy):
                pass
    finally:
        doctor.close_serial(ser)


def _work(args: argparse.Namespace, repl, password: str, webrepl_password: Optional[str] = None) -> int:
    networks = wifi.parse_scan(repl.exec_text(wifi.SCAN_CODE, timeout=15))
    _print_networks(networks)
    if args.scan:
        return 0
    ssid = args.ssid
    if all(n.ssid != ssid for n in networks):
        print(_("{ssid} is not in the list; trying anyway (a hidden network is not listed).").format(
            ssid=ssid))
    print(_("Joining {ssid} ...").format(ssid=ssid))
    _result, outcome, stored = wifi.join_and_keep(lambda code: repl.exec_text(code, timeout=args.timeout + 15), ssid,
                                            password, args.timeout, not args.no_store, networks)
    if not outcome.ok:
        print(outcome.message, file=sys.stderr)
        return 1
    print(outcome.message)
    if outcome.rssi is not None:
        print(_("Signal: {rssi} dBm ({words})").format(rssi=outcome.rssi,
                                                        words=_(wifi.signal_words(outcome.rssi))))
    if stored:
        print(_("Kept on the board (/{file}, joined at every boot from boot.py).").format(
            file=wifi.CONFIG_FILE))
    else:
        print(_("Nothing kept on the board (--no-store): it forgets the network at the next "
                "reset."))
    print(_("IP address: {ip}").format(ip=outcome.ip))
    if webrepl_password:
        run = lambda code: repl.exec_text(code, timeout=15)  # noqa: E731
        if not webrepl_access.enable(run, webrepl_password):
            print(_("WebREPL did not start on the board (its firmware has no webrepl module?)."),
                  file=sys.stderr)
            return 1
        print(_("WebREPL: {url} (password kept on the board in /{file}, started at every boot)").format(
            url=webrepl_access.url(outcome.ip), file=webrepl_access.CFG_FILE))
    return 0
