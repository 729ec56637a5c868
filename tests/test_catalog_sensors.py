"""The catalog's "sensors" per build, checked against the real images, and the
matching (chip + PSRAM + sensor) the installer and the doctor use."""
from __future__ import annotations

import re

import pytest

from tests.real_images import pinned_builds, real_image
from thonnycontrib.esp32cam.core import sensors
from thonnycontrib.esp32cam.core.catalog import load_bundled

# esp32-camera's sensors/ov3660.c and ov5640.c log with their own TAG ("ov3660",
# "ov5640") in ESP_LOGE calls: the string is in an image exactly when the driver is
# linked in. ov2640.c has no error log, so its TAG is only there at higher log levels.
TAG = {name: re.compile(rb"(?<![A-Za-z0-9_])" + name.lower().encode() + rb"\x00") for name in ("OV3660", "OV5640")}


@pytest.mark.parametrize("build", pinned_builds(), ids=lambda b: b.id)
def test_sensors_agree_with_the_real_image(build):
    data = real_image(build.sha256)
    assert build.sensors is not None
    if build.family == "none":
        assert build.sensors == ()
        return
    assert "OV2640" in build.sensors
    for name, tag in TAG.items():
        assert (name in build.sensors) == bool(tag.search(data)), name


def test_kaki5_builds_drive_only_the_ov2640():
    kaki5 = [b for b in load_bundled().builds if b.family == "kaki5"]
    assert kaki5 and all(b.sensors == ("OV2640",) for b in kaki5)


def test_matching_prefers_the_default_and_explains_a_mismatch():
    catalog = load_bundled()
    esp32 = catalog.for_board("ai_thinker")
    default = catalog.default_for("ai_thinker")
    kaki5 = catalog.get("kaki5-x23-esp32-aithinker-wifi-ssl")
    # an OV2640 board: the default stays
    assert sensors.preselect(esp32, default, "esp32", True, "OV2640") is default
    assert sensors.mismatch(kaki5, "esp32", True, "OV2640") == ""
    # an OV3660: KAKI5 does not fit, and says why
    assert "does not drive the OV3660 (it drives: OV2640)" in sensors.mismatch(kaki5, "esp32", True, "OV3660")
    chosen = sensors.preselect(esp32, kaki5, "esp32", True, "OV3660")
    assert chosen is not None and "OV3660" in chosen.sensors and chosen.chip == "esp32"
    assert chosen.recommended
    # chip and PSRAM count too
    s3 = catalog.get("cnadler86-v0.6.2-xiao-esp32s3")
    assert "built for the ESP32S3" in sensors.mismatch(s3, "esp32", True, "OV3660")
    assert "needs PSRAM" in sensors.mismatch(default, "esp32", False, None)
    # nothing known: nothing to say
    assert sensors.mismatch(kaki5, None, None, None) == ""
    assert sensors.preselect(esp32, default, None, None, None) is default
