"""Reading the board before an install (``core/board_survey.py`` as an esptool subprocess):
at the adapter's top rate first, a lower one when data is garbled, as the write does."""
from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, List, Optional

from thonnycontrib.esp32cam.core import esptool_cmd as ec
from thonnycontrib.esp32cam.core import fastlink, usbjtag
from thonnycontrib.esp32cam.core import flash_messages as fm
from thonnycontrib.esp32cam.core.board_survey import MARK, hashes_digest
from thonnycontrib.esp32cam.core.esptool_run import EsptoolRunner
from thonnycontrib.esp32cam.core.reinstall import BoardSurvey, Plan, image_md5s, plan_install, regions
from thonnycontrib.esp32cam.core.i18n import _

PACKAGE_ROOT = str(Path(__file__).resolve().parents[3])  # the folder holding thonnycontrib/


@dataclass
class SurveyResult:
    survey: Optional[BoardSurvey]
    outcome: str                 # esptool_cmd outcome kind (OK when survey is not None), or "cancelled"
    baud: Optional[int] = None
    message: str = ""            # why the board could not be read
    log: List[str] = field(default_factory=list)
    plan: Optional[Plan] = None
    refused: Any = None          # core.flasher.FlashResult: the S3 check before the read refused the image
    stub_waiting: bool = False   # esptool's stub was left running at 115200 (``keep_stub``)

    @property
    def ok(self) -> bool:
        return self.survey is not None


class Surveyor:
    """One read of the board; ``cancel()`` may be called from another thread."""

    def __init__(self, esptool: ec.Esptool, on_line: Callable[[str], None] = lambda s: None) -> None:
        self.esptool = esptool
        self.on_line = on_line
        self._log: List[str] = []
        env = dict(esptool.env)  # this package importable in esptool's Python, wherever it is installed
        env["PYTHONPATH"] = os.pathsep.join(dict.fromkeys(
            [PACKAGE_ROOT] + [p for p in env.get("PYTHONPATH", "").split(os.pathsep) if p]))
        self._runner = EsptoolRunner(env, self._say, lambda p: None)

    def cancel(self) -> None:
        self._runner.cancel()

    def _say(self, text: str) -> None:
        if text.startswith(MARK):  # the survey's data: read from the run's output, not shown
            return
        self._log.append(text)
        self.on_line(text)

    def _rates(self, options) -> List[int]:
        if options.manual_boot:
            return [115200]  # the stub stays at this rate for the write that follows
        if options.baud:
            return [options.baud]
        return list(options.bauds) if options.bauds else fastlink.flash_rates(options.port)[1]

    def survey(self, image: bytes, options, keep_stub: bool = False) -> SurveyResult:
        """Read the board for writing ``image`` with ``options`` (core.flasher.FlashOptions),
        and plan the install. ``keep_stub``: a write follows at once, so the board is left in
        esptool's stub for it (not on the chip's USB-Serial/JTAG, whose reset re-enumerates)."""
        keep_stub = keep_stub and not options.manual_boot and not options.on_usb_jtag()
        header = bool(options.flash_mode or options.flash_size or options.flash_freq)
        expected = image_md5s(image, options.start_offset())
        reset_if = None if header else hashes_digest(expected)  # a new header is written anyway
        self._log = []
        self._runner.reset()
        offset = options.start_offset()
        new_fs = _image_filesystem(image, offset)
        self._say(_("Reading what the board holds (partition table, files, a hash per 64 KB); "
                    "nothing is written..."))
        rates = self._rates(options)
        serial_number = getattr(usbjtag.port_info(options.port), "serial_number", None)
        for index, baud in enumerate(rates):
            cmd = self.esptool.survey_command(
                port=options.port, chip=options.chip, baud=baud, md5=regions(offset, len(image)),
                probes=[new_fs] if new_fs is not None else [], manual_boot=options.manual_boot,
                usb_reset=options.on_usb_jtag(), keep_stub=keep_stub, reset_if=reset_if)
            out = self._runner.run(cmd)
            survey = BoardSurvey.from_output(out.text) if out.returncode == 0 else None
            if survey is not None:
                if options.on_usb_jtag() and not options.manual_boot:  # the reset re-enumerated it
                    options.port = usbjtag.wait_for_port(options.port, timeout=10,
                                                         serial_number=serial_number) or options.port
                plan = plan_install(image, offset, survey, header_changed=header)
                self._say(plan.message)
                waiting = keep_stub and not (reset_if and survey.md5 == expected)  # else board_survey reset it
                return SurveyResult(survey, ec.OK, baud, log=self._log, plan=plan, stub_waiting=waiting)
            if self._runner.cancelled:
                return SurveyResult(None, "cancelled", baud, _(
                        "Cancelled while reading the board: nothing was written."), log=self._log)
            outcome = ec.classify(out.text, out.returncode, False, port=options.port)
            if outcome != ec.LINK_FAILURE or index == len(rates) - 1:
                message = fm.failure_message(outcome, False, baud, options, out.text)
                return SurveyResult(None, outcome, baud, message, log=self._log)
            self._say(_(fm.RETRY_READ).format(
                baud=rates[index + 1], previous=baud))
        raise AssertionError("unreachable")


def _image_filesystem(image: bytes, offset: int) -> Optional[int]:
    from thonnycontrib.esp32cam.core import partitions as pt

    part = pt.filesystem(pt.image_table(image, offset), 1 << 32)  # where, whatever the flash size
    return part.offset if part is not None else None
