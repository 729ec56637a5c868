"""MicroPython source sent to the board, generated per driver family.

The plug-in installs one helper object, ``__esp32cam``, in the REPL's globals
(double underscore: it stays out of the user's way and out of Thonny's
variables view). Every later request is a one-line call on it, so a live view
costs a few dozen bytes of command per frame. Each call writes exactly one
frame (see ``transfer``), errors included, so the host always knows what
happened.
"""
from __future__ import annotations

from dataclasses import dataclass, replace
from textwrap import dedent
from typing import List

from ..boards import BoardProfile
from ..fastlink import BOOT_BAUD, PACED_WRITER
from . import families as fam
from . import stream
from .transfer import ENCODINGS, KIND_ACK, KIND_INFO, KIND_JPEG, RAW
from thonnycontrib.esp32cam.core.i18n import _

HELPER = "__esp32cam"
HTTP_STATE = "__esp32cam_http_state"  # the Wi-Fi camera server's state (wifi_stream)


@dataclass(frozen=True)
class CameraSettings:
    frame_size: str = fam.DEFAULT_FRAME_SIZE
    quality: int = fam.DEFAULT_QUALITY  # 0..100, higher = better (all families)
    vflip: bool = False
    hmirror: bool = False

    def normalized(self) -> "CameraSettings":
        return replace(self, frame_size=fam.frame_size(self.frame_size).name,
                       quality=fam.clamp_quality(self.quality),
                       vflip=bool(self.vflip), hmirror=bool(self.hmirror))


# --- the part common to all families --------------------------------------------------

_COMMON = '''
class __Esp32Cam:
    def __init__(s, enc):
        import sys
        s.w = sys.stdout.buffer.write
        s.enc = enc
        s.c = None
        s.cam = None
        s.led = None
        s.fb = 1
        s.args = None
    def out(s, kind, data):
        if s.enc == 'B':
            import binascii
            data = binascii.b2a_base64(data)
        elif s.enc == 'X':
            data = bytes(data).replace(b'\\x1b', b'\\x1b\\x1b').replace(b'\\x05', b'\\x1b\\x06')
        try:
            from binascii import crc32
            c = '%08x' % (crc32(data) & 0xffffffff)
        except ImportError:
            c = '-'
        s.w(('\\x02ESPCAM:%s:%s:%d:%s\\n' % (kind, s.enc, len(data), c)).encode())
        s.w(data)
    def fail(s, e):
        import sys, io
        f = io.StringIO()
        sys.print_exception(e, f)
        s.out('E', f.getvalue().encode())
    def call(s, name, *args):
        try:
            r = getattr(s, name)(*args)
            if name != 'snap':
                s.out('K', str(r).encode())
        except Exception as e:
            s.fail(e)
    def flash(s, pin, on):
        from machine import Pin
        if s.led is None:
            s.led = Pin(pin, Pin.OUT)
        s.led.value(1 if on else 0)
        return on
    def release(s):
        g = globals().get('__esp32cam_http_state')  # HTTP_STATE
        if g:  # the Wi-Fi camera server ends first (within half a second)
            import time
            g['stop'] = True
            while g['running']:
                time.sleep_ms(50)
        if s.led is not None:
            s.led.value(0)
        s.stop()
        return True
    def buffers(s, n):
        # n frame buffers: 2 let the DMA fill one while a fast reader (the Wi-Fi server) holds
        # the other, esp32-camera's full rate; 1 gives a slow reader the freshest frames
        if n == s.fb or s.cam is None or not s.args:
            s.fb = n
            return True
        a, old = list(s.args), s.fb
        s.fb = n  # start() releases the camera first in every family
        try:
            s.start(*a)
        except Exception:  # no room for n buffers: as before
            s.fb = old
            s.start(*a)
        return s.fb == n
    def stream(s, n, ms):
        import sys, select
        r = sys.stdin.buffer
        p = select.poll()
        p.register(sys.stdin, select.POLLIN)
        k = 0
        e = False
        while n or not e:
            if n:
                s.snap()
                n -= 1
                k += 1
            elif not p.poll(ms):
                break
            while p.poll(0):
                if r.read(1) == b'+':
                    n += 1
                else:
                    e = True
        return k
'''

# Detection runs before the family is known; it also reports the heap size,
# which tells a PSRAM build (megabytes) from a board without PSRAM (~100 KiB).
_DETECT = '''
def __esp32cam_detect():
    import sys, gc
    w = sys.stdout.buffer.write
    try:
        import camera
        fam = %s
        err = ''
    except Exception as e:
        import io
        f = io.StringIO()
        sys.print_exception(e, f)
        fam = ''
        err = f.getvalue()
    gc.collect()
    psram = '?'
    try:
        import esp32
        # the PSRAM region (4 MiB on ESP32) is listed only when the firmware found PSRAM
        psram = '1' if max(h[0] for h in esp32.idf_heap_info(esp32.HEAP_DATA)) >= 1048576 else '0'
    except Exception:
        pass
    info = 'family=%%s\\nheap=%%d\\npsram=%%s\\nplatform=%%s\\nversion=%%s\\n' %% (
        fam, gc.mem_free() + gc.mem_alloc(), psram, sys.platform,
        '.'.join(str(x) for x in sys.implementation.version))
    if err:
        info += 'error=' + err.replace('\\n', '\\\\n') + '\\n'
    data = info.encode()
    try:
        from binascii import crc32
        c = '%%08x' %% (crc32(data) & 0xffffffff)
    except ImportError:
        c = '-'
    w(('\\x02ESPCAM:I:N:%%d:%%s\\n' %% (len(data), c)).encode())
    w(data)
__esp32cam_detect()
del __esp32cam_detect
''' % fam.DETECT_EXPRESSION


def detect_code() -> str:
    return _DETECT


def parse_info(text: str) -> dict:
    result = {}
    for line in text.splitlines():
        if "=" in line:
            key, value = line.split("=", 1)
            result[key.strip()] = value.replace("\\n", "\n")
    return result


# --- per-family methods ------------------------------------------------------------------

def _lemariva_methods(profile: BoardProfile, default_profile: bool) -> str:
    pins = "" if default_profile else ", " + ", ".join(
        "%s=%d" % (k, v) for k, v in profile.pins().items())
    return f'''
    def start(s, size, q, vf, hm):
        import camera
        s.c = camera
        try:
            camera.deinit()
        except Exception:
            pass
        kw = {{}}
        if hasattr(camera, 'PSRAM'):
            kw['fb_location'] = camera.PSRAM
            if s.fb > 1:
                kw['fb_size'] = s.fb  # modcamera.c since e7d16f0 (2022-02-01)
        try:
            r = camera.init(0, format=camera.JPEG, framesize=getattr(camera, size), quality=q{pins}, **kw)
        except TypeError:  # a build between fb_location and fb_size: one buffer
            kw.pop('fb_size', None)
            r = camera.init(0, format=camera.JPEG, framesize=getattr(camera, size), quality=q{pins}, **kw)
        if r is False:
            raise OSError('Camera Init Failed')
        s.cam = True
        s.args = [size, q, vf, hm]
        s.setflip(vf, hm)
        return True
    def setsize(s, size):
        s.c.framesize(getattr(s.c, size))
        s.args[0] = size
        return True
    def setquality(s, q):
        s.c.quality(q)
        s.args[1] = q
        return True
    def setflip(s, vf, hm):
        s.c.flip(1 if vf else 0)
        s.c.mirror(1 if hm else 0)
        s.args[2:] = [vf, hm]
        return True
    def snap(s):
        b = s.c.capture()
        if not b:
            raise OSError('camera.capture() returned no image')
        s.out('J', b)
    def stop(s):
        if s.cam:
            s.cam = None
            s.c.deinit()
'''


def _kaki5_methods(profile: BoardProfile, default_profile: bool) -> str:
    keys = fam.KAKI5_CONF_KEYS
    pin_lines = ""
    if not default_profile:
        pins = profile.pins()
        pin_lines = "".join(
            "\n        c.conf(%d, %d)  # %s" % (keys["PIN_" + role.upper()], pins[role], "PIN_" + role.upper())
            for role in ("pwdn", "reset", "xclk", "siod", "sioc", "d7", "d6", "d5", "d4",
                         "d3", "d2", "d1", "d0", "vsync", "href", "pclk"))
    return f'''
    def start(s, size, q, vf, hm):
        import camera
        s.c = c = camera
        try:
            c.deinit()
        except Exception:
            pass{pin_lines}
        # KAKI5 reads pixel format, frame size and quality only before init().
        c.conf({keys["PIXFORMAT"]}, {fam.KAKI5_PIXFORMAT_JPEG})  # PIXFORMAT = JPEG
        c.conf({keys["FRAMESIZE"]}, size)  # FRAMESIZE (1-based numbering)
        c.conf({keys["JPEG_QUALITY"]}, q)  # JPEG_QUALITY (10 best .. 63)
        c.conf({keys["FB_COUNT"]}, s.fb)  # FB_COUNT: > 1 continuous mode (JPEG only)
        if not c.init():
            raise OSError('Camera Init Failed')
        s.cam = True
        s.args = [size, q, vf, hm]
        s.setflip(vf, hm)
        return True
    def setsize(s, size):
        a = s.args
        s.stop()
        return s.start(size, a[1], a[2], a[3])
    def setquality(s, q):
        s.c.quality(q)
        s.args[1] = q
        return True
    def setflip(s, vf, hm):
        s.c.flip(1 if vf else 0)
        s.c.mirror(1 if hm else 0)
        s.args[2] = vf
        s.args[3] = hm
        return True
    def snap(s):
        b = s.c.capture()
        if not b:
            raise OSError('camera.capture() returned no image')
        s.out('J', b)
    def stop(s):
        if s.cam:
            s.cam = None
            s.c.deinit()
'''


def _cnadler86_methods(profile: BoardProfile, default_profile: bool) -> str:
    pins = profile.pins()
    data_pins = "[%s]" % ", ".join(str(p) for p in profile.data)
    pin_kwargs = (
        "data_pins=%s, pclk_pin=%d, vsync_pin=%d, href_pin=%d, sda_pin=%d, scl_pin=%d, "
        "xclk_pin=%d, powerdown_pin=%d, reset_pin=%d"
        % (data_pins, pins["pclk"], pins["vsync"], pins["href"], pins["siod"], pins["sioc"],
           pins["xclk"], pins["pwdn"], pins["reset"]))
    return f'''
    def start(s, size, q, vf, hm):
        import camera
        from camera import Camera, PixelFormat, FrameSize
        s.stop()
        fs = getattr(FrameSize, size)
        kw = {{}}
        g = getattr(camera, 'GrabMode', None)
        if s.fb > 1 and g is not None:  # two buffers, the newest frame (CAMERA_GRAB_LATEST)
            kw = {{'fb_count': s.fb, 'grab_mode': g.LATEST}}
        try:
            # board builds have the pins built in
            s.cam = Camera(pixel_format=PixelFormat.JPEG, frame_size=fs, jpeg_quality=q, **kw)
        except Exception:
            # generic builds need them: the chosen board profile
            s.cam = Camera(pixel_format=PixelFormat.JPEG, frame_size=fs, jpeg_quality=q,
                           {pin_kwargs}, **kw)
        s.args = [size, q, vf, hm]
        s.setflip(vf, hm)
        return True
    def setsize(s, size):
        from camera import FrameSize
        s.cam.frame_size = getattr(FrameSize, size)
        s.args[0] = size
        return True
    def setquality(s, q):
        s.cam.quality = q
        s.args[1] = q
        return True
    def setflip(s, vf, hm):
        s.cam.vflip = bool(vf)
        s.cam.hmirror = bool(hm)
        s.args[2:] = [vf, hm]
        return True
    def snap(s):
        b = s.cam.capture()
        if b is None:
            raise OSError('Camera.capture() returned no image')
        if hasattr(s.cam, 'free_buffer'):
            # capture() keeps the buffer until free_buffer() (modcamera.c): a copy lets the DMA
            # fill it with the next frame while this one goes out
            b = bytes(b)
            s.cam.free_buffer()
        s.out('J', b)
    def stop(s):
        if s.cam is not None:
            c = s.cam
            s.cam = None
            c.deinit()
'''


_METHODS = {fam.LEMARIVA: _lemariva_methods, fam.KAKI5: _kaki5_methods,
            fam.CNADLER86: _cnadler86_methods}


@dataclass(frozen=True)
class Step:
    """One exchange with the board: the code to run, the name ``problems.classify`` gives a
    failure during it, and the frame kind a good run writes. The session runs steps; which
    steps an operation takes and what they answer is this module's concern."""
    code: str
    during: str
    expect: str = KIND_ACK


def size_argument(family: str, size_name: str) -> str:
    """The frame size as the family's own code expects it (a Python literal)."""
    size = fam.frame_size(size_name)
    if family == fam.LEMARIVA:
        return repr(size.lemariva_constant)  # looked up with getattr(camera, ...)
    if family == fam.KAKI5:
        return str(size.kaki5_number)
    if family == fam.CNADLER86:
        return repr(size.cnadler86_name)  # looked up with getattr(FrameSize, ...)
    raise ValueError("Unknown camera driver family %r" % (family,))


@dataclass(frozen=True)
class DeviceProtocol:
    """Generates the device-side calls for one family, board profile and encoding."""

    family: str
    profile: BoardProfile
    encoding: str = RAW
    default_profile: bool = True  # the firmware's own pins fit the board (no pins sent)
    link_rate: int = 115200  # above 115200 frames leave in FIFO-sized paced slices (core.fastlink)

    def __post_init__(self) -> None:
        if self.family not in _METHODS:
            raise ValueError("Unknown camera driver family %r" % (self.family,))
        if self.encoding not in ENCODINGS:
            raise ValueError("Unknown transfer encoding %r" % (self.encoding,))

    def install_code(self) -> str:
        """Defines the helper class and object; writes an acknowledgement frame."""
        methods = _METHODS[self.family](self.profile, self.default_profile)
        paced = ""
        if self.link_rate > BOOT_BAUD:
            paced = PACED_WRITER + "%s.w = __esp32cam_pw(%d)\n" % (HELPER, self.link_rate)
        return (_COMMON.rstrip("\n") + methods
                + "\n%s = __Esp32Cam(%r)\ndel __Esp32Cam\n%s%s.out('K', b'installed')\n"
                % (HELPER, self.encoding, paced, HELPER))

    def _call(self, name: str, *args: object) -> str:
        return "%s.call(%r%s)" % (HELPER, name, "".join(", " + a if isinstance(a, str) else ", %r" % (a,) for a in args))

    def start_code(self, settings: CameraSettings) -> str:
        s = settings.normalized()
        return self._call("start", size_argument(self.family, s.frame_size),
                          fam.native_quality(self.family, s.quality), s.vflip, s.hmirror)

    def set_size_code(self, frame_size: str) -> str:
        return self._call("setsize", size_argument(self.family, frame_size))

    def set_quality_code(self, quality: int) -> str:
        return self._call("setquality", fam.native_quality(self.family, quality))

    def set_flip_code(self, vflip: bool, hmirror: bool) -> str:
        return self._call("setflip", bool(vflip), bool(hmirror))

    def snap_code(self) -> str:
        return self._call("snap")

    def stream_code(self, credit: int = stream.CREDIT, silent_ms: int = stream.SILENT_MS) -> str:
        """Frames back to back while the host grants credit (see ``stream``)."""
        return self._call("stream", int(credit), int(silent_ms))

    def flash_code(self, on: bool) -> str:
        if self.profile.flash_led is None:
            raise ValueError(_("The board profile {profile!r} has no flash LED.").format(
                profile=self.profile.title))
        return self._call("flash", self.profile.flash_led, bool(on))

    # --- the steps of each operation ---------------------------------------------------------
    def install(self) -> Step:
        return Step(self.install_code(), "install")

    def start(self, settings: CameraSettings) -> Step:
        return Step(self.start_code(settings), "start")

    def changes(self, current: CameraSettings, wanted: CameraSettings) -> List[Step]:
        """The calls that turn the running ``current`` settings into ``wanted`` (only what differs)."""
        steps = []
        if wanted.frame_size != current.frame_size:
            steps.append(Step(self.set_size_code(wanted.frame_size), "start"))
        if wanted.quality != current.quality:
            steps.append(Step(self.set_quality_code(wanted.quality), "quality"))
        if (wanted.vflip, wanted.hmirror) != (current.vflip, current.hmirror):
            steps.append(Step(self.set_flip_code(wanted.vflip, wanted.hmirror), "flip"))
        return steps

    def snap(self) -> Step:
        return Step(self.snap_code(), "snap", KIND_JPEG)

    def stream(self, credit: int = stream.CREDIT) -> Step:
        """Ends with an acknowledgement carrying the number of frames sent."""
        return Step(self.stream_code(credit), "snap")

    def flash(self, on: bool) -> Step:
        return Step(self.flash_code(on), "flash")


def detect_step() -> Step:
    return Step(detect_code(), "detect", KIND_INFO)


def release_code() -> str:
    """Deinit the camera and remove the helper; harmless when nothing is there."""
    return dedent('''
        try:
            %s.call('release')
            del %s
        except NameError:
            pass
        ''' % (HELPER, HELPER)).strip() + "\n"


def helper_present_check() -> str:
    return "%s" % HELPER


def all_codes_for_compile_check(protocol: DeviceProtocol) -> List[str]:
    """Every piece of code the protocol can send (tests compile them all)."""
    codes = [protocol.install_code(), protocol.start_code(CameraSettings()),
             protocol.set_size_code("QVGA"), protocol.set_quality_code(50),
             protocol.set_flip_code(True, False), protocol.snap_code(), protocol.stream_code(),
             release_code(), detect_code()]
    if protocol.profile.flash_led is not None:
        codes.append(protocol.flash_code(True))
    return codes
