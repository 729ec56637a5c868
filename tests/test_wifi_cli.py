"""``wifi`` on the virtual board: scan, join, keep the credentials, join again at boot,
and a specific message for each way joining fails (issue 23, item 1)."""
from __future__ import annotations

import subprocess
import sys
import time

import pytest

from tests.virtualboard import VirtualBoard, synthetic_firmware
from tests.virtualboard.testing import open_client
from thonnycontrib.esp32cam.cli import main
from thonnycontrib.esp32cam.core import wifi

V127 = "MicroPython v1.27.0 on 2026-01-12; Generic ESP32 module with SPIRAM with ESP32"
PASSWORD = "correct horse 42"
NETWORKS = {"home": PASSWORD, "cafe": "", "office5": {"password": "fivegig123", "band": "5GHz"},
            "nodhcp": {"password": "nodhcp-pw1", "dhcp": False}}


def _board(banner=V127, **kwargs) -> VirtualBoard:
    board = VirtualBoard(firmware=synthetic_firmware("lemariva", banner=banner), wifi=NETWORKS, **kwargs)
    board.events.wait_for("firmware_started", timeout=20)
    return board


def _password_file(tmp_path, text=PASSWORD):
    path = tmp_path / "pw.txt"
    path.write_text(text + "\n", encoding="utf-8")
    return str(path)


def _board_text(board, code: str) -> str:
    from thonnycontrib.esp32cam.core.camera.rawrepl import RawRepl

    with open_client(board.url) as port:
        repl = RawRepl(port)
        try:
            return repl.exec_text(code, timeout=10)
        finally:
            repl.leave()


def test_scan_lists_what_an_esp32_hears_strongest_first(capsys):
    with _board() as board:
        code = main(["wifi", "--port", board.url, "--scan"])
    out = capsys.readouterr().out
    assert code == 0
    assert "home" in out and "cafe" in out and "(open)" in out and "-60 dBm" in out and "good" in out
    assert "office5" not in out  # 5 GHz: never in an ESP32's scan
    assert "2.4 GHz" in out


def test_join_keeps_the_credentials_on_the_board_and_it_joins_again_at_boot(tmp_path):
    with _board() as board:
        _board_text(board, "f = open('boot.py', 'w'); f.write('# my boot\\nx = 1\\n'); f.close()")
        run = subprocess.run([sys.executable, "-m", "thonnycontrib.esp32cam", "wifi", "-p", board.url,
                              "--ssid", "home", "--password-file", "-"],
                             input=PASSWORD + "\n", capture_output=True, text=True, timeout=120)
        assert run.returncode == 0, run.stderr
        lines = run.stdout.strip().splitlines()
        ip = board.wifi.ip
        assert ip and lines[-1] == "IP address: %s" % ip
        assert "Signal: -60 dBm (good)" in run.stdout
        assert PASSWORD not in run.stdout + run.stderr  # never shown
        boot = _board_text(board, "print(open('boot.py').read())")
        assert boot.startswith("# my boot\r\nx = 1\r\n") and wifi.BOOT_MARK in boot  # the user's lines kept
        # a hard reset: radio off, no address; boot.py joins by itself
        board.press_reset()
        deadline = time.monotonic() + 20
        while board.wifi.ip is None and time.monotonic() < deadline:
            time.sleep(0.1)
        assert board.wifi.ip == ip
        # once only: joining again does not add the lines twice
        assert main(["wifi", "-p", board.url, "--ssid", "home", "--password-file", _password_file(tmp_path)]) == 0
        assert _board_text(board, "print(open('boot.py').read().count(%r))" % wifi.BOOT_MARK).strip() == "1"


@pytest.mark.parametrize("banner, timeout", [(V127, "20"), (None, "6")])  # None: v1.21, retries without a reason
def test_a_wrong_password_says_so_and_keeps_nothing(tmp_path, capsys, banner, timeout):
    with _board(banner=banner) as board:
        code = main(["wifi", "-p", board.url, "--ssid", "home", "--timeout", timeout,
                     "--password-file", _password_file(tmp_path, "wrong password")])
        err = capsys.readouterr().err
        assert code == 1 and "did not accept the password" in err, err
        assert _board_text(board, "import os; print(%r in os.listdir('/'))" % wifi.CONFIG_FILE).strip() == "False"
        assert board.wifi.station.requested is False  # the attempt was ended: no endless retries


def test_a_5ghz_network_is_explained(tmp_path, capsys):
    with _board() as board:
        code = main(["wifi", "-p", board.url, "--ssid", "office5", "--timeout", "8",
                     "--password-file", _password_file(tmp_path, "fivegig123")])
    captured = capsys.readouterr()
    assert code == 1
    assert "office5 is not in the list" in captured.out
    assert "only 2.4 GHz" in captured.err


def test_a_network_without_dhcp_is_named(tmp_path, capsys):
    with _board() as board:
        code = main(["wifi", "-p", board.url, "--ssid", "nodhcp", "--timeout", "4",
                     "--password-file", _password_file(tmp_path, "nodhcp-pw1")])
    err = capsys.readouterr().err
    assert code == 1 and "got no IP address" in err and "DHCP" in err, err


def test_an_open_network_needs_no_password(capsys):
    with _board() as board:
        assert main(["wifi", "-p", board.url, "--ssid", "cafe", "--no-store"]) == 0
    out = capsys.readouterr().out
    assert out.strip().splitlines()[-1].startswith("IP address: 192.168.1.")
    assert "Nothing kept on the board" in out


def test_usage_errors(tmp_path, capsys):
    assert main(["wifi", "-p", "rfc2217://127.0.0.1:9", "--ssid", "home",
                 "--password-file", _password_file(tmp_path, "short")]) == 2
    assert "8 to 63 characters" in capsys.readouterr().err
    assert main(["wifi", "-p", "rfc2217://127.0.0.1:9"]) == 2
    assert "--ssid" in capsys.readouterr().err
    assert main(["wifi", "-p", "rfc2217://127.0.0.1:9", "--ssid", "x", "--password-file", str(tmp_path / "none")]) == 2
    assert "Cannot read the password file" in capsys.readouterr().err


def test_a_build_without_network_module_is_named():
    """The board-side code on the real MicroPython unix port, which has no network module."""
    from tests.virtualboard.firmware import micropython_command

    def on_unix_port(code: str) -> str:
        return subprocess.run(micropython_command() + ["-c", code], capture_output=True, text=True,
                              timeout=30).stdout

    out = on_unix_port(wifi.SCAN_CODE)
    with pytest.raises(wifi.NoNetworkModule) as info:
        wifi.parse_scan(out)
    assert "no network module" in str(info.value)
    with pytest.raises(wifi.NoNetworkModule):
        wifi.parse_join(on_unix_port(wifi.join_code("x", "y", 1)))


def test_names_and_passwords_with_quotes_and_accents_reach_the_board_intact(tmp_path):
    odd_ssid, odd_password = "Café 'A' \"B\"", "pa'ss\"wörd\\1"
    board = VirtualBoard(firmware=synthetic_firmware("lemariva", banner=V127), wifi={odd_ssid: odd_password})
    with board:
        board.events.wait_for("firmware_started", timeout=20)
        assert main(["wifi", "-p", board.url, "--ssid", odd_ssid,
                     "--password-file", _password_file(tmp_path, odd_password)]) == 0
        assert board.wifi.ip is not None
