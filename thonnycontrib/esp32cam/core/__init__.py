"""Pure-Python core: no Tk, no Thonny imports."""
