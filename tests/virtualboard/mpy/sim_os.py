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


# os.uname() is an attrtuple on a board (ports/esp32/modos.c, py/objattrtuple.c): a tuple
# (len, iteration, "%s" % u) printed as (sysname=..., ...); a nameless namedtuple is one
from collections import namedtuple as _namedtuple

_UnameResult = _namedtuple("", ("sysname", "nodename", "release", "version", "machine"))
del _namedtuple


def uname():
    b = _board()
    return _UnameResult("esp32", "esp32", b["release"], b["version"], b["machine"])


del _os  # no way back to the host's os (system, getenv, VfsPosix...)
