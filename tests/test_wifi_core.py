"""core.wifi: what the board's answers mean (pure logic; the board side is in test_wifi_cli.py)."""
from __future__ import annotations

import pytest

from thonnycontrib.esp32cam.core import wifi
from thonnycontrib.esp32cam.core.wifi import JoinResult, Network


def _line(ssid: str, channel: int, rssi: int, auth: int) -> str:
    return "ESP32CAM-NET %s %d %d %d" % (ssid.encode().hex(), channel, rssi, auth)


def test_scan_one_entry_per_name_strongest_first_hidden_and_garbage_left_out():
    text = "\n".join([_line("home", 1, -70, 3), _line("home", 6, -48, 3), _line("", 11, -30, 3),
                      _line("Café", 11, -80, 0), "ESP32CAM-NET zz 1 2 3", "noise"])
    nets = wifi.parse_scan(text)
    assert [(n.ssid, n.rssi, n.channel) for n in nets] == [("home", -48, 6), ("Café", -80, 11)]
    assert nets[0].signal == "excellent" and nets[1].signal == "weak" and not nets[1].secured


@pytest.mark.parametrize("rssi, words", [(-50, "excellent"), (-51, "good"), (-65, "good"), (-70, "fair"), (-76, "weak")])
def test_signal_words(rssi, words):
    assert wifi.signal_words(rssi) == words


HOME = [Network("home", 1, -72, 3)]


@pytest.mark.parametrize("result, code", [
    (JoinResult(wifi.STAT_GOT_IP, -60, "192.168.1.5"), "joined"),
    (JoinResult(wifi.STAT_WRONG_PASSWORD, None, ""), "wrong_password"),
    (JoinResult(wifi.STAT_HANDSHAKE_TIMEOUT, None, ""), "wrong_password"),
    (JoinResult(wifi.STAT_CONNECTING, None, ""), "wrong_password"),  # before v1.22: heard, never associated
    (JoinResult(wifi.STAT_CONNECTING, -72, ""), "no_dhcp"),  # associated, no address
    (JoinResult(wifi.STAT_BEACON_TIMEOUT, None, ""), "out_of_range"),
    (JoinResult(wifi.STAT_ASSOC_FAIL, None, ""), "out_of_range"),
    (JoinResult(wifi.STAT_NO_AP_FOUND, None, ""), "not_found"),
])
def test_judge(result, code):
    outcome = wifi.judge(result, "home", HOME)
    assert outcome.code == code and outcome.ok == (code == "joined")
    if code == "out_of_range":
        assert "-72 dBm" in outcome.message


def test_a_network_not_heard_is_not_found_even_while_connecting():
    assert wifi.judge(JoinResult(wifi.STAT_CONNECTING, None, ""), "elsewhere", HOME).code == "not_found"


def test_parse_join_needs_the_result_line():
    assert wifi.parse_join("x\nESP32CAM-JOIN 1010 -60 192.168.1.7\n") == JoinResult(1010, -60, "192.168.1.7")
    assert wifi.parse_join("ESP32CAM-JOIN 202 None \n") == JoinResult(202, None, "")
    with pytest.raises(ValueError):
        wifi.parse_join("Traceback ...")


@pytest.mark.parametrize("password, ok", [("", True), ("1234567", False), ("12345678", True), ("x" * 63, True),
                                          ("x" * 64, False), ("ab" * 32, True)])
def test_check_password(password, ok):
    assert (wifi.check_password(password) is None) == ok


def test_boot_hook_added_once_and_the_users_lines_kept():
    assert wifi.boot_with_hook(None) == wifi.BOOT_LINES
    mine = "import esp\nesp.osdebug(None)"
    once = wifi.boot_with_hook(mine)
    assert once.startswith(mine + "\n") and once.count(wifi.BOOT_MARK) == 1
    assert wifi.boot_with_hook(once) == once
    assert wifi.parse_boot("'a\\nb'\r\n") == "a\nb" and wifi.parse_boot("None") is None
    with pytest.raises(ValueError):
        wifi.parse_boot("42")


def test_credentials_with_quotes_and_unicode_survive_the_code():
    import ast
    import json

    steps = wifi.store_steps("Café \"A\" 'B'", "pa'ss\"wörd\\1", None)
    # the board code's literals are Python literals: evaluate the config string back

    config_literal = steps[0].split("_f.write(", 1)[1].split(")\ndel _f", 1)[0]
    assert json.loads(ast.literal_eval(config_literal)) == {"ssid": "Café \"A\" 'B'", "password": "pa'ss\"wörd\\1"}
