"""The twin's esp32-camera frame buffers (tests/virtualboard/camera_buffers.py, after
esp32-camera's cam_hal.c): one buffer halves a tight loop's frame rate, two give the
sensor's full rate; CAMERA_GRAB_WHEN_EMPTY hands a slow reader old frames, LATEST the
newest; each driver family's init arguments reach the model."""
from __future__ import annotations

import pytest

from tests.test_virtualboard_firmware import FirmwareRig
from tests.virtualboard.camera_buffers import FrameBuffers

P = 0.040  # the OV2640's SVGA-mode frame time (VGA) at 20 MHz


def _tight_loop(buffers: FrameBuffers, frames: int, start: float, work: float = 0.002) -> list:
    """fb_get, copy (``work`` seconds), fb_return, as lemariva's capture() in a loop."""
    now, times = start, []
    for _ in range(frames):
        now, _ended = buffers.take(now, P)
        times.append(now)
        now += work
        buffers.give(now, P)
    return times


def _intervals(times: list) -> list:
    return [round(b - a, 6) for a, b in zip(times[2:], times[3:])]


def test_one_buffer_gives_half_the_sensor_rate_two_the_full_rate():
    one = _intervals(_tight_loop(FrameBuffers(1, False, 0.0, P), 12, 0.0))
    assert all(abs(i - 2 * P) < 1e-6 for i in one), one
    two = _intervals(_tight_loop(FrameBuffers(2, False, 0.0, P), 12, 0.0))
    assert all(abs(i - P) < 1e-6 for i in two), two
    latest = _intervals(_tight_loop(FrameBuffers(2, True, 0.0, P), 12, 0.0))
    assert all(abs(i - P) < 1e-6 for i in latest), latest


def _ages_of_slow_reader(buffers: FrameBuffers, pause: float) -> list:
    now, ages = 1.0, []
    for _ in range(6):
        now, ended = buffers.take(now, P)
        ages.append(now - ended)
        buffers.give(now, P)
        now += pause
    return ages[2:]


def test_when_empty_hands_a_slow_reader_old_frames_latest_the_newest():
    when_empty = _ages_of_slow_reader(FrameBuffers(2, False, 0.0, P), 0.3)
    latest = _ages_of_slow_reader(FrameBuffers(2, True, 0.0, P), 0.3)
    assert all(a > 0.2 for a in when_empty), when_empty  # queued while the reader was away
    assert all(a < P for a in latest), latest  # swapped in at every VSYNC
    one = _ages_of_slow_reader(FrameBuffers(1, False, 0.0, P), 0.3)
    assert all(0.3 - 2 * P - 1e-9 <= a <= 0.3 - P + 1e-9 for a in one), one  # filled just after the return


def test_every_buffer_held_gets_no_frame():
    buffers = FrameBuffers(1, False, 0.0, P)
    assert buffers.take(0.0, P) is not None
    assert buffers.take(0.1, P) is None  # cam_take times out: nothing can be filled


@pytest.fixture
def rig(tmp_path):
    made = []

    def make(family):
        r = FirmwareRig.at_raw_repl(tmp_path / ("%s.bin" % family), family=family)
        made.append(r)
        return r

    yield make
    for r in made:
        r.stop()


LOOP = ("import time\nt = []\nfor i in range(8):\n    {grab}\n    t.append(time.ticks_ms())\n"
        "d = [time.ticks_diff(b, a) for a, b in zip(t[2:], t[3:])]\nprint('MS', sum(d) / len(d))\n")


def _ms_per_frame(r, setup: str, grab: str) -> float:
    out, err = r.raw_exec(setup + "\n" + LOOP.format(grab=grab), timeout=30)
    assert err == "", err
    return float(out.split("MS")[-1].split()[0])


def test_lemariva_fb_size_2_in_psram_doubles_the_rate_and_does_not_fit_in_dram(rig):
    r = rig("lemariva")
    base = "import camera\ncamera.init(0, format=camera.JPEG, framesize=camera.FRAME_VGA, fb_location=camera.PSRAM%s)"
    one = _ms_per_frame(r, base % "", "camera.capture()")
    out, err = r.raw_exec("camera.deinit()")
    two = _ms_per_frame(r, base % ", fb_size=2", "camera.capture()")
    assert one > 70 and two < 0.7 * one, (one, two)  # 80 ms (half of 25 frames/s) against 40 ms
    assert r.fw.sensor.buffers.count == 2
    r.raw_exec("camera.deinit()")
    out, err = r.raw_exec("camera.init(0, format=camera.JPEG, framesize=camera.FRAME_VGA, fb_size=2)")
    assert "frame buffer malloc failed" in out and "Camera Init Failed" in err  # default DRAM


def test_cnadler86_fb_count_and_grab_mode_reach_the_driver(rig):
    r = rig("cnadler86")
    make = ("from camera import Camera, PixelFormat, FrameSize, GrabMode\n"
            "cam = Camera(pixel_format=PixelFormat.JPEG, frame_size=FrameSize.VGA%s)")
    one = _ms_per_frame(r, make % "", "cam.capture()")
    r.raw_exec("cam.deinit()")
    two = _ms_per_frame(r, make % ", fb_count=2, grab_mode=GrabMode.LATEST", "cam.capture()")
    assert one > 70 and two < 0.7 * one, (one, two)
    assert (r.fw.sensor.buffers.count, r.fw.sensor.buffers.latest) == (2, True)
    r.raw_exec("cam.reconfigure(fb_count=1)")
    assert r.fw.sensor.buffers.count == 1


def test_kaki5_fb_count_reaches_the_driver(rig):
    r = rig("kaki5")
    r.raw_exec("import camera\ncamera.conf(17, 5); camera.conf(18, 9); camera.conf(20, 2)\nprint(camera.init())")
    assert r.fw.sensor.buffers.count == 2


def test_a_long_wait_keeps_the_vsync_phase():
    """Replaying only the VSYNCs after the last call and before now must not shift the sensor's phase."""
    buffers = FrameBuffers(2, True, 0.0, P)
    ready, ended = buffers.take(100.0 + P / 2, P)
    assert abs(ended - 100.0) < 1e-6 and ready == 100.0 + P / 2
