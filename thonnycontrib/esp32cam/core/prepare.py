"""Getting an image ready to flash: from the catalog (downloaded, verified,
cached) or from a local file, and inspected either way."""
from __future__ import annotations

import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Optional

from thonnycontrib.esp32cam.core.catalog import Build
from thonnycontrib.esp32cam.core.download import FirmwareCache, Log, ProgressCallback
from thonnycontrib.esp32cam.core.image import CHIP_LABELS, MB, ImageError, ImageInfo, inspect_image
from thonnycontrib.esp32cam.core.i18n import _

MAX_IMAGE = 16 * MB


@dataclass
class PreparedImage:
    path: Path
    info: ImageInfo
    chip: str
    build: Optional[Build] = None

    def summary(self) -> str:
        origin = f"{self.build.title} [{self.build.id}]" if self.build else str(self.path)
        lines = [origin, self.info.describe()]
        if self.build and self.build.family != self.info.family and self.info.family:
            lines.append(_("Note: the catalog lists a {listed} build, the image looks like "
                           "{found}.")
                         .format(listed=self.build.family, found=self.info.family))
        if self.info.family == "none":
            lines.append(_("This firmware has no camera module (REPL only)."))
        return "\n".join(lines)


def prepare_build(build: Build, cache: FirmwareCache, *, flash_size: int = 4 * MB,
                  progress: Optional[ProgressCallback] = None,
                  cancel: Optional[threading.Event] = None, timeout: float = 30.0,
                  log: Log = lambda s: None) -> PreparedImage:
    """Raises DownloadError / ImageError with a message for the user."""
    path = cache.fetch(build, progress=progress, cancel=cancel, timeout=timeout, log=log)
    try:
        info = inspect_image(path.read_bytes(), None, flash_size)
        if info.chip != build.chip:  # the catalog's word against the image's header; the board was not asked
            raise ImageError(_("The downloaded image is for {image_chip}, but the catalog lists "
                               "this build for {build_chip}: the catalog entry is wrong. The "
                               "image was not kept.").format(image_chip=CHIP_LABELS.get(info.chip, info.chip),
                                               build_chip=CHIP_LABELS.get(build.chip, build.chip)))
    except ImageError:
        path.unlink()  # never keep an unusable image in the cache
        raise
    return PreparedImage(path=path, info=info, chip=build.chip, build=build)


def prepare_file(path: str, chip: Optional[str] = None, *, flash_size: int = 4 * MB) -> PreparedImage:
    """A local image chosen by the user ("Select local file…"). Its header names its chip;
    ``chip`` (the user's explicit choice, e.g. ``--chip``) must agree with it. What the
    board is, only the board can say: the flasher asks it before writing."""
    file = Path(path)
    try:
        size = file.stat().st_size
        if size > MAX_IMAGE:
            raise ImageError(_("{name} is {size} bytes: far too large for a firmware image.").format(
                name=file.name, size=size))
        data = file.read_bytes()
    except OSError as e:
        raise ImageError(_("Cannot read {path}: {error}").format(path=path, error=e.strerror or e)) from None
    info = inspect_image(data, None, flash_size)
    if info.chip not in CHIP_LABELS:
        raise ImageError(_("This image is for {chip}: the installer writes ESP32 and ESP32-S3 "
                           "images only.").format(chip=info.chip))
    if chip and chip != info.chip:
        raise ImageError(_("This image is for {image_chip}, not for {chosen_chip} as chosen. "
                           "Leave the chip to the image, or choose a build for your board's "
                           "chip.").format(
                               image_chip=CHIP_LABELS.get(info.chip, info.chip),
                               chosen_chip=CHIP_LABELS.get(chip, chip)))
    return PreparedImage(path=file, info=info, chip=info.chip)
