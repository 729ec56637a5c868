"""Why a serial port cannot be opened, and what to do about a missing one.

Works on exceptions from pyserial and on port lists shaped like
``serial.tools.list_ports.comports()`` records (``device``, ``vid``, ``pid``,
``description``, ``manufacturer``), so the Windows driver hints can be tested
anywhere with recorded lists.
"""
from __future__ import annotations

import os
import sys
from typing import Any, Iterable, List, Optional, Sequence

from thonnycontrib.esp32cam.core import diagnosis as dg
from thonnycontrib.esp32cam.core import port_errors as pe
from thonnycontrib.esp32cam.core.i18n import _

# USB-serial bridges used with ESP32-CAM boards: VID -> (chip, driver name)
ADAPTER_VIDS = {
    0x1A86: ("CH340/CH341", "WCH CH341SER (CH340) driver"),
    0x10C4: ("CP210x", "Silicon Labs CP210x VCP driver"),
    0x0403: ("FTDI", "FTDI VCP driver"),
}


def is_url(port: str) -> bool:
    return "://" in port


def adapter_name(record: Any) -> Optional[str]:
    vid = getattr(record, "vid", None)
    return ADAPTER_VIDS[vid][0] if vid in ADAPTER_VIDS else None


def usb_adapters(ports: Iterable[Any]) -> List[Any]:
    """The records that look like an ESP32-CAM USB-serial adapter."""
    return [p for p in ports if adapter_name(p)]


def list_ports() -> List[Any]:
    try:
        from serial.tools import list_ports as lp
        return list(lp.comports())
    except Exception:  # listing is advisory only
        return []


def port_exists(port: str, ports: Sequence[Any], platform: str = sys.platform) -> bool:
    """Best effort: URLs are checked by connecting; paths by the file system;
    on Windows by the port list (COM names are case-insensitive)."""
    if is_url(port):
        return True
    if platform.startswith("win"):
        return any(str(getattr(p, "device", "")).upper() == port.upper() for p in ports)
    return os.path.exists(port)


def missing_port_diagnosis(port: str, ports: Sequence[Any], platform: str = sys.platform,
                           evidence: Optional[List[str]] = None) -> dg.Diagnosis:
    """``port_missing`` with the hint that fits the ports that *are* there."""
    adapters = usb_adapters(ports)
    ev = list(evidence or [])
    ev.append(_("ports present: {ports}").format(ports=", ".join(_describe(p) for p in ports) or _(
            "none")))
    d = dg.Diagnosis(dg.PORT_MISSING, evidence=ev, port=port)
    if adapters:
        names = ", ".join(str(p.device) for p in adapters)
        d.fix_detail = _("An ESP32 USB adapter is present at {ports}: choose that port.").format(ports=names)
        d.extra["suggested_ports"] = [str(p.device) for p in adapters]
    elif platform.startswith("win"):
        d.detail = _("No CH340, CP210x or FTDI serial device is present. On Windows that "
                     "usually means the adapter's driver is not installed, or the USB cable is "
                     "charge-only.")
        d.fix_detail = _("Install the driver for your adapter (CH340: WCH CH341SER; CP2102: "
                         "Silicon Labs CP210x VCP), then unplug and replug it. Device Manager "
                         "shows the chip under \"Other devices\" while the driver is missing.")
        d.extra["driver_hint"] = True
    elif platform.startswith("linux"):
        d.fix_note = _("If the port vanishes right after plugging in a CH340 adapter, the brltty "
                       "service grabbed it: remove brltty (sudo apt remove brltty).")
    return d


def open_error_diagnosis(port: str, error: BaseException, ports: Sequence[Any],
                         platform: str = sys.platform) -> dg.Diagnosis:
    """Map an exception raised while opening ``port`` to a diagnosis (see core.port_errors)."""
    text = f"{type(error).__name__}: {error}"
    evidence = [text]
    problem = pe.classify_port_error(port, text, getattr(error, "errno", None), platform)
    kind = problem.kind if problem else None
    if kind == pe.BUSY:
        return dg.Diagnosis(dg.PORT_BUSY, evidence=evidence, port=port)
    if kind == pe.PERMISSION:
        d = dg.Diagnosis(dg.PERMISSION_DENIED, evidence=evidence, port=port)
        group = _port_group(port)
        if group and group != "dialout":
            d.fix_detail = _("This port belongs to the group '{group}': sudo usermod -a -G "
                             "{group} $USER.").format(
                group=group)
        return d
    if kind in (pe.MALFORMED_URL, pe.UNREACHABLE):
        return dg.Diagnosis(dg.PORT_MISSING, evidence=evidence, port=port, replace_generic=True,
                            detail=(_("The network port is written wrongly.") if kind == pe.MALFORMED_URL
                                    else _("Nothing answers at this network address.")),
                            fix_detail=problem.advice)
    if kind == pe.SERVER_REFUSED:
        return dg.Diagnosis(dg.PORT_BUSY, evidence=evidence, port=port, detail=problem.advice)
    if kind == pe.MISSING or not port_exists(port, ports, platform):
        return missing_port_diagnosis(port, ports, platform, evidence)
    d = dg.Diagnosis(dg.PORT_BUSY, evidence=evidence, port=port)
    d.detail = _("The port could not be opened for another reason.")
    return d


def _port_group(port: str) -> Optional[str]:
    try:
        import grp
        return grp.getgrgid(os.stat(port).st_gid).gr_name
    except Exception:
        return None


def _describe(record: Any) -> str:
    text = str(getattr(record, "device", record))
    desc = getattr(record, "description", None)
    vid, pid = getattr(record, "vid", None), getattr(record, "pid", None)
    if vid is not None:
        text += f" [{vid:04X}:{pid or 0:04X}]"
    if desc and desc != "n/a":
        text += f" {desc}"
    return text


