"""The virtual board at a 240 MHz ESP32's speed (tests/virtualboard/cpu.py, hostcosts.py):
what the board's code costs is charged, what the twin's plumbing costs the host's kernel
is not, and a board that waits takes the time its waits take, as a chip does."""
from __future__ import annotations

import subprocess
import threading
import time
from pathlib import Path

import pytest

from tests.test_virtualboard_firmware import FirmwareRig
from tests.virtualboard import cpu
from tests.virtualboard.firmware import micropython_command
from tests.virtualboard.hostcosts import HostCosts, host_costs

pytestmark = pytest.mark.alone  # they time the host's CPU: run after the parallel tests (conftest.py)

MPY = Path(__file__).resolve().parent / "virtualboard" / "mpy"


def _board(tmp_path, cpu_mode: str) -> FirmwareRig:
    r = FirmwareRig(tmp_path / ("flash-%s.bin" % cpu_mode))
    r.fw.cpu = cpu_mode
    r.start()
    r.send(b"\x01")
    r.expect(b"raw REPL; CTRL-B to exit\r\n>")
    r.raw_exec("import time", timeout=60)  # the host's first run after boot runs cold: not the chip's cost
    return r


@pytest.fixture
def esp32_board(tmp_path):
    r = _board(tmp_path, "esp32")
    yield r
    r.stop()


@pytest.fixture
def host_board(tmp_path):
    r = _board(tmp_path, "host")
    yield r
    r.stop()


def _timed(board: FirmwareRig, code: str) -> tuple:
    started = time.monotonic()
    out, err = board.raw_exec(code, timeout=60)
    assert not err, err
    return time.monotonic() - started, out.strip()


SLEEPS = {  # code, the least a chip takes (its sleeps), the most the twin may take beyond a
           # host-speed board's run of it (a chip: a few ms of loop turns)
    "200 x sleep_ms(2)": ("import time\nt = time.ticks_ms()\nfor _ in range(200):\n    time.sleep_ms(2)\n"
                          "print(time.ticks_diff(time.ticks_ms(), t))", 0.4, 0.35),
    "200 x sleep_us(800)": ("import time\nfor _ in range(200):\n    time.sleep_us(800)", 0.16, 0.3),
    "4 x sleep(0.1)": ("import time\nfor _ in range(4):\n    time.sleep(0.1)", 0.4, 0.3),
}


def test_a_board_that_sleeps_takes_its_sleeps_time(esp32_board, host_board):
    """On the chip a sleep is a FreeRTOS wait or a spin on its timer (ports/esp32/mphalport.c):
    200 sleeps of 2 ms take about 0.4 s, and the loop around them a few ms more. The governor
    used to charge the host's wake-ups and its own stops at ESP32 speed: 1.2-2.1 s. Measured
    side by side with the same code on a board at the host's speed, which pays the same
    host load (a loaded CI host stretches both), so only the governor's extra shows."""
    for name, (code, least, extra) in SLEEPS.items():
        host_elapsed, _ = _timed(host_board, code)
        elapsed, out = _timed(esp32_board, code)
        if out:
            assert int(out) >= 400, (name, out)  # the board's own clock: at least the sleeps' time
        assert elapsed >= least, (name, elapsed)
        assert elapsed - host_elapsed < extra, (name, elapsed, host_elapsed, esp32_board.fw._governor.held_for)


def test_board_code_still_pays_while_it_sleeps_in_between(esp32_board):
    """Code run before a sleep pays before the sleep begins, as on the chip (a request,
    mpy/sim_time.py): 10 turns of CALIBRATION (~39 ms each on an ESP32) with a 20 ms sleep
    after each take the governor's pauses plus the sleeps' 0.2 s. Pauses during a sleep
    are absorbed by it: what the twin's own wake-ups cost the host beyond the figures
    hostcosts.py measured (its code after a wait runs on cold caches), 0.1-0.15 s of the
    0.2 s here; if the code paid during the sleeps they would hide them. The pauses are
    the yardstick: what the code is charged varies with the host's speed of the moment
    (cpu.HostSpeed)."""
    governor = esp32_board.fw._governor
    held = governor.held
    both, out = _timed(esp32_board, cpu.CALIBRATION + "import time\na = time._absorbed_us()\n"
                       "for _ in range(10):\n    run()\n    time.sleep_ms(20)\n"
                       "print(time._absorbed_us() - a)\n")
    paused, absorbed = governor.held - held, int(out) / 1e6
    assert paused > 0.4 * 10 * cpu.CALIBRATION_ESP32_SECONDS, (paused, governor.factor())
    assert absorbed < 0.5 * paused, (absorbed, paused)  # the code paid before the sleeps
    assert paused - absorbed + 0.2 * 0.95 <= both <= paused + 0.2 + 0.3, (both, paused, absorbed)


def test_the_factor_is_the_hosts_fastest_round_so_far():
    """A round that is slower (a neighbour on the vCPU's core) never lowers the factor."""
    speed = cpu.host_speed(micropython_command())
    first = speed.factor()
    assert 20 < first < 2000, first  # a 240 MHz ESP32 against a desktop CPU
    speed.acquire()
    try:
        time.sleep(cpu.RECALIBRATE_SECONDS * 3)
    finally:
        speed.release()
    assert speed.factor() >= first
    assert cpu.host_speed(micropython_command()) is speed  # one per process


def test_host_costs_are_measured_on_this_host():
    costs = host_costs(micropython_command())
    assert 0 < costs.switch < 100e-6, costs
    assert 0 <= costs.read < 10e-6, costs
    waits = [w for w, _ in costs.wake]
    wakes = [c for _, c in costs.wake]
    assert waits == sorted(waits) and waits[0] == 100e-6, costs
    assert wakes == sorted(wakes), costs  # a longer wait is never credited less
    assert all(0 <= c < 1e-3 for c in wakes), costs
    assert host_costs(micropython_command()) is costs  # measured once per process


def test_wake_up_costs_interpolate_between_the_measured_waits():
    costs = HostCosts(switch=3e-6, wake=((100e-6, 10e-6), (1e-3, 20e-6), (10e-3, 60e-6)), read=0.3e-6)
    assert costs.wake_after(50e-6) == 0.0  # shorter than the shortest wait measured
    assert costs.wake_after(100e-6) == pytest.approx(10e-6)
    assert costs.wake_after(550e-6) == pytest.approx(15e-6)
    assert costs.wake_after(5.5e-3) == pytest.approx(40e-6)
    assert costs.wake_after(1.0) == pytest.approx(60e-6)  # beyond the last: its cost
    assert costs.least_wake == pytest.approx(10e-6)


def test_the_boards_meter_interpolates_the_same_points(tmp_path):
    """vb_host.Meter (board side, MicroPython) credits the same wake-ups as HostCosts."""
    meter_file = tmp_path / "meter"
    meter_file.write_bytes(b"0\n")
    script = tmp_path / "m.py"
    script.write_text(
        "import sys\nsys.path.insert(0, %r)\nfrom vb_host import Meter\n"
        "m = Meter(%r, [[100, 10], [1000, 20], [10000, 60]])\n"
        "print([m._wake(us) for us in (50, 100, 550, 5500, 10000, 10 ** 6)])\n" % (str(MPY), str(meter_file)))
    out = subprocess.run(micropython_command() + [str(script)], capture_output=True, text=True, timeout=30)
    assert out.stdout.strip() == "[0, 10, 15, 40, 60, 60]", out


def test_a_process_blocked_reading_stdin_is_told_from_one_that_sleeps():
    reader = subprocess.Popen(micropython_command() + ["-c", "import sys; sys.stdin.buffer.read(1)"],
                              stdin=subprocess.PIPE)
    sleeper = subprocess.Popen(micropython_command() + ["-c", "import time; time.sleep(5)"],
                               stdin=subprocess.PIPE)
    try:
        deadline = time.monotonic() + 10
        while not (cpu.waiting(reader.pid) and cpu.waiting(sleeper.pid)) and time.monotonic() < deadline:
            time.sleep(0.01)
        time.sleep(0.1)
        assert cpu.reading_stdin(reader.pid)
        assert not cpu.reading_stdin(sleeper.pid)
        assert cpu.context_switches(reader.pid) > 0
    finally:
        for proc in (reader, sleeper):
            proc.kill()
            proc.wait()
    assert cpu.context_switches(reader.pid) is None and not cpu.waiting(reader.pid)


def test_input_that_arrives_while_the_board_pays_waits_for_the_end_of_the_pause(tmp_path):
    """A board that owes ESP32 time while it waits for input pays without being stopped;
    a byte sent meanwhile is read only once the pause is over, as a busy chip leaves it in
    its UART buffer."""
    proc = subprocess.Popen(micropython_command() + ["-c", "import sys; sys.stdin.buffer.read(1); print('got')"],
                            stdin=subprocess.PIPE, stdout=subprocess.PIPE, bufsize=0)
    try:
        meter = tmp_path / "meter"
        meter.write_bytes(b"0\n")
        deadline = time.monotonic() + 10
        while not cpu.reading_stdin(proc.pid) and time.monotonic() < deadline:
            time.sleep(0.01)
        governor = cpu.CpuGovernor(proc.pid, 101.0, str(meter), HostCosts(0.0, (), 0.0))
        governor.start()
        governor._due = 0.3  # what code run so far owes and has not paid
        started = time.monotonic()
        pay = threading.Thread(target=governor.pay)
        pay.start()
        time.sleep(0.05)
        governor.before_input(0)
        proc.stdin.write(b"x")
        assert proc.stdout.readline() == b"got\n"
        answered = time.monotonic() - started
        pay.join(5)
        governor.close()
        assert answered >= 0.29, answered
    finally:
        proc.kill()
        proc.wait()
