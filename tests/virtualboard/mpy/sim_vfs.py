# `vfs` as on ESP32 MicroPython (no VfsPosix: the host filesystem is not reachable).
import vfs as _vfs

mount = _vfs.mount
umount = _vfs.umount
VfsLfs2 = _vfs.VfsLfs2
VfsFat = _vfs.VfsFat

del _vfs  # no way back to VfsPosix
