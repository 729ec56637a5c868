"""Port-level diagnoses: missing port (with Windows driver hints from recorded
port lists), busy port, permission denied, unreachable network port."""
from __future__ import annotations

import json
import os
import pytest
import serial
from serial.tools.list_ports_common import ListPortInfo

from thonnycontrib.esp32cam.core import diagnosis as dg
from thonnycontrib.esp32cam.core import doctor, portcheck


def record(device: str, vid=None, pid=None, description="n/a") -> ListPortInfo:
    """A port record exactly as serial.tools.list_ports.comports() returns them."""
    info = ListPortInfo(device, skip_link_detection=True)
    info.vid, info.pid, info.description = vid, pid, description
    return info


WIN_BLUETOOTH_ONLY = [record("COM3", description="Standard Serial over Bluetooth link (COM3)"),
                      record("COM4", description="Standard Serial over Bluetooth link (COM4)")]
WIN_WITH_CH340 = WIN_BLUETOOTH_ONLY + [record("COM7", 0x1A86, 0x7523, "USB-SERIAL CH340 (COM7)")]


def test_windows_no_adapter_gives_driver_hint():
    d = doctor.diagnose("COM5", ports=WIN_BLUETOOTH_ONLY, platform="win32")
    assert d.code == dg.PORT_MISSING and not d.ok
    assert d.extra.get("driver_hint") is True
    assert "CH340" in d.meaning and "CH341SER" in d.fix and "CP210x" in d.fix
    assert any("COM3" in line and "COM4" in line for line in d.evidence)


def test_windows_adapter_elsewhere_points_to_its_port():
    d = doctor.diagnose("com5", ports=WIN_WITH_CH340, platform="win32")
    assert d.code == dg.PORT_MISSING
    assert d.extra["suggested_ports"] == ["COM7"]
    assert "COM7" in d.fix and "driver_hint" not in d.extra
    assert any("1A86:7523" in line for line in d.evidence)


def test_windows_com_names_are_case_insensitive():
    assert portcheck.port_exists("com7", WIN_WITH_CH340, "win32")
    assert not portcheck.port_exists("COM5", WIN_WITH_CH340, "win32")


def test_windows_access_denied_means_busy():
    # pyserial's exact wording on Windows when another program holds the port
    error = serial.SerialException("could not open port 'COM7': PermissionError(13, 'Access is denied.', None, 5)")
    d = portcheck.open_error_diagnosis("COM7", error, WIN_WITH_CH340, "win32")
    assert d.code == dg.PORT_BUSY and "Thonny" in d.meaning
    missing = serial.SerialException(
        "could not open port 'COM9': FileNotFoundError(2, 'The system cannot find the file specified.', None, 2)")
    assert portcheck.open_error_diagnosis("COM9", missing, WIN_BLUETOOTH_ONLY, "win32").code == dg.PORT_MISSING


def test_linux_missing_device_with_real_path(tmp_path):
    d = doctor.diagnose(str(tmp_path / "ttyUSB9"), ports=[], platform="linux")
    assert d.code == dg.PORT_MISSING and "brltty" in d.fix


def test_local_port_locked_by_another_program_is_busy():
    """A real exclusive lock on a pty, as Thonny's back-end takes it."""
    master, slave = os.openpty()
    name = os.ttyname(slave)
    holder = serial.Serial(name, exclusive=True)
    try:
        d = doctor.diagnose(name, ports=[], platform="linux")
    finally:
        holder.close()
        os.close(master)
        os.close(slave)
    assert d.code == dg.PORT_BUSY
    assert any("exclusively lock" in line for line in d.evidence)


def test_permission_denied_for_an_unprivileged_user():
    """A forked child drops to user 'nobody' and probes a root-only tty: the
    kernel answers EACCES, as for a Linux user outside the dialout group."""
    if os.geteuid() != 0:
        pytest.skip("needs root to switch to an unprivileged user")
    import grp  # noqa: F401  (imported before dropping privileges)
    master, slave = os.openpty()
    name = os.ttyname(slave)
    os.chmod(name, 0o600)
    read_end, write_end = os.pipe()
    pid = os.fork()
    if pid == 0:  # child
        try:
            os.close(read_end)
            os.setgid(65534)
            os.setuid(65534)
            d = doctor.diagnose(name, ports=[], platform="linux")
            os.write(write_end, json.dumps(d.to_json()).encode())
        finally:
            os._exit(0)
    os.close(write_end)
    with os.fdopen(read_end, "rb") as f:
        data = json.loads(f.read() or b"{}")
    os.waitpid(pid, 0)
    os.close(master)
    os.close(slave)
    assert data["diagnosis"] == dg.PERMISSION_DENIED
    assert "usermod -a -G" in data["fix"]
    assert any("Permission denied" in line for line in data["evidence"])


def test_network_port_nobody_listens():
    import socket
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    sock.close()  # nothing listens there now
    d = doctor.diagnose(f"rfc2217://127.0.0.1:{port}", ports=[], platform="linux")
    assert d.code == dg.PORT_MISSING
    assert "Nothing answers at this network address." == d.meaning
    assert "serial server" in d.fix


def test_json_shape_is_stable():
    d = doctor.diagnose("COM5", ports=WIN_BLUETOOTH_ONLY, platform="win32")
    data = d.to_json()
    assert {"diagnosis", "ok", "title", "meaning", "fix", "fixes", "evidence", "port"} <= set(data)
    assert data["diagnosis"] == "port_missing" and data["port"] == "COM5" and data["ok"] is False
    json.dumps(data)
