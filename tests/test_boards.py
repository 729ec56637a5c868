"""Board pin profiles: the table from the reference, and garbage-proof lookup."""
from thonnycontrib.esp32cam.core import boards


def test_default_is_ai_thinker_with_its_pins_and_leds():
    p = boards.get_profile(None)
    assert p.key == "ai_thinker" == boards.DEFAULT_PROFILE
    assert (p.pwdn, p.reset, p.xclk, p.siod, p.sioc) == (32, -1, 0, 26, 27)
    assert p.data == (5, 18, 19, 21, 36, 39, 34, 35)
    assert (p.vsync, p.href, p.pclk, p.flash_led, p.status_led) == (25, 23, 22, 4, 33)


def test_all_boards_of_the_issue_are_there():
    titles = " ".join(p.title for p in boards.PROFILES.values())
    for name in ("AI-Thinker", "WROVER-KIT", "Freenove ESP32-WROVER", "ESP-EYE", "M5Stack Camera PSRAM",
                 "V2", "Wide", "T-Journal", "ESP32-S3-EYE", "Freenove ESP32-S3", "XIAO ESP32S3 Sense"):
        assert name in titles


def test_every_profile_has_distinct_camera_pins():
    for p in boards.PROFILES.values():
        pins = p.pins()
        assert len(pins) == 16
        used = [v for v in pins.values() if v >= 0]
        assert len(used) == len(set(used)), p.key  # no pin used twice
        assert p.chip in ("esp32", "esp32s3")


def test_s3_boards_and_m5_variants_differ_where_the_table_says():
    assert boards.get_profile("xiao_esp32s3_sense").data == (15, 17, 18, 16, 14, 12, 11, 48)
    assert boards.get_profile("esp32s3_eye").chip == "esp32s3"
    v1, v2 = boards.get_profile("m5stack_psram"), boards.get_profile("m5stack_v2")
    assert (v1.siod, v1.vsync) == (25, 22) and (v2.siod, v2.vsync) == (22, 25)
    assert boards.get_profile("m5stack_wide").flash_led == 2
    assert boards.get_profile("ttgo_t_journal").pwdn == 0


def test_garbage_option_values_fall_back_to_default():
    for junk in ("", "nonsense", 42, None, "AI_THINKER "):
        assert boards.get_profile(junk).key == "ai_thinker"
    assert boards.is_valid_profile("ESP_EYE") and not boards.is_valid_profile(3)
    assert "flash LED GPIO4" in boards.describe_pins(boards.get_profile(None))
