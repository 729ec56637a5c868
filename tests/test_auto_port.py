"""The ESP32-CAM interpreter's default port, ``auto``, on every Thonny generation.

README: "leave *auto*: CH340/CH341/CH9102, CP210x and FTDI adapters are found
automatically". Thonny 4.1/5.0 resolve ``auto`` themselves (``_fix_port``); the
development head ignores it (the back-end would say "Port not defined"), so the
plug-in resolves it there (``thonny_compat/front_proxy.py``).

The USB bus is what cannot exist here: pyserial's ``comports()`` lists one CH340
adapter whose device is the virtual board's URL, so Thonny's own back-end opens it
and the real prompt is reached.
"""
from __future__ import annotations

import pytest

from tests.thonny_harness import run_scenario

pytestmark = pytest.mark.thonny


@pytest.fixture
def direct_board():
    from tests.virtualboard import VirtualBoard, synthetic_firmware

    with VirtualBoard(wiring="direct", firmware=synthetic_firmware(family="lemariva"),
                      line_rate="unlimited") as board:
        board.events.wait_for("firmware_started", timeout=20)
        yield board


def _plug_in(*ports):
    """``comports()`` lists these (device, vid, pid, description) records."""
    import serial.tools.list_ports as list_ports
    from serial.tools.list_ports_common import ListPortInfo
    from thonny.plugins.micropython import mp_front

    records = []
    for device, vid, pid, description in ports:
        info = ListPortInfo(device, skip_link_detection=True)
        info.vid, info.pid, info.description = vid, pid, description
        records.append(info)
    list_ports.comports = lambda *args, **kwargs: list(records)
    mp_front._PORTS_CACHE_TIME = 0  # Thonny caches the list for 0.5 s


def scenario_auto_finds_the_adapter(h, url):
    _plug_in(("/dev/ttyS0", None, None, "ttyS0"), (url, 0x1A86, 0x7523, "USB2.0-Serial"))
    h.select_backend("ESP32CAM", port="auto")
    h.wait_for_prompt(30)
    return {"answer": h.run_in_shell("print(6 * 7)"), "port": h.proxy.current_port(),
            "machine_id": h.proxy.get_machine_id() if hasattr(h.proxy, "get_machine_id") else None,
            "option": h.wb.get_option("ESP32CAM.port")}


def scenario_auto_finds_nothing(h):
    _plug_in(("/dev/ttyS0", None, None, "ttyS0"))
    h.select_backend("ESP32CAM", port="auto")
    h.wait_until(lambda: "Port 'auto' found no board adapter" in h.shell_text()
                 or "Couldn't find the device automatically" in h.shell_text(), 60, "the no-board message")
    h.pump(1.0)
    return {"shell": h.shell_text()}


def _frontend_log(user_dir) -> str:
    path = user_dir / "frontend.log"
    return path.read_text(errors="replace") if path.exists() else ""


def test_auto_port_connects_to_the_one_ch340_adapter(xdisplay, tmp_path, direct_board):
    board = direct_board
    result = run_scenario(scenario_auto_finds_the_adapter, tmp_path / "user", url=board.url)
    assert "42" in result["answer"].splitlines()
    assert result["port"] == board.url and result["option"] == "auto"
    assert result["machine_id"] in (None, board.url)  # the development head keeps one; the port's
    # lines stayed released while connecting through the found adapter
    assert all(not ev.data["dtr"] and not ev.data["rts"] for ev in board.events.all("lines"))
    log = _frontend_log(tmp_path / "user")
    assert "Could not get port_info" not in log and "Port not defined" not in log


def test_auto_port_without_an_adapter_says_what_to_do(xdisplay, tmp_path):
    result = run_scenario(scenario_auto_finds_nothing, tmp_path / "user")
    from thonnycontrib.esp32cam import thonny_compat

    if thonny_compat.generation() == thonny_compat.MINNY:
        assert "Port 'auto' found no board adapter (CH340, CP210x, FTDI)" in result["shell"]
        assert "Configure interpreter" in result["shell"]
    else:  # Thonny 4.1/5.0's own message (mp_front.py _fix_port)
        assert "Couldn't find the device automatically" in result["shell"], result["shell"]
    log = _frontend_log(tmp_path / "user")
    assert "Could not get port_info" not in log, log[-3000:]
