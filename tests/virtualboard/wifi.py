"""The virtual board's radio neighbourhood: access points, the LAN, and its loopback mapping.

`WifiNetworks` is what `VirtualBoard(wifi={"SSID": "password"}, wifi_rssi=-60)` and
`python -m tests.virtualboard --wifi SSID=PASSWORD [--wifi-rssi N]` describe: the access
points the board's radio can hear. The board's `network.WLAN` (mpy/sim_network.py) asks it
over the private channel for scan results and for the outcome of an association; its
`socket` module (mpy/sim_socket.py) serves the board's servers on the host's loopback and
reports each listening port here, so the host finds them with `wifi_address(port)`.

Figures the twin takes from the real chip and its firmware (each cited where it is used):

- Scan: the ESP32's default active scan dwells 120 ms on each channel when the scan time is
  left 0, as MicroPython's `WLAN.scan()` leaves it (ports/esp32/network_wlan.c at v1.24.0:
  `wifi_scan_config_t config = { 0 }`; the default per Espressif's ESP-AT `AT+CWLAP` docs:
  "if this param is zero, the firmware will use the default time, active scan type is
  120ms"), over channels 1-13 (ESP-IDF's default country "CN", docs/en/api-guides/wifi.rst):
  13 x 120 ms = 1.56 s.
- Association and DHCP: authentication, association and the 4-way handshake take ~50 ms
  (ESP-IDF log in micropython/micropython#4842: `init -> auth` at 3610 ms, `connected` at
  3660 ms); lwIP's DHCP client checks the offered address by ARP for 500 ms before it binds
  (lwIP src/core/ipv4/dhcp.c `dhcp_check`, enabled by ESP-IDF's LWIP_DHCP_DOES_ARP_CHECK,
  default y), plus the DISCOVER/OFFER/REQUEST/ACK exchange.
- Wrong WPA2 password: the access point (hostapd, src/ap/wpa_auth.c:
  `eapol_key_timeout_first = 100` ms, `eapol_key_timeout_subseq = 1000` ms,
  `dot11RSNAConfigPairwiseUpdateCount = 4`) resends message 1/4 and gives up after
  0.1 + 3 x 1 s; the ESP32 reports reason 15 (4WAY_HANDSHAKE_TIMEOUT), and the next attempts
  reason 205 (CONNECTION_FAIL) 2.4 s apart (ESP-IDF v4.4.4 log in
  micropython/micropython#11625: `reason:15` at 15944 ms, `reason:205` at 18354 ms).
- Throughput: "Up to 20 MBit/s TCP throughput ... over the air" for the ESP32 (ESP-IDF
  docs/en/api-guides/wifi.rst, feature list, espressif/esp-idf commit 002c10d97b); the same
  page's shielded-box iperf table for an ESP32 with PSRAM in the default rank gives 31.7 Mbit/s
  TCP TX and 29.8 Mbit/s TCP RX, which a camera on a desk does not see. The twin uses 20 Mbit/s
  each way (2.5 MB/s), shared by all the board's sockets (one radio).
- 2.4 GHz only: the ESP32's radio is 2.4 GHz (ESP32 datasheet, "802.11 b/g/n ... 2.4 GHz
  band"); a 5 GHz network is never in a scan and connecting to it ends like an unknown SSID.

LAN and loopback mapping: the access point's LAN is 192.168.1.0/24 seen from the board
(gateway and DNS 192.168.1.1; the board leases 192.168.1.N, N = 100 + the MAC's last byte
mod 100, so each board of a tray gets its own). A socket the board binds to port P (on
0.0.0.0, its own address or "") is bound on the host to 127.0.0.1 and a free port H; the
board reports (P, H) and `WifiNetworks.address(P)` / `VirtualBoard.wifi_address(P)` return
("127.0.0.1", H). A host client (the plug-in, a browser, a test) connects there and the board
accepts it only while it has an IP address. The board's client sockets reach the host's
loopback: a connection to any other address of the LAN goes to 127.0.0.1 at the same port
(the host plays every other machine on the LAN); addresses off the LAN are unreachable
(there is no Internet behind the twin's access point).
"""
from __future__ import annotations

import hashlib
import itertools
import os
import socket
import threading
import time
from typing import Any, Dict, List, Mapping, Optional, Tuple, Union

DEFAULT_RSSI = -60
LAN_PREFIX = "192.168.1."
LAN_NETMASK = "255.255.255.0"
LAN_GATEWAY = LAN_PREFIX + "1"
TCP_BYTES_PER_SECOND = 20_000_000 // 8  # ESP-IDF wifi.rst: up to 20 Mbit/s TCP over the air
SCAN_CHANNEL_SECONDS = 0.120  # default active scan time per channel (see module docstring)
SCAN_CHANNELS = 13  # country "CN": channels 1-13
ASSOC_SECONDS = 0.050  # auth + assoc + 4-way handshake (micropython#4842 log)
DHCP_SECONDS = 0.600  # DISCOVER..ACK on a LAN (~0.1 s) + lwIP's 500 ms ARP check
HANDSHAKE_FAIL_SECONDS = 3.1  # hostapd: 0.1 s + 3 x 1 s of unanswered 1/4 retries
CONNECTION_FAIL_SECONDS = 2.4  # ESP-IDF: the next attempts fail with 205 this far apart
AUTH_OPEN = 0
AUTH_WPA2_PSK = 3
# lan="loopback": the board's LAN is a /24 of the host's loopback (Linux routes all of
# 127.0.0.0/8 there), one per board, so the host reaches the board at the very address
# and port it reports, as a computer on a real LAN would (ports from 1024 up; a server on
# a lower port is mapped as on the "home" LAN: binding those needs root on the host).
# One per board, not per process: a board's closed connections stay in the host's
# TIME_WAIT for a minute, and a later board at the same address could not bind that port.
_LOOPBACK_LANS = itertools.count()


def _new_loopback_lan() -> str:
    n = (os.getpid() * 7919 + next(_LOOPBACK_LANS)) % (250 * 256)
    return "127.%d.%d" % (1 + n // 256, n % 256)

NetworkSpec = Union[str, None, Mapping[str, Any]]


class WifiNetworks:
    """The access points around one board, and the board's listening ports on the host."""

    def __init__(self, networks: Optional[Mapping[str, NetworkSpec]] = None, rssi: int = DEFAULT_RSSI,
                 on_event: Any = None, lan: str = "home") -> None:
        if lan not in ("home", "loopback"):
            raise ValueError("lan must be 'home' or 'loopback'")
        self.lan_kind = lan
        self._loopback_lan = _new_loopback_lan() if lan == "loopback" else ""
        self.rssi = int(rssi)
        self.networks: List[Dict[str, Any]] = []
        for index, (ssid, spec) in enumerate((networks or {}).items()):
            if not isinstance(spec, Mapping):
                spec = {"password": spec}
            password = spec.get("password") or ""
            band = str(spec.get("band", "2.4GHz"))
            if band not in ("2.4GHz", "5GHz"):
                raise ValueError(f"band must be '2.4GHz' or '5GHz', not {band!r}")
            channel = int(spec.get("channel", (1, 6, 11)[index % 3] if band == "2.4GHz" else 36))
            digest = hashlib.sha256(ssid.encode()).digest()
            self.networks.append({
                "ssid": ssid,
                "password": password,
                "band": band,
                "channel": channel,
                "rssi": int(spec.get("rssi", self.rssi)),
                "authmode": AUTH_WPA2_PSK if password else AUTH_OPEN,
                "dhcp": bool(spec.get("dhcp", True)),  # False: its router hands out no address
                # a locally administered unicast BSSID per SSID
                "bssid": bytes([0x02]) + digest[:5],
            })
        self._on_event = on_event
        self._lock = threading.Condition()
        self._listening: Dict[int, int] = {}
        self._listening_host: Dict[int, str] = {}
        self.ip: Optional[str] = None  # the board's address while it has one
        self.lan = self.board_config(b"\x24\x0a\xc4\x5c\xa3\x01")
        self.station = Station(self)

    def attach(self, mac: bytes, on_event: Any = None) -> None:
        """Bind to a board: its MAC picks its lease; `on_event` gets `wifi_*` events."""
        self.lan = self.board_config(bytes(mac))
        if on_event is not None:
            self._on_event = on_event

    def handle(self, req: Dict[str, Any], version: Tuple[int, ...]) -> Dict[str, Any]:
        """One request of the board's network/socket modules (op "wlan", field "do")."""
        do = req.get("do")
        sta = self.station
        if do == "active":
            if "value" in req:
                sta.set_active(bool(req["value"]))
            return {"active": sta.active}
        if do == "scan":
            if not sta.active:
                return {"ok": False}
            return {"ok": True, "networks": self.scan(), "seconds": SCAN_CHANNEL_SECONDS * SCAN_CHANNELS}
        if do == "connect":
            if not sta.active:
                return {"ok": False}
            sta.connect(req.get("ssid"), req.get("key"))
            self._event("wifi_connect", ssid=sta.ssid)
            return {"ok": True}
        if do == "disconnect":
            sta.disconnect()
            return {"ok": True}
        if do == "status":
            return {"status": sta.status(version), "connected": sta.connected}
        if do == "ifconfig":
            if req.get("set"):
                sta.set_static(list(req["set"]))
            return {"ifconfig": sta.ip_info(), "requested": sta.requested}
        if do == "rssi":
            return {"rssi": sta.rssi()}
        if do == "info":
            sta.advance()
            return {"essid": sta.ssid, "channel": sta.channel(), "reconnects": sta.conf_reconnects - 1}
        if do == "reconnects":
            value = int(req.get("value", -1))
            sta.conf_reconnects = 0 if value == -1 else value + 1
            return {"ok": True}
        if do == "ip":
            return {"ip": sta.ip_info()[0] if sta.connected else None}
        if do == "port":
            want = int(req.get("want", 0))
            if self.lan_kind == "loopback" and want >= 1024:
                # the board's own address and port, on the host's loopback (no root needed)
                return {"ip": self.lan["ip"], "port": want}
            with socket.socket() as probe:
                probe.bind(("127.0.0.1", 0))
                return {"ip": "127.0.0.1", "port": probe.getsockname()[1]}
        if do == "listen":
            self.listening(int(req.get("port", 0)), int(req.get("host_port", 0)), str(req.get("host", "127.0.0.1")))
            return {"ok": True}
        return {"ok": False, "err": "unknown"}

    # --- what the board asks over its channel ----------------------------------
    def scan(self) -> List[Dict[str, Any]]:
        """What the ESP32's radio hears: the 2.4 GHz networks."""
        return [{"ssid": n["ssid"], "bssid": n["bssid"].hex(), "channel": n["channel"], "rssi": n["rssi"],
                 "authmode": n["authmode"]} for n in self.networks if n["band"] == "2.4GHz"]

    def join(self, ssid: str, key: str) -> Dict[str, Any]:
        """The outcome of esp_wifi_connect() to `ssid` with `key`: found?, key right?"""
        for n in self.networks:
            if n["ssid"] == ssid and n["band"] == "2.4GHz":
                ok = n["authmode"] == AUTH_OPEN or key == n["password"]
                return {"found": True, "key_ok": ok, "channel": n["channel"], "rssi": n["rssi"],
                        "bssid": n["bssid"].hex(), "dhcp": n["dhcp"]}
        return {"found": False}

    def listening(self, port: int, host_port: int, host: str = "127.0.0.1") -> None:
        with self._lock:
            if host_port:
                self._listening[int(port)] = int(host_port)
                self._listening_host[int(port)] = host
            else:
                self._listening.pop(int(port), None)
            self._lock.notify_all()
        self._event("wifi_listen", port=int(port), host=host, host_port=int(host_port))

    def set_ip(self, ip: Optional[str]) -> None:
        with self._lock:
            changed = self.ip != (ip or None)
            self.ip = ip or None
            self._lock.notify_all()
        if changed:
            self._event("wifi_ip", ip=ip or None)

    def reset(self) -> None:
        """A hard reset of the chip: radio off, no address, no listening sockets."""
        with self._lock:
            self._listening.clear()
            self.ip = None
            self._lock.notify_all()
        self.station.reset()

    def lose_signal(self) -> None:
        """The access point goes away (switched off, out of range): the station loses its
        link and address; established TCP connections get no packet through any more
        (sim_socket: a send waits for its socket's timeout, then ETIMEDOUT)."""
        self.station.lose()
        self._event("wifi_lost")

    def forget_listeners(self) -> None:
        """A soft reboot ends the MicroPython process that held the sockets."""
        with self._lock:
            self._listening.clear()
            self._lock.notify_all()

    # --- host side ---------------------------------------------------------------
    def address(self, port: int, timeout: float = 10.0) -> Tuple[str, int]:
        """("127.0.0.1", H) where the host reaches the board's server on `port`, once the
        board has an IP address and listens there; TimeoutError otherwise."""
        deadline = time.monotonic() + timeout
        with self._lock:
            while not (self.ip and int(port) in self._listening):
                left = deadline - time.monotonic()
                if left <= 0:
                    raise TimeoutError(f"the board does not listen on port {port} with an IP address")
                self._lock.wait(left)
            return self._listening_host.get(int(port), "127.0.0.1"), self._listening[int(port)]

    def board_config(self, mac: bytes) -> Dict[str, Any]:
        """The part of the boot configuration the board's network and socket modules read."""
        ip, gateway = LAN_PREFIX + str(100 + mac[5] % 100), LAN_GATEWAY
        if self.lan_kind == "loopback":
            ip, gateway = self._loopback_lan + ".%d" % (100 + mac[5] % 100), self._loopback_lan + ".1"
        return {
            "ip": ip,
            "netmask": LAN_NETMASK,
            "gateway": gateway,
            "dns": gateway,
            "rate": TCP_BYTES_PER_SECOND,
            "scan_s": SCAN_CHANNEL_SECONDS * SCAN_CHANNELS,
            "channel_s": SCAN_CHANNEL_SECONDS,
            "assoc_s": ASSOC_SECONDS,
            "dhcp_s": DHCP_SECONDS,
            "handshake_fail_s": HANDSHAKE_FAIL_SECONDS,
            "conn_fail_s": CONNECTION_FAIL_SECONDS,
        }

    def _event(self, kind: str, **data: Any) -> None:
        if self._on_event is not None:
            self._on_event(kind, data)


STAT_IDLE = 1000
STAT_CONNECTING = 1001
STAT_GOT_IP = 1010
REASON_ASSOC_LEAVE = 8
REASON_BEACON_TIMEOUT = 200  # esp_wifi_types.h: the access point's beacons stopped
REASON_4WAY_HANDSHAKE_TIMEOUT = 15
REASON_NO_AP_FOUND = 201
REASON_AUTH_FAIL = 202
REASON_CONNECTION_FAIL = 205


class Station:
    """The ESP32 port's STA interface state, kept on the host.

    It lives here, not in the board's MicroPython process, because on a real board it is C
    state that a soft reset keeps: ports/esp32/main.c (v1.14 to v1.27) deinitialises socket
    events on a soft reset but never stops Wi-Fi, so a board stays associated and keeps its
    address across `soft reboot`. A hard reset clears it (`reset()`).

    The statics follow ports/esp32/network_wlan.c (v1.24.0; modnetwork.c at v1.14):
    `wifi_sta_connect_requested`, `wifi_sta_connected`, `wifi_sta_disconn_reason`,
    `conf_wifi_sta_reconnects` (0 = retry forever; `reconnects=N` sets N + 1) and
    `wifi_sta_reconnects`. Time runs on the host's clock: `connect()` returns at once (it
    only calls esp_wifi_connect()), the association ends later (see the module docstring for
    the durations), and every failure triggers the port's automatic esp_wifi_connect()."""

    def __init__(self, networks: "WifiNetworks") -> None:
        self.networks = networks
        self.reset()

    def reset(self) -> None:
        self.active = False
        self.requested = False
        self.connected = False  # wifi_sta_connected: associated *and* an IP address
        self.associated = False  # the driver's link to the AP (esp_wifi_sta_get_ap_info answers)
        self.reason = 0
        self.conf_reconnects = 0
        self.reconnects = 0
        self.ssid = ""
        self.key = ""
        self._plan: Optional[Dict[str, Any]] = None
        self._t0 = 0.0
        self._static: Optional[List[str]] = None

    def set_active(self, active: bool) -> None:
        self.advance()
        if not active and self.active:
            if self.connected:
                self.reason = REASON_ASSOC_LEAVE
            self.connected = False
            self.associated = False
            self._plan = None
            self.networks.set_ip(None)
        self.active = bool(active)

    def connect(self, ssid: Optional[str], key: Optional[str]) -> None:
        self.advance()
        if ssid is not None:
            self.ssid = ssid[:32]
            self.key = (key or "")[:64]
        elif key is not None:
            self.key = key[:64]
        if self.connected or self.associated:
            # esp_wifi_connect() while associated: the driver leaves the AP first
            self.connected = False
            self.associated = False
            self.reason = REASON_ASSOC_LEAVE
            self.networks.set_ip(None)
        self.reconnects = 0
        self.requested = True
        self._plan = self.networks.join(self.ssid, self.key)
        self._t0 = time.monotonic()

    def disconnect(self) -> None:
        self.advance()
        self.requested = False
        if self.connected or self._plan is not None:
            self.reason = REASON_ASSOC_LEAVE
        self.connected = False
        self.associated = False
        self._plan = None
        self.networks.set_ip(None)

    def lose(self) -> None:
        self.advance()
        if self.connected or self.associated:
            self.reason = REASON_BEACON_TIMEOUT
        self.connected = False
        self.associated = False
        self._plan = None
        self.networks.set_ip(None)

    def advance(self) -> None:
        """Apply what the radio has done since connect() up to now."""
        plan = self._plan
        if plan is None or not self.active or self.connected:
            return
        elapsed = time.monotonic() - self._t0
        if not plan["found"]:
            first, every = SCAN_CHANNEL_SECONDS * SCAN_CHANNELS, SCAN_CHANNEL_SECONDS * SCAN_CHANNELS
            reasons = (REASON_NO_AP_FOUND, REASON_NO_AP_FOUND)
        else:
            reach = SCAN_CHANNEL_SECONDS * plan["channel"] + ASSOC_SECONDS
            if plan["key_ok"]:
                self.associated = elapsed >= reach
                if not plan.get("dhcp", True) and not self._static:
                    # lwIP's DHCP client keeps asking; the driver stays associated and
                    # MicroPython's status() reads STAT_CONNECTING (no IP_EVENT_STA_GOT_IP)
                    return
                if elapsed >= reach + (0.0 if self._static else DHCP_SECONDS):
                    self.connected = self.associated = True
                    self.reason = 0
                    self._plan = None
                    self.networks.set_ip(self.ip_info()[0])
                return
            first, every = reach + HANDSHAKE_FAIL_SECONDS, CONNECTION_FAIL_SECONDS
            reasons = (REASON_4WAY_HANDSHAKE_TIMEOUT, REASON_CONNECTION_FAIL)
        if elapsed < first:
            return
        failures = 1 + int((elapsed - first) // every)
        if self.conf_reconnects:
            failures = min(failures, self.conf_reconnects)
            if failures >= self.conf_reconnects:
                self._plan = None  # no esp_wifi_connect() after the last allowed attempt
        self.reason = reasons[0] if failures == 1 else reasons[1]
        self.reconnects = failures

    def status(self, version: Tuple[int, ...]) -> int:
        """WLAN.status() of the STA interface in the build of `version`.

        v1.22.0 (commit d6154925d5) added the NO_AP_FOUND / WRONG_PASSWORD (reason 202 or 205)
        / ASSOC_LEAVE branches; before it a requested connection reads STAT_CONNECTING as
        long as the port retries (v1.16 added `reconnects`, 060066804a; v1.14 had no limit)."""
        self.advance()
        if self.connected:
            return STAT_GOT_IP
        retrying = self.requested and (tuple(version[:2]) < (1, 16) or self.conf_reconnects == 0
                                       or self.reconnects < self.conf_reconnects)
        if tuple(version[:2]) >= (1, 22):
            if self.reason == REASON_NO_AP_FOUND:
                return REASON_NO_AP_FOUND
            if self.reason in (REASON_AUTH_FAIL, REASON_CONNECTION_FAIL):
                return REASON_AUTH_FAIL
            if self.reason == REASON_ASSOC_LEAVE:
                return STAT_IDLE
        if retrying:
            return STAT_CONNECTING
        if self.reason == 0:
            return STAT_IDLE
        return self.reason

    def ip_info(self) -> List[str]:
        """(ip, netmask, gateway, dns) as ifconfig() shows them."""
        self.advance()
        if not self.connected:
            return ["0.0.0.0"] * 4
        if self._static:
            return list(self._static)
        cfg = self.networks.lan
        return [cfg["ip"], cfg["netmask"], cfg["gateway"], cfg["dns"]]

    def set_static(self, values: List[str]) -> None:
        self._static = [str(v) for v in values[:4]]
        if self.connected:
            self.networks.set_ip(self._static[0])

    def rssi(self) -> Optional[int]:
        self.advance()
        if not (self.connected or self.associated):
            return None
        for n in self.networks.networks:
            if n["ssid"] == self.ssid:
                return n["rssi"]
        return None

    def channel(self) -> int:
        self.advance()
        if self.connected:
            for n in self.networks.networks:
                if n["ssid"] == self.ssid:
                    return n["channel"]
        return 1


def parse_cli(values: Optional[List[str]], values_5ghz: Optional[List[str]] = None) -> Dict[str, Any]:
    """`--wifi SSID=PASSWORD` (repeatable; `SSID=` or `SSID` for an open network) and
    `--wifi-5ghz SSID=PASSWORD` into the `wifi=` mapping of VirtualBoard."""
    networks: Dict[str, Any] = {}
    for band, items in (("2.4GHz", values or []), ("5GHz", values_5ghz or [])):
        for item in items:
            ssid, _, password = item.partition("=")
            if not ssid:
                raise ValueError(f"--wifi needs SSID=PASSWORD, not {item!r}")
            networks[ssid] = {"password": password, "band": band}
    return networks
