"""``snapshot --wifi``: the photo(s) over the board's Wi-Fi instead of the serial line.

The serial line (at 115200) sets up the camera as ``snapshot`` does and starts the board's
MJPEG server (core.camera.wifi_stream); the frames then come over HTTP from the address the
board reports. At the end the server is stopped and the camera released, over serial.
Exit codes as ``snapshot``: 0 saved, 1 camera or Wi-Fi problem (explained), 3 port/REPL problem.
"""
from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path
from thonnycontrib.esp32cam.core.i18n import _, ngettext


def run(args: argparse.Namespace) -> int:
    from thonnycontrib.esp32cam.core import doctor, portcheck
    from thonnycontrib.esp32cam.core.camera import transfer, wifi_stream
    from thonnycontrib.esp32cam.core.camera.jpeg_check import dimensions
    from thonnycontrib.esp32cam.core.camera.devicecode import CameraSettings
    from thonnycontrib.esp32cam.core.camera.problems import CameraProblem
    from thonnycontrib.esp32cam.core.camera.rawrepl import RawRepl, ReplBusy
    from thonnycontrib.esp32cam.core.camera.session import CameraSession
    from thonnycontrib.esp32cam.core.download import write_atomically

    err = lambda text: print(text, file=sys.stderr)  # noqa: E731
    port = args.port[0]
    try:
        ser = doctor.open_serial(port)
    except Exception as e:  # serial.SerialException, OSError, ValueError for bad URLs
        err(portcheck.open_error_diagnosis(port, e, portcheck.list_ports()).to_text())
        return 3
    repl = session = None
    server = False
    try:
        try:
            repl = RawRepl(ser, interrupt=args.interrupt)
            session = CameraSession(repl, args.board, encoding=transfer.RAW)
            info = session.detect()
            session.start(CameraSettings(args.size, args.quality, args.vflip, args.hmirror))
            server = True
            host, http_port = wifi_stream.parse_address(
                repl.exec_text(wifi_stream.start_code(info.family, args.wifi_port), timeout=15))
        except CameraProblem as e:
            err(str(e))
            return 1
        except wifi_stream.NotOnWifi as e:
            err(str(e))
            return 1
        except (ReplBusy, OSError, RuntimeError, ValueError) as e:
            err(_("The connection to the board failed: {error}\nPress RST and try again.").format(error=e))
            return 3
        jpegs = []
        started = time.perf_counter()
        try:
            stream = wifi_stream.MjpegStream(host, http_port)
            try:
                for jpeg in stream.frames():
                    jpegs.append(jpeg)
                    if len(jpegs) >= args.count:
                        break
            finally:
                stream.close()
        except wifi_stream.WifiCameraError as e:
            err(str(e))
            return 1
        elapsed = time.perf_counter() - started
        if not jpegs:
            err(_("The board's camera server at {host}:{port} sent no frame.").format(host=host,
                                                                                    port=http_port))
            return 1
        try:
            dims = dimensions(jpegs[-1])
        except transfer.TransferError as e:
            err(_("The image over Wi-Fi does not decode ({error}); nothing was written.").format(error=e))
            return 1
        write_atomically(Path(args.output), jpegs[-1])
        size = sum(len(j) for j in jpegs)
        print(_("Saved {file}: {dimensions}{size} bytes, {family} driver, over Wi-Fi from "
                "{host}:{port}")
              .format(file=args.output, dimensions=(dims + ", ") if dims else "", size=len(jpegs[-1]),
                      family=info.family, host=host, port=http_port))
        print(ngettext("Wi-Fi, {count} frame, {fps:.1f} frames/s, {speed:.0f} kB/s",
                       "Wi-Fi, {count} frames, {fps:.1f} frames/s, {speed:.0f} kB/s", len(jpegs)).format(
                           count=len(jpegs), fps=len(jpegs) / elapsed, speed=size / elapsed / 1000))
        return 0
    finally:
        if server and repl is not None:
            try:
                repl.exec_text(wifi_stream.stop_code(), timeout=10)
            except Exception:  # the board went away: nothing to stop
                pass
        if session is not None and session.protocol is not None:
            try:
                session.release()
            except Exception:  # the link or the board went away: not worth a word
                pass
        if repl is not None:
            try:
                repl.leave()
            except Exception:
                pass
        doctor.close_serial(ser)
