"""Camera frames over Wi-Fi: a small MJPEG server the plug-in starts on the board, and the
host side that reads it.

The server runs in a ``_thread`` on the board (the ESP32 port has ``_thread``; the REPL on
the serial line stays free), next to the camera helper that ``devicecode`` installs over
serial: it takes each frame with the helper's own ``snap()``, so every driver family works
as it does over serial. One client at a time (an ESP32 has little RAM for more):
``GET /stream?size=VGA&quality=85`` sends ``multipart/x-mixed-replace`` JPEG parts until the
client goes away; ``GET /capture?...`` one JPEG. Only the frame sizes and qualities the
plug-in knows are accepted (a table in the generated code: nothing from the network is
evaluated). ``stop_code()`` ends it within half a second.

Frames cross the air in TCP, whose checksums and retransmissions keep them intact; a JPEG is
still checked for its start and end markers before it is shown or saved.
"""
from __future__ import annotations

import http.client
import socket
from typing import TYPE_CHECKING, Iterator, Optional, Tuple
from urllib.parse import urlencode

from . import families as fam
from .devicecode import HELPER, HTTP_STATE, Step, size_argument
from .transfer import KIND_ACK, KIND_INFO
from thonnycontrib.esp32cam.core.i18n import _

if TYPE_CHECKING:
    from .devicecode import CameraSettings
    from .session import CameraSession

DEFAULT_PORT = 8081
BOUNDARY = "esp32cam"
STATE = HTTP_STATE  # the helper's release() stops the server by this name

_SERVER = '''
def __esp32cam_http(port, sizes, quals):
    import socket, _thread
    h = %(helper)s
    st = {'stop': False, 'frames': 0, 'running': True, 'error': ''}
    globals()['%(state)s'] = st
    ls = socket.socket()
    ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    ls.bind(('0.0.0.0', port))
    ls.listen(1)
    ls.settimeout(0.5)
    def frame():
        f = []
        h.out = lambda k, d: f.append((k, bytes(d)))  # cnadler86: a view of a buffer given back
        try:
            h.snap()
        finally:
            del h.out
        return f[-1][1] if f and f[-1][0] == 'J' else None
    def apply(q):
        for part in q.split('&'):
            k, _, v = part.partition('=')
            if k == 'size' and v in sizes:
                h.setsize(sizes[v])
            elif k == 'quality' and v.isdigit() and int(v) <= 100:
                h.setquality(quals[int(v)])
    def serve(c):
        c.settimeout(10)
        line = c.recv(1024).split(b'\\r\\n', 1)[0].decode()
        parts = line.split(' ')
        path, _, q = (parts[1] if len(parts) > 1 else '/').partition('?')
        if path not in ('/stream', '/capture'):
            c.sendall(b'HTTP/1.1 404 Not Found\\r\\nConnection: close\\r\\n\\r\\n')
            return
        apply(q)
        one = path == '/capture'
        c.sendall(b'HTTP/1.1 200 OK\\r\\nContent-Type: ' + (b'image/jpeg' if one else
                  b'multipart/x-mixed-replace; boundary=%(boundary)s') +
                  b'\\r\\nCache-Control: no-cache\\r\\nConnection: close\\r\\n\\r\\n')
        while not st['stop']:
            d = frame()
            if d is None:
                break
            if one:
                c.sendall(d)
                break
            c.sendall(b'--%(boundary)s\\r\\nContent-Type: image/jpeg\\r\\nContent-Length: %%d\\r\\n\\r\\n' %% len(d))
            c.sendall(d)
            c.sendall(b'\\r\\n')
            st['frames'] += 1
    def run():
        try:
            while not st['stop']:
                try:
                    c, a = ls.accept()
                except OSError:
                    continue
                try:
                    serve(c)
                except Exception as e:
                    st['error'] = repr(e)
                finally:
                    c.close()
        finally:
            ls.close()
            st['running'] = False
    _thread.start_new_thread(run, ())
''' % {"helper": HELPER, "state": STATE, "boundary": BOUNDARY}


def start_code(family: str, port: int = DEFAULT_PORT, framed: bool = False) -> str:
    """Starts the server on the board (the camera helper must be installed and started);
    prints ``IP PORT`` of the board on its Wi-Fi, or ``NO-WIFI`` (``framed``: as the helper's
    info frame, for the back-end's camera session)."""
    sizes = {name: size_argument(family, name) for name in fam.frame_size_names()}
    quals = [fam.native_quality(family, q) for q in range(101)]
    say = ("%s.out('I', (%%s).encode())" % HELPER) if framed else "print(%s)"
    return (_SERVER + "\n_w = None\ntry:\n    import network\n    _w = network.WLAN(network.STA_IF)\n"
            "except Exception:\n    pass\n"  # a build without Wi-Fi: not on a network
            "if _w is not None and _w.isconnected():\n"
            "    if globals().get(%r, {}).get('running'):\n"
            "        %s['stop'] = True\n"
            "        import time\n"
            "        while %s['running']:\n"
            "            time.sleep_ms(50)\n"
            "    %s.buffers(2)\n"
            "    __esp32cam_http(%d, {%s}, %r)\n"
            "    %s\n"
            "else:\n"
            "    %s\n"
            "del _w, __esp32cam_http\n"
            % (STATE, STATE, STATE, HELPER, int(port),
               ", ".join("%r: %s" % (k, v) for k, v in sizes.items()), quals,
               say % ("'%%s %%d' %% (_w.ifconfig()[0], %d)" % int(port)), say % "'NO-WIFI'"))


def stop_code(framed: bool = False) -> str:
    """Ends the server (and its client's stream) within half a second; prints its frame count."""
    say = ("%s.out('K', str(%%s).encode())" % HELPER) if framed else "print(%s)"
    return ("import time\n_s = globals().get(%r)\n"
            "if _s:\n    _s['stop'] = True\n    while _s['running']:\n        time.sleep_ms(50)\n"
            "    if %r in globals():\n        %s.buffers(1)\n"
            "%s\ndel _s\n" % (STATE, HELPER, HELPER, say % "_s['frames'] if _s else 0"))


def start_step(family: str, port: int = DEFAULT_PORT) -> Step:
    return Step(start_code(family, port, framed=True), "wifi", KIND_INFO)


def stop_step() -> Step:
    return Step(stop_code(framed=True), "wifi", KIND_ACK)


def start_on(session: "CameraSession", settings: "CameraSettings", port: int = DEFAULT_PORT) -> Tuple[str, int]:
    """The camera started with ``settings`` and the server running: the board's address and
    port. NotOnWifi when the board has not joined a network."""
    session.apply(settings)
    assert session.family is not None
    return parse_address(session.run_step(start_step(session.family, port)).text)


def stop_on(session: "CameraSession") -> int:
    """Ends the server; the frames it sent."""
    text = session.run_step(stop_step()).text
    return int(text) if text.isdigit() else 0


class NotOnWifi(Exception):
    def __str__(self) -> str:
        return _("The board is not on a Wi-Fi network. Put it on one first: Tools → ESP32-CAM "
                 "Wi-Fi… in Thonny, or `esp32cam wifi --port PORT --ssid NAME --password-file "
                 "FILE`.")


def parse_address(text: str) -> Tuple[str, int]:
    line = text.strip().splitlines()[-1] if text.strip() else ""
    if line == "NO-WIFI":
        raise NotOnWifi()
    ip, _sep, port = line.partition(" ")
    if not ip or not port.isdigit():
        raise ValueError(_("the board did not start its camera server: {output!r}").format(
            output=text[-200:]))
    return ip, int(port)


class WifiCameraError(Exception):
    """The board's camera server could not be reached or sent something that is no JPEG."""


def _check_jpeg(data: bytes) -> bytes:
    if not (data.startswith(b"\xff\xd8") and data.rstrip(b"\x00").endswith(b"\xff\xd9")):
        raise WifiCameraError(_("a frame over Wi-Fi is not a whole JPEG ({count} bytes)").format(
            count=len(data)))
    return data


def _query(frame_size: Optional[str], quality: Optional[int]) -> str:
    params = {}
    if frame_size:
        params["size"] = fam.frame_size(frame_size).name
    if quality is not None:
        params["quality"] = str(fam.clamp_quality(quality))
    return ("?" + urlencode(params)) if params else ""


class MjpegStream:
    """The board's ``/stream``: ``frames()`` yields JPEGs until ``close()`` or the board ends."""

    def __init__(self, host: str, port: int, frame_size: Optional[str] = None,
                 quality: Optional[int] = None, timeout: float = 10.0) -> None:
        self.address = "%s:%d" % (host, port)
        try:
            self._conn = http.client.HTTPConnection(host, port, timeout=timeout)
            self._conn.request("GET", "/stream" + _query(frame_size, quality))
            self._resp = self._conn.getresponse()
        except (OSError, http.client.HTTPException) as e:
            raise WifiCameraError(
                _("The board's camera server at {address} cannot be reached ({error}). Is this "
                  "computer on the same network as the board?").format(address=self.address,
                                                                       error=e)) from None
        kind = self._resp.getheader("Content-Type", "")
        if self._resp.status != 200 or "multipart/x-mixed-replace" not in kind:
            raise WifiCameraError(_("The camera server at {address} answered {status} {kind}.").format(
                address=self.address, status=self._resp.status, kind=kind))

    def frames(self) -> Iterator[bytes]:
        fp = self._resp.fp
        while True:
            try:
                line = fp.readline()
                while line in (b"\r\n", b"\n"):
                    line = fp.readline()
                if not line:
                    return  # the board ended the stream
                if line.strip() != b"--" + BOUNDARY.encode():
                    raise WifiCameraError(_("unexpected data in the stream from {address}: "
                                            "{data!r}")
                                          .format(address=self.address, data=line[:60]))
                headers = {}
                while True:
                    line = fp.readline()
                    if line in (b"\r\n", b"\n", b""):
                        break
                    key, _sep, value = line.decode("latin-1").partition(":")
                    headers[key.strip().lower()] = value.strip()
                size = int(headers.get("content-length", "-1"))
                if size < 0:
                    raise WifiCameraError(_("a frame from {address} has no length").format(
                        address=self.address))
                data = fp.read(size)
                if len(data) != size:
                    return  # cut off: the board stopped mid-frame
            except (OSError, socket.timeout, ValueError) as e:
                raise WifiCameraError(_("The Wi-Fi stream from {address} broke off: {error}").format(
                    address=self.address, error=e)) from None
            yield _check_jpeg(data)

    def close(self) -> None:
        """Ends the connection: the board's server sees it and waits for the next client. (The
        response holds its own reference to the socket: closing the connection alone would
        leave it open, and the board streaming into it.)"""
        for part in (self._resp, self._conn):
            try:
                part.close()
            except OSError:
                pass
