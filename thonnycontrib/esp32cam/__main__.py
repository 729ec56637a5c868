"""``python -m thonnycontrib.esp32cam ...``: drive the core without Thonny."""
import sys

from thonnycontrib.esp32cam.cli import main

if __name__ == "__main__":
    sys.exit(main())
