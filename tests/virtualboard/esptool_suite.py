"""Run esptool's own hardware test suite against the virtual board.

    python -m tests.virtualboard.esptool_suite ESPTOOL_CHECKOUT [PYTEST ARGS...]

ESPTOOL_CHECKOUT is a source tree of espressif/esptool at the tag of the esptool
the tests run with (its ``test/test_esptool.py`` and ``conftest.py``; nothing is
downloaded by this script). The suite runs ``python -m esptool --port URL
--chip esp32`` once per test, against one board served here over RFC2217 with
the fast-polling client (the stock one makes the run last hours). The board's
flash is infinitely fast (``flash_timing="fast"``): the suite erases the whole
chip dozens of times. The last line is pytest's summary.
"""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from . import VirtualBoard
from .testing import FASTCLIENT_DIR


def main(argv) -> int:
    if not argv:
        print(__doc__, file=sys.stderr)
        return 2
    checkout = Path(argv[0]).resolve()
    suite = checkout / "test" / "test_esptool.py"
    if not suite.is_file():
        print(f"{suite} not found: give the root of an esptool source tree", file=sys.stderr)
        return 2
    with VirtualBoard(wiring="classic", micropython=False, line_rate="unlimited", en_delay=0.02,
                      flash_timing="fast") as board:
        env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(FASTCLIENT_DIR), str(checkout)]),
                   PATH=os.pathsep.join([os.path.dirname(sys.executable), os.environ.get("PATH", "")]))
        cmd = [sys.executable, "-m", "pytest", str(suite), "-p", "no:cacheprovider", "-q",
               "--port", board.url, "--chip", "esp32", "--baud", "115200", *argv[1:]]
        return subprocess.run(cmd, cwd=str(checkout / "test"), env=env).returncode


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
