"""Whether a JPEG from the board decodes (Pillow, when installed)."""
from __future__ import annotations

from typing import Optional

from .transfer import TransferError
from thonnycontrib.esp32cam.core.i18n import _


def dimensions(jpeg: bytes) -> Optional[str]:
    """"640×480" for a JPEG that decodes (None without Pillow: the frame's CRC-32 or TCP and its
    JPEG markers are then all that was checked); TransferError when it does not decode."""
    try:
        import io

        from PIL import Image
    except ImportError:
        return None
    try:
        with Image.open(io.BytesIO(jpeg)) as im:
            im.load()
            return "%d×%d" % im.size
    except Exception as e:  # PIL.UnidentifiedImageError, OSError "image file is truncated"...
        raise TransferError(_("the JPEG does not decode: {error}").format(error=e)) from None
