"""A virtual ESP32-CAM board for tests and demos (not shipped with the plug-in).

    from tests.virtualboard import VirtualBoard, synthetic_firmware
    with VirtualBoard(firmware=synthetic_firmware("lemariva")) as board:
        board.url  # rfc2217://127.0.0.1:PORT

See README.md in this folder.
"""
from .board import VirtualBoard
from .events import Event, EventLog
from .firmware_info import FirmwareInfo, inspect_flash
from .images import firmware_offset, synthetic_firmware

__all__ = ["VirtualBoard", "Event", "EventLog", "FirmwareInfo", "inspect_flash",
           "firmware_offset", "synthetic_firmware"]
