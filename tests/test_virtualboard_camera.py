"""The virtual board's simulated camera drivers (lemariva, KAKI5, cnadler86).

Frames travel like on a real board: captured by the `camera` module inside
MicroPython, then printed over the UART (base64, raw REPL) and decoded with
Pillow here. The test pattern is documented in tests/virtualboard/camera_frames.py.
"""
from __future__ import annotations

import base64
import io
import re

import pytest
from PIL import Image

from tests.test_virtualboard_firmware import FirmwareRig
from tests.virtualboard.camera_frames import BAR_COLOURS, FrameRenderer, bar_colour_at, decode_frame_number

PROBE_FAILED = re.compile(r"E \(\d+\) camera: Camera probe failed with error 0x105\(ESP_ERR_NOT_FOUND\)")

# the same two captures in each family's own API: QVGA first, then VGA after a settings change
CAPTURE_SCRIPTS = {
    "lemariva": """
import camera, binascii
camera.init(0, format=camera.JPEG, framesize=camera.FRAME_QVGA, quality=12, fb_location=camera.PSRAM)
a = camera.capture()
b = camera.capture()
camera.framesize(camera.FRAME_VGA)
c = camera.capture()
camera.deinit()
""",
    "kaki5": """
import camera, binascii
camera.conf(17, 5)   # PIXFORMAT = JPEG
camera.conf(18, 6)   # FRAMESIZE = QVGA
print('init', camera.init())
a = camera.capture()
b = camera.capture()
camera.framesize(9)  # VGA
c = camera.capture()
camera.deinit()
""",
    "cnadler86": """
from camera import Camera, PixelFormat, FrameSize
import binascii
with Camera(pixel_format=PixelFormat.JPEG, frame_size=FrameSize.QVGA, jpeg_quality=85) as cam:
    print('size', cam.pixel_width, cam.pixel_height, cam.sensor_name)
    a = bytes(cam.capture())
    cam.free_buffer()
    b = bytes(cam.capture())
    cam.reconfigure(frame_size=FrameSize.VGA)
    c = bytes(cam.capture())
    cam.free_buffer()
""",
}
PRINT_FRAMES = "for f in (a, b, c): print(binascii.b2a_base64(f).decode().strip())\n"


def boot_raw(tmp_path, **kwargs) -> FirmwareRig:
    return FirmwareRig.at_raw_repl(tmp_path / "flash.bin", **kwargs)


@pytest.fixture
def board(tmp_path):
    rigs = []

    def make(**kwargs) -> FirmwareRig:
        r = boot_raw(tmp_path, **kwargs)
        rigs.append(r)
        return r

    yield make
    for r in rigs:
        r.stop()


@pytest.mark.parametrize("family", ["lemariva", "kaki5", "cnadler86"])
def test_capture_gives_real_jpeg_frames_in_each_family_api(board, family):
    r = board(family=family)
    out, err = r.raw_exec(CAPTURE_SCRIPTS[family] + PRINT_FRAMES)
    assert err == ""
    lines = out.strip().splitlines()
    frames = [base64.b64decode(line) for line in lines[-3:]]
    images = [Image.open(io.BytesIO(f)) for f in frames]
    assert all(img.format == "JPEG" for img in images)
    assert [img.size for img in images] == [(320, 240), (320, 240), (640, 480)]
    assert 1500 < len(frames[0]) < 20000  # a QVGA JPEG of realistic size
    numbers = [decode_frame_number(img) for img in images]
    assert numbers == [1, 2, 3]  # successive frames differ: the counter is in the picture
    assert frames[0] != frames[1]
    for index, expected in enumerate(BAR_COLOURS):
        got = bar_colour_at(images[2], index)
        assert all(abs(g - e) < 40 for g, e in zip(got, expected)), (index, got, expected)
    if family == "kaki5":
        assert "init True" in out
    if family == "cnadler86":
        assert "size 320 240 OV2640" in out


def test_frames_are_the_documented_pattern():
    renderer = FrameRenderer()
    jpeg = Image.open(io.BytesIO(renderer.render(160, 120, 513)))
    assert jpeg.size == (160, 120) and decode_frame_number(jpeg) == 513
    flipped = renderer.image(160, 120, 7, hmirror=True)
    for (x, y), colour in (((2, 10), BAR_COLOURS[-1]), ((157, 10), BAR_COLOURS[0])):  # sensor noise: ±12
        assert all(abs(a - b) <= 12 for a, b in zip(flipped.getpixel((x, y)), colour)), flipped.getpixel((x, y))
    gray = renderer.render(96, 96, 1, fmt="grayscale")
    assert len(gray) == 96 * 96
    assert len(renderer.render(96, 96, 1, fmt="rgb565")) == 96 * 96 * 2


def test_frame_sizes_follow_size_and_quality_as_measured_on_real_ov2640s():
    """Real OV2640 frames (see camera_frames): SVGA at quality 20 gave 15-49 KB
    (esp32-camera #179), QQVGA at 16 often exceeds 3840 bytes (#663); size ~ w*h / (2 q^0.75)."""
    renderer = FrameRenderer()

    def size(w, h, q):
        return len(renderer.render(w, h, 3, esp_quality=q))

    assert 15_000 <= size(800, 600, 20) <= 49_000
    assert size(160, 120, 16) >= 2_500
    for w, h in ((320, 240), (640, 480)):
        assert size(w, h, 10) > size(w, h, 20) > size(w, h, 30)  # size follows quality
        model = w * h / (2 * 12 ** 0.75)
        assert 0.7 * model <= size(w, h, 12) <= 1.6 * model, (w, h, size(w, h, 12), model)


def test_official_build_has_no_camera_module(board):
    r = board(family=None)
    out, err = r.raw_exec("import camera")
    assert "ImportError: no module named 'camera'" in err


def test_camera_module_is_not_a_file_on_the_board(board):
    r = board(family="lemariva")
    out, err = r.raw_exec("import os, camera; print(os.listdir('/'), hasattr(camera, '__file__'))")
    assert (out, err) == ("['boot.py'] False\r\n", "")


def test_missing_camera_fails_init_with_the_drivers_errors(tmp_path):
    lem = boot_raw(tmp_path, family="lemariva", camera_missing=True)
    try:
        out, err = lem.raw_exec("import camera\ncamera.init(0, format=camera.JPEG, fb_location=camera.PSRAM)")
        assert PROBE_FAILED.search(out), out
        assert "OSError: Camera Init Failed" in err
    finally:
        lem.stop()

    kaki = boot_raw(tmp_path, family="kaki5", camera_missing=True)
    try:
        out, err = kaki.raw_exec("import camera\ncamera.conf(17, 5); camera.conf(18, 6)\nprint(camera.init())")
        assert PROBE_FAILED.search(out) and out.endswith("False\r\n"), out
    finally:
        kaki.stop()

    cn = boot_raw(tmp_path, family="cnadler86", camera_missing=True)
    try:
        out, err = cn.raw_exec("from camera import Camera\ncam = Camera()")
        assert PROBE_FAILED.search(out), out
        assert "OSError: (-261, 'ESP_ERR_NOT_FOUND')" in err
    finally:
        cn.stop()


def test_without_psram_camera_builds_cannot_allocate_frame_buffers(board):
    r = board(family="lemariva", psram=False)
    out, err = r.raw_exec("import camera\ncamera.init(0, format=camera.JPEG)")
    assert "frame buffer malloc failed" in out
    assert "OSError: Camera Init Failed" in err


def test_lemariva_driver_state_survives_soft_reboot_so_a_second_init_fails(board):
    r = board(family="lemariva")
    out, err = r.raw_exec("import camera\nprint(camera.init(0, format=camera.JPEG))")
    assert (out, err) == ("True\r\n", "")
    r.send(b"\x04")  # soft reboot: esp32-camera stays initialised, the module keeps no state
    r.expect(b"raw REPL; CTRL-B to exit\r\n>")
    out, err = r.raw_exec("import camera\nprint(camera.capture()[:2])")
    assert (out, err) == ("b'\\xff\\xd8'\r\n", "")  # still capturing: a JPEG SOI marker
    out, err = r.raw_exec("camera.init(0, format=camera.JPEG)")
    assert PROBE_FAILED.search(out) and "Camera Init Failed" in err
    out, err = r.raw_exec("print(camera.deinit(), camera.init(0, format=camera.JPEG))")
    assert (out, err) == ("True True\r\n", "")


def test_kaki5_needs_format_and_size_before_init(board):
    r = board(family="kaki5")
    out, err = r.raw_exec("import camera\nprint(camera.init(), camera.capture())")
    assert out.endswith("False False\r\n") and "Camera config failed" in out
    out, err = r.raw_exec("camera.conf(17, 4); camera.conf(18, 2)\nprint(camera.init(), len(camera.capture()))")
    assert (out, err) == ("True 19200\r\n", "")  # GRAYSCALE QQVGA: 160 x 120 bytes


def test_cnadler86_one_camera_at_a_time_and_checks_init(board):
    r = board(family="cnadler86")
    script = (
        "from camera import Camera, FrameSize\n"
        "a = Camera(frame_size=FrameSize.QQVGA)\n"
        "try:\n    Camera()\nexcept OSError as e:\n    print('second', e)\n"
        "a.deinit()\n"
        "try:\n    a.capture()\nexcept OSError as e:\n    print('after deinit', e)\n"
        "b = Camera(frame_size=FrameSize.QQVGA)\n"
        "b.brightness = 2\n"
        "print(b.brightness, b.get_brightness(), b.frame_size == FrameSize.QQVGA)\n"
        "try:\n    b.brightness = 5\nexcept ValueError as e:\n    print(e)\n"
    )
    out, err = r.raw_exec(script)
    assert err == ""
    assert "second (-261, 'ESP_ERR_NOT_FOUND')" in out
    assert "after deinit [Errno 2] ENOENT" in out
    assert "2 2 True" in out
    assert "Invalid setting for brightness" in out
