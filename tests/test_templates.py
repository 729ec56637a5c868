"""Code templates, rendered for each driver family and run on the virtual board
(real MicroPython): photo saved to flash, flash LED around the capture, motion
detection loop (stopped with Ctrl-C like the Stop button), and the MJPEG
server: WiFi cannot connect on the virtual board (its `network` has no radio,
so the template's "could not join" path runs), then its HTTP handler is served
on a real socket and read by a real HTTP client on loopback."""
from __future__ import annotations

import ast
import binascii
import http.client
import io

import pytest
from PIL import Image

from tests.virtualboard import VirtualBoard, synthetic_firmware
from tests.virtualboard.camera_frames import BAR_COLOURS, bar_colour_at
from thonnycontrib.esp32cam import templates
from thonnycontrib.esp32cam.core import doctor
from thonnycontrib.esp32cam.core.camera.rawrepl import CTRL_C, EOT, RawRepl

pytestmark = pytest.mark.timeout(120)


class Board:
    def __init__(self, family, **kwargs):
        self.vb = VirtualBoard(firmware=synthetic_firmware(family), **kwargs)

    def __enter__(self):
        self.vb.__enter__()
        self.vb.events.wait_for("firmware_started", timeout=20)
        self.ser = doctor.open_serial(self.vb.url)
        self.repl = RawRepl(self.ser)
        return self

    def __exit__(self, *exc):
        doctor.close_serial(self.ser)
        self.vb.__exit__(*exc)

    def run(self, code, timeout=30):
        """Run to the end; returns (stdout, stderr)."""
        self.repl._submit(code.encode(), timeout)
        out = self.repl.source.read_until(EOT, timeout)
        err = self.repl.source.read_until(EOT, timeout)
        self.repl.source.read_until(b">", timeout)
        return out.rstrip(EOT).decode(errors="replace"), err.rstrip(EOT).decode(errors="replace")

    def start(self, code):
        self.repl._submit(code.encode(), 10)

    def read_until(self, text, timeout=20):
        data = self.repl.source.read_until(text.encode(), timeout)
        assert data.endswith(text.encode()), data[-500:]
        return data.decode(errors="replace")

    def stop(self, timeout=20):
        """Ctrl-C, like Thonny's Stop; returns the rest of stdout and stderr."""
        self.repl.source.write(CTRL_C)
        out = self.repl.source.read_until(EOT, timeout)
        err = self.repl.source.read_until(EOT, timeout)
        self.repl.source.read_until(b">", timeout)
        return out.decode(errors="replace"), err.decode(errors="replace")

    def read_file(self, name):
        out, err = self.run("import binascii\nwith open(%r, 'rb') as f:\n    print(binascii.hexlify(f.read()).decode())" % name)
        assert not err, err
        return binascii.unhexlify(out.strip())


def _check_bars(jpeg, size):
    img = Image.open(io.BytesIO(jpeg)).convert("RGB")
    assert img.size == size
    for i, colour in enumerate(BAR_COLOURS):
        assert all(abs(a - b) < 40 for a, b in zip(bar_colour_at(img, i), colour))


@pytest.mark.parametrize("name", list(templates.TEMPLATES))
@pytest.mark.parametrize("family", ["lemariva", "kaki5", "cnadler86"])
@pytest.mark.parametrize("profile", ["ai_thinker", "m5stack_wide", "xiao_esp32s3_sense"])
def test_every_template_renders_valid_python_with_the_familys_api(name, family, profile):
    code = templates.render(name, family, profile)
    ast.parse(code)
    assert "$" not in code.replace("$$", "")
    if family == "cnadler86":
        assert "Camera(" in code and "jpeg_quality=quality" in code
    elif family == "kaki5":
        assert "camera.conf(FRAMESIZE" in code and "63 - quality * 53 // 100" in code
    else:
        assert 'getattr(camera, "FRAME_" + size)' in code and "63 - quality * 53 // 100" in code
    if profile != "ai_thinker" and family == "lemariva":
        assert "xclk=27" in code or "xclk=10" in code
    if name == "flash_led":
        assert ("LED_PIN = 4" in code) if profile == "ai_thinker" else ("LED_PIN = 2" in code or "LED_PIN = None" in code)


@pytest.mark.parametrize("family", ["lemariva", "kaki5", "cnadler86"])
def test_photo_template_saves_the_test_pattern_to_flash(family):
    with Board(family) as b:
        out, err = b.run(templates.render("photo", family))
        assert not err and "Saved photo.jpg" in out, (out, err)
        _check_bars(b.read_file("photo.jpg"), (640, 480))
        # camera released: running it again works
        out, err = b.run(templates.render("photo", family))
        assert not err and "Saved photo.jpg" in out, (out, err)


def test_flash_led_template_lights_gpio4_around_the_capture():
    with Board("lemariva") as b:
        out, err = b.run(templates.render("flash_led", "lemariva"))
        assert not err and "Photo with flash" in out, (out, err)
        pins = [(e.time, e.data["value"]) for e in b.vb.events.all("pin") if e.data.get("pin") == 4]
        frames = [e.time for e in b.vb.events.all("camera_frame")]
        values = [v for _, v in pins]
        assert values[:6] == [1, 0, 1, 0, 1, 0] and values[-2:] == [1, 0]
        on, off = pins[-2][0], pins[-1][0]
        assert frames and on < frames[-1] < off  # the photo was taken with the flash on


def test_flash_led_template_refuses_boards_without_flash_led():
    code = templates.render("flash_led", "lemariva", "esp32s3_eye")
    assert "LED_PIN = None" in code and "has no flash LED" in code


@pytest.mark.parametrize("family", ["lemariva", "cnadler86"])
def test_motion_template_loops_on_grayscale_frames_until_stopped(family):
    with Board(family) as b:
        b.start(templates.render("motion", family))
        text = b.read_until("frame 2:")
        out, err = b.stop()
        assert "camera released" in out and "KeyboardInterrupt" in err, (out, err)
        assert "still (" in text or "MOTION" in text
        # the frame difference itself: identical frames 0 %, different ones counted
        out, err = b.run("print(changed_percent(b'\\x00' * 700, b'\\x00' * 700), "
                         "changed_percent(b'\\x00' * 700, b'\\xff' * 700))")
        assert out.split() == ["0.0", "100.0"], (out, err)


def test_mjpeg_template_wifi_message_and_stream_over_a_real_socket():
    with Board("kaki5") as b:  # no access point of that name around
        out, err = b.run(templates.render("mjpeg", "kaki5"), timeout=40)
        assert "WiFi: could not join 'your-wifi-name'" in out and not err, (out, err)
    # the access point the template names: it joins, and its server is reached over the
    # virtual board's Wi-Fi (served on the host's loopback, tests/virtualboard/wifi.py)
    with Board("kaki5", wifi={"your-wifi-name": "your-wifi-password"}) as b:
        b.run(templates.render("mjpeg", "kaki5").replace("\nmain()", "\n"), timeout=40)
        out, err = b.run("print(connect_wifi())", timeout=40)
        assert out.strip().startswith("192.168.1."), (out, err)
        b.start("camera_start('QQVGA', 70)\ntry:\n    serve(8080)\nfinally:\n    camera_stop()\n")
        host, port = b.vb.wifi_address(8080)
        conn = http.client.HTTPConnection(host, port, timeout=10)
        conn.request("GET", "/stream")
        resp = conn.getresponse()
        assert resp.status == 200 and "multipart/x-mixed-replace" in resp.getheader("Content-Type")
        jpegs = []
        for _ in range(2):
            assert resp.fp.readline() == b"--frame\r\n"
            headers = {}
            while True:
                line = resp.fp.readline()
                if line == b"\r\n":
                    break
                k, v = line.decode().split(":", 1)
                headers[k.strip().lower()] = v.strip()
            assert headers["content-type"] == "image/jpeg"
            jpegs.append(resp.fp.read(int(headers["content-length"])))
            assert resp.fp.readline() == b"\r\n"
        resp.close()  # the browser goes away: the template's server must notice and serve the next one
        conn.close()
        for jpeg in jpegs:
            _check_bars(jpeg, (160, 120))
        assert jpegs[0] != jpegs[1]  # successive frames
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
        conn.request("GET", "/photo.jpg")
        photo = conn.getresponse()
        assert photo.status == 200
        _check_bars(photo.read(), (160, 120))
        conn.close()
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
        conn.request("GET", "/")
        assert b'<img src="/stream"' in conn.getresponse().read()
        conn.close()
        out, err = b.stop()
        assert "KeyboardInterrupt" in err
