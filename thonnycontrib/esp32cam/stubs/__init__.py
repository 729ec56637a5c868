"""Type stubs of the three ``camera`` APIs, one folder per driver family.

The back-end puts the folder of the family found on the board in front of
Thonny's own stub folders, so code completion knows ``camera`` there.
"""
import os

STUBS_DIR = os.path.dirname(os.path.abspath(__file__))


def stub_path(family: str) -> str:
    return os.path.join(STUBS_DIR, family)
