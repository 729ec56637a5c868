"""`python -m tests.virtualboard [options]`: run a virtual ESP32-CAM until SIGINT/SIGTERM.

Prints the URL (or the pty path with --pty) as the first stdout line; events go
to stderr, one per line.
"""
from __future__ import annotations

import argparse
import signal
import sys
import time
from typing import List, Optional

from .board import VirtualBoard
from .uart import ADAPTER_MODELS
from .images import synthetic_firmware
from .sccb import MODELS as SENSOR_MODELS
from .wifi import DEFAULT_RSSI, parse_cli as parse_wifi
from .wiring import WIRINGS

FIRMWARE_CHOICES = ("lemariva", "kaki5", "cnadler86", "official", "blank")


def parse_args(argv: Optional[List[str]] = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m tests.virtualboard", description=__doc__)
    parser.add_argument("--chip", choices=("esp32", "esp32s3"), default="esp32",
                        help="esp32 (ESP32-CAM, 4 MB flash) or esp32s3 (S3 camera board, 8 MB flash)")
    parser.add_argument("--psram-mode", choices=("octal", "quad"), default="octal",
                        help="ESP32-S3 only: in-package PSRAM of the module (N8R8 octal, N8R2 quad)")
    parser.add_argument("--usb", action="store_true",
                        help="ESP32-S3 only: connected through the chip's own USB-Serial/JTAG, not a USB-UART bridge")
    parser.add_argument("--wiring", choices=WIRINGS, default="classic",
                        help="how DTR/RTS reach EN/IO0 (default: classic auto-reset circuit)")
    parser.add_argument("--firmware", choices=FIRMWARE_CHOICES,
                        help="write a small synthetic image at 0x1000 first (blank = erase the flash)")
    parser.add_argument("--flash", metavar="FILE", help="persistent 4 MiB flash image (default: temporary)")
    parser.add_argument("--no-psram", action="store_true", help="the board's PSRAM does not answer")
    parser.add_argument("--brownout", action="store_true", help="weak supply: brownout reset loop")
    parser.add_argument("--camera-missing", action="store_true", help="no camera sensor on the ribbon")
    parser.add_argument("--sensor", choices=sorted(SENSOR_MODELS), default="OV2640",
                        help="the camera module's image sensor (default OV2640)")
    parser.add_argument("--max-baud", type=int, metavar="N", help="adapter garbles bytes above N baud")
    parser.add_argument("--adapter", choices=sorted(ADAPTER_MODELS),
                        help="USB-serial adapter model: garbles above its own maximum rate")
    parser.add_argument("--weak-after", type=int, metavar="BYTES",
                        help="with --max-baud: only bytes past this many of a continuous transfer are garbled")
    parser.add_argument("--drop-after", type=int, metavar="BYTES",
                        help="drop the connection after this many bytes from the client")
    parser.add_argument("--line-rate", choices=("real", "unlimited"), default="real",
                        help="real: no faster than the baud rate (default)")
    parser.add_argument("--en-delay", type=float, default=0.1, metavar="S", help="EN RC delay (default 0.1 s)")
    parser.add_argument("--pty", action="store_true", help="serve on a pseudo-terminal (no DTR/RTS)")
    parser.add_argument("--flash-timing", choices=("real", "fast"), default="real",
                        help="real: erase and program take the flash chip's time (chip erase 10 s)")
    parser.add_argument("--mac", metavar="XX:XX:XX:XX:XX:XX",
                        help="the chip's factory MAC in eFuse (default 24:0a:c4:5c:a3:01)")
    parser.add_argument("--wifi", action="append", metavar="SSID=PASSWORD",
                        help="an access point the board's radio hears (repeatable; SSID= for an open network)")
    parser.add_argument("--wifi-5ghz", action="append", metavar="SSID=PASSWORD",
                        help="a 5 GHz access point: the ESP32 (2.4 GHz only) never sees it")
    parser.add_argument("--wifi-rssi", type=int, default=DEFAULT_RSSI, metavar="DBM",
                        help=f"signal strength of the access points (default {DEFAULT_RSSI} dBm)")
    parser.add_argument("--wifi-lan", choices=("home", "loopback"), default="home",
                        help="home: the board is 192.168.1.N, its servers mapped to free loopback ports; "
                        "loopback: it is 127.X.Y.N, reached at the address and port it reports (as on a LAN)")
    parser.add_argument("--tty-open", choices=("none", "linux"), default="none",
                        help="linux: DTR and RTS asserted from each open until the client sets them")
    return parser.parse_args(argv)


def main(argv: Optional[List[str]] = None) -> int:
    args = parse_args(argv)
    firmware = None
    if args.firmware and args.firmware != "blank":
        firmware = synthetic_firmware(None if args.firmware == "official" else args.firmware, chip=args.chip)
    stop = []
    signal.signal(signal.SIGTERM, lambda *_: stop.append(1))
    signal.signal(signal.SIGINT, lambda *_: stop.append(1))
    board = VirtualBoard(wiring=args.wiring, firmware=firmware, flash_path=args.flash,
                         chip=args.chip, usb=args.usb, psram=(args.psram_mode if args.chip == "esp32s3" else True)
                         if not args.no_psram else False, brownout=args.brownout,
                         camera_missing=args.camera_missing, sensor=args.sensor, max_baud=args.max_baud,
                         weak_after=args.weak_after,
                         drop_after=args.drop_after, line_rate=args.line_rate,
                         en_delay=args.en_delay, mode="pty" if args.pty else "rfc2217",
                         erase_flash=args.firmware == "blank", tty_open=args.tty_open, flash_timing=args.flash_timing,
                         adapter=args.adapter, mac=args.mac,
                         wifi=parse_wifi(args.wifi, args.wifi_5ghz) if (args.wifi or args.wifi_5ghz) else None,
                         wifi_rssi=args.wifi_rssi, wifi_lan=args.wifi_lan,
                         on_event=lambda event: print(event, file=sys.stderr, flush=True))
    try:
        print(board.url, flush=True)
        while not stop:
            time.sleep(0.1)
    finally:
        board.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
