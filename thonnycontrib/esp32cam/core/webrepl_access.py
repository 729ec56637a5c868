"""WebREPL on an ESP32-CAM: the password kept on the board, WebREPL started at every boot.

Pure logic, as ``core.wifi``: code the board runs and the texts around it. Facts from
MicroPython (extmod/modwebrepl.c v1.19-v1.24; the ESP32 port's frozen ``webrepl.py`` and
``webrepl_setup.py``, from micropython-lib ``micropython/net/webrepl`` since v1.20):

- ``webrepl.start()`` without a password reads ``PASS`` from ``/webrepl_cfg.py``, the file
  ``webrepl_setup`` writes (``PASS = '...'``), and listens on port 8266 of every interface.
- ``webrepl_setup`` asks for 4-9 characters; ``_webrepl.password()`` raises ValueError for
  more than 9 bytes (``webrepl_passwd[10]``), and the login ends a password at CR or LF.
- One client at a time, over a websocket: ``ws://IP:8266/``; Thonny's ESP32 interpreter
  connects there with its own WebREPL connection (port "< WebREPL >").

The plug-in adds two marked lines to ``boot.py`` (after its Wi-Fi lines, so the board
joins first) and can remove them; the password stays on the board only.
"""
from __future__ import annotations

from typing import Callable, List, Optional

from thonnycontrib.esp32cam.core.i18n import _
from thonnycontrib.esp32cam.core.wifi import boot_with_hook, write_file_code

PORT = 8266
CFG_FILE = "webrepl_cfg.py"
BOOT_MARK = "# thonny-esp32cam: WebREPL at boot"
BOOT_LINES = ("%s (remove these lines to stop)\ntry:\n    import webrepl; webrepl.start()\n"
              "except Exception as e:\n    print('WebREPL:', e)\n" % BOOT_MARK)
START_CODE = "import webrepl\nwebrepl.start()\n"
STARTED_MARK = "Started webrepl"


def check_password(password: str) -> Optional[str]:
    """None if WebREPL takes ``password``, else what is wrong."""
    size = len(password.encode("utf-8"))
    if "\r" in password or "\n" in password:
        return _("A WebREPL password cannot hold a line break.")
    if not 4 <= size <= 9:
        return _("A WebREPL password has 4 to 9 characters; this one has {count}.").format(count=size)
    return None


def cfg_source(password: str) -> str:
    return "PASS = %r\n" % password


def boot_with_webrepl(boot: Optional[str]) -> str:
    """boot.py with the plug-in's WebREPL lines added once, the user's lines unchanged."""
    return boot_with_hook(boot, BOOT_MARK, BOOT_LINES)


def store_steps(password: str, boot: Optional[str]) -> List[str]:
    """The code that keeps the password on the board and starts WebREPL at boot, in order."""
    return [write_file_code("/" + CFG_FILE, cfg_source(password)),
            write_file_code("/boot.py", boot_with_webrepl(boot))]


def url(ip: str) -> str:
    return "ws://%s:%d/" % (ip, PORT)


def enable(run: Callable[[str], str], password: str) -> bool:
    """Keep the password, start WebREPL at every boot and now; True when it started."""
    from thonnycontrib.esp32cam.core.wifi import READ_BOOT_CODE, parse_boot

    for code in store_steps(password, parse_boot(run(READ_BOOT_CODE))):
        run(code)
    return STARTED_MARK in run(START_CODE)
