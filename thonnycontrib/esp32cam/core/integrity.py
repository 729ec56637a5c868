"""Is every ESP image inside a firmware file intact, as the chip will check it?

The ESP32 ROM checks the second-stage bootloader's checksum, and ESP-IDF's
bootloader checks the application's segment checksum and, when the image
header says ``hash_appended``, its appended SHA-256
(components/bootloader_support/src/esp_image_format.c, ``verify_checksum`` and
``verify_simple_hash``, ESP-IDF v4.4 and v5.x). A file that fails here is
refused before the board is touched: written, it would not boot.

Parsing and the two sums come from esptool's own image loader
(``esptool.bin_image``: the image classes' ``checksum`` / ``calculate_checksum()``
and ``stored_digest`` / ``calc_digest``, the values ``esptool image-info``
reports as valid or invalid; the same in esptool 4.7+ and 5.x).
"""
from __future__ import annotations

import contextlib
import io
import struct
from dataclasses import dataclass
from typing import List, Optional, Sequence, Tuple
from thonnycontrib.esp32cam.core.i18n import _

# esptool's image class for each chip (esptool.bin_image, 4.7 .. 5.x)
_IMAGE_CLASSES = {
    "esp32": "ESP32FirmwareImage",
    "esp32s2": "ESP32S2FirmwareImage",
    "esp32s3": "ESP32S3FirmwareImage",
    "esp32c3": "ESP32C3FirmwareImage",
}


@dataclass(frozen=True)
class PartCheck:
    name: str              # "bootloader" or "application"
    offset: int            # within the file
    problem: Optional[str]  # None when intact


def _image_class(chip: str):
    from esptool import bin_image  # imported when needed: esptool is slow to import

    name = _IMAGE_CLASSES.get(chip)
    if name is None:
        raise ValueError(f"no esptool image class for {chip}")
    return getattr(bin_image, name)


def check_part(data: bytes, offset: int, name: str, chip: str) -> PartCheck:
    """Check the ESP image that starts at ``offset`` in ``data``."""
    from esptool.util import FatalError

    try:
        # The loader prints warnings about unusual segments on stdout; not ours to show.
        with contextlib.redirect_stdout(io.StringIO()):
            image = _image_class(chip)(io.BytesIO(data[offset:]))
    except (FatalError, struct.error, ValueError, IndexError) as error:
        return PartCheck(name, offset, _("it cannot be read as an ESP image ({error})").format(error=error))
    calculated = image.calculate_checksum()
    if image.checksum != calculated:
        return PartCheck(name, offset, _("its checksum does not match (stored {stored}, computed "
                                         "{computed})").format(stored=f"{image.checksum:#04x}",
                                                               computed=f"{calculated:#04x}"))
    if image.append_digest and image.stored_digest != image.calc_digest:
        return PartCheck(name, offset, _("its SHA-256 does not match (stored {stored}…, "
                                         "computed {computed}…)").format(stored=image.stored_digest.hex()[:16],
                                                               computed=image.calc_digest.hex()[:16]))
    return PartCheck(name, offset, None)


def check_parts(data: bytes, parts: Sequence[Tuple[str, int]], chip: str) -> List[PartCheck]:
    return [check_part(data, offset, name, chip) for name, offset in parts]


def corruption_message(failed: PartCheck) -> str:
    text = (_("The firmware file is corrupt: its bootloader (file offset {offset}) is damaged — "
              "{problem}. The board would refuse to start it. Download the firmware again (or "
              "choose another file).") if failed.name == "bootloader" else
            _("The firmware file is corrupt: its application (MicroPython itself) (file offset "
              "{offset}) is damaged — {problem}. The board would refuse to start it. Download the "
              "firmware again (or choose another file)."))
    return text.format(offset=f"{failed.offset:#x}", problem=failed.problem)
