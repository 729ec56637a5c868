"""Names of the commands the front-end sends to the plug-in's back-end process.

Imported by both sides (frontend/ and backend/), so a rename cannot leave one
side behind. The back-end answers ``InlineCommand(name)`` with a method
``_cmd_<name>`` (Thonny's convention), immediate commands in
``_handle_immediate_command``.
"""
from __future__ import annotations

# ImmediateCommand sent just before the front-end stops the back-end process:
# release RTS, then DTR, then exit (no reset pulse on the classic circuit).
RELEASE_LINES = "esp32cam_release_lines"

# InlineCommand of the camera view: detect, start, capture, stream, settings, release.
CAMERA = "esp32cam_camera"

# ImmediateCommand that ends a running camera stream (an InlineCommand would wait
# behind it: Thonny's front-end sends one inline command at a time).
CAMERA_STOP = "esp32cam_camera_stop"

# InlineCommand of the firmware installer: chip, PSRAM and camera sensor of the connected
# board (the sensor probe of core.sensors), so it can preselect a build that fits.
BOARD_FACTS = "esp32cam_board_facts"

# BackendEvent carrying one streamed frame (data: request_id, jpeg, wire_bytes,
# seconds, family, settings, baudrate); the stream's InlineResponse comes at its end.
CAMERA_FRAME_EVENT = "Esp32CamFrame"

# BackendEvent type the back-end sends whenever the serial link's rate is settled
# (data: rate, adapter, text, unsupported); the front-end shows it in the status bar.
LINK_RATE_EVENT = "Esp32CamLinkRate"

# BackendEvent the back-end sends when it found out something about the board that the
# board itself did not print (data: code, a core.bootlog problem code, e.g. "download_mode"
# when the ROM bootloader answered the link watch); the front-end shows its Shell hint.
BOARD_FINDING_EVENT = "Esp32CamBoardFinding"

# InlineCommand of the front-end on Thonny's development head, at the back-end's first
# prompt: which camera driver family the board has (answer: family, None with known=True
# when the firmware has no camera module), so the front-end puts that family's camera.pyi
# where the language server looks for stubs (frontend/completion_stubs.py).
STUB_FAMILY = "esp32cam_stub_family"
