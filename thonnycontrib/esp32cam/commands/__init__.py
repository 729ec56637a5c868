"""Sub-commands of ``python -m thonnycontrib.esp32cam`` (see cli.py)."""
