"""One classifier for port errors: the same cause gets the same advice from
pyserial's exceptions, esptool's output, the back-end, the doctor and the installer."""
from __future__ import annotations

import pytest
import serial

from thonnycontrib.esp32cam.core import diagnosis as dg
from thonnycontrib.esp32cam.core import port_errors as pe
from thonnycontrib.esp32cam.core import portcheck
from thonnycontrib.esp32cam.core.flasher import Flasher, FlashOptions
from thonnycontrib.esp32cam.core import esptool_cmd as ec

ESPTOOL_PERMISSION = ("A fatal error occurred: Could not open /dev/ttyUSB0, the port is busy or doesn't "
                      "exist.\n([Errno 13] could not open port /dev/ttyUSB0: [Errno 13] Permission denied: "
                      "'/dev/ttyUSB0')")


@pytest.mark.parametrize("port, text, platform, kind", [
    ("/dev/ttyUSB0", "[Errno 16] could not open port /dev/ttyUSB0: [Errno 16] Device or resource busy",
     "linux", pe.BUSY),
    ("/dev/ttyUSB0", "Could not exclusively lock port /dev/ttyUSB0: [Errno 11] Resource temporarily "
     "unavailable", "linux", pe.BUSY),
    ("COM7", "could not open port 'COM7': PermissionError(13, 'Access is denied.', None, 5)", "win32", pe.BUSY),
    ("/dev/ttyUSB0", "[Errno 13] could not open port /dev/ttyUSB0: [Errno 13] Permission denied: "
     "'/dev/ttyUSB0'", "linux", pe.PERMISSION),
    ("/dev/ttyUSB0", ESPTOOL_PERMISSION, "linux", pe.PERMISSION),
    ("/dev/ttyUSB9", "[Errno 2] could not open port /dev/ttyUSB9: [Errno 2] No such file or directory: "
     "'/dev/ttyUSB9'", "linux", pe.MISSING),
    ("COM9", "could not open port 'COM9': FileNotFoundError(2, 'The system cannot find the file "
     "specified.', None, 2)", "win32", pe.MISSING),
    ("rfc2217://192.168.1.20", "anything", "linux", pe.MALFORMED_URL),
    ("rfc2217:/192.168.1.20:4000", "[Errno 2] No such file or directory", "linux", pe.MALFORMED_URL),
    ("rfc2217://127.0.0.1:9", "Could not open port rfc2217://127.0.0.1:9: [Errno 111] Connection refused",
     "linux", pe.UNREACHABLE),
    ("rfc2217://127.0.0.1:4000", "Remote does not seem to support RFC2217 or BINARY mode ['we-RFC2217']",
     "linux", pe.SERVER_REFUSED),
    # esptool 4 on a server that serves another client (seen under load: the refusal came
    # after the Telnet options were answered)
    ("rfc2217://127.0.0.1:4000", "A fatal error occurred: Could not open rfc2217://127.0.0.1:4000, the port "
     "is busy or doesn't exist.\n(Remote does not accept parameter change (RFC2217): [baudrate:REQUESTED, "
     "datasize:REQUESTED, parity:REQUESTED, stopsize:REQUESTED])", "linux", pe.SERVER_REFUSED),
])
def test_kinds(port, text, platform, kind):
    assert pe.classify_port_error(port, text, platform=platform).kind == kind


def test_unrelated_text_is_not_a_port_problem():
    assert pe.classify_port_error("/dev/ttyUSB0", "Invalid head of packet (0x2E)", platform="linux") is None


def test_permission_denied_gets_the_dialout_advice_everywhere():
    message = pe.open_error_message("/dev/ttyUSB0", "[Errno 13] Permission denied", 13, "linux")
    assert "dialout" in message and "Another program" not in message
    error = serial.SerialException(13, "could not open port /dev/ttyUSB0: [Errno 13] Permission denied")
    assert portcheck.open_error_diagnosis("/dev/ttyUSB0", error, [], "linux").code == dg.PERMISSION_DENIED
    assert ec.classify(ESPTOOL_PERMISSION, 2, wrote=False, port="/dev/ttyUSB0", platform="linux") \
        == ec.PORT_PERMISSION
    text = Flasher._failure_message(ec.PORT_PERMISSION, False, 460800, FlashOptions(port="/dev/ttyUSB0"))
    assert "permission denied" in text and "dialout" in text and "another program" not in text


def test_malformed_url_is_named_as_such_not_the_brltty_hint():
    message = pe.open_error_message("rfc2217:/192.168.1.20:4000", "[Errno 2] No such file or directory",
                                    2, "linux")
    assert "Malformed network port URL" in message and "brltty" not in message
    d = portcheck.open_error_diagnosis("rfc2217://192.168.1.20", ValueError("bad"), [], "linux")
    assert d.code == dg.PORT_MISSING and "written wrongly" in d.detail and "brltty" not in d.fix


def test_doctor_names_a_malformed_url_before_trying_it():
    from thonnycontrib.esp32cam.core import doctor

    d = doctor.diagnose("rfc2217:/192.168.1.20:4000", ports=[], platform="linux")
    assert d.code == dg.PORT_MISSING and "written wrongly" in d.detail
    assert "brltty" not in d.fix and "Malformed network port URL" in d.fix
