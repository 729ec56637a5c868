"""Code that runs in Thonny's back-end process (started by ``launcher.py``)."""
