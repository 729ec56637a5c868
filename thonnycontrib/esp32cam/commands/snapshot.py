"""``python -m thonnycontrib.esp32cam snapshot --port PORT_OR_URL -o photo.jpg [--size VGA] [--quality N]``.

Takes one photo (or ``--count N`` in a row, keeping the last) with whatever
camera firmware the board runs (lemariva, KAKI5 or cnadler86, detected on the
board), saves it, releases the camera. The link runs at the fastest rate that
works (``--baud auto``, core.fastlink) and is back at 115200 when the command ends.
Exit codes: 0 saved, 1 camera problem (explained) or an image damaged on the way
(nothing written), 3 port/REPL problem.
Several boards (``--port A --port B``, ``--all``): one photo per board, in
parallel, named after the board's MAC (``machine.unique_id()``).
"""
from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path
from typing import Any, Callable, Optional

from thonnycontrib.esp32cam.core import boards, fastlink
from thonnycontrib.esp32cam.core.camera import families as fam
from thonnycontrib.esp32cam.core.camera import jpeg_check
from thonnycontrib.esp32cam.core.camera.devicecode import CameraSettings
from thonnycontrib.esp32cam.core.camera.problems import TRANSFER, CameraProblem
from thonnycontrib.esp32cam.core.camera.transfer import BASE64, ESCAPED, RAW, TransferError
from thonnycontrib.esp32cam.core.i18n import N_, _, ngettext, percent

_CONNECTION_FAILED = N_("The connection to the board failed: {error}\nCheck the cable and the 5 V "
                        "supply, press RST and try again.")  # _(...).format(error=...) where said
_ENCODINGS = {"raw": RAW, "escaped": ESCAPED, "base64": BASE64}


def _quality(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(_("a whole number from 0 (smallest file) to 100 (best)"))
    if not 0 <= value <= 100:
        raise argparse.ArgumentTypeError(_("use 0 (smallest file) .. 100 (best)"))
    return value


def _size(text: str) -> str:
    try:
        return fam.frame_size(text).name
    except ValueError as e:
        raise argparse.ArgumentTypeError(str(e))


def _baud(text: str):
    from thonnycontrib.esp32cam.core.fastlink import parse_setting

    try:
        return parse_setting(text)
    except ValueError as e:
        raise argparse.ArgumentTypeError(str(e))


def _count(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(_("a whole number of frames, 1 or more"))
    if value < 1:
        raise argparse.ArgumentTypeError(_("a whole number of frames, 1 or more"))
    return value


def _profile(text: str) -> str:
    if not boards.is_valid_profile(text):
        raise argparse.ArgumentTypeError(_("choose one of: {profiles}").format(
            profiles=", ".join(boards.profile_keys())))
    return text.strip().lower()


def add_arguments(parser: argparse.ArgumentParser) -> None:
    from thonnycontrib.esp32cam.commands import multiboard

    multiboard.add_arguments(parser, timeout=120.0)
    parser.add_argument("-o", "--output", default="photo.jpg",
                        help=_("JPEG file to write (default photo.jpg); with several boards each "
                        "file gets the board's MAC: photo-240ac45ca301.jpg"))
    parser.add_argument("--size", type=_size, default=fam.DEFAULT_FRAME_SIZE,
                        help=_("frame size: {sizes} (default VGA)").format(
                            sizes=", ".join(fam.frame_size_names())))
    parser.add_argument("--quality", type=_quality, default=fam.DEFAULT_QUALITY,
                        help=_("JPEG quality 0..100, higher = better, for every driver family "
                               "(default 85)"))
    parser.add_argument("--board", type=_profile, default=boards.DEFAULT_PROFILE,
                        help=_("board pin profile: {profiles}").format(
                            profiles=", ".join(boards.profile_keys())))
    parser.add_argument("--vflip", action="store_true", help=_("flip the image vertically"))
    parser.add_argument("--hmirror", action="store_true", help=_("mirror the image horizontally"))
    parser.add_argument("--flash", action="store_true", help=_(
            "switch the flash LED on for the photo"))
    parser.add_argument("--interrupt", action="store_true",
                        help=_("stop a program running on the board first (Ctrl-C)"))
    parser.add_argument("-b", "--baud", type=_baud, default="auto",
                        help=_("serial speed after the prompt: auto (fastest that works, default), "
                             "115200 (no switch) or a fixed rate such as 921600"))
    parser.add_argument("--count", type=_count, default=1,
                        help=_("take N frames in a row, keep the last (default 1); prints "
                               "frames per second"))
    parser.add_argument("--encoding", choices=sorted(_ENCODINGS), default="raw",
                        help=_("transfer encoding (default raw: no overhead)"))
    parser.add_argument("--wifi", action="store_true",
                        help=_("take the frames over the board's Wi-Fi (it must be on a "
                               "network: see the wifi command); the serial line only sets up "
                               "the camera"))
    parser.add_argument("--wifi-port", type=int, default=8081, metavar="PORT",
                        help=_("TCP port of the board's camera server (default 8081)"))


_dimensions = jpeg_check.dimensions


def _last_good(captures: list) -> tuple:
    """(capture, dimensions) of the last frame that decodes; TransferError if none does."""
    error: Optional[TransferError] = None
    for cap in reversed(captures):
        try:
            return cap, _dimensions(cap.jpeg)
        except TransferError as e:
            error = e
    raise error or TransferError(_("every frame was damaged on the way (CRC-32)"))


def run(args: argparse.Namespace) -> int:
    from thonnycontrib.esp32cam.commands import multiboard

    if multiboard.is_multi(args):
        return _run_many(args)
    if args.wifi:
        from thonnycontrib.esp32cam.commands import snapshot_wifi

        return snapshot_wifi.run(args)
    args.port = args.port[0]
    return _snapshot(args, args.port, lambda mac: args.output, print,
                     lambda text: print(text, file=sys.stderr))


def _snapshot(args: argparse.Namespace, port: str, output_for: Callable[[Optional[str]], str],
              out: Callable[[str], None], err: Callable[[str], None],
              on_mac: Optional[Callable[[Optional[str]], None]] = None) -> int:
    """One board: ``output_for(mac)`` names the file; ``on_mac`` (several boards) asks the
    board for its MAC first."""
    from thonnycontrib.esp32cam.core import doctor, portcheck
    from thonnycontrib.esp32cam.core.camera.rawrepl import RawRepl, ReplBusy
    from thonnycontrib.esp32cam.core.camera.session import CameraSession
    from thonnycontrib.esp32cam.core.download import write_atomically

    out_dir = os.path.dirname(os.path.abspath(output_for(None)))
    if not os.path.isdir(out_dir):
        err(_("The folder {folder} does not exist.").format(folder=out_dir))
        return 2
    try:
        ser = doctor.open_serial(port, baudrate=fastlink.BOOT_BAUD)
    except Exception as e:  # serial.SerialException, OSError, ValueError for bad URLs
        diagnosis = portcheck.open_error_diagnosis(port, e, portcheck.list_ports())
        err(diagnosis.to_text())
        return 3
    session = None
    negotiator = None
    repl = None
    link = fastlink.Result(fastlink.BOOT_BAUD)
    try:
        try:
            repl = RawRepl(ser, interrupt=args.interrupt)
        except ReplBusy as e:
            err(str(e))
            return 3
        mac = None
        if on_mac is not None:
            from thonnycontrib.esp32cam.core.classroom import UNIQUE_ID_CODE, mac_from_unique_id_output

            try:
                mac = mac_from_unique_id_output(repl.exec_text(UNIQUE_ID_CODE, timeout=3))
            except (RuntimeError, ReplBusy, OSError):
                mac = None
            on_mac(mac)
        output = output_for(mac)
        setting = args.baud  # a SpeedSetting: argparse applies _baud to the default "auto" too
        adapter, top = fastlink.adapter_cap(port)
        rates = fastlink.candidate_rates(setting, top)
        if rates:
            negotiator = fastlink.Negotiator(repl.link_io(), repl.submit)
            try:
                link = negotiator.negotiate(rates)
            except fastlink.LinkLost as e:
                err(_("{error}\nPress RST and try again with --baud 115200.").format(error=e))
                negotiator = None
                return 3
            except (ReplBusy, OSError) as e:  # the port vanished or the connection dropped
                err(_(_CONNECTION_FAILED).format(error=e))
                negotiator = None
                return 3
            if link.unsupported:
                err(_("This firmware keeps its REPL at 115200 baud ({reason}).").format(
                    reason=link.unsupported))
        for last_try in (not link.fast, True):
            # at a fast rate, the first transfer the link garbles brings the board back to
            # 115200 and the photo is taken again there (the negotiation's long check passed)
            session = CameraSession(repl, args.board, encoding=_ENCODINGS[args.encoding], link_rate=link.rate)
            try:
                info, frames, elapsed = _take(args, session)
                cap, dims = _last_good(frames)  # nothing is written unless it decodes
                break
            except (CameraProblem, TransferError) as e:
                damaged = isinstance(e, TransferError) or e.kind == TRANSFER
                if not damaged or last_try or negotiator is None:
                    err(str(e) if isinstance(e, CameraProblem) else
                        _("The image was damaged on the way ({error}); nothing was written. Try "
                          "again, or use --encoding base64.").format(error=e))
                    return 1
                err(_("The serial link garbled data at {rate} baud ({adapter}): continuing at "
                      "115200. Use --baud 115200 (or a lower rate) with this adapter.").format(
                          rate=link.rate, adapter=adapter))
                _release(session)
                session = None
                if not _restore(negotiator, link.rate, err):
                    negotiator = None  # said how to bring the board back: nothing more to try
                    return 3
                link = fastlink.Result(fastlink.BOOT_BAUD, link.attempts)
            except (ReplBusy, OSError) as e:  # serial errors are OSErrors too
                err(_(_CONNECTION_FAILED).format(error=e))
                return 3
        write_atomically(Path(output), cap.jpeg)  # whole or not at all, mode from the umask
        line_rate = link.rate / 10.0
        out(_("Saved {file}: {dimensions}{size} bytes, {family} driver, {seconds:.2f} s, "
              "{speed:.0f} B/s on the wire = {share} of the line").format(
                  file=output, dimensions=(dims + ", ") if dims else "", size=len(cap.jpeg),
                  family=info.family, seconds=cap.seconds, speed=cap.bytes_per_second,
                  share=percent(100 * cap.bytes_per_second / line_rate)))
        wire = sum(f.wire_bytes for f in frames) / elapsed
        out(ngettext("Link {rate} baud ({adapter}), {count} frame, {fps:.1f} frames/s, {share} of "
                     "the line",
                     "Link {rate} baud ({adapter}), {count} frames, {fps:.1f} frames/s, {share} of "
                     "the line", len(frames)).format(
                         rate=link.rate, adapter=adapter, count=len(frames), fps=len(frames) / elapsed,
                         share=percent(100 * wire / line_rate)))
        return 0
    finally:
        # each step on its own: a failed camera release must not keep the board fast
        if session is not None:
            _release(session)
        if negotiator is not None and link.fast:
            _restore(negotiator, link.rate, err)  # leave the board at 115200, as found
        try:
            if repl is not None:
                repl.leave()
        except Exception:  # the port is gone: nothing left to leave
            pass
        doctor.close_serial(ser)


def _take(args: argparse.Namespace, session: Any) -> tuple:
    """(device info, captures, seconds) of the photo(s) ``args`` ask for."""
    from thonnycontrib.esp32cam.core.camera.stream import frames_limit

    settings = CameraSettings(args.size, args.quality, args.vflip, args.hmirror)
    info = session.detect()
    session.start(settings)
    if args.flash:
        session.set_flash(True)
    started = time.perf_counter()
    if args.count == 1:
        frames = [session.capture()]
    else:  # streamed: one request, the board sends the frames back to back
        frames = []
        session.stream(frames.append, frames_limit(args.count))
    return info, frames, time.perf_counter() - started


def _release(session: Any) -> None:
    """Deinit the camera; a failure here (the link, the board) is not worth a word."""
    try:
        if session.protocol is not None:
            session.release()
    except Exception:
        pass


def _restore(negotiator: Any, rate: int, err: Callable[[str], None]) -> bool:
    """The board back at 115200, or one message saying exactly how to get it there."""
    try:
        if negotiator.restore(rate):
            return True
    except Exception:  # LinkLost, ReplBusy, OSError: the board did not answer at 115200
        pass
    err(_("The board did not come back to 115200 baud (it may still run its console at {rate}). "
          "Press RST on the board (or unplug it and plug it in again) before using it.").format(
              rate=rate))
    return False


def output_name(output: str, mac: Optional[str], port: str) -> str:
    """``photo.jpg`` -> ``photo-240ac45ca301.jpg`` (the MAC), or the port's name when
    the board could not tell its MAC."""
    import re

    stem, ext = os.path.splitext(output)
    tag = mac.replace(":", "") if mac else re.sub(r"[^A-Za-z0-9]+", "_", port).strip("_")
    return f"{stem}-{tag}{ext or '.jpg'}"


def _run_many(args: argparse.Namespace) -> int:
    from thonnycontrib.esp32cam.commands import multiboard
    from thonnycontrib.esp32cam.core import classroom as cr

    ports = multiboard.ports_or_none(args)
    if ports is None:
        return 2

    def job(board: cr.BoardRun) -> None:
        said = []
        board.say(_("connecting"))

        def on_mac(mac: Optional[str]) -> None:
            board.set_mac(mac)
            board.say(_("taking the photo"))

        def output_for(mac: Optional[str]) -> str:
            board.firmware = os.path.basename(output_name(args.output, mac, board.port))
            board.detail["file"] = output_name(args.output, mac, board.port)
            return board.detail["file"]

        code = _snapshot(args, board.port, output_for, said.append, said.append, on_mac=on_mac)
        board.detail["output"] = said
        if code != 0:
            board.detail.pop("file", None)
            board.firmware = ""
        result = {0: "ok", 1: "camera", 2: "folder", 3: "connection"}.get(code, str(code))
        board.finish(code == 0, result, "\n".join(said), exit_code=code)

    return multiboard.run_many(args, ports, job, "snapshot", what=N_("photo"))

