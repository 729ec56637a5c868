# `os` as on ESP32 MicroPython: file functions on the board's filesystem, no host access.
import os as _os

from sim_sys import _board

remove = _os.remove
unlink = _os.unlink
rename = _os.rename
mkdir = _os.mkdir
rmdir = _os.rmdir
chdir = _os.chdir
getcwd = _os.getcwd
listdir = _os.listdir
ilistdir = _os.ilistdir
stat = _os.stat
statvfs = _os.statvfs
urandom = _os.urandom
mount = _os.mount
umount = _os.umount
VfsLfs2 = _os.VfsLfs2
VfsFat = _os.VfsFat
sep = "/"


def sync():
    # littlefs writes reach the flash image immediately (unbuffered file writes)
    pass


class _UnameResult:
    _fields = ("sysname", "nodename", "release", "version", "machine")

    def __init__(self, values):
        self._values = tuple(values)
        for name, value in zip(self._fields, self._values):
            setattr(self, name, value)

    def __getitem__(self, i):
        return self._values[i]

    def __len__(self):
        return 5

    def __iter__(self):
        return iter(self._values)

    def __repr__(self):
        return "(sysname=%r, nodename=%r, release=%r, version=%r, machine=%r)" % self._values


def uname():
    b = _board()
    return _UnameResult(("esp32", "esp32", b["release"], b["version"], b["machine"]))


del _os  # no way back to the host's os (system, getenv, VfsPosix...)
