"""Wi-Fi setup of an ESP32-CAM: scan, join, keep the credentials on the board.

Pure logic: the code the board runs (any MicroPython of the catalog, v1.14-v1.27), the
parsing of what it prints, and what an outcome means for the user. The caller runs the
code (``core.camera.rawrepl.RawRepl.exec_text`` on the command line).

Facts from MicroPython's ESP32 port (``ports/esp32/modnetwork.c`` at v1.14,
``network_wlan.c`` at v1.24.0):

- ``WLAN.status()`` is 1010 (STAT_GOT_IP) only with an IP address; from v1.22.0 a failed
  association reads 201 (no AP found) or 202 (wrong password), before that a requested
  connection reads 1001 (STAT_CONNECTING) for as long as the port retries, whatever the
  reason. 200 (beacon timeout) and 203 (association failed) pass the driver's reason through.
- ``WLAN.status('rssi')`` asks the driver for the access point's info
  (``esp_wifi_sta_get_ap_info``), which answers once the board is associated, IP or not:
  associated and still no address is a network that hands out none (no DHCP answer).
- The ESP32's radio is 2.4 GHz only: a 5 GHz network is never in its scan.

The credentials live on the board in ``/esp32cam_wifi.json``, read by
``/esp32cam_wifi.py``, which ``boot.py`` imports (two marked lines the plug-in adds and
can remove). ``connect()`` at boot does not wait: the board joins in the background.
"""
from __future__ import annotations

import ast
import json
from dataclasses import dataclass
from typing import Callable, List, Optional, Tuple
from thonnycontrib.esp32cam.core.i18n import N_, _

STAT_IDLE = 1000
STAT_CONNECTING = 1001
STAT_GOT_IP = 1010
STAT_BEACON_TIMEOUT = 200
STAT_NO_AP_FOUND = 201
STAT_WRONG_PASSWORD = 202
STAT_ASSOC_FAIL = 203
STAT_HANDSHAKE_TIMEOUT = 204

CONFIG_FILE = "esp32cam_wifi.json"
BOOT_MODULE = "esp32cam_wifi"
BOOT_MARK = "# thonny-esp32cam: join Wi-Fi at boot"
DEFAULT_JOIN_SECONDS = 20.0
NO_NETWORK_MARK = "ESP32CAM-NO-NETWORK"
_NET = "ESP32CAM-NET"
_JOIN = "ESP32CAM-JOIN"

# Imports that work on every build of the catalog: v1.14 knows "ubinascii"/"ujson" (its
# plain names are weak links), v1.27 knows both.
_PRELUDE = """\
try:
    import network
except ImportError:
    network = None
    print('%s')
""" % NO_NETWORK_MARK

SCAN_CODE = _PRELUDE + """\
if network:
    try:
        import ubinascii as _b
    except ImportError:
        import binascii as _b
    _w = network.WLAN(network.STA_IF)
    _w.active(True)
    for _n in _w.scan():
        print('%s', _b.hexlify(_n[0]).decode(), _n[2], _n[3], _n[4])
    del _w, _n, _b
""" % _NET


@dataclass(frozen=True)
class Network:
    ssid: str
    channel: int
    rssi: int  # dBm
    authmode: int  # 0 = open

    @property
    def secured(self) -> bool:
        return self.authmode != 0

    @property
    def signal(self) -> str:
        return signal_words(self.rssi)


def signal_words(rssi: int) -> str:
    """The words for a signal strength (the usual Wi-Fi bands: -50 dBm and up is excellent,
    below -80 dBm a link barely works). Marked with N_: ``_(words)`` where shown."""
    if rssi >= -50:
        return N_("excellent")
    if rssi >= -65:
        return N_("good")
    if rssi >= -75:
        return N_("fair")
    return N_("weak")


class NoNetworkModule(Exception):
    """The firmware was built without Wi-Fi (no ``network`` module)."""

    def __str__(self) -> str:
        return _("This MicroPython build has no network module, so the board cannot use Wi-Fi. "
                 "Install a build with Wi-Fi (every camera build of the catalog has it).")


def _check_network(text: str) -> None:
    if NO_NETWORK_MARK in text:
        raise NoNetworkModule()


def parse_scan(text: str) -> List[Network]:
    """The networks the board heard, strongest first, one entry per name (hidden networks,
    which have no name, are left out)."""
    _check_network(text)
    best: dict = {}
    for line in text.splitlines():
        parts = line.split()
        if len(parts) != 5 or parts[0] != _NET:
            continue
        try:
            ssid = bytes.fromhex(parts[1]).decode("utf-8", "replace")
            net = Network(ssid, int(parts[2]), int(parts[3]), int(parts[4]))
        except ValueError:
            continue
        if ssid and (ssid not in best or net.rssi > best[ssid].rssi):
            best[ssid] = net
    return sorted(best.values(), key=lambda n: (-n.rssi, n.ssid))


def join_code(ssid: str, password: str, seconds: float = DEFAULT_JOIN_SECONDS) -> str:
    """Join ``ssid`` and wait until the board has an address, the port reports a failure or
    ``seconds`` pass; prints one result line. A failed attempt is ended (disconnect) so the
    board does not keep retrying with a wrong password."""
    return _PRELUDE + """\
if network:
    import time as _t
    _w = network.WLAN(network.STA_IF)
    _w.active(True)
    _w.connect(%r, %r)
    _t0 = _t.ticks_ms()
    while True:
        _s = _w.status()
        if _s == %d or _s in (%d, %d) or _t.ticks_diff(_t.ticks_ms(), _t0) > %d:
            break
        _t.sleep_ms(100)
    try:
        _r = _w.status('rssi')
    except Exception:
        _r = None
    _ip = _w.ifconfig()[0] if _s == %d else ''
    if _s != %d:
        _w.disconnect()
    print('%s', _s, _r, _ip)
    del _w, _s, _r, _ip, _t0, _t
""" % (ssid, password, STAT_GOT_IP, STAT_NO_AP_FOUND, STAT_WRONG_PASSWORD, int(seconds * 1000),
       STAT_GOT_IP, STAT_GOT_IP, _JOIN)


@dataclass(frozen=True)
class JoinResult:
    status: int
    rssi: Optional[int]  # None: not associated
    ip: str


def parse_join(text: str) -> JoinResult:
    _check_network(text)
    for line in reversed(text.splitlines()):
        parts = line.split()
        if len(parts) >= 3 and parts[0] == _JOIN:
            rssi = None if parts[2] == "None" else int(parts[2])
            return JoinResult(int(parts[1]), rssi, parts[3] if len(parts) > 3 else "")
    raise ValueError(_("the board printed no result of the Wi-Fi attempt: {output!r}").format(
        output=text[-200:]))


@dataclass(frozen=True)
class Outcome:
    ok: bool
    code: str  # joined, wrong_password, not_found, out_of_range, no_dhcp
    message: str
    ip: str = ""
    rssi: Optional[int] = None


def judge(result: JoinResult, ssid: str, scanned: List[Network]) -> Outcome:
    """What the attempt means, in the user's words, with what to do."""
    heard = next((n for n in scanned if n.ssid == ssid), None)
    if result.status == STAT_GOT_IP and result.ip and result.ip != "0.0.0.0":
        return Outcome(True, "joined", _("Joined {ssid}.").format(ssid=ssid), result.ip, result.rssi)
    if result.status in (STAT_WRONG_PASSWORD, STAT_HANDSHAKE_TIMEOUT) or (
            heard is not None and result.rssi is None and result.status == STAT_CONNECTING):
        return Outcome(False, "wrong_password",
                       _("{ssid} did not accept the password. Check it (upper and lower case "
                         "count) and try again.").format(ssid=ssid))
    if result.status == STAT_CONNECTING and result.rssi is not None:
        return Outcome(False, "no_dhcp",
                       _("The board joined {ssid} but got no IP address: the network's router "
                         "did not answer (no DHCP). Restart the router or ask whoever runs the "
                         "network.").format(
                             ssid=ssid),
                       rssi=result.rssi)
    if heard is not None and result.status in (STAT_BEACON_TIMEOUT, STAT_ASSOC_FAIL):
        return Outcome(False, "out_of_range",
                       _("{ssid} is too far away (signal {rssi} dBm, {signal}): move the board "
                         "closer to the access point, or power it from a stronger 5 V supply.").format(
                             ssid=ssid, rssi=heard.rssi, signal=_(heard.signal)))
    return Outcome(False, "not_found", not_found_message(ssid))


def not_found_message(ssid: str) -> str:
    return _("The board does not hear a network called {ssid}. An ESP32 sees only 2.4 GHz "
             "networks: if {ssid} is a 5 GHz network, use the router's 2.4 GHz one. Otherwise "
             "it is out of range, or the name is spelt differently.").format(ssid=ssid)


def check_password(password: str) -> Optional[str]:
    """None if a Wi-Fi password can be right (WPA2: 8-63 characters, or 64 hex digits; empty
    for an open network), else what is wrong."""
    if password == "" or 8 <= len(password) <= 63:
        return None
    if len(password) == 64 and all(c in "0123456789abcdefABCDEF" for c in password):
        return None
    return _("A Wi-Fi (WPA2) password has 8 to 63 characters; this one has {count}.").format(
        count=len(password))


# --- keeping the credentials on the board --------------------------------------------------
BOOT_MODULE_SOURCE = '''\
# Written by thonny-esp32cam: joins the Wi-Fi network kept in /%(config)s.
# boot.py calls start(); it does not wait, the board joins in the background.
def start():
    try:
        import ujson as json
    except ImportError:
        import json
    try:
        with open('/%(config)s') as f:
            cfg = json.load(f)
    except OSError:
        return None
    import network
    w = network.WLAN(network.STA_IF)
    w.active(True)
    if not w.isconnected():
        w.connect(cfg['ssid'], cfg['password'])
    return w
''' % {"config": CONFIG_FILE}

BOOT_LINES = "%s (remove these lines to stop)\ntry:\n    import %s; %s.start()\nexcept Exception as e:\n" \
             "    print('Wi-Fi:', e)\n" % (BOOT_MARK, BOOT_MODULE, BOOT_MODULE)

READ_BOOT_CODE = """\
try:
    with open('/boot.py') as _f:
        print(repr(_f.read()))
    del _f
except OSError:
    print('None')
"""


def parse_boot(text: str) -> Optional[str]:
    """boot.py's text (None: the board has none)."""
    value = ast.literal_eval(text.strip().splitlines()[-1])
    if value is not None and not isinstance(value, str):
        raise ValueError("unexpected boot.py answer")
    return value


def boot_with_hook(boot: Optional[str], mark: str = BOOT_MARK, lines: str = BOOT_LINES) -> str:
    """boot.py with the plug-in's ``lines`` (found again by ``mark``) added once, the user's
    lines unchanged: the Wi-Fi join here, WebREPL's start in ``webrepl_access``."""
    text = boot or ""
    if mark in text:
        return text
    if text and not text.endswith("\n"):
        text += "\n"
    return text + lines


def write_file_code(path: str, content: str) -> str:
    """Write ``content`` to ``path`` on the board whole or not at all (a temporary file,
    then a rename: a reset half-way leaves the old file). ``os.rename`` replaces an existing
    file on both of the port's filesystems (extmod/vfs_fat.c retries after removing it on
    FR_EXIST, v1.14; littlefs' lfs_rename replaces the destination)."""
    tmp = path + ".tmp"
    return ("import os\nwith open(%r, 'w') as _f:\n    _f.write(%r)\ndel _f\nos.rename(%r, %r)\nprint('OK')\n"
            % (tmp, content, tmp, path))


def store_steps(ssid: str, password: str, boot: Optional[str]) -> List[str]:
    """The code that keeps the credentials on the board and joins at boot, in order."""
    config = json.dumps({"ssid": ssid, "password": password})
    return [write_file_code("/" + CONFIG_FILE, config),
            write_file_code("/%s.py" % BOOT_MODULE, BOOT_MODULE_SOURCE),
            write_file_code("/boot.py", boot_with_hook(boot))]


def join_and_keep(run: Callable[[str], str], ssid: str, password: str, seconds: float = DEFAULT_JOIN_SECONDS,
                  store: bool = True, networks: Optional[List[Network]] = None) -> Tuple[List[Network], Outcome, bool]:
    """The whole join: scan (unless ``networks`` are given), join, judge, and on success keep
    the credentials on the board. ``run`` runs code on the board and returns its output.
    Returns (networks, outcome, stored)."""
    if networks is None:
        networks = parse_scan(run(SCAN_CODE))
    outcome = judge(parse_join(run(join_code(ssid, password, seconds))), ssid, networks)
    stored = False
    if outcome.ok and store:
        for code in store_steps(ssid, password, parse_boot(run(READ_BOOT_CODE))):
            run(code)
        stored = True
    return networks, outcome, stored
