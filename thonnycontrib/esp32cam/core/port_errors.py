"""One classifier for "this port cannot be opened", whoever reports it.

pyserial's exceptions (raised in the back-end, the doctor, the post-flash
check, ``snapshot``) and esptool's fatal-error text all go through
:func:`classify_port_error`, so the same cause gets the same advice everywhere.
The texts matched are pyserial 3.5's (serialposix.py: "could not open port
{port}: {error}", "could not exclusively lock port"; serialwin32.py:
PermissionError(13, 'Access is denied.') for a port another program holds;
rfc2217.py: "Remote does not seem to support RFC2217 or BINARY mode", and "Remote
does not accept parameter change (RFC2217)" from a server that answered the Telnet
options but not the port settings) and
esptool 4.7-5.x's ("Could not open {port}, the port is busy or doesn't exist.",
followed by pyserial's text in parentheses).
"""
from __future__ import annotations

import errno as errno_codes
import re
import sys
from dataclasses import dataclass
from typing import Optional

from thonnycontrib.esp32cam.core.ports import check_port_text, is_url_port
from thonnycontrib.esp32cam.core.i18n import N_, _

BUSY = "busy"                   # another program holds the port
PERMISSION = "permission"       # the OS refuses this user
MISSING = "missing"             # no such device (unplugged, renamed, no driver)
MALFORMED_URL = "malformed_url"  # a network port written wrongly
UNREACHABLE = "unreachable"     # nothing answers at a network address
SERVER_REFUSED = "server_refused"  # a network serial server turned us away

_ERRNO_RE = re.compile(r"\[Errno (\d+)\]|PermissionError\((\d+)|OSError\((\d+)")


@dataclass(frozen=True)
class PortProblem:
    kind: str
    advice: str  # what the user should do, one or two sentences


def _errno_in(text: str) -> Optional[int]:
    found = _ERRNO_RE.search(text)
    if not found:
        return None
    return int(next(g for g in found.groups() if g))


def malformed_port(port: str) -> Optional[str]:
    """Why a port name that tries to be a URL is not a usable one (None when fine)."""
    if re.match(r"^[a-z][a-z0-9+.\-]*:/", port.strip(), re.IGNORECASE):
        _ok, error = check_port_text(port)
        return error
    return None


def classify_port_error(port: str, text: str, errno: Optional[int] = None,
                        platform: str = sys.platform) -> Optional[PortProblem]:
    """The kind of port problem in an error text (exception or tool output), or None
    when the text is not about opening the port."""
    low = text.lower()
    code = errno if errno is not None else _errno_in(text)
    url_error = malformed_port(port)
    if url_error:
        return PortProblem(MALFORMED_URL, _("Malformed network port URL: {error}").format(error=url_error))
    if is_url_port(port):
        if any(s in low for s in ("refused", "timed out", "getaddrinfo", "name or service",
                                  "could not open port", "no route")):
            return PortProblem(UNREACHABLE, _("Nothing answers at that network address: check the "
                                              "address and that the serial server (an RFC 2217 "
                                              "bridge such as esp_rfc2217_server or ser2net) is "
                                              "running."))
        if any(s in low for s in ("closed", "reset by peer", "eof", "broken pipe",
                                  "does not seem to support rfc2217", "binary mode",
                                  "does not accept parameter change")):
            return PortProblem(SERVER_REFUSED, _("The serial server turned the connection away: it "
                                                 "already serves another client, or it does not "
                                                 "speak RFC 2217 (then try socket://HOST:PORT)."))
        return None
    if "could not exclusively lock" in low or code == errno_codes.EBUSY or "resource busy" in low \
            or "temporarily unavailable" in low:
        return PortProblem(BUSY, _(_BUSY_ADVICE))
    if "access is denied" in low or (platform.startswith("win") and code == errno_codes.EACCES):
        # Windows says "Access is denied" for a port that another program holds.
        return PortProblem(BUSY, _(_BUSY_ADVICE))
    if code == errno_codes.EACCES or "permission denied" in low:
        if platform.startswith("linux"):
            advice = _("Your user may not open serial ports. Add yourself to the 'dialout' group: "
                       "sudo usermod -a -G dialout $USER, then log out and in again.")
        else:
            advice = _("The system does not let your user open this port: check its permissions.")
        return PortProblem(PERMISSION, advice)
    if code == errno_codes.ENOENT or any(s in low for s in ("no such file", "filenotfounderror",
                                                            "cannot find the file", "doesn't exist",
                                                            "does not exist")):
        advice = _("The port does not exist: plug the adapter in (with a data cable) and choose "
                   "its port.")
        if platform.startswith("linux"):
            advice += " " + _("If a CH340 port vanishes right after plugging in, the brltty "
                              "service took it: sudo apt remove brltty.")
        return PortProblem(MISSING, advice)
    return None


_BUSY_ADVICE = N_("Another program has the port open (a serial monitor, esptool, mpremote, another "
                "Thonny): close it or disconnect it there, then retry.")


def open_error_message(port: str, error: str, errno: Optional[int] = None,
                       platform: str = sys.platform) -> str:
    """What to tell the user when ``port`` cannot be opened (pyserial's text in ``error``)."""
    # The first line stays in English: it is Thonny's own (untranslated) wording for this
    # failure (thonny/plugins/micropython/serial_connection.py), which bootlog.CONNECT_FAILED
    # recognises in the Shell; the advice after it is translated.
    problem = classify_port_error(port, error, errno, platform)
    if problem is None:
        return f"Unable to connect to {port}: {error}"
    if problem.kind == MISSING:
        return f"Unable to connect to {port}: port not found.\n\n{problem.advice}"
    return f"Unable to connect to {port}: {error}\n\n{problem.advice}"
