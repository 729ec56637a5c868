"""The virtual board speaks the flashed build's MicroPython, not the unix port's 1.28.

Each rule follows MicroPython's sources at the release tags (see mpy/vb_syntax.py,
mpy/vb_boot.py `_LATER_MODULES`, mpy/sim_sys.py): f-strings from v1.17, `vfs` from v1.23,
`deflate` from v1.21, sys.implementation's fields and sys.version by version.
"""
from __future__ import annotations

import subprocess
import sys

import pytest

from tests.test_virtualboard_firmware import FirmwareRig, rig  # noqa: F401  (fixture)
from tests.virtualboard import VirtualBoard, synthetic_firmware

V114 = "MicroPython v1.14-122-g9fef1c0bd-dirty on 2021-03-30; Camera Module (i2s) with ESP32"
V118 = "MicroPython v1.18-74-gfeeeb5ea3 on 2022-02-02; ESP32-cam module (i2s) with ESP32"
V120 = "MicroPython v1.20.0-206-g33b403dfb-kaki5 on 2023-12-25; ESP32 OV2640 X23 with ESP32"
V121 = "MicroPython v1.21.0 on 2023-10-13; ESP32 module with Camera with ESP32"
V127 = "MicroPython v1.27.0-dirty on 2026-01-12; Generic ESP32 module with SPIRAM with ESP32"
INVALID = "SyntaxError: invalid syntax"


def _line(r: FirmwareRig, line: str) -> str:
    """Friendly REPL: type a line; what the board sent back (echo included) up to the prompt."""
    r.send(line.encode() + b"\r")
    return r.expect(b"\n>>> ")


def test_f_string_typed_at_a_v1_14_repl_is_a_syntax_error_echoed_as_typed(rig):  # noqa: F811
    r = rig(banner=V114)
    r.start()
    out = _line(r, "x = 5; print(f'{x}')")
    assert out == ("x = 5; print(f'{x}')\r\nTraceback (most recent call last):\r\n"
                   '  File "<stdin>", line 1\r\n' + INVALID + "\r\n>>> "), out
    # quotes after an f inside strings and comments are ordinary text
    assert "fif' $\r\n" in _line(r, "print('f' + \"if'\", '$')  # f'x'")


@pytest.mark.parametrize("banner", [V118, V121])
def test_f_strings_work_from_v1_17(rig, banner):  # noqa: F811
    r = rig(banner=banner)
    r.start()
    assert r.run("x = 5; print(f'{x}!')") == "5!"


def test_raw_repl_reports_the_line_of_the_f_string(tmp_path):
    r = FirmwareRig.at_raw_repl(tmp_path / "flash.bin", banner=V114)
    try:
        out, err = r.raw_exec("a = 1\nb = 'f{}'.format(a)\nprint(f\"{b}\")\n")
        assert out == "" and err == 'Traceback (most recent call last):\r\n  File "<stdin>", line 3\r\n' + INVALID + "\r\n", err
        out, err = r.raw_exec("print('still', 'fine')")
        assert (out, err) == ("still fine\r\n", "")
    finally:
        r.stop()


def test_code_compiled_on_a_v1_14_board_follows_its_syntax(rig):  # noqa: F811
    r = rig(banner=V114)
    r.start()
    assert r.run("exec(\"y = f'{1}'\")").endswith('  File "<string>", line 1\r\n' + INVALID)
    assert r.run("print(compile('z = 1', 's', 'exec') is not None, eval('1 + 1'))") == "True 2"
    r.run("f = open('mod.py', 'w'); f.write('a = 1\\nb = f\"{a}\"\\n'); f.close()")
    out = r.run("import mod")
    assert out == ('Traceback (most recent call last):\r\n  File "<stdin>", line 1, in <module>\r\n'
                   '  File "mod.py", line 2\r\n' + INVALID), out
    r.run("f = open('main.py', 'w'); f.write('print(1)\\nprint(f\"{2}\")\\n'); f.close()")
    r.send(b"\x04")
    text = r.expect(b"\n>>> ", timeout=20)
    assert 'File "main.py", line 2\r\n' + INVALID in text, text


def test_mpremote_raw_paste_on_a_v1_14_board(tmp_path):
    with VirtualBoard(firmware=synthetic_firmware("lemariva", banner=V114)) as board:
        board.events.wait_for("firmware_started", timeout=20)
        bad = subprocess.run([sys.executable, "-m", "mpremote", "connect", board.url, "exec", "x = 1\nprint(f'{x}')"],
                             capture_output=True, text=True, timeout=60)
        good = subprocess.run([sys.executable, "-m", "mpremote", "connect", board.url, "exec", "print('%d' % 7)"],
                              capture_output=True, text=True, timeout=60)
    assert bad.returncode == 1 and 'File "<stdin>", line 2\n' + INVALID in bad.stdout + bad.stderr, bad
    assert good.returncode == 0 and good.stdout.strip() == "7", good


@pytest.mark.parametrize("banner, expected", [
    (V114, "(name='micropython', version=(1, 14, 0), mpy=10757) '3.4.0'"),
    (V118, "(name='micropython', version=(1, 18, 0), mpy=10757) '3.4.0'"),
    (V120, "(name='micropython', version=(1, 20, 0), _machine='ESP32 OV2640 X23 with ESP32', _mpy=10502) "
           "'3.4.0; MicroPython v1.20.0-206-g33b403dfb-kaki5 on 2023-12-25'"),
    (V127, "(name='micropython', version=(1, 27, 0, ''), _machine='Generic ESP32 module with SPIRAM with ESP32', "
           "_mpy=11014) '3.4.0; MicroPython v1.27.0-dirty on 2026-01-12'"),
])
def test_sys_implementation_and_version_as_the_build_has_them(rig, banner, expected):  # noqa: F811
    r = rig(banner=banner)
    r.start()
    assert r.run("import sys; print(sys.implementation, repr(sys.version))") == expected


@pytest.mark.parametrize("banner, missing", [(V114, ["vfs", "deflate"]), (V120, ["vfs", "deflate"]),
                                             (V121, ["vfs"]), (V127, [])])
def test_modules_newer_than_the_build_are_missing(rig, banner, missing):  # noqa: F811
    r = rig(banner=banner)
    r.start()
    for name in ("vfs", "deflate"):
        out = r.run("import %s; print('ok')" % name)
        if name in missing:
            assert out.endswith("ImportError: no module named '%s'" % name), out
        else:
            assert out == "ok", out
    assert r.run("import os; print(len(os.listdir('/')) > 0)") == "True"
