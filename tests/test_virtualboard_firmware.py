"""The virtual board's firmware: real MicroPython (unix port) behaving like ESP32 firmware.

These tests drive `MicroPythonFirmware` directly (UART bytes in, device bytes
out), with a plain 4 MiB flash file, so they need no transport. The end-to-end
path through the board's RFC2217 URL is in test_virtualboard_mpremote.py.
"""
from __future__ import annotations

import threading
import time
import types
from pathlib import Path
from typing import Any, Dict, List, Optional, Tuple

import pytest

from tests.virtualboard.firmware import VFS_OFFSET, VFS_SIZE, MicroPythonFirmware

BANNER = "MicroPython v1.22.2 on 2024-02-22; ESP32-cam test board with ESP32"
FLASH_SIZE = 4 * 1024 * 1024


class FlashFile:
    """The part of the board's flash the firmware uses: a 4 MiB file, erased = 0xFF."""

    def __init__(self, path: Path) -> None:
        self.path = str(path)
        if not path.exists():
            path.write_bytes(b"\xff" * FLASH_SIZE)

    def read(self, addr: int, n: int) -> bytes:
        with open(self.path, "rb") as f:
            f.seek(addr)
            return f.read(n)

    def write(self, addr: int, data: bytes) -> None:
        with open(self.path, "r+b") as f:
            f.seek(addr)
            f.write(data)


class FirmwareRig:
    """The firmware with its UART captured: send bytes, wait for expected output."""

    def __init__(
        self,
        flash_path: Path,
        *,
        family: Optional[str] = None,
        psram: bool = True,
        camera_missing: bool = False,
        banner: str = BANNER,
        sensor: str = "OV2640",
        wifi: Any = None,
    ) -> None:
        self.flash = FlashFile(flash_path)
        self.info = types.SimpleNamespace(valid=True, banner=banner, camera_family=family, psram_build=True)
        self.output = bytearray()
        self.pos = 0
        self.events: List[Tuple[str, Dict]] = []
        self.resets: List[str] = []
        self._cond = threading.Condition()
        self.fw = MicroPythonFirmware(
            self.flash,
            self.info,
            psram=psram,
            camera_missing=camera_missing,
            sensor=sensor,
            emit=self._emit,
            event=self._event,
            request_reset=self._reset,
            wifi=wifi,
        )

    def _emit(self, data: bytes) -> None:
        with self._cond:
            self.output += data
            self._cond.notify_all()

    def _event(self, kind: str, data: Dict) -> None:
        with self._cond:
            self.events.append((kind, data))
            self._cond.notify_all()

    def _reset(self, reason: str) -> None:
        with self._cond:
            self.resets.append(reason)
            self._cond.notify_all()

    def start(self) -> str:
        self.fw.start()
        return self.expect(b">>> ")

    @classmethod
    def at_raw_repl(cls, flash_path: Path, **kwargs: Any) -> "FirmwareRig":
        """A started firmware, switched to the raw REPL (Ctrl-A) for ``raw_exec``."""
        rig = cls(flash_path, **kwargs)
        rig.start()
        rig.send(b"\x01")
        rig.expect(b"raw REPL; CTRL-B to exit\r\n>")
        return rig

    def stop(self) -> None:
        self.fw.stop()

    def send(self, data: bytes) -> None:
        self.fw.feed(data)

    def expect(self, needle: bytes, timeout: float = 10.0) -> str:
        """Wait for `needle` after the last match; return the text up to and including it."""
        deadline = time.monotonic() + timeout
        with self._cond:
            while True:
                idx = self.output.find(needle, self.pos)
                if idx >= 0:
                    end = idx + len(needle)
                    text = bytes(self.output[self.pos:end])
                    self.pos = end
                    return text.decode("utf-8", "replace")
                left = deadline - time.monotonic()
                if left <= 0:
                    tail = bytes(self.output[self.pos:]).decode("utf-8", "replace")
                    raise AssertionError(f"{needle!r} not seen within {timeout} s; got: {tail!r}")
                self._cond.wait(left)

    def wait_until(self, predicate, timeout: float = 10.0) -> None:
        deadline = time.monotonic() + timeout
        with self._cond:
            while not predicate():
                left = deadline - time.monotonic()
                if left <= 0:
                    raise AssertionError("condition not reached")
                self._cond.wait(left)

    def run(self, line: str, timeout: float = 10.0) -> str:
        """Friendly REPL: type one line, return what it printed (without echo and prompt)."""
        self.send(line.encode() + b"\r")
        text = self.expect(b"\n>>> ", timeout)
        echoed, _, rest = text.partition("\r\n")
        assert echoed.endswith(line), text
        return rest[: -len(">>> ")].rstrip("\r\n")

    def raw_exec(self, code: str, timeout: float = 10.0) -> Tuple[str, str]:
        """Raw REPL (already entered): run code, return (stdout, stderr) as pyboard.py does."""
        self.send(code.encode() + b"\x04")
        self.expect(b"OK", timeout)
        out = self.expect(b"\x04", timeout)[:-1]
        err = self.expect(b"\x04>", timeout)[:-2]
        return out, err


@pytest.fixture
def rig(tmp_path):
    rigs: List[FirmwareRig] = []

    def make(**kwargs) -> FirmwareRig:
        r = FirmwareRig(tmp_path / "flash.bin", **kwargs)
        rigs.append(r)
        return r

    yield make
    for r in rigs:
        r.stop()


def littlefs_files(flash_path: Path, offset: int = VFS_OFFSET, size: int = VFS_SIZE) -> Dict[str, bytes]:
    """Read the board's filesystem straight from the flash image with littlefs-python."""
    LittleFS = pytest.importorskip("littlefs").LittleFS

    with open(flash_path, "rb") as f:
        f.seek(offset)
        region = f.read(size)
    fs = LittleFS(block_size=4096, block_count=size // 4096, read_size=32, prog_size=32, lookahead_size=32, mount=False)
    fs.context.buffer[:] = region
    fs.mount()
    files = {}
    for root, _dirs, names in fs.walk("/"):
        for name in names:
            path = root.rstrip("/") + "/" + name
            with fs.open(path, "rb") as fh:
                files[path] = fh.read()
    return files


# --- boot, banner, filesystem ----------------------------------------------

def test_boot_shows_flashed_banner_and_repl_round_trip(rig):
    r = rig()
    boot = r.start()
    assert "Performing initial setup" in boot  # blank vfs partition: formatted like _boot.py does
    assert BANNER + '\r\nType "help()" for more information.\r\n>>> ' in boot
    assert "linux" not in boot
    assert r.run("print(6 * 7)") == "42"
    assert r.run("import os, sys; print(sys.platform, os.uname().sysname, os.uname().release)") == "esp32 esp32 1.22.2"
    assert r.run("print(os.uname().machine, sys.implementation.version)") == "ESP32-cam test board with ESP32 (1, 22, 2, '')"
    assert r.fw.running


def test_filesystem_is_littlefs_in_the_vfs_partition_and_survives_restart(rig, tmp_path):
    r = rig()
    r.start()
    r.run("f = open('hello.txt', 'w'); f.write('board data'); f.close()")
    assert r.run("import os; print(sorted(os.listdir('/')))") == "['boot.py', 'hello.txt']"
    r.stop()
    assert not r.fw.running
    files = littlefs_files(tmp_path / "flash.bin")
    assert files["/hello.txt"] == b"board data"
    assert files["/boot.py"].startswith(b"# This file is executed on every boot")
    with open(tmp_path / "flash.bin", "rb") as f:
        assert set(f.read(VFS_OFFSET)) == {0xFF}  # nothing written outside the vfs partition

    boot = r.start()  # power cycle: same flash
    assert "Performing initial setup" not in boot
    assert r.run("print(open('hello.txt').read())") == "board data"


def test_filesystem_writes_take_the_flash_chips_erase_and_program_time(rig):
    """esp32.Partition returns when the chip is done: 64 KB written through open().write
    erases 16 sectors (tSE 45 ms) and programs at least 256 pages (tPP 0.4 ms)."""
    r = rig()
    r.start()
    r.send(b"\x01")
    r.expect(b"raw REPL; CTRL-B to exit\r\n>")
    out, err = r.raw_exec(
        "import time\nb = bytes(range(256)) * 16\nt = time.ticks_ms()\n"
        "with open('big.bin', 'wb') as f:\n    for i in range(16):\n        f.write(b)\n"
        "print(time.ticks_diff(time.ticks_ms(), t))", timeout=60)
    assert not err
    assert int(out) >= 16 * 45 + 256 * 0.4, out
    assert r.raw_exec("print(open('big.bin', 'rb').read() == b * 16)")[0].strip() == "True"


@pytest.mark.alone  # it times the host's CPU: run after the parallel tests (conftest.py)
def test_board_code_takes_a_240_mhz_esp32s_time(rig):
    """The unix port is ~200x faster than the chip: a pure-Python loop's result comes no
    sooner than it would from an ESP32 (tests/virtualboard/cpu.py, calibrated)."""
    from tests.virtualboard import cpu

    r = rig()
    r.fw.cpu = "esp32"
    r.start()
    r.send(b"\x01")
    r.expect(b"raw REPL; CTRL-B to exit\r\n>")
    runs = 10
    started = time.monotonic()
    out, err = r.raw_exec(cpu.CALIBRATION + "for _ in range(%d):\n    run()\nprint('done')" % runs, timeout=60)
    elapsed = time.monotonic() - started
    assert (out.strip(), err) == ("done", "")
    expected = runs * cpu.CALIBRATION_ESP32_SECONDS
    # the factor is measured at start; on a loaded CI host it undershot to about 0.5x once,
    # so the bound is loose here and the comparison with host mode below does the rest
    assert expected * 0.4 <= elapsed <= expected * 4, (elapsed, expected)
    r.fw.cpu = "host"  # the next boot runs at the host's speed
    r.stop()
    r.start()
    r.send(b"\x01")
    r.expect(b"raw REPL; CTRL-B to exit\r\n>")
    started = time.monotonic()
    r.raw_exec(cpu.CALIBRATION + "for _ in range(%d):\n    run()\nprint('done')" % runs, timeout=60)
    host = time.monotonic() - started
    assert host < expected * 0.5 and host * 5 < elapsed, (host, elapsed)


def test_filesystem_follows_the_vfs_partition_of_the_flashed_table(rig, tmp_path):
    from tests.virtualboard.esp_image import Partition, build_partition_table

    table = [
        Partition(1, 0x02, 0x9000, 0x6000, "nvs"),
        Partition(0, 0x00, 0x10000, 0x2F0000, "factory"),
        Partition(1, 0x81, 0x300000, 0x100000, "vfs"),  # a build with a bigger app, smaller filesystem
    ]
    flash = FlashFile(tmp_path / "flash.bin")
    flash.write(0x8000, build_partition_table(table))
    r = rig()
    r.start()
    assert r.run("import os; print(os.statvfs('/')[0] * os.statvfs('/')[2])") == str(0x100000)
    r.stop()
    assert "/boot.py" in littlefs_files(tmp_path / "flash.bin", 0x300000, 0x100000)


def test_corrupted_filesystem_loops_like_boot_py_until_ctrl_c(rig, tmp_path):
    flash = FlashFile(tmp_path / "flash.bin")
    flash.write(VFS_OFFSET, b"not a littlefs" * 300)
    r = rig()
    r.fw.start()
    r.expect(b"The filesystem appears to be corrupted.")
    assert flash.read(VFS_OFFSET, 14) == b"not a littlefs"  # never formatted over user data
    time.sleep(0.2)
    r.send(b"\x03")
    assert "KeyboardInterrupt" in r.expect(b">>> ")
    assert "OSError" in r.run("open('x.txt', 'w')")  # no filesystem mounted, and no host one either


def test_host_files_are_unreachable(rig, tmp_path):
    secret = tmp_path / "host-secret.txt"
    secret.write_text("host only")
    r = rig(banner="MicroPython v1.24.1 on 2024-11-29; ESP32-cam test board with ESP32")  # `vfs` came in v1.23
    r.start()
    out = r.run(f"open({str(secret)!r})")
    assert "OSError: [Errno 2] ENOENT" in out
    assert "ENOENT" in r.run("open('/etc/hostname')")
    assert r.run("import os; print(os.listdir('/'))") == "['boot.py']"
    assert r.run("import os, vfs; print(hasattr(os, 'system'), hasattr(vfs, 'VfsPosix'))") == "False False"
    # no way back to the unix port's own modules: old u-names, private references
    assert r.run("import uos, os, vfs; print(uos is os, [n for n in dir(os) + dir(vfs) if n in ('_os', '_vfs')])") == "True []"
    assert "Linux" not in r.run("import platform; print(platform.platform())")
    assert r.run("import sys; print(sys.path)") == "['', '.frozen', '/lib']"


# --- REPL modes and control characters -------------------------------------

def test_raw_repl_and_raw_paste(rig):
    r = rig()
    r.start()
    r.send(b"\r\x01")
    r.expect(b"raw REPL; CTRL-B to exit\r\n>")
    out, err = r.raw_exec("print('raw', 1 + 2)")
    assert (out, err) == ("raw 3\r\n", "")
    out, err = r.raw_exec("1/0")
    assert out == "" and "ZeroDivisionError" in err

    # raw-paste: ask, get "R\x01" and the window size (uint16 LE), send code, end with Ctrl-D
    r.send(b"\x05A\x01")
    r.expect(b"R\x01")
    r.wait_until(lambda: len(r.output) >= r.pos + 2)
    window = int.from_bytes(bytes(r.output[r.pos:r.pos + 2]), "little")
    r.pos += 2
    assert window > 0
    r.send(b"x = 21\nprint('paste', x * 2)\x04")
    r.expect(b"\x04")  # end of code acknowledged
    out = r.expect(b"\x04")[:-1]
    assert out == "paste 42\r\n"
    r.expect(b"\x04>")
    r.send(b"\x02")  # back to the friendly REPL: banner again
    assert BANNER in r.expect(b">>> ")


def test_ctrl_c_interrupts_running_loop_and_keeps_globals(rig):
    r = rig()
    r.start()
    r.run("kept = 'still here'")
    r.send(b"while True: pass\r\r")
    r.wait_until(lambda: b"while True: pass" in r.output[r.pos:])
    time.sleep(0.2)  # let the loop run
    r.send(b"\x03")
    text = r.expect(b">>> ")
    assert "KeyboardInterrupt" in text
    assert r.run("print(kept)") == "still here"
    # at the prompt Ctrl-C just clears the line, no traceback
    r.send(b"abc\x03")
    assert "KeyboardInterrupt" not in r.expect(b">>> ")
    assert r.fw.running and r.fw.boots == 1


def test_ctrl_c_burst_against_a_program_that_catches_it_does_not_crash(rig):
    # the unix port dies on a second SIGINT that arrives before the first is handled;
    # a board must survive tools that send Ctrl-C in bursts (mpremote, Thonny, the doctor)
    r = rig()
    r.start()
    r.run("kept = 5; import time")
    r.send(b"time.sleep(3)\r")
    r.expect(b"time.sleep(3)\r\n")
    for _ in range(30):  # most of these arrive after the interrupt, at the prompt
        r.send(b"\x03\x03\x03\x03")
        time.sleep(0.01)
    assert "KeyboardInterrupt" in r.expect(b">>> ")
    time.sleep(0.3)
    r.pos = len(r.output)  # the other Ctrl-Cs each cleared the prompt line: "\r\n>>> "
    assert r.run("print(kept)") == "5"

    r.send(b"\x01")
    r.expect(b"raw REPL; CTRL-B to exit\r\n>")
    # long C-level calls (sum over a big range) leave a window where the first SIGINT is pending
    r.send(b"while True:\n try:\n  sum(range(2000000))\n except KeyboardInterrupt:\n  print('caught')\n\x04")
    r.expect(b"OK")
    for _ in range(30):
        r.send(b"\x03\x03\x03\x03")
        time.sleep(0.01)
    r.expect(b"caught")
    time.sleep(0.3)
    assert r.fw.running and r.fw.boots == 1
    assert b"soft reboot" not in r.output


def test_soft_reboot_keeps_files_reruns_boot_and_shows_banner(rig):
    r = rig()
    r.start()
    r.run("f = open('main.py', 'w'); f.write('print(\"main ran\")'); f.close()")
    r.run("gone = 1")
    r.send(b"\x04")
    text = r.expect(b">>> ")
    assert "MPY: soft reboot\r\n" in text
    assert text.index("MPY: soft reboot") < text.index("main ran") < text.index(BANNER)
    assert "NameError" in r.run("print(gone)")
    assert r.run("import os; print('main.py' in os.listdir())") == "True"
    assert ("soft_reboot", {"raw_repl": False}) in r.events
    r.run("import machine")
    r.send(b"machine.soft_reset()\r")
    assert "MPY: soft reboot" in r.expect(b">>> ")


def test_soft_reboot_in_raw_repl_stays_in_raw_repl(rig):
    r = rig()
    r.start()
    r.run("f = open('main.py', 'w'); f.write('print(\"main ran\")'); f.close()")
    r.send(b"\x01")
    r.expect(b"raw REPL; CTRL-B to exit\r\n>")
    r.send(b"\x04")  # Ctrl-D on an empty raw-REPL line: soft reboot
    text = r.expect(b"raw REPL; CTRL-B to exit\r\n>")
    assert text.startswith("OK\r\nMPY: soft reboot\r\n")
    assert BANNER not in text and ">>>" not in text and "main ran" not in text
    out, err = r.raw_exec("print('after reboot')")
    assert (out, err) == ("after reboot\r\n", "")


def test_machine_reset_asks_the_board_for_a_hard_reset(rig):
    r = rig()
    r.start()
    r.send(b"import machine; machine.reset()\r")
    r.wait_until(lambda: r.resets)
    assert r.resets == ["machine.reset"]
    r.stop()
    assert not r.fw.running
    r.stop()  # idempotent


@pytest.mark.parametrize("repeat", range(3))
def test_what_the_code_printed_before_machine_reset_leaves_the_chip_first(repeat):
    """esp_restart() empties the UART's TX FIFO before the reset (ESP-IDF system_internal.c
    esp_restart_noos): raw-paste's EOT acknowledgement of the code that resets, and what it
    printed, reach the host before the ROM's boot log. (Thonny's back-end waits for that EOT.)"""
    from tests.virtualboard import VirtualBoard, synthetic_firmware
    from tests.virtualboard.testing import open_client, read_until

    with VirtualBoard(firmware=synthetic_firmware("lemariva")) as board, open_client(board.url) as port:
        board.events.wait_for("firmware_started", timeout=20)
        port.write(b"\r\x03\x01")
        read_until(port, b"raw REPL; CTRL-B to exit\r\n>", timeout=10)
        port.write(b"\x05A\x01")
        read_until(port, b"R\x01")
        port.write(b"print('bye', 6 * 7)\nimport machine\nmachine.reset()\x04")
        out = read_until(port, b"rst:0xc (SW_CPU_RESET)", timeout=10)
    # before it: the window size and window grants (b"\x01", pyexec.c), nothing lost
    before, _, _ = out.partition(b"\x04bye 42\r\n")
    assert len(before) <= 4 and b"rst:" not in before, out[:80]


def test_simulated_esp32_modules(rig):
    r = rig()
    r.start()
    r.run("import machine, esp32, esp, network")
    r.run("led = machine.Pin(4, machine.Pin.OUT); led.on(); red = machine.Pin(33, machine.Pin.OUT); red.off()")
    assert ("pin", {"pin": 4, "value": 1}) in r.events
    assert ("pin", {"pin": 33, "value": 0}) in r.events
    assert r.run("print(led.value(), machine.freq(), len(machine.unique_id()), esp.flash_size())") == "1 160000000 6 4194304"
    assert "ValueError" in r.run("machine.Pin(34, machine.Pin.OUT)")
    assert r.run("print(any(h[0] > 4000000 for h in esp32.idf_heap_info(esp32.HEAP_DATA)))") == "True"
    r.run("w = network.WLAN(network.STA_IF); w.active(True); w.connect('home', 'pw')")
    # no access points around: the radio scans all channels (1.56 s, as the scan() here does),
    # then this v1.22 build reports STAT_NO_AP_FOUND (test_virtualboard_wifi.py has the rest)
    assert r.run("print(w.isconnected(), w.status() == network.STAT_CONNECTING, w.scan(), "
                 "w.status() == network.STAT_NO_AP_FOUND)") == "False True [] True"
    assert r.run("import sys; print(sys.modules['machine'] is machine)") == "True"
    assert r.run("import os; print('machine.py' in os.listdir('/'))") == "False"


def test_idf_heap_info_filters_regions_by_capabilities(rig):
    """MicroPython's tests/ports/esp32/esp32_idf_heap_info.py: modesp32.c lists the heaps whose
    caps include all asked for (heap_caps_match): >= 3 data and >= 3 executable regions on an
    ESP32, PSRAM only among the data ones, none for -1."""
    r = rig()
    r.start()
    r.run("import esp32; d = esp32.idf_heap_info(esp32.HEAP_DATA); x = esp32.idf_heap_info(esp32.HEAP_EXEC)")
    assert r.run("print(len(d) >= 3, len(x) >= 3, max(h[0] for h in d) > 4000000, max(h[0] for h in x) < 200000)") == \
        "True True True True"
    assert r.run("print(esp32.idf_heap_info(-1))") == "[]"


def test_nvs_keeps_values_in_the_nvs_partition_across_restarts(rig, tmp_path):
    """MicroPython's tests/ports/esp32/esp32_nvs.py: errors are check_esp_err's (code, name)."""
    r = rig()
    r.start()
    r.run("import esp32; n = esp32.NVS('mp-test'); n.set_i32('key1', -503); n.set_blob('b', 'a blob')")
    assert r.run("b = bytearray(10); print(n.get_i32('key1'), n.get_blob('b', b), b)") == "-503 6 bytearray(b'a blob\\x00\\x00\\x00\\x00')"
    assert r.run("print(n)") == "<NVS namespace>"
    assert r.run("n.get_i32('b')").endswith("OSError: (-4354, 'ESP_ERR_NVS_NOT_FOUND')")
    assert r.run("n.get_blob('b', bytearray(3))").endswith("OSError: (-4364, 'ESP_ERR_NVS_INVALID_LENGTH')")
    assert r.run("esp32.NVS('other').get_i32('key1')").endswith("OSError: (-4354, 'ESP_ERR_NVS_NOT_FOUND')")
    r.stop()
    r2 = rig()
    r2.start()
    assert r2.run("import esp32; print(esp32.NVS('mp-test').get_i32('key1'))") == "-503"


def test_partition_reads_the_flashed_table_and_has_no_ota(rig):
    """ports/esp32/esp32_partition.c: an ESP32-CAM build's table has a factory app and no
    OTA slots (tests/ports/esp32/partition_ota.py skips on it)."""
    r = rig()
    r.start()
    r.run("from esp32 import Partition; p = Partition(Partition.RUNNING)")
    assert r.run("print(p.info())") == "(0, 0, 65536, 2031616, 'factory', False)"
    assert r.run("print([q.info()[4] for q in Partition.find(Partition.TYPE_DATA)])") == "['nvs', 'phy_init', 'vfs']"
    assert r.run("p.get_next_update()").endswith("OSError: [Errno 2] ENOENT")
    assert r.run("Partition('nvs').set_boot()").endswith("OSError: (-5379, 'ESP_ERR_OTA_VALIDATE_FAILED')")
    r.run("v = Partition('phy_init'); v.writeblocks(0, bytes(4096)); b = bytearray(2)")
    assert r.run("v.readblocks(0, b); print(b, v.ioctl(4, 0), v.ioctl(6, 0))") == "bytearray(b'\\x00\\x00') 1 0"
    assert r.run("v.readblocks(0, b); print(b)") == "bytearray(b'\\xff\\xff')"


def test_sys_and_micropython_have_the_esp32_ports_attributes(rig):
    """py/modsys.c and py/modmicropython.c with the ESP32 port's options: no atexit, exc_info,
    executable, getsizeof, intern, mem_total; alloc_emergency_exception_buf; 32-bit maxsize."""
    r = rig()
    r.start()
    r.run("import sys, micropython")
    assert r.run("print([n for n in ('atexit', 'exc_info', 'executable', 'getsizeof', 'intern') if hasattr(sys, n)])") == "[]"
    assert r.run("print(sys.maxsize, hasattr(micropython, 'mem_total'), micropython.alloc_emergency_exception_buf(100))") == \
        "2147483647 False None"


def test_micropython_module_holds_only_the_boards_names(rig):
    """help(micropython) lists the module's dict: on a board the ROM table of py/modmicropython.c
    (v1.27.0 with the ESP32 port's options), not the twin's heap-lock helpers."""
    r = rig()
    r.start()
    r.run("import micropython")
    assert r.run("print(sorted(micropython.__dict__))") == str(sorted([
        "__name__", "const", "opt_level", "mem_info", "qstr_info", "stack_use", "alloc_emergency_exception_buf",
        "heap_lock", "heap_unlock", "kbd_intr", "RingIO", "schedule"]))


def test_print_and_import_work_while_the_heap_is_locked(rig):
    """MicroPython's tests/micropython/heapalloc*.py: a board's print and import are C and do not
    allocate; the twin's paced print must not raise MemoryError under micropython.heap_lock()."""
    r = rig()
    r.start()
    r.run("import micropython, sys")
    assert r.run("micropython.heap_lock(); print(1, 'a'); import sys; micropython.heap_lock(); print(micropython.heap_unlock()); "
                 "print(micropython.heap_unlock())") == "1 a\r\n1\r\n0"
    assert r.run("print([])") == "[]"


def test_select_poll_takes_streams_not_file_descriptors(rig):
    """extmod/modselect.c without the unix port's POSIX optimisations: register() asks for the
    stream protocol (MicroPython's tests/extmod/select_poll_fd.py skips on an ESP32)."""
    r = rig()
    r.start()
    r.run("import select, sys; p = select.poll()")
    assert r.run("p.register(0)").endswith("OSError: stream operation not supported")
    assert r.run("p.register(sys.stdin, select.POLLIN); print(p.poll(0))") == "[]"


def test_os_uname_is_a_tuple_like_a_boards_attrtuple(rig):
    """MicroPython's tests/basics/attrtuple2.py: os.uname() is an attrtuple (py/objattrtuple.c),
    a tuple printed as (sysname=..., ...) that works with the % operator."""
    r = rig()
    r.start()
    r.run("import os; u = os.uname()")
    assert r.run("print(('%s ' * len(u)) % u == ' '.join(u) + ' ', u.machine == u[4])") == "True True"
    assert r.run("print(u)").startswith("(sysname='esp32', nodename='esp32', release='1.22.2', ")


def test_stdio_objects_print_as_a_boards(rig):
    """shared/runtime/sys_stdio_mphal.c: sys.stdin and sys.stdout are one type, FileIO up to
    v1.23, TextIOWrapper from v1.24.0 (MicroPython's tests/basics/sys_stdio.py,
    sys_stdio_buffer.py); their buffer is one FileIO with fd 0 in all versions; writing
    fd 0 or reading fd 1 is EPERM."""
    code = ("import sys; print(sys.stdout, sys.stdin, sys.stdout.buffer, type(sys.stdout), type(sys.stdin), "
            "type(sys.stdout.buffer), sys.stdin.buffer is sys.stdout.buffer)")
    r = rig()
    r.start()
    assert r.run(code) == "<io.FileIO 1> <io.FileIO 0> <io.FileIO 0> <class 'FileIO'> <class 'FileIO'> <class 'FileIO'> True"
    r.stop()
    r = rig(banner="MicroPython v1.24.0 on 2024-10-25; ESP32 module with ESP32")
    r.start()
    assert r.run(code) == ("<io.TextIOWrapper 1> <io.TextIOWrapper 0> <io.FileIO 0> <class 'TextIOWrapper'> "
                           "<class 'TextIOWrapper'> <class 'FileIO'> True")
    assert r.run("print(sys.stdout.write('ab'), sys.stdout.buffer.write(b'cd', 1))") == "abc2 1"
    assert r.run("sys.stdin.write('x')").endswith("OSError: [Errno 1] EPERM")
    assert r.run("sys.stdout.read(1)").endswith("OSError: [Errno 1] EPERM")


def test_polling_stdin_names_the_object_registered(rig):
    """select.poll on sys.stdin or its buffer (extmod/modselect.c returns the registered
    object; asyncio's IOQueue looks it up by id): poll() and ipoll() give that object back."""
    r = rig()
    r.start()
    r.run("import select, sys; p = select.poll(); p.register(sys.stdin.buffer, select.POLLIN)")
    r.send(b"print(p.poll(5000)[0][0] is sys.stdin.buffer, [e[0] is sys.stdin.buffer for e in p.ipoll(0)], "
           b"sys.stdin.buffer.read(2))\r")
    r.send(b"ab")
    assert r.expect(b"\n>>> ", 10).rstrip("\r\n>>> ").endswith("True [True] b'ab'")
    r.run("p.unregister(sys.stdin.buffer); p.register(sys.stdin, select.POLLIN)")
    r.send(b"print(p.poll(5000)[0][0] is sys.stdin, sys.stdin.read(1))\r")
    r.send(b"z")
    assert r.expect(b"\n>>> ", 10).rstrip("\r\n>>> ").endswith("True z")
    r.send(b"b = bytearray(3); print(sys.stdin.readinto(b), b, sys.stdin.buffer.readline())\r")
    r.send(b"xyzline\n")
    assert r.expect(b"\n>>> ", 10).rstrip("\r\n>>> ").endswith("3 bytearray(b'xyz') b'line\\n'")
    r.send(b"for l in sys.stdin:\r    print(repr(l)); break\r\r")
    r.send(b"one\n")
    assert r.expect(b"\n>>> ", 10).rstrip("\r\n>>> ").endswith("'one\\n'")


def test_uart1_flush_waits_for_the_line_like_a_board(rig):
    """MicroPython's tests/extmod/machine_uart_tx.py: write + flush last the bits' time."""
    r = rig()
    r.start()
    r.run("from machine import UART; import time; u = UART(1, baudrate=2400, tx=4, rx=5)")
    out = r.run("t = time.ticks_us(); n = u.write('Hello World'); busy = not u.txdone(); u.flush(); "
                "print(busy, u.txdone(), time.ticks_diff(time.ticks_us(), t))")
    busy, done, took = out.split()
    assert (busy, done) == ("True", "True") and abs(int(took) - 11 * 10 * 1000000 // 2400) < 5000, out


def test_output_that_looks_like_a_banner_start_is_not_held_back(rig):
    r = rig()
    r.start()
    assert r.run("print('MicroPython is fun')") == "MicroPython is fun"
    r.send(b"print('MicroPython', end='')\r")
    assert r.expect(b">>> ", timeout=5).endswith("MicroPython>>> ")
    # a program that prints the start of a banner (or of the raw-REPL prompt) and then waits
    r.send(b"import time; print('MicroPy', end=''); time.sleep(2)\r")
    r.expect(b"time.sleep(2)\r\n")  # the echo
    assert r.expect(b"MicroPy", timeout=1) == "MicroPy"  # not held until the program ends
    r.send(b"\x03")
    r.expect(b">>> ")


def test_print_loop_is_paced_by_the_uart_so_ctrl_c_stops_it_promptly():
    # through the whole board at 115200 baud: print() returns only when the bytes are
    # on the wire, as on a chip; otherwise a second of printing queues minutes of output
    from tests.virtualboard import VirtualBoard, synthetic_firmware
    from tests.virtualboard.testing import open_client, read_for, read_until

    with VirtualBoard(firmware=synthetic_firmware(family=None)) as board:
        board.events.wait_for("firmware_started", timeout=20)
        port = open_client(board.url)
        try:
            port.write(b"i = 0\r")  # the boot banner went out before we connected
            read_until(port, b">>> ", timeout=10)
            port.write(b"while True: i += 1; print(i)\r\r")
            read_for(port, 1.0)
            port.write(b"\x03")
            after = read_until(port, b">>> ", timeout=30)
            assert b"KeyboardInterrupt" in after
            assert len(after) < 32 * 1024  # what was in flight, not a backlog
            port.write(b"print(i < 20000)\r")
            assert b"True" in read_until(port, b">>> ", timeout=10)  # ~11 kB/s of digits
        finally:
            port.close()


def test_text_has_crlf_line_ends_binary_stdout_is_untouched(rig):
    # ESP32's stdout "cooks" text ("\n" -> "\r\n"); sys.stdout.buffer.write is raw
    r = rig()
    r.start()
    r.send(b"\x01")
    r.expect(b"raw REPL; CTRL-B to exit\r\n>")
    start = len(r.output)
    payload = bytes(range(256)) * 4 + b"\n\n\r\n"
    r.send(b"import sys\nprint('a\\nb')\nsys.stdout.write('c\\n')\n"
           b"sys.stdout.buffer.write(bytes(range(256)) * 4 + b'\\n\\n\\r\\n')\nprint('d')\n1/0\x04")
    r.expect(b"\x04>")
    got = bytes(r.output[start:])
    assert got.startswith(b"OKa\r\nb\r\nc\r\n" + payload + b"d\r\n\x04Traceback (most recent call last):\r\n")
    assert b"ZeroDivisionError: divide by zero\r\n\x04>" in got


def test_ctrl_c_during_boot_never_leaves_a_board_without_its_modules(rig):
    """A client that opens the port and sends Ctrl-C while the chip boots (Thonny,
    the installer's post-flash check) gets the board's REPL with its built-in
    modules: no reboot, never the unix port's own REPL on the host's filesystem."""
    r = rig(family="lemariva")
    for delay in (None, 0.02, 0.03, 0.04):
        r.fw.start()
        if delay is None:  # a stream of Ctrl-C from the first instant until the prompt
            while b">>> " not in r.output:
                r.send(b"\x03")
                time.sleep(0.001)
        else:  # a single one, somewhere in the launcher's or vb_boot's start-up
            time.sleep(delay)
            r.send(b"\x03")
        r.expect(b">>> ")
        time.sleep(0.3)  # let stray prompts from the Ctrl-C arrive
        r.pos = len(r.output)
        r.send(b"import camera, machine; print('mods', camera.__name__, machine.__name__)\r")
        answer = r.expect(b"\n>>> ")
        assert "mods camera machine" in answer, f"Ctrl-C after {delay}: {answer!r}"
        assert r.fw.boots == 1, f"Ctrl-C after {delay} rebooted the board"
        r.stop()
        r.fw.boots = 0


def test_a_boot_that_fails_is_a_crash_not_a_repl_on_the_host(rig, monkeypatch):
    """`micropython -i` enters its REPL even after the boot script raised SystemExit;
    the firmware must treat that as a crashed boot and never show that REPL."""
    r = rig(family="lemariva")
    real_config = MicroPythonFirmware._boot_config
    monkeypatch.setattr(MicroPythonFirmware, "_boot_config",
                        lambda self: dict(real_config(self), camera="no_such_driver"))
    r.fw.start()
    r.wait_until(lambda: any(kind == "firmware_crashed" for kind, _ in r.events), timeout=30)
    failed = [data for kind, data in r.events if kind == "firmware_boot_failed"]
    assert failed and "cam_no_such_driver" in failed[0]["output"]
    assert b">>> " not in r.output
