"""Code templates for the camera, written for one driver family and board profile.

``render(name, family, profile_key)`` returns MicroPython source for a new
editor. The family-specific lines come from ``camera_functions``: every
template calls ``camera_start()``, ``camera_capture()`` and ``camera_stop()``,
so the user reads the same program whatever firmware the board runs.
"""
from __future__ import annotations

import os
from string import Template
from typing import Dict, Optional, Tuple

from thonnycontrib.esp32cam.core import boards
from thonnycontrib.esp32cam.core.camera import families as fam
from thonnycontrib.esp32cam.core.i18n import N_

HERE = os.path.dirname(os.path.abspath(__file__))

# name -> (menu label, file); the labels are translated where shown (``_(label)``)
TEMPLATES: Dict[str, Tuple[str, str]] = {
    "photo": (N_("Take a photo and save it to flash"), "photo_to_flash.py.txt"),
    "mjpeg": (N_("Stream JPEG frames over WiFi (MJPEG in a browser)"), "mjpeg_stream.py.txt"),
    "motion": (N_("Motion detection by frame difference"), "motion_detection.py.txt"),
    "flash_led": (N_("Flash LED"), "flash_led.py.txt"),
}


def _pin_kwargs_lemariva(profile: boards.BoardProfile) -> str:
    p = profile.pins()
    return ("\n        d0=%(d0)d, d1=%(d1)d, d2=%(d2)d, d3=%(d3)d, d4=%(d4)d, d5=%(d5)d, d6=%(d6)d, d7=%(d7)d,"
            "\n        vsync=%(vsync)d, href=%(href)d, pclk=%(pclk)d, pwdn=%(pwdn)d, reset=%(reset)d,"
            "\n        xclk=%(xclk)d, siod=%(siod)d, sioc=%(sioc)d,  # %(title)s pins" % dict(p, title=profile.title))


def camera_functions(family: str, profile: boards.BoardProfile, gray: bool = False) -> str:
    """camera_start(size, quality), camera_capture(), camera_stop() for one family.

    ``size`` is a frame-size name ("VGA"); ``quality`` 0..100, higher = better."""
    default = profile.key == boards.DEFAULT_PROFILE
    pixfmt = "GRAYSCALE" if gray else "JPEG"
    if family == fam.LEMARIVA:
        pins = "" if default else _pin_kwargs_lemariva(profile)
        return f'''import camera  # lemariva driver: module functions


def camera_start(size="VGA", quality=85):
    # lemariva's JPEG quality runs from 10 (best) to 63 (smallest): convert from 0..100
    for attempt in (1, 2):
        try:
            camera.init(0, format=camera.{pixfmt}, framesize=getattr(camera, "FRAME_" + size),
                quality=63 - quality * 53 // 100, fb_location=camera.PSRAM,{pins}
            )
            return
        except OSError:
            if attempt == 2:
                raise
            camera.deinit()  # an earlier program left the camera initialised


def camera_capture():
    return camera.capture()


def camera_stop():
    camera.deinit()
'''
    if family == fam.KAKI5:
        keys = fam.KAKI5_CONF_KEYS
        pin_lines = ""
        if not default:
            p = profile.pins()
            pin_lines = "\n    # %s pins (conf keys 0..15)\n" % profile.title + "".join(
                "    camera.conf(%d, %d)  # %s\n" % (keys["PIN_" + r.upper()], p[r], "PIN_" + r.upper())
                for r in ("pwdn", "reset", "xclk", "siod", "sioc", "d7", "d6", "d5", "d4", "d3", "d2",
                          "d1", "d0", "vsync", "href", "pclk"))
        sizes = ", ".join('"%s": %d' % (s.name, s.kaki5_number) for s in fam.FRAME_SIZES.values())
        return f'''import camera  # KAKI5 / shariltumin driver: integer configuration keys

PIXFORMAT, FRAMESIZE, JPEG_QUALITY = {keys["PIXFORMAT"]}, {keys["FRAMESIZE"]}, {keys["JPEG_QUALITY"]}
PIXFORMAT_{pixfmt} = {4 if gray else fam.KAKI5_PIXFORMAT_JPEG}
FRAMESIZES = {{{sizes}}}  # 1-based numbering


def camera_start(size="VGA", quality=85):
{pin_lines}    # pixel format, frame size and quality must be set before init()
    camera.conf(PIXFORMAT, PIXFORMAT_{pixfmt})
    camera.conf(FRAMESIZE, FRAMESIZES[size])
    camera.conf(JPEG_QUALITY, 63 - quality * 53 // 100)  # 10 (best) .. 63
    if not camera.init():
        camera.deinit()  # the camera stays initialised across a soft reboot: retry once
        if not camera.init():
            raise OSError("Camera Init Failed")


def camera_capture():
    return camera.capture()


def camera_stop():
    camera.deinit()
'''
    if family == fam.CNADLER86:
        pins = ""
        if not default:
            p = profile.pins()
            pins = ("\n        data_pins=[%s], pclk_pin=%d, vsync_pin=%d, href_pin=%d,"
                    "\n        sda_pin=%d, scl_pin=%d, xclk_pin=%d, powerdown_pin=%d, reset_pin=%d,  # %s pins"
                    % (", ".join(map(str, profile.data)), p["pclk"], p["vsync"], p["href"], p["siod"],
                       p["sioc"], p["xclk"], p["pwdn"], p["reset"], profile.title))
        return f'''from camera import Camera, FrameSize, PixelFormat  # cnadler86 driver: a class

cam = None


def camera_start(size="VGA", quality=85):
    global cam
    if cam is not None:
        cam.deinit()
    # cnadler86's jpeg_quality is 0..100, higher = better
    cam = Camera(pixel_format=PixelFormat.{pixfmt}, frame_size=getattr(FrameSize, size),
        jpeg_quality=quality,{pins}
    )


def camera_capture():
    frame = cam.capture()  # a memoryview into the frame buffer
    if frame is None:
        return None
    data = bytes(frame)
    cam.free_buffer()
    return data


def camera_stop():
    global cam
    if cam is not None:
        cam.deinit()
        cam = None
'''
    raise ValueError("Unknown camera driver family %r" % (family,))


def render(name: str, family: str, profile_key: Optional[str] = None) -> str:
    if name not in TEMPLATES:
        raise KeyError("Unknown template %r" % name)
    profile = boards.get_profile(profile_key)
    with open(os.path.join(HERE, TEMPLATES[name][1]), encoding="utf-8") as f:
        text = Template(f.read())
    led = profile.flash_led
    return text.substitute(
        camera_functions=camera_functions(family, profile, gray=(name == "motion")).rstrip("\n"),
        family_title=fam.FAMILY_TITLES[family],
        profile_title=profile.title,
        led_pin="None" if led is None else str(led),
    )
