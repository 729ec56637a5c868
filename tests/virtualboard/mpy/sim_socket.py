# `socket` as on ESP32 MicroPython (ports/esp32/modsocket.c): lwIP sockets on the board's
# Wi-Fi, here served on the host's loopback (tests/virtualboard/wifi.py explains the mapping).
# - Addresses are (ip, port) tuples, getaddrinfo() answers [(2, 1, 0, '', (ip, port))].
# - bind() to port P (0.0.0.0, "" or the board's address) binds 127.0.0.1:H on the host and
#   reports (P, H); accept() takes a connection only while the STA has an IP address.
# - connect() needs an IP address (else OSError 113 EHOSTUNREACH); other LAN addresses map to
#   127.0.0.1 at the same port, addresses off the LAN are unreachable; host names fail like
#   lwIP's getaddrinfo on a LAN without DNS for them (OSError -202).
# - Throughput: all sockets share one radio at the cited ESP32 TCP figure (wifi.py
#   TCP_BYTES_PER_SECOND, 20 Mbit/s over the air per ESP-IDF's Wi-Fi guide), each way.
import io
import time as _time
import socket as _real
import errno as _errno

AF_INET = 2
AF_INET6 = 10
SOCK_STREAM = 1
SOCK_DGRAM = 2
SOCK_RAW = 3
IPPROTO_IP = 0
IPPROTO_TCP = 6
IPPROTO_UDP = 17
IPPROTO_IPV6 = 41
SOL_SOCKET = 0xFFF
SO_REUSEADDR = 0x0004
SO_BROADCAST = 0x0020
SO_BINDTODEVICE = 0x100B
TCP_NODELAY = 1
IP_ADD_MEMBERSHIP = 3

_host = None
_net = None
_cfg = {"ip": "192.168.1.101", "netmask": "255.255.255.0", "gateway": "192.168.1.1", "rate": 2500000}
_CHUNK = 5744  # lwIP TCP_SND_BUF default on ESP-IDF (4 x TCP_MSS 1436): what one send() hands over
_clock = {"tx": 0, "rx": 0}  # ticks_us when the radio is free again, per direction
_HOST_SOL_SOCKET = 1  # Linux values for the options passed through
_HOST_SO_REUSEADDR = 2


def _setup(host, cfg):
    global _host, _net
    _host = host
    _cfg.update(cfg.get("wifi") or {})
    import sim_network

    _net = sim_network


def _board_ip():
    return _net._sta_ip()


_link = [True, 0]  # the board's station had an address, when it was last asked (ticks_ms)


def _link_up(force=False):
    """Whether the board still has its network (asked at most every 100 ms: a send must not
    cost a round trip over the private channel each time)."""
    now = _time.ticks_ms()
    if force or _time.ticks_diff(now, _link[1]) >= 100:
        _link[0] = _board_ip() is not None
        _link[1] = now
    return _link[0]


def _pace(direction, n):
    """Hold the caller until `n` bytes have had their air time in `direction`."""
    rate = _cfg["rate"]
    now = _time.ticks_us()
    start = _clock[direction]
    if _time.ticks_diff(start, now) < 0:
        start = now
    done = _time.ticks_add(start, n * 1000000 // rate)
    _clock[direction] = done
    wait = _time.ticks_diff(done, now)
    if wait > 0:
        _time.sleep_us(wait)


def _sockaddr(ip, port):
    parts = bytes(int(p) for p in ip.split("."))
    return bytes([AF_INET, 0, (port >> 8) & 0xFF, port & 0xFF]) + parts + bytes(8)


def _from_sockaddr(raw):
    raw = bytes(raw)
    return ("%d.%d.%d.%d" % (raw[4], raw[5], raw[6], raw[7]), (raw[2] << 8) | raw[3])


def _is_ipv4(text):
    parts = text.split(".")
    if len(parts) != 4:
        return False
    for p in parts:
        if not p.isdigit() or int(p) > 255:
            return False
    return True


def _on_lan(ip):
    mask = [int(p) for p in _cfg["netmask"].split(".")]
    mine = [int(p) for p in _cfg["ip"].split(".")]
    other = [int(p) for p in ip.split(".")]
    for i in range(4):
        if mine[i] & mask[i] != other[i] & mask[i]:
            return False
    return True


def getaddrinfo(host, port, af=0, type=0, proto=0, flags=0):
    if isinstance(host, bytes):
        host = host.decode()
    if host in ("", None):
        host = "0.0.0.0"
    if not _is_ipv4(host):
        raise OSError(-202)  # lwip_getaddrinfo: EAI_FAIL, as MicroPython's esp32 port raises it
    return [(AF_INET, type or SOCK_STREAM, 0, "", (host, int(port)))]


def _oserror(code):
    return OSError(code)


class socket(io.IOBase):
    def __init__(self, af=AF_INET, type=SOCK_STREAM, proto=0, _wrap=None):
        if af != AF_INET:
            raise OSError(_errno.EAFNOSUPPORT)
        self._type = type
        self._s = _wrap if _wrap is not None else _real.socket(_real.AF_INET, type, 0 if type == SOCK_STREAM else proto)
        self._port = 0  # board port this socket listens on (reported to the host)
        self._host_port = 0
        self._host_ip = "127.0.0.1"
        self._timeout = None
        self._closed = False

    # --- addresses ----------------------------------------------------------------------
    def bind(self, addr):
        ip, port = addr[0], int(addr[1])
        if isinstance(ip, bytes):
            ip = ip.decode()
        if ip not in ("", "0.0.0.0", _cfg["ip"], "127.0.0.1"):
            raise OSError(_errno.EADDRNOTAVAIL)
        # the unix port has no getsockname(): the host picks a free loopback port for it
        for attempt in range(5):
            r = _host.call("wlan", do="port", want=port if attempt == 0 else 0)
            try:
                self._s.bind(_sockaddr(r["ip"], r["port"]))
                break
            except OSError as e:
                # at the board's own address the port is the board's: taken is taken (lwIP's
                # tcp_bind, also for its TIME_WAIT connections unless SO_REUSEADDR is set);
                # a free port the host picked can race another process: pick again
                if e.errno != _errno.EADDRINUSE or attempt == 4 or r["ip"] != "127.0.0.1":
                    raise e
        self._port = port
        self._host_port = r["port"]
        self._host_ip = r["ip"]

    def listen(self, backlog=5):
        self._s.listen(backlog)
        if self._port:
            _host.call("wlan", do="listen", port=self._port, host_port=self._host_port, host=self._host_ip)

    def accept(self):
        while True:
            s, raw = self._s.accept()
            if _board_ip() is not None:
                break
            s.close()  # the board is not on the network: nothing could have reached it
        return socket(AF_INET, SOCK_STREAM, 0, _wrap=s), _from_sockaddr(raw)

    def connect(self, addr):
        ip, port = addr[0], int(addr[1])
        if isinstance(ip, bytes):
            ip = ip.decode()
        mine = _board_ip()
        if mine is None or not _is_ipv4(ip) or not _on_lan(ip):
            raise OSError(_errno.EHOSTUNREACH)
        self._s.connect(_sockaddr("127.0.0.1", port))

    # --- data -----------------------------------------------------------------------------
    def _send_some(self, mv):
        if not _link_up():
            # the board lost its network: nothing gets through; lwIP's send blocks until the
            # socket's timeout (none: for good, as long as the link stays down)
            deadline = None if self._timeout is None else _time.ticks_add(_time.ticks_ms(), int(self._timeout * 1000))
            while not _link_up(force=True):
                if deadline is not None and _time.ticks_diff(deadline, _time.ticks_ms()) <= 0:
                    raise OSError(_errno.ETIMEDOUT)
                _time.sleep_ms(100)
        n = self._s.write(mv)
        if n is None:
            return None
        _pace("tx", n)
        return n

    def send(self, data):
        mv = memoryview(data)[:_CHUNK]
        n = self._send_some(mv)
        if n is None:
            raise OSError(_errno.EAGAIN)
        return n

    def sendall(self, data):
        mv = memoryview(data)
        sent = 0
        while sent < len(mv):
            n = self._send_some(mv[sent:sent + _CHUNK])
            if n is None:
                _time.sleep_ms(1)
                continue
            sent += n
        return None

    def write(self, data, *args):
        mv = memoryview(data)
        if len(args) == 1:
            mv = mv[:args[0]]
        elif len(args) == 2:
            mv = mv[args[0]:args[0] + args[1]]
        sent = 0
        while sent < len(mv):
            n = self._send_some(mv[sent:sent + _CHUNK])
            if n is None:
                return sent if sent else None
            sent += n
        return sent

    def recv(self, n):
        data = self._s.recv(n)
        _pace("rx", len(data))
        return data

    def read(self, n=-1):
        data = self._s.read(n) if n >= 0 else self._s.read()
        if data:
            _pace("rx", len(data))
        return data

    def readinto(self, buf, n=-1):
        got = self._s.readinto(buf) if n < 0 else self._s.readinto(memoryview(buf)[:n])
        if got:
            _pace("rx", got)
        return got

    def readline(self):
        line = self._s.readline()
        if line:
            _pace("rx", len(line))
        return line

    def sendto(self, data, addr):
        ip, port = addr[0], int(addr[1])
        if _board_ip() is None or not _on_lan(ip):
            raise OSError(_errno.EHOSTUNREACH)
        n = self._s.sendto(data, _sockaddr("127.0.0.1", port))
        _pace("tx", len(data))
        return n

    def recvfrom(self, n):
        data, raw = self._s.recvfrom(n)
        _pace("rx", len(data))
        return data, _from_sockaddr(raw)

    # --- options ----------------------------------------------------------------------------
    def setsockopt(self, level, opt, value):
        if level == SOL_SOCKET and opt == SO_REUSEADDR:
            self._s.setsockopt(_HOST_SOL_SOCKET, _HOST_SO_REUSEADDR, value)
        return None

    def settimeout(self, value):
        self._timeout = value
        self._s.settimeout(value)

    def setblocking(self, flag):
        self._timeout = None if flag else 0
        self._s.setblocking(flag)

    def makefile(self, *args, **kwargs):
        return self

    def fileno(self):
        return self._s.fileno()

    def close(self):
        if self._closed:
            return
        self._closed = True
        if self._port:
            _host.call("wlan", do="listen", port=self._port, host_port=0)
            self._port = 0
        self._s.close()

    def ioctl(self, req, arg):
        if req == 10:  # MP_STREAM_GET_FILENO: select.poll waits on the host socket itself
            return self._s.fileno()
        if req == 4:  # MP_STREAM_CLOSE
            self.close()
            return 0
        return -1

    def __enter__(self):
        return self

    def __exit__(self, *args):
        self.close()


SocketType = socket
