"""Run every mpremote command against the virtual board, one mpremote process each.

    python -m tests.virtualboard.mpremote_suite [--banner BANNER] [--family FAMILY]

Uses the mpremote installed next to this interpreter, a board over RFC2217 and a
scratch host directory; prints one line per command (OK/FAIL and the end of its
output) and "N of M" last. Exit code 0 when all passed. Commands that need a
terminal (repl) or the network (mip install) are not in the list.
"""
from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import List, Optional

from . import VirtualBoard, synthetic_firmware


def commands(host: str) -> List[List[str]]:
    return [
        ["exec", "print(1)"], ["eval", "1+2"], ["run", host + "/s.py"], ["fs", "ls"], ["ls"],
        ["cp", host + "/s.py", ":s.py"], ["cat", "s.py"], ["sha256sum", "s.py"], ["touch", "t.txt"],
        ["mkdir", "d"], ["cp", host + "/hm.py", ":d/hm.py"], ["tree"], ["cp", ":s.py", host + "/back.py"],
        ["rm", "t.txt"], ["rm", "-r", "d"], ["df"], ["rtc"], ["rtc", "--set"],
        ["mount", host, "exec", "import hm; print(hm.V)"], ["mount", "-l", host, "exec", "print(open('hm.py').read())"],
        ["soft-reset"], ["resume", "exec", "print(2)"], ["sleep", "0.1", "exec", "print(3)"],
        ["cp", "-r", host + "/sub", ":"], ["fs", "mkdir", "e", "+", "fs", "rmdir", "e"],
        ["romfs", "query"], ["edit", "s.py"], ["reset"], ["bootloader"],
    ]


def main(argv: Optional[List[str]] = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--banner", default=None, help="the flashed build's banner (default: the family's)")
    parser.add_argument("--family", default="lemariva")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        host = Path(tmp)
        (host / "s.py").write_text("print('ran', 6 * 7)\n")
        (host / "hm.py").write_text("V = 3\n")
        (host / "sub").mkdir()
        (host / "sub" / "x.txt").write_text("x\n")
        passed = 0
        todo = commands(str(host))
        with VirtualBoard(firmware=synthetic_firmware(args.family, banner=args.banner)) as board:
            board.events.wait_for("firmware_started", timeout=20)
            for cmd in todo:
                proc = subprocess.run([sys.executable, "-m", "mpremote", "connect", board.url, *cmd],
                                      capture_output=True, text=True, timeout=90,
                                      env=dict(os.environ, EDITOR="true"))
                passed += proc.returncode == 0
                tail = (proc.stdout + proc.stderr).strip().replace("\n", " | ")[-200:]
                print("%-4s %s: %s" % ("OK" if proc.returncode == 0 else "FAIL", " ".join(cmd)[:60], tail), flush=True)
                if cmd[0] in ("reset", "bootloader"):
                    time.sleep(3)  # the board boots again
        print("%d of %d" % (passed, len(todo)))
        return 0 if passed == len(todo) else 1


if __name__ == "__main__":
    sys.exit(main())
