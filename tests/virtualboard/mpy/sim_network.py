# `network` as on ESP32 MicroPython (ports/esp32/network_wlan.c at v1.24.0, modnetwork.c at
# v1.14; the behaviour that changed between the catalog's builds follows the flashed version).
# The STA state lives on the host (tests/virtualboard/wifi.py `Station`): on a board it is C
# state that a soft reset keeps. The access points are the ones the virtual board was started
# with (--wifi SSID=PASSWORD); without any, scans find nothing and connect() never succeeds.
import time as _time

STA_IF = 0
AP_IF = 1
STAT_IDLE = 1000
STAT_CONNECTING = 1001
STAT_GOT_IP = 1010
STAT_BEACON_TIMEOUT = 200
STAT_NO_AP_FOUND = 201
STAT_WRONG_PASSWORD = 202
STAT_ASSOC_FAIL = 203
STAT_HANDSHAKE_TIMEOUT = 204
AUTH_OPEN = 0
AUTH_WEP = 1
AUTH_WPA_PSK = 2
AUTH_WPA2_PSK = 3
AUTH_WPA_WPA2_PSK = 4
_mac = b"\x24\x0a\xc4\x12\x34\x56"
_hostname = "esp32"
_host = None
_version = (1, 21, 0)


def _setup(host, cfg):
    global _mac, _host, _version
    _mac = bytes(cfg["unique_id"])
    _host = host
    import sim_sys

    _version = tuple(sim_sys._BOARD["tuple"])
    if _version >= (1, 24):
        # ipconfig() came with commit 1f23ab1e3d "Implement ipconfig() for more network
        # interfaces" (first tagged v1.24.0); older builds have ifconfig() only
        WLAN.ipconfig = WLAN._ipconfig
        globals()["ipconfig"] = _ipconfig


def _wlan(do, **args):
    return _host.call("wlan", do=do, **args)


def _sta_ip():
    """The STA address while the board has one (sim_socket asks), else None."""
    return _wlan("ip").get("ip")


def hostname(name=None):
    global _hostname
    if name is None:
        return _hostname
    _hostname = name


def _ipconfig(key=None, **kwargs):
    # network.ipconfig (extmod/modnetwork.c, v1.24.0): 'dns' and 'prefer'
    if kwargs:
        return None
    if key == "dns":
        return _wlan("ifconfig")["ifconfig"][3]
    if key == "prefer":
        return 4
    raise ValueError("unexpected key")


class WLAN:
    _instances = {}

    def __new__(cls, interface_id=STA_IF):
        if interface_id not in (STA_IF, AP_IF):
            raise ValueError("invalid WLAN interface identifier")
        if interface_id not in WLAN._instances:
            obj = object.__new__(cls)
            obj._if = interface_id
            obj._active = False
            obj._config = {"essid": "ESP_%02X%02X%02X" % (_mac[3], _mac[4], (_mac[5] + 1) & 0xFF), "channel": 1,
                           "txpower": 20, "hidden": False}
            WLAN._instances[interface_id] = obj
        return WLAN._instances[interface_id]

    def __init__(self, interface_id=STA_IF):
        pass

    def active(self, is_active=None):
        if self._if == STA_IF:
            if is_active is None:
                return _wlan("active")["active"]
            _wlan("active", value=bool(is_active))
            return bool(is_active)
        if is_active is None:
            return self._active
        self._active = bool(is_active)
        return self._active

    def _sta_started(self):
        if not _wlan("active")["active"]:
            raise OSError("Wifi Not Started")

    def connect(self, ssid=None, key=None, *, bssid=None):
        if self._if != STA_IF:
            if not self._active:
                raise OSError("Wifi Not Started")
            raise OSError("Wifi Invalid Mode")
        self._sta_started()
        if bssid is not None and len(bssid) != 6:
            raise ValueError()
        # esp_wifi_connect() only starts the association: status() follows it
        _wlan("connect", ssid=ssid, key=key)
        return None

    def disconnect(self):
        _wlan("disconnect")
        return None

    def isconnected(self):
        if self._if == STA_IF:
            return _wlan("status")["connected"]
        return False

    def status(self, param=None):
        if param is None:
            if self._if == STA_IF:
                return _wlan("status")["status"]
            return None
        if param == "rssi":
            if self._if != STA_IF:
                raise OSError("STA required")
            rssi = _wlan("rssi")["rssi"]
            if rssi is None:
                raise OSError("Wifi Not Connected")  # esp_wifi_sta_get_ap_info: ESP_ERR_WIFI_NOT_CONNECT
            return rssi
        if param == "stations":
            if self._if != AP_IF:
                raise OSError("AP required")
            return []
        raise ValueError("unknown status param")

    def scan(self):
        if self._if != STA_IF and not _wlan("active")["active"]:
            raise OSError("STA must be active")
        r = _wlan("scan")
        if not r.get("ok"):
            raise OSError("STA must be active")
        # esp_wifi_scan_start(&config, 1) blocks for the whole scan (every channel)
        _time.sleep_ms(int(r["seconds"] * 1000))
        out = []
        for n in r["networks"]:
            # (ssid, bssid, channel, RSSI, authmode, hidden): hidden is always False ("XXX hidden?")
            out.append((n["ssid"].encode(), bytes.fromhex(n["bssid"]), n["channel"], n["rssi"], n["authmode"], False))
        return out

    def ifconfig(self, config=None):
        if self._if == AP_IF:
            if config is not None:
                return None
            if self._active:
                return ("192.168.4.1", "255.255.255.0", "192.168.4.1", "0.0.0.0")
            return ("0.0.0.0", "0.0.0.0", "0.0.0.0", "0.0.0.0")
        if config is not None:
            if config == "dhcp":
                return None
            if len(config) != 4:
                raise ValueError("requested length 4 but object has length %d" % len(config))
            _wlan("ifconfig", set=[str(c) for c in config])
            return None
        return tuple(_wlan("ifconfig")["ifconfig"])

    def _ipconfig(self, key=None, **kwargs):
        # esp_ipconfig (ports/esp32/network_common.c, v1.24.0)
        if kwargs:
            return None
        if self._if == AP_IF:
            info = self.ifconfig()
        else:
            info = tuple(_wlan("ifconfig")["ifconfig"])
        if key == "addr4":
            return (info[0], info[1])
        if key == "gw4":
            return info[2]
        if key == "dhcp4":
            if self._if != STA_IF:
                raise ValueError("unexpected key")
            return True
        raise ValueError("unexpected key")

    def config(self, *args, **kwargs):
        if args and kwargs:
            raise TypeError("either pos or kw args are allowed")
        if kwargs:
            for key, value in kwargs.items():
                if key == "reconnects":
                    if self._if != STA_IF:
                        raise OSError("STA required")
                    _wlan("reconnects", value=int(value))
                elif key in ("hostname", "dhcp_hostname"):
                    hostname(value)
                elif key in ("essid", "ssid", "hidden", "authmode", "security", "key", "password", "max_clients"):
                    if self._if != AP_IF:
                        raise OSError("AP required")
                    self._config[key] = value
                elif key in ("channel", "txpower", "mac", "protocol", "pm"):
                    self._config[key] = value
                else:
                    raise ValueError("unknown config param")
            return None
        if len(args) != 1:
            raise TypeError("can query only one param")
        key = args[0]
        if key == "mac":
            return _mac if self._if == STA_IF else bytes(_mac[:5]) + bytes([(_mac[5] + 1) & 0xFF])
        if key in ("hostname", "dhcp_hostname"):
            if self._if != STA_IF:
                raise OSError("STA required")
            return _hostname
        if self._if == STA_IF:
            if key in ("essid", "ssid"):
                return _wlan("info")["essid"]
            if key == "channel":
                return _wlan("info")["channel"]
            if key == "reconnects":
                return _wlan("info")["reconnects"]
            if key in ("hidden", "authmode", "security", "max_clients", "key", "password"):
                raise OSError("AP required")
        if key in self._config:
            return self._config[key]
        raise ValueError("unknown config param")
