"""``wifi --webrepl-password-file``: the WebREPL password kept on the board (webrepl_cfg.py),
WebREPL started now and at every boot from the plug-in's marked boot.py lines (issue 23,
item 3), against the virtual board's WebREPL (tests/virtualboard/webrepl.py)."""
from __future__ import annotations

import time

import pytest

from tests.test_virtualboard_webrepl import Client
from tests.test_wifi_cli import PASSWORD, _board, _board_text, _password_file
from thonnycontrib.esp32cam.cli import main
from thonnycontrib.esp32cam.core import webrepl_access, wifi

WEBREPL_PASSWORD = "cam4you"


def _log_in(address, password=WEBREPL_PASSWORD) -> bytes:
    client = Client(address)
    try:
        client.read_until(b"Password: ")
        client.send(password.encode() + b"\n")
        got = b""
        while b"connected" not in got and b"denied" not in got:
            got += client.recv()[1]
        return got
    finally:
        client.close()


def test_webrepl_password_is_kept_on_the_board_and_webrepl_runs_now_and_after_a_reset(tmp_path, capsys):
    with _board() as board:
        webrepl_file = tmp_path / "webrepl.txt"
        webrepl_file.write_text(WEBREPL_PASSWORD + "\n", encoding="utf-8")
        started = board.events.mark()
        code = main(["wifi", "-p", board.url, "--ssid", "home", "--password-file", _password_file(tmp_path),
                     "--webrepl-password-file", str(webrepl_file)])
        out, err = capsys.readouterr()
        assert code == 0, err
        ip = board.wifi.ip
        assert "WebREPL: ws://%s:8266/" % ip in out
        assert WEBREPL_PASSWORD not in out + err and PASSWORD not in out + err
        # the twin's host side serves WebREPL once the board's start() reached it: a loaded
        # host may get there after the CLI returned (the chip listens before start() returns)
        board.events.wait_for("webrepl_started", since=started, timeout=30)
        mark = board.events.mark()
        assert b"WebREPL connected" in _log_in(board.wifi_address(8266))
        # one client at a time (webrepl.py rejects a concurrent one): the board first sees it go
        board.events.wait_for("webrepl_closed", since=mark, timeout=10)
        assert b"Access denied" in _log_in(board.wifi_address(8266), "wrong")
        files = _board_text(board, "print(open('webrepl_cfg.py').read()); print(open('boot.py').read())")
        assert "PASS = %r" % WEBREPL_PASSWORD in files
        assert files.index(wifi.BOOT_MARK) < files.index(webrepl_access.BOOT_MARK)  # joins first
        mark = board.events.mark()
        board.press_reset()  # radio off, no WebREPL; boot.py joins and starts it again
        # the old server may still be closing when press_reset() returns: wait for the new one
        board.events.wait_for("webrepl_started", since=mark, timeout=30)
        deadline = time.monotonic() + 30
        while board.wifi.ip is None:  # the twin's station applies the radio's progress when asked
            assert time.monotonic() < deadline, "no address after the reset"
            board.wifi.station.advance()
            time.sleep(0.1)
        address = board.wifi_address(8266, timeout=10)
        assert b"WebREPL connected" in _log_in(address)
        # once only
        assert main(["wifi", "-p", board.url, "--ssid", "home", "--password-file", _password_file(tmp_path),
                     "--webrepl-password-file", str(webrepl_file)]) == 0
        count = _board_text(board, "print(open('boot.py').read().count(%r))" % webrepl_access.BOOT_MARK)
        assert count.strip() == "1"


@pytest.mark.parametrize("password", ["abc", "tenchars10", "a\u00e9\u00e9\u00e9\u00e9\u00e9"])
def test_a_webrepl_password_outside_4_to_9_bytes_is_refused_before_the_board_is_touched(tmp_path, capsys,
                                                                                           password):
    webrepl_file = tmp_path / "webrepl.txt"
    webrepl_file.write_text(password + "\n", encoding="utf-8")
    code = main(["wifi", "-p", "rfc2217://127.0.0.1:9", "--ssid", "home",
                 "--password-file", _password_file(tmp_path), "--webrepl-password-file", str(webrepl_file)])
    assert code == 2
    assert "4 to 9" in capsys.readouterr().err


def test_webrepl_needs_the_network_kept(tmp_path, capsys):
    webrepl_file = tmp_path / "webrepl.txt"
    webrepl_file.write_text(WEBREPL_PASSWORD + "\n", encoding="utf-8")
    code = main(["wifi", "-p", "rfc2217://127.0.0.1:9", "--ssid", "home", "--no-store",
                 "--password-file", _password_file(tmp_path), "--webrepl-password-file", str(webrepl_file)])
    assert code == 2 and "--no-store" in capsys.readouterr().err


def test_boot_lines_are_added_once_after_the_users_lines():
    boot = webrepl_access.boot_with_webrepl("x = 1")
    assert boot.startswith("x = 1\n") and boot.count(webrepl_access.BOOT_MARK) == 1
    assert webrepl_access.boot_with_webrepl(boot) == boot
    assert webrepl_access.cfg_source("it's") == "PASS = \"it's\"\n"
