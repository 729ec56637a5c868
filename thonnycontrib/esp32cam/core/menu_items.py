"""Labels of the plug-in's Tools-menu items, in one place: ``frontend.registration``
registers them and explanations that send the user there name them from here, so
the two cannot drift apart. Marked with ``N_``; translate them where shown."""
from __future__ import annotations

from thonnycontrib.esp32cam.core.i18n import N_

INSTALL_FIRMWARE = N_("Install MicroPython for ESP32-CAM…")
DOCTOR = N_("Diagnose ESP32-CAM connection…")
WIFI = N_("ESP32-CAM Wi-Fi…")
CAMERA_VIEW = N_("ESP32-CAM camera")
