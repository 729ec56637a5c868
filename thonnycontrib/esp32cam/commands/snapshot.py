"""``python -m thonnycontrib.esp32cam snapshot --port PORT_OR_URL -o photo.jpg [--size VGA] [--quality N]``.

Takes one photo (or ``--count N`` in a row, keeping the last) with whatever
camera firmware the board runs (lemariva, KAKI5 or cnadler86, detected on the
board), saves it, releases the camera. The link runs at the fastest rate that
works (``--baud auto``, core.fastlink) and is back at 115200 when the command ends.
Exit codes: 0 saved, 1 camera problem (explained), 3 port/REPL problem.
"""
from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path
from typing import Optional

from thonnycontrib.esp32cam.core import boards, fastlink
from thonnycontrib.esp32cam.core.camera import families as fam
from thonnycontrib.esp32cam.core.camera.devicecode import CameraSettings
from thonnycontrib.esp32cam.core.camera.problems import CameraProblem
from thonnycontrib.esp32cam.core.camera.transfer import BASE64, ESCAPED, RAW, TransferError

_CONNECTION_FAILED = ("The connection to the board failed: %s\nCheck the cable and the 5 V supply, "
                      "press RST and try again.")
_ENCODINGS = {"raw": RAW, "escaped": ESCAPED, "base64": BASE64}


def _quality(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError("a whole number from 0 (smallest file) to 100 (best)")
    if not 0 <= value <= 100:
        raise argparse.ArgumentTypeError("use 0 (smallest file) .. 100 (best)")
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
        raise argparse.ArgumentTypeError("a whole number of frames, 1 or more")
    if value < 1:
        raise argparse.ArgumentTypeError("a whole number of frames, 1 or more")
    return value


def _profile(text: str) -> str:
    if not boards.is_valid_profile(text):
        raise argparse.ArgumentTypeError("choose one of: " + ", ".join(boards.profile_keys()))
    return text.strip().lower()


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--port", required=True,
                        help="serial device (COM5, /dev/ttyUSB0) or URL (rfc2217://HOST:PORT)")
    parser.add_argument("-o", "--output", default="photo.jpg", help="JPEG file to write (default photo.jpg)")
    parser.add_argument("--size", type=_size, default=fam.DEFAULT_FRAME_SIZE,
                        help="frame size: " + ", ".join(fam.frame_size_names()) + " (default VGA)")
    parser.add_argument("--quality", type=_quality, default=fam.DEFAULT_QUALITY,
                        help="JPEG quality 0..100, higher = better, for every driver family (default 85)")
    parser.add_argument("--board", type=_profile, default=boards.DEFAULT_PROFILE,
                        help="board pin profile: " + ", ".join(boards.profile_keys()))
    parser.add_argument("--vflip", action="store_true", help="flip the image vertically")
    parser.add_argument("--hmirror", action="store_true", help="mirror the image horizontally")
    parser.add_argument("--flash", action="store_true", help="switch the flash LED on for the photo")
    parser.add_argument("--interrupt", action="store_true",
                        help="stop a program running on the board first (Ctrl-C)")
    parser.add_argument("--baud", type=_baud, default="auto",
                        help="serial speed after the prompt: auto (fastest that works, default), "
                             "115200 (no switch) or a fixed rate such as 921600")
    parser.add_argument("--count", type=_count, default=1,
                        help="take N frames in a row, keep the last (default 1); prints frames per second")
    parser.add_argument("--encoding", choices=sorted(_ENCODINGS), default="raw",
                        help="transfer encoding (default raw: no overhead)")


def _dimensions(jpeg: bytes) -> Optional[str]:
    try:
        import io

        from PIL import Image
    except ImportError:
        return None
    with Image.open(io.BytesIO(jpeg)) as im:
        im.load()
        return "%d×%d" % im.size


def run(args: argparse.Namespace) -> int:
    from thonnycontrib.esp32cam.core import doctor, portcheck
    from thonnycontrib.esp32cam.core.camera.rawrepl import RawRepl, ReplBusy
    from thonnycontrib.esp32cam.core.camera.session import CameraSession
    from thonnycontrib.esp32cam.core.camera.stream import frames_limit
    from thonnycontrib.esp32cam.core.download import write_atomically

    out_dir = os.path.dirname(os.path.abspath(args.output))
    if not os.path.isdir(out_dir):
        print("The folder %s does not exist." % out_dir, file=sys.stderr)
        return 2
    try:
        ser = doctor.open_serial(args.port, baudrate=fastlink.BOOT_BAUD)
    except Exception as e:  # serial.SerialException, OSError, ValueError for bad URLs
        diagnosis = portcheck.open_error_diagnosis(args.port, e, portcheck.list_ports())
        print(diagnosis.to_text(), file=sys.stderr)
        return 3
    session = None
    negotiator = None
    link = fastlink.Result(fastlink.BOOT_BAUD)
    try:
        try:
            repl = RawRepl(ser, interrupt=args.interrupt)
        except ReplBusy as e:
            print(str(e), file=sys.stderr)
            return 3
        setting = args.baud  # a SpeedSetting: argparse applies _baud to the default "auto" too
        adapter, cap = fastlink.adapter_cap(args.port)
        rates = fastlink.candidate_rates(setting, cap)
        if rates:
            negotiator = fastlink.Negotiator(repl.link_io(), repl.submit)
            try:
                link = negotiator.negotiate(rates)
            except fastlink.LinkLost as e:
                print("%s\nPress RST and try again with --baud 115200." % e, file=sys.stderr)
                negotiator = None
                return 3
            except (ReplBusy, OSError) as e:  # the port vanished or the connection dropped
                print(_CONNECTION_FAILED % e, file=sys.stderr)
                negotiator = None
                return 3
            if link.unsupported:
                print("This firmware keeps its REPL at 115200 baud (%s)." % link.unsupported, file=sys.stderr)
        session = CameraSession(repl, args.board, encoding=_ENCODINGS[args.encoding], link_rate=link.rate)
        settings = CameraSettings(args.size, args.quality, args.vflip, args.hmirror)
        try:
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
            elapsed = time.perf_counter() - started
            cap = frames[-1]
        except CameraProblem as e:
            print(str(e), file=sys.stderr)
            return 1
        except TransferError as e:
            print("The image was damaged on the way (%s). Try again, or use --encoding base64." % e,
                  file=sys.stderr)
            return 1
        except (ReplBusy, OSError) as e:  # serial errors are OSErrors too
            print(_CONNECTION_FAILED % e, file=sys.stderr)
            return 3
        write_atomically(Path(args.output), cap.jpeg)  # whole or not at all, mode from the umask
        line_rate = link.rate / 10.0
        dims = _dimensions(cap.jpeg)
        print("Saved %s: %s%d bytes, %s driver, %.2f s, %.0f B/s on the wire = %.0f %% of the line"
              % (args.output, (dims + ", ") if dims else "", len(cap.jpeg), info.family,
                 cap.seconds, cap.bytes_per_second, 100 * cap.bytes_per_second / line_rate))
        wire = sum(f.wire_bytes for f in frames) / elapsed
        print("Link %d baud (%s), %d frame%s, %.1f frames/s, %.0f %% of the line"
              % (link.rate, adapter, len(frames), "" if len(frames) == 1 else "s", len(frames) / elapsed,
                 100 * wire / line_rate))
        return 0
    finally:
        try:
            if session is not None and session.protocol is not None:
                session.release()
            if negotiator is not None and link.fast:
                negotiator.restore(link.rate)  # leave the board at 115200, as found
            if session is not None:
                session.runner.leave()
            elif negotiator is not None:
                repl.leave()
        except Exception:
            pass
        doctor.close_serial(ser)
