"""The camera session's raw-REPL protocol against the chip's 259-byte stdin ring.

The session submits its helper code (several KB), then camera commands between
frames; the board must never have to hold more than its ring while code runs
(no `rx_overflow` event), with raw-paste and with the plain raw REPL fallback.
"""
from __future__ import annotations

import pytest

from tests.virtualboard import VirtualBoard, synthetic_firmware
from thonnycontrib.esp32cam.core import doctor
from thonnycontrib.esp32cam.core.camera.devicecode import CameraSettings
from thonnycontrib.esp32cam.core.camera.rawrepl import RawRepl
from thonnycontrib.esp32cam.core.camera.session import CameraSession


@pytest.mark.parametrize("raw_paste", [None, False])
@pytest.mark.parametrize("family", ["lemariva", "cnadler86"])
def test_camera_session_stays_within_the_stdin_ring(family, raw_paste):
    with VirtualBoard(firmware=synthetic_firmware(family=family), line_rate="real") as board:
        board.events.wait_for("firmware_started", timeout=20)
        ser = doctor.open_serial(board.url)
        try:
            repl = RawRepl(ser)
            repl.raw_paste = raw_paste  # False: the plain raw REPL, as on firmware without raw-paste
            session = CameraSession(repl)
            mark = board.events.mark()
            assert session.detect().family == family
            session.start(CameraSettings("QQVGA", 50))
            sizes = []
            for quality in (10, 50, 90):
                session.apply(CameraSettings("QQVGA", quality, hmirror=quality > 50))
                sizes.append(len(session.capture().jpeg))
            session.release()
            repl.leave()
        finally:
            doctor.close_serial(ser)
        assert all(size > 0 for size in sizes)
        assert len(board.events.all("camera_frame", since=mark)) >= 3
        assert board.events.all("rx_overflow", since=mark) == []
