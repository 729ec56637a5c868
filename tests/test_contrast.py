"""core.contrast: WCAG 2.1 relative luminance and contrast ratio, and the choice of
readable status colours for light and dark themes."""
from __future__ import annotations

import pytest

from thonnycontrib.esp32cam.core import contrast as c

# Backgrounds of Thonny's UI themes (thonny/plugins/clean_ui_themes.py, base_ui_themes.py, 5.0.1)
THEME_BACKGROUNDS = ["#ffffff", "#dcdad5", "#ededed", "#252525", "#2d2d2d", "#1a1c29", "#272936", "#3d3d3d"]


def test_luminance_of_black_white_and_primaries():
    assert c.relative_luminance("#000000") == 0.0
    assert c.relative_luminance("#ffffff") == pytest.approx(1.0)
    assert c.relative_luminance("#ff0000") == pytest.approx(0.2126)
    assert c.relative_luminance("#00ff00") == pytest.approx(0.7152)
    assert c.relative_luminance((0.0, 0.0, 1.0)) == pytest.approx(0.0722)


def test_contrast_ratios_known_from_wcag_tools():
    assert c.contrast_ratio("#000", "#fff") == pytest.approx(21.0)
    assert c.contrast_ratio("#fff", "#000") == pytest.approx(21.0)  # symmetric
    assert c.contrast_ratio("#777777", "#ffffff") == pytest.approx(4.48, abs=0.01)  # the classic "just fails"
    assert c.contrast_ratio("#767676", "#ffffff") == pytest.approx(4.54, abs=0.01)
    assert c.contrast_ratio("#9f9f9f", "#252525") == pytest.approx(5.8, abs=0.1)  # Clean Dark's text
    # what issue 21 measured on Clean Dark before themed colours
    assert c.contrast_ratio("#006400", "#252525") == pytest.approx(2.1, abs=0.1)  # "dark green"
    assert c.contrast_ratio("#b22222", "#252525") == pytest.approx(2.3, abs=0.1)  # "firebrick"
    assert c.contrast_ratio("#4d4d4d", "#252525") == pytest.approx(1.8, abs=0.1)  # "gray30"


def test_colour_forms():
    assert c.to_rgb("#fff") == (1.0, 1.0, 1.0)
    assert c.to_rgb("#ffff00000000") == (1.0, 0.0, 0.0)
    assert c.from_16bit((65535, 0, 32768)) == pytest.approx((1.0, 0.0, 0.5), abs=1e-4)
    assert c.to_hex((1.0, 0.5, 0.0)) == "#ff8000"
    with pytest.raises(ValueError):
        c.to_rgb("firebrick")


@pytest.mark.parametrize("background", THEME_BACKGROUNDS)
@pytest.mark.parametrize("kind", [c.OK, c.WARNING, c.ERROR])
def test_status_colours_are_readable_on_light_and_dark_themes(kind, background):
    colour = c.status_colour(kind, background)
    assert c.contrast_ratio(colour, background) >= c.AA_NORMAL_TEXT


def test_a_readable_preferred_colour_wins_an_unreadable_one_does_not():
    assert c.status_colour(c.ERROR, "#ffffff", preferred="#cc0000") == "#cc0000"
    assert c.status_colour(c.ERROR, "#252525", preferred="#cc0000") != "#cc0000"
    assert c.status_colour(c.ERROR, "#252525", preferred="#ff595b") == "#ff595b"


def test_first_readable_falls_back_to_the_best_and_skips_missing():
    assert c.first_readable([None, "#888888", "#999999"], "#777777") == "#999999"
    with pytest.raises(ValueError):
        c.first_readable([None], "#000000")


@pytest.mark.parametrize("fg,bg", [("#000000", "#ffffff"), ("#9f9f9f", "#252525"), ("#9e9e9e", "#1a1c29"),
                                   ("#eeeeee", "#3d3d3d")])
def test_muted_text_is_fainter_but_still_readable(fg, bg):
    faint = c.muted(fg, bg)
    assert c.AA_NORMAL_TEXT <= c.contrast_ratio(faint, bg) < c.contrast_ratio(fg, bg)


def test_muted_keeps_a_foreground_with_no_contrast_to_spare():
    assert c.muted("#777777", "#ffffff") == "#777777"


def test_dark_and_light_backgrounds():
    assert c.is_dark("#252525") and not c.is_dark("#dcdad5")


def test_link_colour_readable():
    for bg in THEME_BACKGROUNDS:
        assert c.contrast_ratio(c.link_colour(bg, ["#3A66DD"]), bg) >= c.AA_NORMAL_TEXT


def test_status_texts_carry_a_symbol_once():
    assert c.marked(c.WARNING, "Catalog unreadable") == "\u26a0 Catalog unreadable"
    assert c.marked(c.ERROR, c.marked(c.ERROR, "x")) == "\u2716 x"
    assert c.marked(c.OK, "") == ""
    assert len(set(c.STATUS_MARKS.values())) == 3


def test_plain_text():
    assert c.plain_text("#252525") == c.WHITE and c.plain_text("#dcdad5") == c.BLACK
