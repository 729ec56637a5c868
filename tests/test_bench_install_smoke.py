"""benchmarks/bench_install.py --quick runs end to end and prints every ratio with its goal."""
from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent

pytestmark = [pytest.mark.slow, pytest.mark.esptool]

RATIOS = ("plug-in / Thonny dialog", "plug-in / expert", "plug-in 2M / Thonny dialog", "plug-in 2M / expert",
          "re-install / first install", "re-run / first run")


def test_quick_run_prints_the_ratios() -> None:
    proc = subprocess.run([sys.executable, str(REPO / "benchmarks" / "bench_install.py"), "--quick"],
                          capture_output=True, text=True, timeout=300, cwd=str(REPO),
                          env=dict(os.environ, PYTHONPATH=str(REPO)))
    assert proc.returncode == 0, proc.stdout + proc.stderr[-3000:]
    for label in RATIOS:
        line = next((l for l in proc.stdout.splitlines() if f"ratio {label}" in l), None)
        assert line is not None, f"no ratio line for {label}:\n{proc.stdout}"
        assert re.search(r"\d+\.\d{3}x  goal <= [\d.]+x  (met|NOT MET)$", line), line
