"""Copy every file on the board's filesystem to a folder on the computer, through
MicroPython's raw REPL (before an install that erases them).

The board runs its firmware at its prompt (after the board survey's reset it has just
booted). Files travel as base64 lines (binascii.b2a_base64, in every MicroPython).
"""
from __future__ import annotations

import base64
import os
import time
from typing import Callable, List
from thonnycontrib.esp32cam.core.i18n import _, ngettext

LIST_CODE = """
import os
def _walk(d):
    for e in os.ilistdir(d):
        p = (d.rstrip('/') + '/' + e[0])
        if e[1] & 0x4000:
            _walk(p)
        else:
            print('F', os.stat(p)[6], p)
_walk('/')
"""

READ_CODE = """
import binascii
with open({path!r}, 'rb') as f:
    while True:
        b = f.read(768)
        if not b:
            break
        print(binascii.b2a_base64(b).decode().strip())
"""


class CopyFailed(RuntimeError):
    """The files could not be copied; the message says why (nothing was written)."""


def _repl(port: str, attempts: int = 6):
    from thonnycontrib.esp32cam.core.camera.rawrepl import RawRepl, ReplBusy
    from thonnycontrib.esp32cam.core.serialprobe import close_serial, open_serial

    ser = open_serial(port)
    for attempt in range(attempts):  # the board may still be booting after the survey's reset
        try:
            return ser, RawRepl(ser, interrupt=attempt > 0)
        except ReplBusy:
            time.sleep(1.0)
    close_serial(ser)
    raise CopyFailed(_("The board did not answer at the MicroPython prompt, so its files could not "
                       "be copied. Nothing was written."))


def copy_files(port: str, folder: str, on_line: Callable[[str], None] = lambda s: None) -> List[str]:
    """Copy all files of the board on ``port`` into ``folder`` (keeping their paths);
    returns the paths written on the computer. Raises CopyFailed."""
    from thonnycontrib.esp32cam.core.serialprobe import close_serial

    try:
        ser, repl = _repl(port)
    except OSError as e:
        raise CopyFailed(_("Could not open {port} to copy the board's files ({error}). Nothing was "
                           "written.").format(port=port, error=e)) from None
    copied = []
    try:
        listing = repl.exec_text(LIST_CODE, timeout=20)
        files = [(int(size), path) for _kind, size, path in
                 (line.split(" ", 2) for line in listing.splitlines() if line.startswith("F "))]
        on_line(ngettext("Copying the board's {count} file ({kb} KB) to {folder}...",
                         "Copying the board's {count} files ({kb} KB) to {folder}...", len(files)).format(
                             count=len(files), kb=sum(s for s, _path in files) // 1024, folder=folder))
        for size, path in files:
            text = repl.exec_text(READ_CODE.format(path=path), timeout=10 + size / 4000)
            data = b"".join(base64.b64decode(line) for line in text.split())
            if len(data) != size:
                raise CopyFailed(_("{path} came back with {received} of its {size} bytes. "
                                   "Nothing was written.").format(path=path, received=len(data), size=size))
            target = os.path.join(folder, *[p for p in path.split("/") if p not in ("", ".", "..")])
            os.makedirs(os.path.dirname(target), exist_ok=True)
            with open(target, "wb") as f:
                f.write(data)
            copied.append(target)
        repl.leave()
    except (RuntimeError, OSError) as e:
        if isinstance(e, CopyFailed):
            raise
        raise CopyFailed(_("Copying the board's files failed ({error}). Nothing was written.").format(
            error=e)) from None
    finally:
        close_serial(ser)
    on_line(ngettext("Copied {count} file to {folder}.", "Copied {count} files to {folder}.",
                     len(copied)).format(count=len(copied), folder=folder))
    return copied
