# `network` as on ESP32 MicroPython. The virtual board has no radio: WLAN objects work,
# but a station never finds an access point and scans find nothing.
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


def _setup(host, cfg):
    global _mac
    _mac = bytes(cfg["unique_id"])


def hostname(name=None):
    global _hostname
    if name is None:
        return _hostname
    _hostname = name


class WLAN:
    _instances = {}

    def __new__(cls, interface_id=STA_IF):
        if interface_id not in WLAN._instances:
            obj = object.__new__(cls)
            obj._if = interface_id
            obj._active = False
            obj._status = STAT_IDLE
            obj._config = {"essid": "ESP_123456" if interface_id == AP_IF else "", "channel": 1, "txpower": 20, "hidden": False}
            WLAN._instances[interface_id] = obj
        return WLAN._instances[interface_id]

    def __init__(self, interface_id=STA_IF):
        pass

    def active(self, is_active=None):
        if is_active is None:
            return self._active
        self._active = bool(is_active)
        if not self._active:
            self._status = STAT_IDLE
        return None

    def _check(self):
        if not self._active:
            raise OSError("Wifi Not Started")

    def connect(self, ssid=None, key=None, *, bssid=None):
        self._check()
        if self._if != STA_IF:
            raise OSError("Wifi Invalid Mode")
        self._config["essid"] = ssid or ""
        self._status = STAT_CONNECTING
        _time.sleep_ms(50)
        self._status = STAT_NO_AP_FOUND  # no radio, no access point

    def disconnect(self):
        self._status = STAT_IDLE

    def isconnected(self):
        return False

    def status(self, param=None):
        if param == "rssi":
            raise OSError("STA must be connected")
        return self._status if self._if == STA_IF else None

    def scan(self):
        self._check()
        return []

    def ifconfig(self, config=None):
        if config is not None:
            return None
        if self._if == AP_IF and self._active:
            return ("192.168.4.1", "255.255.255.0", "192.168.4.1", "0.0.0.0")
        return ("0.0.0.0", "0.0.0.0", "0.0.0.0", "0.0.0.0")

    def config(self, *args, **kwargs):
        if kwargs:
            self._config.update(kwargs)
            return None
        key = args[0]
        if key == "mac":
            return _mac if self._if == STA_IF else bytes(_mac[:5]) + bytes([(_mac[5] + 1) & 0xFF])
        if key in ("hostname", "dhcp_hostname"):
            return _hostname
        if key in self._config:
            return self._config[key]
        raise ValueError("unknown config param")
