"""The fast serial link (core.fastlink) against the virtual board at its real line rate,
without Thonny: negotiation, the adapter cap, the board-side guard, old firmware, resets,
and ``snapshot --baud/--count``."""
from __future__ import annotations

import contextlib
import re
import time

import pytest

from tests.virtualboard import VirtualBoard, synthetic_firmware
from tests.virtualboard.testing import open_client, read_until
from thonnycontrib.esp32cam.cli import main as cli_main
from thonnycontrib.esp32cam.core import doctor, fastlink
from thonnycontrib.esp32cam.core.camera.rawrepl import RawRepl

pytestmark = pytest.mark.timeout(180)

OLD_LEMARIVA = "MicroPython v1.18-74-gfeeeb5ea3 on 2022-01-17; ESP32 module (spiram) with ESP32"
RAW_PROMPT = b"raw REPL; CTRL-B to exit\r\n>"


def _board(family="lemariva", banner=None, **kwargs):
    board = VirtualBoard(firmware=synthetic_firmware(family, banner=banner), flash_timing="fast", **kwargs)
    board.events.wait_for("firmware_started", timeout=20)
    return board


def _repl(board):
    ser = doctor.open_serial(board.url, baudrate=fastlink.BOOT_BAUD)
    return ser, RawRepl(ser, interrupt=True)


@contextlib.contextmanager
def _at_raw_repl(**board_kwargs):
    """A fresh board and a raw-REPL client on it; the port is closed (lines released) after."""
    with _board(**board_kwargs) as board:
        ser, repl = _repl(board)
        try:
            yield board, repl
        finally:
            doctor.close_serial(ser)


def _prompt_at_115200(board, timeout=5.0) -> bytes:
    """What a plain terminal (PuTTY, mpremote) sees: Enter gives a prompt."""
    client = open_client(board.url, baudrate=115200)
    try:
        client.write(b"\r\x02")
        return read_until(client, b">>> ", timeout)
    finally:
        client.close()


# --- the pure parts -------------------------------------------------------------------------

@pytest.mark.parametrize("text, mode, rate", [
    ("auto", "auto", None), ("", "auto", None), ("115200", "off", None), ("off", "off", None),
    ("921600", "fixed", 921600), ("auto:460800", "auto", 460800), (2000000, "fixed", 2000000),
])
def test_settings_are_parsed(text, mode, rate):
    setting = fastlink.parse_setting(text)
    assert (setting.mode, setting.rate) == (mode, rate)


@pytest.mark.parametrize("text", ["fast please", "9600", "99999999", "auto:abc"])
def test_a_garbage_setting_gets_a_message_saying_what_works(text):
    with pytest.raises(ValueError, match="115200"):
        fastlink.parse_setting(text)


def test_rates_follow_the_adapter_cap_the_setting_and_the_remembered_rate():
    auto = fastlink.parse_setting("auto")
    assert fastlink.candidate_rates(auto, 921600) == [921600, 460800, 230400]
    assert fastlink.candidate_rates(auto, 2000000, remembered=921600)[:2] == [921600, 2000000]
    assert fastlink.candidate_rates(fastlink.parse_setting("auto:1000000"), 2000000)[0] == 1000000
    assert fastlink.candidate_rates(fastlink.parse_setting("115200"), 2000000) == []
    assert fastlink.candidate_rates(fastlink.parse_setting("1500000"), 460800) == [1500000]


def test_adapters_are_capped_by_what_they_carry():
    assert fastlink.adapter_cap("COM3", 0x10C4, 0xEA60) == ("CP210x", 921600)  # CP2102: 1 Mbaud max
    assert fastlink.adapter_cap("/dev/ttyUSB0", 0x1A86, 0x7523) == ("CH340", 2000000)
    assert fastlink.adapter_cap("/dev/ttyACM0", 0x303A, 0x1001)[0] == fastlink.NATIVE_USB
    assert fastlink.adapter_cap("/dev/ttyUSB9", 0x1234, 0x5678)[1] == fastlink.UNKNOWN_CAP
    assert fastlink.adapter_cap("rfc2217://localhost:1")[1] == fastlink.NETWORK_CAP


def test_the_board_checksum_matches_the_host_one():
    """The board's Fletcher-16 is the host's (run by MicroPython itself in the next tests);
    here a known value keeps the host side honest."""
    assert fastlink.checksum(b"abcde") == 0xC8F0


# --- negotiation on the virtual board ------------------------------------------------------

@pytest.mark.parametrize("family", ["lemariva", "kaki5", "cnadler86"])
def test_negotiation_reaches_the_top_rate_and_proves_it_both_ways(family):
    with _at_raw_repl(family=family) as (board, repl):
        result = fastlink.Negotiator(repl.link_io(), repl.submit).negotiate([2000000, 921600])
        assert result.rate == 2000000 and result.attempts[0].outcome == "ok"
        assert board.uart.chip_baud == 2000000
        assert repl.exec_text("print(sum(range(10)))").strip() == "45"  # REPL works at 2 Mbaud


class _LateHost:
    """A LinkIO that follows the board's new rate only ``delay`` seconds after it read
    "FL:GO" (a host busy elsewhere, a USB hub): the board has switched long before."""

    def __init__(self, io, delay):
        self._io = io
        self._delay = delay
        self.baud = fastlink.BOOT_BAUD

    def set_baud(self, baud):
        if baud > self.baud:
            time.sleep(self._delay)
        self.baud = baud
        self._io.set_baud(baud)

    def __getattr__(self, name):
        return getattr(self._io, name)


def test_a_host_that_follows_late_still_gets_the_rate():
    """The board says hello at the new rate until the host's first byte: a host that
    switches 120 ms after "FL:GO" (the board switches after 30 ms) loses hellos, not the
    rate."""
    with _at_raw_repl() as (board, repl):
        mark = board.events.mark()
        result = fastlink.Negotiator(_LateHost(repl.link_io(), 0.12), repl.submit).negotiate([921600])
        assert result.rate == 921600, fastlink.describe(result, "virtual")
        switched = board.events.wait_for("repl_baud", baud=922190, since=mark, timeout=1)
        host = [e for e in board.events.all(since=mark) if e.kind == "baud" and e.data.get("baud") == 921600]
        assert host and host[0].time - switched.time > 0.05  # the board was at 921600 first
        assert repl.exec_text("print(6*7)").strip() == "42"


def test_a_board_that_switches_late_still_gets_the_rate():
    """A board busy for 120 ms before it switches (a long garbage collection, a task on
    its core; the twin at ESP32 speed was once 350 ms late): the host sends nothing at the
    new rate before the board's hello. With a fixed settle time instead (the probe went out
    45 ms after "FL:GO") such a board read the probe at the old rate and the rate was lost."""
    sleep = "time.sleep_ms(%d)" % fastlink.SWITCH_SLEEP_MS
    with _at_raw_repl() as (board, repl):
        def busy(code):
            repl.submit(code.replace(sleep, "time.sleep_ms(120)"))

        mark = board.events.mark()
        result = fastlink.Negotiator(repl.link_io(), busy).negotiate([921600])
        assert result.rate == 921600, fastlink.describe(result, "virtual")
        assert not [e for e in board.events.all(since=mark) if e.kind == "garbled"]
        assert repl.exec_text("print(6*7)").strip() == "42"


def test_hellos_sent_while_the_probe_was_on_its_way_are_skipped():
    """A slow line (230400): the probe takes 9 ms, the board says hello every 10 ms until its
    first byte arrives, so a hello may precede the board's answer."""
    with _at_raw_repl() as (board, repl):
        for _ in range(3):
            result = fastlink.Negotiator(repl.link_io(), repl.submit).negotiate([230400])
            assert result.rate == 230400, fastlink.describe(result, "virtual")
            assert fastlink.Negotiator(repl.link_io(), repl.submit).restore(230400)


def test_an_adapter_that_garbles_above_460800_settles_at_460800():
    with _at_raw_repl(max_baud=460800) as (board, repl):
        result = fastlink.Negotiator(repl.link_io(), repl.submit).negotiate(
            fastlink.candidate_rates(fastlink.parse_setting("auto"), 2000000))
        assert result.rate == 460800, fastlink.describe(result, "virtual")
        assert all(a.outcome != "ok" for a in result.attempts[:-1])
        assert repl.exec_text("print('still here')").strip() == "still here"


@pytest.mark.parametrize("adapter, expected", [("cp2102", 1000000), ("ch340", 2000000)])
def test_named_adapter_models_garble_above_their_own_maximum(adapter, expected):
    """The twin's adapter models (datasheet limits) decide where negotiation settles
    when the plug-in is allowed to try everything (auto up to 2 Mbaud)."""
    with _at_raw_repl(adapter=adapter) as (board, repl):
        rates = fastlink.candidate_rates(fastlink.parse_setting("auto:2000000"), 2000000)
        result = fastlink.Negotiator(repl.link_io(), repl.submit).negotiate(rates)
        assert result.rate == expected, fastlink.describe(result, adapter)


def test_an_ftdi_adapter_holds_short_replies_for_its_latency_timer_and_everything_still_works(tmp_path, capsys):
    """FT232R on Linux: a 16 ms latency timer (ftdi_sio), so a one-byte echo arrives no
    sooner than that; negotiation, the board's guard and streamed frames live with it."""
    with _board(adapter="ft232r") as board:
        client = open_client(board.url, baudrate=115200)
        try:
            client.write(b"\r")
            read_until(client, b">>> ", 5)
            echoes = []
            for ch in b"abc":
                started = time.perf_counter()
                client.write(bytes([ch]))
                assert read_until(client, bytes([ch]), 5).endswith(bytes([ch]))
                echoes.append(time.perf_counter() - started)
            client.write(b"\x03")
        finally:
            doctor.close_serial(client)
        assert min(echoes) >= 0.015, echoes
        out = tmp_path / "p.jpg"
        code = cli_main(["snapshot", "--port", board.url, "-o", str(out), "--size", "QVGA", "--count", "4"])
        last = capsys.readouterr().out.strip().splitlines()[-1]
        assert code == 0 and last.startswith("Link 921600 baud") and ", 4 frames," in last, last


def test_firmware_that_cannot_reinit_uart0_stays_at_115200_and_says_why():
    with _at_raw_repl(banner=OLD_LEMARIVA) as (board, repl):
        result = fastlink.Negotiator(repl.link_io(), repl.submit).negotiate([921600, 460800])
        assert result.rate == 115200 and len(result.attempts) == 1
        assert "dedicated to REPL" in result.unsupported
        assert "cannot change" in fastlink.describe(result, "x")
        assert repl.exec_text("print(6*7)").strip() == "42"


def test_a_lost_sync_token_makes_the_board_return_to_115200_by_itself():
    """The host never follows: the board's guard expires and it goes back on its own."""
    with _at_raw_repl() as (board, repl):
        repl.submit(fastlink.attempt_code(921600, 115200, 300, b"deadbeef", with_helpers=True))
        assert b"FL:GO" in repl.source.read_until(b"FL:GO\r\n", 3)
        switched = board.events.wait_for("repl_baud", baud=922190, timeout=2)
        back = board.events.wait_for("repl_baud", baud=115201, timeout=3, since=board.events.mark() - 1)
        # its hellos unanswered for three guards, not a guard more for a probe that cannot come
        assert 0.85 < back.time - switched.time < 1.15, back.time - switched.time
        assert b"FL:BACK" in repl.source.read_until(b"\x04>", 3)
        assert repl.exec_text("print('ok')").strip() == "ok"


def test_a_lost_confirmation_also_returns_the_board_to_115200():
    with _at_raw_repl() as (board, repl):
        io = repl.link_io()
        token = b"0123abcd"
        repl.submit(fastlink.attempt_code(921600, 115200, 300, token, with_helpers=True))
        io.read_until(re.compile(rb"FL:GO\r\n"), 3)
        io.set_baud(921600)
        assert fastlink.HELLO in io.read_until(re.compile(re.escape(fastlink.HELLO)), 2)
        probe = bytes(range(fastlink.PROBE_SIZE))
        io.write(token + probe)
        reply = io.read_exactly(5 + len(token) + 4 + len(fastlink.PATTERN), 2)
        while reply.startswith(fastlink.HELLO):  # a hello sent while the probe was on its way
            reply = reply[len(fastlink.HELLO):] + io.read_exactly(len(fastlink.HELLO), 2)
        assert reply.startswith(b"FL:HI" + token + b"%04x" % fastlink.checksum(probe))
        assert reply.endswith(fastlink.PATTERN)
        io.set_baud(115200)  # ... and no confirmation
        assert b"FL:BACK" in io.read_until(re.compile(rb"\x04>"), 3)
        assert board.uart.chip_baud == 115201


def test_soft_reboot_keeps_the_rate_and_a_hard_reset_brings_back_115200():
    """main.c sets UART0 to 115200 once, before the soft_reset: label (mp v1.14-v1.27)."""
    with _board() as board:
        ser, repl = _repl(board)
        try:
            assert fastlink.Negotiator(repl.link_io(), repl.submit).negotiate([921600]).rate == 921600
            repl.leave()
            assert repl.source.read_until(b">>> ", 3).endswith(b">>> ")
            repl.source.write(b"\x04")  # soft reboot at the friendly prompt
            assert b"soft reboot" in repl.source.read_until(b"soft reboot", 10)
            assert repl.source.read_until(b">>> ", 10).endswith(b">>> ")  # readable: still 921600
            assert board.uart.chip_baud == 922190
            mark = board.events.mark()
            board.press_reset()
            board.events.wait_for("firmware_started", since=mark, timeout=20)
            assert board.uart.chip_baud == 115200
        finally:
            doctor.close_serial(ser)
        assert b">>> " in _prompt_at_115200(board)


def test_a_big_unpaced_write_waits_for_ticks_and_the_paced_writer_does_not():
    """The twin's REPL output path (uart_stdout_tx_strn, v1.19+): one 20 kB write waits for
    ~150 FreeRTOS ticks; the plug-in's paced writer sends the same bytes without one."""
    with _at_raw_repl() as (board, repl):
        assert fastlink.Negotiator(repl.link_io(), repl.submit).negotiate([921600]).rate == 921600
        waits = "sys.stdout.buffer.fifo.tick_waits"
        repl.exec_text("import sys\n__w0 = %s" % waits)
        assert len(repl.exec_text("sys.stdout.buffer.write(bytes(20000))", 30)) == 20000
        unpaced = int(repl.exec_text("print(%s - __w0)" % waits))
        repl.exec_text("__w0 = %s" % waits)
        assert len(repl.exec_text("__esp32cam_pw(921600)(bytes(20000))", 30)) == 20000
        paced = int(repl.exec_text("print(%s - __w0)" % waits))
        # paced: none on a quiet machine; the twin's own process may be descheduled
        # between the writer's clock read and the FIFO (a few hundred us) under load
        assert unpaced >= 20000 // 128 - 2 and paced <= 3, (unpaced, paced)


# counts the paced writer's write sizes: sys.stdout.buffer.write as the writer looks it up
COUNT_WRITES = """\
import sys
__sizes = {}
__real = sys.stdout.buffer.write
def __count(b):
    __sizes[len(b)] = __sizes.get(len(b), 0) + 1
    return __real(b)
sys.stdout.buffer.write = __count
__pw = __esp32cam_pw(%d)
sys.stdout.buffer.write = __real
__w0 = sys.stdout.buffer.fifo.tick_waits
"""


def paced_frames(repl, rate: int, frames: int = 4, size: int = 6144) -> tuple:
    """Frames as the camera sends them (a header, then the data, back to back) through
    one paced writer: (write sizes and counts, tick waits)."""
    repl.exec_text(COUNT_WRITES % rate)
    code = "for _ in range(%d):\n    __pw(b'x' * 30)\n    __pw(bytes(%d))" % (frames, size)
    assert len(repl.exec_text(code, 60)) == frames * (30 + size)
    sizes = eval(repl.exec_text("print(__sizes)"))
    return sizes, int(repl.exec_text("print(sys.stdout.buffer.fifo.tick_waits - __w0)"))


def test_the_paced_writer_keeps_its_grid_from_one_call_to_the_next():
    """A frame's header, then its data, then the next frame: the grid carries over, so no
    write finds the FIFO too full (a new grid at each call let the next frame's first
    slice follow the last one at once). On a fast board the slices are 96 bytes."""
    with _at_raw_repl() as (board, repl):
        assert fastlink.Negotiator(repl.link_io(), repl.submit).negotiate([921600]).rate == 921600
        sizes, waits = paced_frames(repl, 921600)
        assert waits <= 1, (sizes, waits)  # the twin's process may be descheduled under load
        data = sizes.get(fastlink.SLICE, 0) + sizes.get(fastlink.FIFO, 0)
        assert sizes.get(fastlink.SLICE, 0) >= 0.8 * data, sizes


def test_a_write_a_whole_fifo_drain_after_the_last_fills_the_fifo():
    """A slow board's own code between two writes can outlast a slice on the line: then the
    FIFO is empty by the next write, which fills all 128 bytes (96 + 32 before)."""
    with _at_raw_repl() as (board, repl):
        assert fastlink.Negotiator(repl.link_io(), repl.submit).negotiate([921600]).rate == 921600
        repl.exec_text(COUNT_WRITES % 921600)
        code = "import time\nfor _ in range(20):\n    time.sleep_ms(3)\n    __pw(bytes(%d))" % fastlink.FIFO
        assert len(repl.exec_text(code, 30)) == 20 * fastlink.FIFO
        sizes = eval(repl.exec_text("print(__sizes)"))
        assert sizes.get(fastlink.FIFO, 0) >= 18, sizes
        assert int(repl.exec_text("print(sys.stdout.buffer.fifo.tick_waits - __w0)")) <= 1


@pytest.mark.parametrize("banner, logs_error", [
    ("MicroPython v1.21.0 on 2023-10-13; ESP32 module (spiram) with ESP32", True),
    ("MicroPython v1.27.0 on 2025-12-09; Generic ESP32 module with SPIRAM with ESP32", False),
])
def test_uart0_reinit_logs_the_idf_error_only_where_the_idf_does(banner, logs_error):
    with _at_raw_repl(banner=banner) as (board, repl):
        out = repl.exec_text("import machine\nmachine.UART(0, baudrate=115200)\nprint('done')")
        assert ("uart driver error" in out) == logs_error, out


# --- the CLI -----------------------------------------------------------------------------------

def test_snapshot_count_runs_fast_and_leaves_the_board_at_115200(tmp_path, capsys):
    out = tmp_path / "photo.jpg"
    with _board() as board:
        code = cli_main(["snapshot", "--port", board.url, "-o", str(out), "--size", "QVGA", "--count", "3"])
        printed = capsys.readouterr().out
        assert code == 0 and out.exists(), printed
        last = printed.strip().splitlines()[-1]
        assert re.match(r"Link 921600 baud \(network port\), 3 frames, [\d.]+ frames/s, \d+ % of the line$", last), last
        assert board.events.find("repl_baud", baud=922190) is not None
        assert board.uart.chip_baud == 115201
        assert b">>> " in _prompt_at_115200(board)


def test_snapshot_baud_115200_never_switches(tmp_path, capsys):
    with _board() as board:
        code = cli_main(["snapshot", "--port", board.url, "-o", str(tmp_path / "p.jpg"), "--baud", "115200"])
        assert code == 0
        assert capsys.readouterr().out.strip().splitlines()[-1].startswith("Link 115200 baud")
        assert board.events.find("repl_baud") is None


def test_snapshot_on_old_firmware_works_at_115200_and_says_so_once(tmp_path, capsys):
    with _board(banner=OLD_LEMARIVA) as board:
        code = cli_main(["snapshot", "--port", board.url, "-o", str(tmp_path / "p.jpg")])
        captured = capsys.readouterr()
        assert code == 0, captured.err
        assert captured.err.count("keeps its REPL at 115200") == 1
        assert captured.out.strip().splitlines()[-1].startswith("Link 115200 baud")


def test_snapshot_rejects_a_garbage_baud_before_touching_the_port(capsys):
    with pytest.raises(SystemExit):
        cli_main(["snapshot", "--port", "rfc2217://127.0.0.1:9", "--baud", "turbo"])
    assert "not understood" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        cli_main(["snapshot", "--port", "rfc2217://127.0.0.1:9", "--count", "0"])


# --- the doctor ---------------------------------------------------------------------------------

@pytest.mark.parametrize("kwargs, expected", [
    ({}, "921600 baud via network port"),
    ({"max_baud": 460800}, "460800 baud via network port"),
    ({"banner": OLD_LEMARIVA}, "this firmware cannot change the REPL's rate"),
])
def test_the_doctor_reports_the_fastest_rate_and_leaves_115200(kwargs, expected):
    from thonnycontrib.esp32cam.core.doctor import diagnose

    with _board(**kwargs) as board:
        d = diagnose(board.url, check_camera=False)
        assert d.code == "repl_ok", d.to_text()
        line = next(e for e in d.evidence if e.startswith("serial speed:"))
        assert expected in line, line
        assert board.uart.chip_baud in (115200, 115201)
        assert b">>> " in _prompt_at_115200(board)


@pytest.mark.parametrize("state", ["typed junk", "empty line", "raw REPL"])
def test_the_link_watchs_poke_makes_real_micropython_print_its_banner(state):
    # the twin runs MicroPython's own readline and pyexec (unix port): Ctrl-B alone prints the
    # banner only on an empty line; pokes garbled at wrong rates leave typed characters there
    from tests.virtualboard.testing import read_for
    from thonnycontrib.esp32cam.core.linkwatch import POKE

    with _board() as board:
        client = open_client(board.url, baudrate=115200)
        try:
            client.write(b"\x03")
            read_until(client, b">>> ")
            if state == "typed junk":
                client.write(b"k~Q")
                read_until(client, b"k~Q")  # echoed: the line holds them
                client.write(b"\x02")
                assert b"Type \"help()\"" not in read_for(client, 0.5)  # Ctrl-B alone: the cursor moves
            elif state == "raw REPL":
                client.write(b"\x01")
                read_until(client, RAW_PROMPT)
            client.write(POKE)
            # up to the banner (a TimeoutError shows what came instead): the prompt the Ctrl-C
            # above printed may come after the boot banner's, and a read up to ">>> " ends there
            out = read_until(client, b"Type \"help()\" for more information.\r\n>>> ")
        finally:
            client.close()
    assert out.endswith(b"Type \"help()\" for more information.\r\n>>> ")
