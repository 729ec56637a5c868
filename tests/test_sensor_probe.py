"""Camera sensor identification: the twin's SCCB sensors (`--sensor`), each driver
family with a sensor its build does not drive, and the plug-in's probe against them."""
from __future__ import annotations

import re

import pytest

from tests.test_virtualboard_firmware import FirmwareRig
from tests.virtualboard.sccb import SccbBus
from thonnycontrib.esp32cam.core import boards, sensors

CLOCK = "import machine\nck = machine.PWM(machine.Pin(0), freq=20000000, duty_u16=32768)\n"
I2C = "bus = machine.SoftI2C(scl=machine.Pin(27), sda=machine.Pin(26))\n"


def boot(tmp_path, family, sensor="OV2640", **kwargs) -> FirmwareRig:
    """The firmware of ``family`` on a board whose camera module has ``sensor`` (--sensor)."""
    return FirmwareRig.at_raw_repl(tmp_path / ("flash-%s-%s.bin" % (family, sensor)), family=family,
                                   sensor=sensor, **kwargs)


@pytest.fixture
def board(tmp_path):
    rigs = []

    def make(family="lemariva", sensor="OV2640"):
        rigs.append(boot(tmp_path, family, sensor))
        return rigs[-1]

    yield make
    for r in rigs:
        r.stop()


# --- the twin's sensors, host side -------------------------------------------

@pytest.mark.parametrize("model, address, id_bytes", [
    ("OV2640", 0x30, (0x26, 0x42)), ("OV3660", 0x3C, (0x36, 0x60)), ("OV5640", 0x3C, (0x56, 0x40))])
def test_sccb_id_registers(model, address, id_bytes):
    bus = SccbBus(model)
    assert bus.scan(26, 27, {}) == []  # no XCLK: the sensor does not answer
    bus.set_pwm(0, 20_000_000, 32768)
    assert bus.scan(26, 27, {}) == [address]
    assert bus.scan(14, 15, {}) == []  # other pins: nothing there
    assert bus.scan(26, 27, {32: 1}) == []  # PWDN high: powered down
    if model == "OV2640":
        bus.write(b"\x0a")
        assert bus.read(1) != bytes([id_bytes[0]])  # the DSP bank after power-up
        bus.write(b"\xff\x01")
        bus.write(b"\x0a")
        assert bus.read(2) == bytes(id_bytes)  # PID, VER (auto-increment)
    else:
        bus.write(b"\x30\x0a")
        assert bus.read(1) == bytes(id_bytes[:1])
        bus.write(b"\x30\x0b")
        assert bus.read(1) == bytes(id_bytes[1:])
    bus.set_pwm(0, 1000, 32768)  # far below the sensors' 6 MHz minimum input clock
    assert bus.scan(26, 27, {}) == []


def test_unknown_sensor_is_refused():
    with pytest.raises(ValueError, match="unknown sensor"):
        SccbBus("OV9999")


# --- the twin's machine.I2C / SoftI2C and PWM in MicroPython -----------------

def test_i2c_answers_only_with_xclk_and_missing_address_is_enodev(board):
    r = board("kaki5", "OV3660")
    out, err = r.raw_exec("import machine\n" + I2C + "print(bus.scan())\n")
    assert (out.strip(), err) == ("[]", "")
    out, err = r.raw_exec(CLOCK + I2C + "print(bus.scan())\nbus.writeto(0x3c, b'\\x30\\x0a')\n"
                          "print(bus.readfrom(0x3c, 1))\nprint(bus.readfrom_mem(0x3c, 0x300b, 1, addrsize=16))\n"
                          "bus.writeto(0x30, b'\\x0a')\n")
    assert out.splitlines() == ["[60]", "b'6'", "b'`'"]
    assert err.strip().endswith("OSError: [Errno 19] ENODEV"), err
    out, err = r.raw_exec("machine.I2C(2, scl=machine.Pin(27), sda=machine.Pin(26))")
    assert "ValueError: I2C(2) doesn't exist" in err
    out, err = r.raw_exec("machine.PWM(machine.Pin(0), freq=50000000)")
    assert "ValueError: frequency must be from 1Hz to 40MHz" in err


# --- each family with a sensor its build does not drive ----------------------

NOT_SUPPORTED = re.compile(r"E \(\d+\) camera: Detected camera not supported\.\r?\n"
                           r"E \(\d+\) camera: Camera probe failed with error 0x106\(ESP_ERR_NOT_SUPPORTED\)")


def test_kaki5_with_an_ov3660_returns_false_after_the_drivers_log(board):
    r = board("kaki5", "OV3660")
    out, err = r.raw_exec("import camera\ncamera.conf(17, 5); camera.conf(18, 6)\nprint(camera.init())")
    assert NOT_SUPPORTED.search(out) and out.endswith("False\r\n"), out
    assert err == ""


def test_lemariva_and_cnadler86_drive_the_ov3660_and_ov5640(board):
    r = board("lemariva", "OV3660")
    out, err = r.raw_exec("import camera\nprint(camera.init(0, format=camera.JPEG, fb_location=camera.PSRAM))\n"
                          "print(len(camera.capture()) > 1000)\ncamera.deinit()")
    assert (out, err) == ("True\r\nTrue\r\n", "")
    r = board("cnadler86", "OV5640")
    out, err = r.raw_exec("from camera import Camera\nc = Camera()\nprint(c.sensor_name, c.get_sensor_name())\n"
                          "c.deinit()")
    assert (out, err) == ("OV5640 OV5640\r\n", "")


# --- the plug-in's probe against the twin ------------------------------------

@pytest.mark.parametrize("model, family, address, chip_id", [
    ("OV2640", "kaki5", 0x30, 0x2642), ("OV3660", "kaki5", 0x3C, 0x3660), ("OV5640", "lemariva", 0x3C, 0x5640)])
def test_probe_identifies_each_sensor(board, model, family, address, chip_id):
    r = board(family, model)
    out, err = r.raw_exec(sensors.probe_code(boards.get_profile("ai_thinker")))
    assert err == ""
    facts = sensors.parse_probe(out)
    assert (facts.sensor, facts.address, facts.chip_id, facts.source) == (model, address, chip_id, "sccb")
    assert facts.chip == "esp32" and facts.psram is True
    assert model in facts.describe_sensor()
    # the probe stopped XCLK again: the sensor is silent for anyone else now
    out, err = r.raw_exec("import machine\n" + I2C + "print(bus.scan())\n")
    assert out.strip() == "[]"


def test_probe_works_on_micropython_1_14_whose_pwm_has_no_duty_u16(tmp_path):
    r = boot(tmp_path, "lemariva", "OV2640", banner="MicroPython v1.14 on 2021-02-05; ESP32 module with ESP32")
    try:
        out, err = r.raw_exec(CLOCK)
        assert "unexpected keyword argument 'duty_u16'" in err  # as the v1.14 firmware says
        out, err = r.raw_exec(sensors.probe_code(boards.get_profile("ai_thinker")))
        assert err == "" and sensors.parse_probe(out).sensor == "OV2640", out
    finally:
        r.stop()


def test_probe_with_a_wrong_pin_profile_finds_nothing(board):
    r = board("kaki5", "OV2640")
    out, err = r.raw_exec(sensors.probe_code(boards.get_profile("esp_eye")))
    facts = sensors.parse_probe(out)
    assert facts.sensor is None and facts.scanned == []
    assert facts.describe_sensor() == "no sensor answered on SCCB"


# --- the camera session (camera view, snapshot CLI) ---------------------------

@pytest.mark.parametrize("sensor, kind", [("OV3660", "unsupported_sensor"), ("OV2640", None)])
def test_snapshot_on_kaki5_names_an_unsupported_sensor(tmp_path, capsys, sensor, kind):
    from tests.virtualboard import VirtualBoard, synthetic_firmware
    from thonnycontrib.esp32cam.cli import main as cli_main

    out = tmp_path / "photo.jpg"
    with VirtualBoard(firmware=synthetic_firmware("kaki5"), sensor=sensor, line_rate="unlimited") as board:
        board.events.wait_for("firmware_started", timeout=15)
        code = cli_main(["snapshot", "--port", board.url, "-o", str(out)])
    err = capsys.readouterr().err
    if kind is None:  # an OV2640 board: nothing changes
        assert code == 0 and out.exists(), err
        return
    assert code == 1 and not out.exists()
    assert "This firmware does not drive the OV3660 camera sensor" in err, err
    assert "drives only the OV2640" in err and "lemariva camera driver" in err


def test_shell_hint_names_the_unsupported_sensor_not_the_ribbon(board):
    from thonnycontrib.esp32cam.core import bootlog
    from thonnycontrib.esp32cam.core.diagnosis import SHELL_HINTS

    r = board("kaki5", "OV3660")
    out, err = r.raw_exec("import camera\ncamera.conf(17, 5); camera.conf(18, 6)\nprint(camera.init())")
    tracker = bootlog.EpisodeTracker()
    codes = [f.code for f in tracker.feed_text(out)]
    assert codes == [bootlog.UNSUPPORTED_SENSOR]
    assert "not an OV2640" in SHELL_HINTS[codes[0]]
    # an OV2640 board that is simply not connected still gets the ribbon-cable hint
    assert [f.code for f in bootlog.EpisodeTracker().feed_text(
        "E (1058) camera: Camera probe failed with error 0x105(ESP_ERR_NOT_FOUND)\n")] == [bootlog.CAMERA_PROBE_FAILED]
