"""``python -m thonnycontrib.esp32cam flash --port PORT (--build ID | --file PATH) ...``

Exit codes: 0 = written and verified; 1 = flashing failed; 3 = the board must
be put into download mode by hand (rerun with ``--manual-boot``); 4 = image
or download refused (also: an ESP32-S3 whose chip or PSRAM does not fit the
build, or the board answered as another chip, or its files would be erased without
``--yes``/``--backup-files`` on several boards, or could not be copied); 5 = esptool missing;
2 = bad ports, or no terminal to confirm on (pass ``--yes``). After a failed write the board
is reset out of download mode, and the message says what it does then.

The board is read before anything is written (``core/reinstall.py``): only the regions that
differ are written, and the board's files are kept when the new build's filesystem is where
the board's is. When it is not, that is said before writing, and the files are erased only
after a yes (or ``--yes``); ``--backup-files DIR`` copies them first. ``--erase`` erases the
whole flash and writes the whole image, as before.

Several boards (``--port A --port B``, ``--all``): the image is fetched and
checked once, then every board is written in parallel, each by its own esptool
with its own baud fallback; exit code 0 only when all succeeded (else the
first failed board's code).
"""
from __future__ import annotations

import argparse
import sys
from typing import List, Optional

from thonnycontrib.esp32cam.commands.catalog import thonny_user_dir
from thonnycontrib.esp32cam.core.catalog import CatalogError, load_catalog
from thonnycontrib.esp32cam.core.download import DownloadError, firmware_cache, installer_dir
from thonnycontrib.esp32cam.core.esptool_cmd import EsptoolMissing, find_esptool
from thonnycontrib.esp32cam.core.flasher import FLASH_TOO_SMALL, PSRAM_MISMATCH, WRONG_CHIP, FlashOptions
from thonnycontrib.esp32cam.core.image import MB, ImageError
from thonnycontrib.esp32cam.core.install import BACKUP_FAILED, FILES_AT_RISK, Installer
from thonnycontrib.esp32cam.core.prepare import prepare_build, prepare_file
from thonnycontrib.esp32cam.core.flash_messages import without_retry
from thonnycontrib.esp32cam.core.i18n import _


def add_arguments(parser: argparse.ArgumentParser) -> None:
    from thonnycontrib.esp32cam.commands import multiboard

    multiboard.add_arguments(parser, timeout=300.0)
    source = parser.add_mutually_exclusive_group(required=True)
    source.add_argument("--build", metavar="ID", help=_(
            "catalog build id (see the 'catalog' command)"))
    source.add_argument("--file", metavar="PATH", help=_("local firmware image (.bin)"))
    parser.add_argument("--chip", choices=["esp32", "esp32s3"],
                        help=_("target chip (default: the build's chip, or the one the image's "
                               "header names; the board is asked before writing)"))
    parser.add_argument("-b", "--baud", type=int, help=_(
            "pin the baud rate (default: the fastest rate the adapter carries, one rate lower "
            "at a time when writes fail)"))
    parser.add_argument("--erase", action="store_true", help=_(
            "erase the whole flash first and write the whole image (deletes the board's files)"))
    parser.add_argument("--no-erase", action="store_true", help=_(
            "(the default) do not erase the whole flash: the board is read first, only what "
            "differs is written, and its files are kept when the new build's filesystem is "
            "where the old one's is"))
    parser.add_argument("--backup-files", metavar="DIR", help=_(
            "when the install would erase the board's files (another partition layout), copy "
            "them into DIR first"))
    parser.add_argument("--manual-boot", action="store_true", help=_("the board is already in "
                        "download mode (IO0 held low, RST tapped): do not reset it"))
    parser.add_argument("--flash-size", type=int, default=4, metavar="MB",
                        help=_("board flash size for the size check (default 4)"))
    parser.add_argument("--mirror", metavar="DIR", help=_("folder of verified <sha256>.bin images "
                        "consulted before downloading (also $ESP32CAM_FIRMWARE_MIRROR)"))
    parser.add_argument("--ignore-psram", action="store_true", help=_("ESP32-S3: write even if the "
                        "build's PSRAM mode (octal/quad) does not match the board's"))
    parser.add_argument("--usb-jtag", action="store_true", help=_("the board is on the chip's own "
                        "USB-Serial/JTAG (detected from a real port's VID/PID; needed for URLs)"))
    parser.add_argument("--yes", "-y", action="store_true", help=_("do not ask for confirmation"))


def _progress_printer(label: str):
    last = [-1]

    def show(done: int, total) -> None:
        if total:
            percent = int(done * 100 / total)
            if percent // 10 != last[0]:
                last[0] = percent // 10
                print(_("{label}: {percent} %").format(label=label, percent=percent), file=sys.stderr)
    return show


def _prepare(args: argparse.Namespace, user_dir: str, quiet: bool = False):
    """The verified image (downloaded once for every board), or raises."""
    flash_size = args.flash_size * MB
    say = (lambda *a, **k: None) if quiet else print
    if args.build:
        build = load_catalog(installer_dir(user_dir)).get(args.build)
        if args.chip and args.chip != build.chip:
            raise ImageError(_("Build {id} is for {chip}, not {wanted}.").format(
                id=build.id, chip=build.chip, wanted=args.chip))
        say(_("Getting {title} ...").format(title=build.title))
        return prepare_build(build, firmware_cache(user_dir, args.mirror), flash_size=flash_size,
                             progress=None if quiet else _progress_printer(_("Download")),
                             log=lambda text: print(text, file=sys.stderr))
    return prepare_file(args.file, args.chip, flash_size=flash_size)


def run(args: argparse.Namespace) -> int:
    from thonnycontrib.esp32cam.commands import multiboard

    if multiboard.is_multi(args):
        return _run_many(args)
    args.port = args.port[0]
    return _run_one(args)


def _run_one(args: argparse.Namespace) -> int:
    user_dir = thonny_user_dir()
    flash_size = args.flash_size * MB
    try:
        if args.build:
            build = load_catalog(installer_dir(user_dir)).get(args.build)
            if args.chip and args.chip != build.chip:
                print(_("Build {id} is for {chip}, not {wanted}.").format(
                    id=build.id, chip=build.chip, wanted=args.chip), file=sys.stderr)
                return 4
            print(_("Getting {title} ...").format(title=build.title))
            prepared = prepare_build(build, firmware_cache(user_dir, args.mirror),
                                     flash_size=flash_size, progress=_progress_printer(_(
                                             "Download")),
                                     log=lambda text: print(text, file=sys.stderr))
        else:
            prepared = prepare_file(args.file, args.chip, flash_size=flash_size)
    except (CatalogError, DownloadError, ImageError) as e:
        print(_("Refused: {reason}\nNothing was written to the board.").format(reason=e), file=sys.stderr)
        return 4
    print(prepared.summary())
    options = FlashOptions(port=args.port, chip=prepared.chip, erase=args.erase,
                           baud=args.baud, manual_boot=args.manual_boot,
                           psram_mode=prepared.info.psram_mode, check_board=not args.ignore_psram,
                           usb_jtag=True if args.usb_jtag else None,
                           work_dir=str(firmware_cache(user_dir, args.mirror).dir))
    tool = _esptool_or_none()
    if tool is None:
        return 5
    print(_("Using esptool {version}").format(version=".".join(map(str, tool.version))))
    installer = Installer(tool, on_line=print)

    def read_ask_write():
        """Read the board, ask (saying what happens to its files), write: the report, or an exit code."""
        # with --yes nothing is asked between the read and the write: the board stays in esptool's stub
        survey = None if options.erase else installer.survey(prepared, options, keep_stub=args.yes)
        erase_files = _erase_files_asked(args, options, survey)
        if not isinstance(erase_files, bool):  # an exit code: nothing written
            return erase_files
        return installer.run(prepared, options, survey=survey, erase_files=erase_files,
                             backup_dir=args.backup_files)

    report = read_ask_write()
    if isinstance(report, int):
        return report
    if report.flash.needs_download_mode and not args.yes:  # offer the retry without reset
        print(without_retry(report.flash.message, _(
            "Then press Enter: the installer will not try to reset the board this time.")))
        try:
            input(_("Press Enter when the board is in download mode (Ctrl+C to stop)… "))
        except EOFError:
            pass
        else:
            options.manual_boot = True
            report = read_ask_write()  # the board could not be read before: now it is, and asked about
            if isinstance(report, int):
                return report
    result = report.flash
    if not result.ok:
        print(result.message, file=sys.stderr)
        if result.outcome in (PSRAM_MISMATCH, WRONG_CHIP, FLASH_TOO_SMALL, FILES_AT_RISK, BACKUP_FAILED):
            if result.outcome == PSRAM_MISMATCH:
                print(_("To write it anyway, add --ignore-psram."), file=sys.stderr)
            return 4
        if result.needs_download_mode:
            print(_("Then run the same command again with --manual-boot."), file=sys.stderr)
            return 3
        return 1
    print(result.message)
    if report.manual_boot:
        print(_("Remove the IO0-GND jumper (or release IO0) and tap RST to start the new "
                "firmware."))
        return 0
    check = report.check
    if report.started:
        print(_("Board started: {banner} ({camera})").format(banner=check.banner,
                                                             camera=check.camera_summary))
        if check.hardware_summary:
            print(_("MicroPython reports: {hardware}").format(hardware=check.hardware_summary))
    else:
        print(report.not_started_message())
    for warning in report.warnings:
        print(warning, file=sys.stderr)
    return 0


NOT_A_TERMINAL = 2  # exit code: asked to confirm without a terminal to answer on


def _erase_files_asked(args: argparse.Namespace, options: FlashOptions, survey):
    """Ask before writing, saying what happens to the board's files. True/False: whether
    they may be erased (the install goes on); an int: the exit code (nothing written)."""
    plan = survey.plan if survey is not None and survey.ok else None
    at_risk = plan is not None and plan.files_at_risk
    if at_risk:
        print(plan.message, file=sys.stderr)
        print(_("They are copied into {folder} first.").format(folder=args.backup_files)
              if args.backup_files else
              _("To copy them to this computer first, add --backup-files DIR."), file=sys.stderr)
    if args.yes or (survey is not None and not survey.ok):  # a board that could not be read: the
        return at_risk                                      # run says why, nothing is written
    if at_risk:
        question = _("Erase the board's files and write this firmware to {port}?").format(port=args.port)
    elif options.erase:
        question = _("Write this firmware to {port} after erasing the whole flash (and the board's "
                     "files)?").format(port=args.port)
    elif plan.nothing_to_write:
        return False
    else:
        question = _("Write {kb} KB of this firmware to {port}?").format(
            kb=plan.written_bytes() // 1024, port=args.port)
    refused = _ask(question)
    return at_risk if refused is None else refused


def _confirmed(question: str) -> Optional[bool]:
    """Ask before writing; "Nothing written." unless the answer is yes. None when nobody can
    answer: stdin ends without a line (a script, ``| tee``, cron, ``< /dev/null``)."""
    try:
        answer = input(question + " " + _("[y/N]") + " ")
    except EOFError:
        if sys.stdin is not None and sys.stdin.isatty():  # Ctrl-D at the question: a no
            answer = ""
        else:
            print("\n" + _("stdin is not a terminal: pass --yes to write without asking. Nothing "
                          "written."), file=sys.stderr)
            return None
    # "y"/"yes" in every language; the translated words too (e.g. "j"/"ja")
    if answer.strip().lower() in ("y", "yes", _("y"), _("yes")):
        return True
    print(_("Nothing written."))
    return False


def _ask(question: str) -> Optional[int]:
    """None to go on; else the exit code (1 declined, 2 no terminal to ask on)."""
    answer = _confirmed(question)
    return None if answer else (NOT_A_TERMINAL if answer is None else 1)


def _esptool_or_none():
    """The esptool Thonny would use (its plug-in folder too), or None with the reason on stderr."""
    try:
        return find_esptool(sys.executable, plugin_site_dirs())
    except EsptoolMissing as e:
        print(e, file=sys.stderr)
        return None


def plugin_site_dirs() -> List[str]:
    """Thonny's plug-in site-packages (where its plug-in manager installs esptool), if Thonny is there."""
    try:
        import thonny  # public API: get_sys_path_directory_containg_plugins (4.1, 5.0, dev head)

        return [thonny.get_sys_path_directory_containg_plugins()]
    except Exception:  # no Thonny, or one without that function: the plain Python's esptool
        return []


def _run_many(args: argparse.Namespace) -> int:
    from thonnycontrib.esp32cam.commands import multiboard
    from thonnycontrib.esp32cam.core import classroom as cr

    ports = multiboard.ports_or_none(args)
    if ports is None:
        return 2
    quiet = bool(args.json)
    try:
        prepared = _prepare(args, thonny_user_dir(), quiet=quiet)
    except (CatalogError, DownloadError, ImageError) as e:
        print(_("Refused: {reason}\nNothing was written to any board.").format(reason=e), file=sys.stderr)
        return 4
    if not quiet:
        print(prepared.summary())
    offset = FlashOptions(port="", chip=prepared.chip).start_offset()
    if args.erase:
        question = _("Write this firmware at {offset} to {count} boards ({ports}) after erasing "
                     "their whole flash?")
    elif args.backup_files:
        question = _("Write this firmware at {offset} to {count} boards ({ports})? A board whose "
                     "partition layout differs has its files erased (copied into {folder} first).")
    else:
        question = _("Write this firmware at {offset} to {count} boards ({ports})? A board whose "
                     "partition layout differs has its files erased.")
    refused = None if args.yes else _ask(question.format(
        offset=f"{offset:#x}", count=len(ports), ports=", ".join(ports), folder=args.backup_files))
    if refused is not None:
        return refused
    tool = _esptool_or_none()
    if tool is None:
        return 5
    if not quiet:
        print(_("Using esptool {version}").format(version=".".join(map(str, tool.version))))
    firmware = prepared.build.id if prepared.build else prepared.path.name

    def prepare_board(board: cr.BoardRun) -> None:
        board.firmware, board.sha256 = firmware, prepared.info.sha256

    job = cr.FlashJob(tool, prepared, erase=args.erase, baud=args.baud, erase_files=True,
                      backup_dir=args.backup_files,
                      manual_boot=args.manual_boot, check_psram=not args.ignore_psram,
                      work_dir=str(firmware_cache(thonny_user_dir(), args.mirror).dir))

    return multiboard.run_many(args, ports, job, "flash", prepare=prepare_board)
