"""Serial ports for ESP32-CAM boards (pure: no Tk, no Thonny).

Which USB adapters ESP32-CAM programmers use, how to recognise network serial
ports (``rfc2217://host:port``, ``socket://host:port``) and how to label them.
"""
from __future__ import annotations

import re
from typing import Dict, FrozenSet, Optional, Tuple
from thonnycontrib.esp32cam.core.i18n import _

# (VID, PID) -> adapter name. Covers the ESP32-CAM-MB (CH340), the usual
# loose adapters (CH340/CH341/CH9102, CP210x, FTDI) and FTDI's multi-port chips.
ADAPTERS: Dict[Tuple[int, int], str] = {
    (0x1A86, 0x7523): "CH340",
    (0x1A86, 0x5523): "CH341",
    (0x1A86, 0x55D4): "CH9102",
    (0x1A86, 0x55D3): "CH343",
    (0x10C4, 0xEA60): "CP210x",
    (0x10C4, 0xEA70): "CP2105",
    (0x10C4, 0xEA71): "CP2108",
    (0x0403, 0x6001): "FT232R",
    (0x0403, 0x6010): "FT2232",
    (0x0403, 0x6011): "FT4232",
    (0x0403, 0x6014): "FT232H",
    (0x0403, 0x6015): "FT-X",
}

ADAPTER_VIDS_PIDS: FrozenSet[Tuple[int, int]] = frozenset(ADAPTERS)

URL_SCHEMES = ("rfc2217", "socket", "loop", "spy")
_URL_RE = re.compile(r"^(?P<scheme>[a-z0-9]+)://(?P<rest>.*)$", re.IGNORECASE)
_CAMERA_WORDS = ("esp32-cam", "esp32cam", "esp32 cam", "camera", "ov2640")


def adapter_name(vid: Optional[int], pid: Optional[int]) -> Optional[str]:
    """Name of a known ESP32-CAM programming adapter, or None."""
    if vid is None or pid is None:
        return None
    return ADAPTERS.get((vid, pid))


def is_url_port(port: Optional[str]) -> bool:
    """True for pyserial URL ports such as ``rfc2217://host:4000``."""
    if not port:
        return False
    match = _URL_RE.match(port.strip())
    return bool(match) and match.group("scheme").lower() in URL_SCHEMES


def describes_camera_board(description: Optional[str]) -> bool:
    """True when a port's USB description names a camera board (e.g. 'ESP32-CAM-MB')."""
    lowered = (description or "").lower()
    return any(word in lowered for word in _CAMERA_WORDS)


def check_port_text(text: str) -> Tuple[Optional[str], Optional[str]]:
    """Validate a port typed by the user: returns ``(port, None)`` or ``(None, error)``.

    Accepted: ``auto``, a URL with a supported scheme and ``host:port``, or a
    device name (``COM5``, ``/dev/ttyUSB0``, ``/dev/cu.usbserial-10``).
    """
    text = (text or "").strip()
    if not text:
        return None, _("Choose a port, or type a network port such as rfc2217://192.168.1.20:4000.")
    if text == "auto":
        return text, None
    match = _URL_RE.match(text)
    if match:
        scheme = match.group("scheme").lower()
        if scheme not in URL_SCHEMES:
            return None, _(
                "'{scheme}://' is not a serial port URL. Use rfc2217://HOST:PORT "
                "(e.g. esp_rfc2217_server, ser2net) or socket://HOST:PORT."
            ).format(scheme=scheme)
        if scheme in ("rfc2217", "socket") and not re.match(r"^[^:/\s]+:\d{1,5}(/.*)?$|^\[[^\]]+\]:\d{1,5}", match.group("rest")):
            return None, _("'{text}' needs a host and a port number, e.g. "
                           "{scheme}://192.168.1.20:4000.").format(
                text=text, scheme=scheme)
        return text, None
    if re.match(r"^(COM\d+|/dev/\S+|\\\\\.\\COM\d+)$", text, re.IGNORECASE):
        return text, None
    return None, _(
        "'{text}' is neither a serial device (COM5, /dev/ttyUSB0) nor a network "
        "port URL (rfc2217://HOST:PORT)."
    ).format(text=text)


def url_port_label(url: str) -> str:
    """Human label for a network serial port."""
    match = _URL_RE.match(url)
    if not match:
        return url
    scheme = match.group("scheme").lower()
    kind = {"rfc2217": _("Network serial (RFC 2217)"), "socket": _(
            "Raw TCP serial")}.get(scheme, scheme)
    return f"{kind} @ {match.group('rest')}"


# Network serial ports that count as detected boards (a classroom's ser2net or
# esp_rfc2217_server rack): URLs separated by spaces, commas or os.pathsep.
NETWORK_PORTS_ENV = "ESP32CAM_NETWORK_PORTS"


def network_ports_from_env(environ: Optional[Dict[str, str]] = None) -> Tuple[str, ...]:
    """The valid URLs of ``$ESP32CAM_NETWORK_PORTS`` (invalid words raise ValueError)."""
    import os

    raw = (os.environ if environ is None else environ).get(NETWORK_PORTS_ENV, "")
    urls = []
    for word in re.split(r"[\s,;]+", raw.strip()):
        if not word:
            continue
        port, error = check_port_text(word)
        if error or not is_url_port(port):
            why = error or _("{word!r} is not a network port URL").format(word=word)
            raise ValueError(f"{NETWORK_PORTS_ENV}: {why}")
        urls.append(word)
    return tuple(dict.fromkeys(urls))


def camera_adapter_ports(records, environ: Optional[Dict[str, str]] = None) -> Tuple[str, ...]:
    """Every port that looks like an ESP32-CAM: USB adapters of ``ADAPTERS`` or with a
    camera-board description (records shaped like pyserial's ``comports()``), in
    device order, then the network ports of ``$ESP32CAM_NETWORK_PORTS``."""
    usb = sorted(str(r.device) for r in records
                 if adapter_name(getattr(r, "vid", None), getattr(r, "pid", None))
                 or describes_camera_board(getattr(r, "description", None)))
    return tuple(dict.fromkeys(usb + list(network_ports_from_env(environ))))
