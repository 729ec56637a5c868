"""esptool command spelling, version detection and output parsing."""
from __future__ import annotations

import subprocess
import sys

import pytest

from thonnycontrib.esp32cam.core import esptool_cmd as ec


def _tool(major: int) -> ec.Esptool:
    return ec.Esptool(python="python", env={}, version=(major, 0, 0))


def test_spelling_follows_the_major_version():
    five = _tool(5).write_command(port="COM5", chip="esp32", baud=460800, image="fw.bin",
                                  offset=0x1000, flash_mode="dio", flash_size="4MB")
    four = _tool(4).write_command(port="COM5", chip="esp32", baud=460800, image="fw.bin",
                                  offset=0x1000, flash_mode="dio", flash_size="4MB", manual_boot=True)
    assert five[:3] == ["python", "-m", "esptool"]
    assert "write-flash" in five and "default-reset" in five and "hard-reset" in five
    assert "--flash-mode" in five and "--flash-size" in five
    assert "write_flash" in four and "no_reset" in four and "hard_reset" in four
    assert "--flash_mode" in four and "--flash_size" in four
    for cmd in (five, four):
        assert "--erase-all" in cmd and cmd[-2:] == ["0x1000", "fw.bin"]
    no_erase = _tool(5).write_command(port="p", chip="esp32s3", baud=115200, image="f", offset=0, erase=False)
    assert "--erase-all" not in no_erase and no_erase[-2:] == ["0x0", "f"]
    assert "--flash-mode" not in no_erase  # flash mode/size kept from the image


@pytest.mark.esptool
def test_detected_version_and_spelling_are_accepted_by_the_real_esptool(tmp_path):
    """The esptool this interpreter imports parses our command without complaint."""
    import esptool

    tool = ec.find_esptool(sys.executable)
    assert ".".join(map(str, tool.version)).startswith(esptool.__version__.split("-")[0][:3])
    image = tmp_path / "fw.bin"
    image.write_bytes(b"\xe9" + bytes(4095))
    cmd = tool.write_command(port="socket://127.0.0.1:9", chip="esp32", baud=460800, image=str(image),
                             offset=0x1000, flash_mode="dio", flash_size="4MB", flash_freq="40m",
                             manual_boot=True)
    proc = subprocess.run(cmd, env=tool.env, capture_output=True, text=True, timeout=60)
    output = proc.stdout + proc.stderr
    # argparse accepted every option (exit code 2 = usage error would say "usage:")
    assert "usage:" not in output.lower() and "deprecat" not in output.lower(), output
    assert "Could not open socket://127.0.0.1:9" in output
    assert ec.classify(output, proc.returncode, wrote=False) == ec.PORT_MISSING


def test_missing_esptool_is_reported(tmp_path):
    with pytest.raises(ec.EsptoolMissing, match="Could not run"):
        ec.find_esptool(sys.executable + "-missing")
    blocker = tmp_path / "esptool.py"
    blocker.write_text("raise ImportError('broken')\n")
    with pytest.raises(ec.EsptoolMissing, match="not installed"):
        ec.find_esptool(sys.executable, extra_paths=[str(tmp_path)])


def test_env_puts_plugin_folder_first():
    env = ec.esptool_env(["/plugins"], base={"PYTHONPATH": "/a", "PATH": "/bin"})
    assert env["PYTHONPATH"].split(__import__("os").pathsep) == ["/plugins", "/a"]
    assert env["PYTHONUNBUFFERED"] == "1"


@pytest.mark.parametrize("line, percent", [
    ("Writing at 0x00010000 [=====                         ]  25.0% 1234/5678 bytes...", 25.0),
    ("Writing at 0x0001f000 [==============>               ]  48.3% 32768/67808 bytes... ", 48.3),
    ("Writing at 0x00040000 [==============================] 100.0% 67808/67808 bytes...", 100.0),
    ("Writing at 0x00010af0 ━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━ 100.0% 1.17kB/1.17kB [0s]", 100.0),
    ("Writing at 0x00010000... (12 %)", 12.0),
    ("Writing at 0x0002a3c1... (100 %)", 100.0),
    ("Wrote 67808 bytes (40000 compressed) at 0x00001000 in 1.2 seconds", None),
    ("Compressed 67808 bytes to 40000...", None),
])
def test_progress_in_both_output_formats(line, percent):
    assert ec.parse_progress(line) == percent


@pytest.mark.parametrize("output, wrote, kind", [
    ("Wrote 100 bytes\nHash of data verified.\nHard resetting via RTS pin...", True, ec.OK),
    ("A fatal error occurred: Failed to connect to ESP32: Wrong boot mode detected (0x13)! "
     "The chip needs to be in download mode.", False, ec.NEEDS_DOWNLOAD_MODE),
    ("A fatal error occurred: Failed to connect to ESP32: No serial data received.", False,
     ec.NEEDS_DOWNLOAD_MODE),
    ("A fatal error occurred: Could not open /dev/ttyUSB0, the port is busy or doesn't exist.\n"
     "(could not exclusively lock port /dev/ttyUSB0: [Errno 11] Resource temporarily unavailable)",
     False, ec.PORT_BUSY),
    ("A fatal error occurred: Could not open COM7, the port is busy or doesn't exist.\n"
     "(could not open port 'COM7': PermissionError(13, 'Access is denied.', None, 5))", False, ec.PORT_BUSY),
    ("A fatal error occurred: Could not open /dev/ttyUSB3, the port doesn't exist", False, ec.PORT_MISSING),
    # esptool 4.7-5.x on Linux without the dialout group: not "in use by another program"
    ("A fatal error occurred: Could not open /dev/ttyUSB0, the port is busy or doesn't exist.\n"
     "([Errno 13] could not open port /dev/ttyUSB0: [Errno 13] Permission denied: '/dev/ttyUSB0')",
     False, ec.PORT_PERMISSION),
    ("Writing at 0x00010000... (12 %)\nA fatal error occurred: Invalid head of packet (0x2E): "
     "Possible serial noise or corruption.", True, ec.LINK_FAILURE),
    ("Changing baud rate to 460800\nA fatal error occurred: Invalid head of packet (0x00)", False,
     ec.LINK_FAILURE),
    ("Changing baud rate to 460800\nChanged.\nA fatal error occurred: Unable to verify flash chip "
     "connection (Failed to write target memory (result was 2400: Unknown result)).", False, ec.LINK_FAILURE),
    # esptool 4.8.1 after a fast rate garbled: the stub answered at the new rate, then nothing
    ("Stub running...\nChanging baud rate to 460800\nChanged.\nA fatal error occurred: Unable to "
     "verify flash chip connection (No serial data received.).", False, ec.LINK_FAILURE),
    ("Connected to ESP32\nUploading stub flasher...\n", False, ec.CONNECTION_LOST),  # silent exit
    ("Connecting...\n", False, ec.PORT_MISSING),
    ("Serial port rfc2217://h:1\nTraceback (most recent call last):\nBrokenPipeError: [Errno 32] Broken pipe",
     False, ec.PORT_MISSING),
    ("Chip is ESP32-D0WDQ6\nTraceback (most recent call last):\nBrokenPipeError: [Errno 32] Broken pipe",
     False, ec.CONNECTION_LOST),
])
def test_outcomes(output, wrote, kind):
    assert ec.classify(output, 0 if kind == ec.OK else 2, wrote, platform="linux") == kind
