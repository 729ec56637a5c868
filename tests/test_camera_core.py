"""Camera protocol, pure parts: family constants, quality direction, transfer
encodings, error classification, and the generated MicroPython code compiled
and run by the REAL MicroPython unix port (with a minimal in-test driver that
records what the generated code passed to it)."""
from __future__ import annotations

import ast
import os
import random
import shutil
import subprocess
import sys

import pytest

from thonnycontrib.esp32cam.core import boards
from thonnycontrib.esp32cam.core.camera import devicecode, families as fam, problems, transfer
from thonnycontrib.esp32cam.core.camera.session import CameraSession, RunResult


def test_frame_size_numbering_differs_per_family_but_names_do_not():
    vga = fam.frame_size("vga")
    assert (vga.width, vga.height) == (640, 480)
    assert vga.lemariva_constant == "FRAME_VGA" and vga.kaki5_number == 9  # KAKI5 is 1-based
    assert fam.frame_size("QVGA").kaki5_number == 6 and fam.frame_size("UXGA").kaki5_number == 14
    assert devicecode.size_argument(fam.CNADLER86, "QVGA") == "'QVGA'"
    assert devicecode.size_argument(fam.LEMARIVA, "QVGA") == "'FRAME_QVGA'"
    assert devicecode.size_argument(fam.KAKI5, "QVGA") == "6"
    with pytest.raises(ValueError, match="Choose one of"):
        fam.frame_size("HUGE")


def test_quality_direction_is_inverted_for_lemariva_and_kaki5():
    for family in (fam.LEMARIVA, fam.KAKI5):
        assert fam.native_quality(family, 100) == 10  # best
        assert fam.native_quality(family, 0) == 63  # worst
        assert fam.native_quality(family, 90) < fam.native_quality(family, 50)
        assert fam.quality_from_native(family, fam.native_quality(family, 70)) in range(68, 73)
    assert fam.native_quality(fam.CNADLER86, 90) == 90 > fam.native_quality(fam.CNADLER86, 50)
    assert fam.native_quality(fam.CNADLER86, 500) == 100 and fam.native_quality(fam.LEMARIVA, -5) == 63


@pytest.mark.parametrize("encoding", transfer.ENCODINGS)
def test_every_encoding_round_trips_all_byte_values(encoding):
    data = bytes(range(256)) * 4 + b"\x1b\x1b\x05\x1b"
    wire = transfer.make_header("J", encoding, len(transfer.encode(encoding, data))) + transfer.encode(encoding, data)

    class Source:
        buf = bytearray(wire + b"\x04\x04>")

        def read(self, n, timeout=1):
            r = bytes(self.buf[:n]); del self.buf[:n]; return r

        def read_until(self, pattern, timeout=1):
            m = pattern.search(self.buf)
            r = bytes(self.buf[: m.end()]); del self.buf[: m.end()]; return r

    frame = transfer.read_frame(Source(), 1)
    assert frame.payload == data and frame.kind == "J" and frame.wire_bytes == len(wire)
    if encoding == transfer.ESCAPED:
        assert b"\x05" not in transfer.encode(encoding, data)


def test_escaped_overhead_is_under_one_percent_and_base64_a_third():
    data = random.Random(1).randbytes(100_000)
    assert len(transfer.encode(transfer.ESCAPED, data)) / len(data) < 1.01
    assert len(transfer.encode(transfer.BASE64, data)) / len(data) > 1.33


def test_damaged_transfers_are_detected():
    with pytest.raises(transfer.TransferError):
        transfer.decode(transfer.ESCAPED, b"abc\x1b\x07")
    with pytest.raises(transfer.TransferError):
        transfer.decode(transfer.BASE64, b"!!!notbase64")
    assert not transfer.looks_like_jpeg(b"\xff\xd8 truncated")


def test_classification_of_device_errors():
    assert problems.classify("ImportError: no module named 'camera'").kind == problems.NO_CAMERA_MODULE
    p = problems.classify("Traceback...\nOSError: Camera Init Failed", during="start", profile_title="ESP-EYE")
    assert p.kind == problems.INIT_FAILED and "ribbon" in p.explanation and "ESP-EYE" in p.explanation
    assert problems.classify("E (510) camera: Camera probe failed with error 0x105(ESP_ERR_NOT_FOUND)").kind == problems.INIT_FAILED
    assert problems.classify("OSError: Camera Init Failed", heap=110_000, during="start").kind == problems.NO_PSRAM
    assert problems.classify("cam_hal: frame buffer malloc failed").kind == problems.NO_PSRAM
    assert problems.classify("OSError: camera.capture() returned no image", during="snap").kind == problems.CAPTURE_FAILED
    assert problems.no_camera_module().action == problems.ACTION_INSTALL_FIRMWARE


@pytest.mark.parametrize("family", fam.FAMILIES)
@pytest.mark.parametrize("profile", ["ai_thinker", "m5stack_wide", "xiao_esp32s3_sense"])
def test_generated_code_is_valid_python_for_every_family_and_profile(family, profile):
    proto = devicecode.DeviceProtocol(family, boards.get_profile(profile), default_profile=profile == "ai_thinker")
    for code in devicecode.all_codes_for_compile_check(proto):
        ast.parse(code)
    if family == fam.KAKI5 and profile != "ai_thinker":
        assert "c.conf(2, %d)  # PIN_XCLK" % boards.get_profile(profile).xclk in proto.install_code()
    if family == fam.LEMARIVA and profile != "ai_thinker":
        assert "xclk=%d" % boards.get_profile(profile).xclk in proto.install_code()
    assert "Camera Init Failed" in proto.install_code() or family == fam.CNADLER86


# --- the generated code on the real MicroPython unix port ---------------------------------

MICROPYTHON = shutil.which("micropython") or os.path.join(os.path.dirname(sys.executable), "micropython")

# Minimal recorders standing in for the three drivers' APIs: they record the
# calls the generated code makes, so the test checks constants and quality direction.
_RECORDERS = {
    fam.LEMARIVA: '''
import sys
class _M: pass
camera = _M(); camera.JPEG = 3; camera.PSRAM = 1; LOG = []
for i, n in enumerate(%(sizes)r):
    setattr(camera, 'FRAME_' + n, i)
camera.init = lambda *a, **kw: LOG.append(('init', a, sorted(kw.items()))) or True
camera.deinit = lambda: LOG.append(('deinit',))
camera.capture = lambda: b'\\xff\\xd8' + bytes(range(256)) + b'\\xff\\xd9'
camera.flip = lambda v: LOG.append(('flip', v)); camera.mirror = lambda v: LOG.append(('mirror', v))
camera.framesize = lambda v: LOG.append(('framesize', v)); camera.quality = lambda v: LOG.append(('quality', v))
sys.modules['camera'] = camera
''',
    fam.KAKI5: '''
import sys
class _M: pass
camera = _M(); LOG = []
camera.conf = lambda k, v: LOG.append(('conf', k, v))
camera.init = lambda: LOG.append(('init',)) or True
camera.deinit = lambda: LOG.append(('deinit',)) or True
camera.capture = lambda: b'\\xff\\xd8' + bytes(range(256)) + b'\\xff\\xd9'
camera.flip = lambda v: LOG.append(('flip', v)); camera.mirror = lambda v: LOG.append(('mirror', v))
camera.framesize = lambda v: LOG.append(('framesize', v)); camera.quality = lambda v: LOG.append(('quality', v))
sys.modules['camera'] = camera
''',
    fam.CNADLER86: '''
import sys
class _M: pass
camera = _M(); LOG = []
class FrameSize: pass
for n in %(sizes)r:
    setattr(FrameSize, n, 'FS_' + n)
class PixelFormat: JPEG = 'JPEG'
class Camera:
    def __init__(s, **kw):
        LOG.append(('Camera', sorted(kw.items())))
    def __setattr__(s, k, v):
        LOG.append(('set', k, v))
    def capture(s):
        return memoryview(b'\\xff\\xd8' + bytes(range(256)) + b'\\xff\\xd9')
    def free_buffer(s): LOG.append(('free',))
    def deinit(s): LOG.append(('deinit',))
camera.Camera = Camera; camera.FrameSize = FrameSize; camera.PixelFormat = PixelFormat
sys.modules['camera'] = camera
''',
}


class _PipeRunner:
    """Runs each request as a separate chunk of one MicroPython program: good enough
    to execute the generated code for real and parse the frames it writes."""

    def __init__(self, family):
        self.family = family
        self.codes = [_RECORDERS[family] % {"sizes": list(fam.FRAME_SIZES)}]

    def run(self, code, timeout):
        self.codes.append(code)
        program = "\n".join(self.codes) + "\nprint()\nprint('LOG', repr(LOG))\n"
        out = subprocess.run([MICROPYTHON, "-c", program], capture_output=True, timeout=30)
        data = out.stdout
        # frames written by earlier requests come first: take the last one
        frames = []

        class Src:
            buf = bytearray(data)

            def read(self, n, timeout=1):
                r = bytes(self.buf[:n]); del self.buf[:n]; return r

            def read_until(self, pattern, timeout=1):
                m = pattern.search(self.buf)
                end = m.end() if m else len(self.buf)
                r = bytes(self.buf[:end]); del self.buf[:end]; return r

        src = Src()
        while transfer.HEADER_RE.search(src.buf):
            frames.append(transfer.read_frame(src, 1))
        self.log = src.buf.decode("latin-1")
        return RunResult(frames[-1] if frames else None, out.stderr.decode())


@pytest.mark.skipif(not os.path.exists(MICROPYTHON), reason="micropython unix port not installed")
@pytest.mark.parametrize("family", fam.FAMILIES)
def test_generated_code_drives_each_driver_api_correctly_on_real_micropython(family):
    runner = _PipeRunner(family)
    session = CameraSession(runner, "ai_thinker")
    info = session.detect()
    assert info.family == family and info.heap > 0
    session.start(devicecode.CameraSettings("VGA", quality=90, vflip=True))
    cap = session.capture()
    assert cap.jpeg == b"\xff\xd8" + bytes(range(256)) + b"\xff\xd9"
    session.apply(devicecode.CameraSettings("QVGA", quality=90, vflip=True))
    log = runner.log
    if family == fam.LEMARIVA:
        assert "('framesize', 8), ('quality', 15)])" in log  # init: named FRAME_VGA = 8, 90 % -> 15
        assert log.rstrip().endswith("('framesize', 5)]")  # then camera.framesize(FRAME_QVGA)
        assert "('quality', 15)" in log  # 90 % -> 15 on 10(best)..63
        assert "('flip', 1)" in log
    elif family == fam.KAKI5:
        assert "('conf', 18, 9)" in log and "('conf', 18, 6)" in log  # VGA=9, QVGA=6 (1-based), re-init
        assert "('conf', 17, 5)" in log and "('conf', 19, 15)" in log
    else:
        assert "('frame_size', 'FS_VGA')" in log and "('jpeg_quality', 90)" in log
        assert "('set', 'frame_size', 'FS_QVGA')" in log and "('free',)" in log
