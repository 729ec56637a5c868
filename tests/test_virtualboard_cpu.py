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
from tests.virtualboard import cpu, hostcosts
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
    assert all(0 < c < 1e-3 for c in wakes), costs  # nothing would be a measurement that failed
    assert host_costs(micropython_command()) is costs  # measured once per process


def test_a_figure_of_nothing_is_a_failed_measurement_and_is_not_kept():
    """One round can come out at nothing (the loop it is compared with was slowed
    meanwhile): kept as the least, it took every wake-up credit away for good."""
    assert hostcosts._median([float("inf"), -2e-6, 30e-6, 40e-6, 90e-6]) == 40e-6
    assert hostcosts._median([-5e-6]) == 0.0
    stored = HostCosts(switch=0.0, wake=((100e-6, 0.0), (10e-3, 0.0)), read=0.0)
    measured = HostCosts(switch=4e-6, wake=((100e-6, 10e-6), (10e-3, 100e-6)), read=0.3e-6)
    assert hostcosts._least(measured, stored) == measured
    lower = HostCosts(switch=3e-6, wake=((100e-6, 8e-6), (10e-3, 0.0)), read=0.2e-6)
    assert hostcosts._least(measured, lower) == HostCosts(3e-6, ((100e-6, 8e-6), (10e-3, 100e-6)), 0.2e-6)


def test_the_wake_up_credit_is_what_the_boards_own_process_spends_after_a_wait(host_board):
    """In a board's process (at the host's speed, no governor), a loop of 10 ms polls, each
    followed by a hello as the fast link's, costs about 100 µs more CPU per poll than the
    same loop with polls that return at once: the wake-up and the cold code after it. The
    credit for a 10 ms wait is of that size (a bare poll loop, as hostcosts measured before,
    gave 29-38 µs, and ×170 the rest made each 10 ms poll take 20 ms), never much more."""
    pid = host_board.fw._proc.pid
    loop = ("import sys, select, time\np = select.poll()\np.register(sys.stdin, 1)\no = sys.stdout.buffer.write\n"
            "e = time.ticks_add(time.ticks_ms(), 10 ** 6)\nfor _ in range(50):\n  p.poll(%d)\n"
            "  o(b'FL:UP\\r\\n') if time.ticks_diff(e, time.ticks_ms()) > 0 else 0")

    def cpu_and_switches(timeout_ms):
        c0, s0 = cpu.process_cpu_seconds(pid), cpu.context_switches(pid)
        host_board.raw_exec(loop % timeout_ms, timeout=30)
        cpu.settled(pid, 1.0)
        return cpu.process_cpu_seconds(pid) - c0, cpu.context_switches(pid) - s0

    extra = []
    for _ in range(3):
        (waited, switches), (at_once, fewer) = cpu_and_switches(10), cpu_and_switches(0)
        extra.append((waited - at_once) / max(1, switches - fewer))
    credit = host_costs(micropython_command()).wake_after(10e-3)
    assert 0.3 * min(extra) < credit < 1.5 * max(extra), (credit, extra)


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


def test_a_poll_or_read_that_returns_at_once_is_the_boards_c(esp32_board):
    """select.poll and a read of sys.stdin are C on a board (extmod/modselect.c, the UART's
    ring buffer); the twin's are host system calls. Charged as ESP32 code, 200 polls that
    return at once took 0.10 s, three times 200 calls of an empty Python function (0.03 s)."""
    def least(code):
        return min(_timed(esp32_board, code)[0] for _ in range(3))

    calls = least("def f():\n    pass\nfor _ in range(200):\n    f()")
    polls = least("import sys, select\np = select.poll()\np.register(sys.stdin, 1)\nfor _ in range(200):\n    p.poll(0)")
    reads = least("import sys\nr = sys.stdin.buffer.read\nfor _ in range(200):\n    r(0)")
    assert polls < 1.5 * calls and reads < 1.5 * calls, (polls, reads, calls)


def test_the_fast_link_gets_the_top_rate_at_esp32_speed(tmp_path):
    """The whole negotiation with the board's code at a chip's speed: 921600 each time
    (with a fixed settle time on the host, and the twin's system calls and wake-ups charged
    as ESP32 code, it fell back to 460800 or 115200)."""
    from tests.test_fastlink import _repl
    from tests.virtualboard import VirtualBoard, synthetic_firmware
    from thonnycontrib.esp32cam.core import doctor, fastlink

    with VirtualBoard(firmware=synthetic_firmware("lemariva"), flash_timing="fast", adapter="cp2102",
                      cpu="esp32") as board:
        board.events.wait_for("firmware_started", timeout=20)
        ser, repl = _repl(board)
        try:
            for _ in range(3):
                result = fastlink.Negotiator(repl.link_io(), repl.submit).negotiate([921600])
                assert result.rate == 921600, fastlink.describe(result, "cp2102")
                assert fastlink.Negotiator(repl.link_io(), repl.submit).restore(921600)
        finally:
            doctor.close_serial(ser)

