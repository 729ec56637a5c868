"""The virtual board's tracebacks are a board's: its built-in modules are C code.

On a board `machine`, `camera`, `esp32`... are C modules: a C function that raises adds
no traceback entry (only bytecode frames do: py/vm.c calls mp_obj_exception_add_traceback
for each one the exception leaves; py/obj.c mp_obj_print_exception prints them). The
twin's modules are Python files; their frames (named after host files) must not show.
"""
from __future__ import annotations

import re

from tests.test_virtualboard_firmware import rig  # noqa: F401  (fixture)

STDIN_ONLY = 'Traceback (most recent call last):\r\n  File "<stdin>", line 1, in <module>\r\n'


def _frames(text: str):
    return re.findall(r'File "([^"]*)"', text)


def test_a_c_camera_module_raising_shows_only_the_users_frame(rig):  # noqa: F811
    r = rig(family="lemariva", camera_missing=True)
    r.start()
    r.run("import camera")
    out = r.run("camera.init(0, format=camera.JPEG)")
    assert out.endswith(STDIN_ONLY + "OSError: Camera Init Failed"), out


def test_machine_errors_show_only_the_users_frame(rig):  # noqa: F811
    r = rig()
    r.start()
    r.run("import machine")
    assert r.run("machine.Pin(34, machine.Pin.OUT)").startswith(STDIN_ONLY + "ValueError"), "Pin"
    out = r.run("machine.I2C(1, scl=27, sda=26).readfrom(0x21, 1)")
    assert out == STDIN_ONLY + "OSError: [Errno 19] ENODEV", out


def test_cnadler86_property_setter_error_shows_only_the_users_frames(rig):  # noqa: F811
    r = rig(family="cnadler86")
    r.start()
    r.run("from camera import Camera, FrameSize")
    r.run("cam = Camera(frame_size=FrameSize.QQVGA)")
    out = r.run("cam.brightness = 9")
    assert out.startswith(STDIN_ONLY + "ValueError"), out
    # a user function calling the C module: the user's two frames, none of the module's
    r.send(b"def f():\r    cam.brightness = 9\r\r")
    r.expect(b"\n>>> ")
    out = r.run("f()")
    assert _frames(out) == ["<stdin>", "<stdin>"], out


def test_main_py_error_shows_main_py_only(rig, tmp_path):  # noqa: F811
    r = rig()
    r.start()
    r.run("f = open('main.py', 'w'); f.write('x = 1\\nimport machine\\nmachine.Pin(99)\\n'); f.close()")
    r.send(b"\x04")  # soft reboot runs main.py (pyexec_file: C, no frame of its own)
    text = r.expect(b"\n>>> ", timeout=20)
    assert 'Traceback (most recent call last):\r\n  File "main.py", line 3, in <module>\r\nValueError' in text, text
    assert _frames(text) == ["main.py"], text
