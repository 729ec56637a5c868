# Boot sequence of the virtual ESP32-CAM (what ESP32 MicroPython's main.c and _boot.py do):
# load the simulated built-in modules while the host filesystem is still there, swap the
# host filesystem for a littlefs on the board's flash image, then run boot.py and main.py.
import sys
import os
import vfs
import micropython
import gc

BLOCK_SIZE = 4096
SIM_MODULES = (
    ("sys", "sim_sys"),  # first: sim_os uses it
    ("machine", "sim_machine"),
    ("esp32", "sim_esp32"),
    ("esp", "sim_esp"),
    ("network", "sim_network"),
    ("os", "sim_os"),
    ("vfs", "sim_vfs"),
    ("platform", "sim_platform"),
)
# MicroPython also accepts the old u-names; they must reach the simulated modules too
ALIASES = {"uos": "os", "usys": "sys", "umachine": "machine", "uplatform": "platform"}
BOOT_PY = """\
# This file is executed on every boot (including wake-boot from deepsleep)
#import esp
#esp.osdebug(None)
#import webrepl
#webrepl.start()
"""


class FlashBdev:
    """Block device on the flash image file (the ESP32 "vfs" partition)."""

    def __init__(self, f, start, size):
        self.f = f
        self.start = start
        self.blocks = size // BLOCK_SIZE

    def readblocks(self, n, buf, off=0):
        self.f.seek(self.start + n * BLOCK_SIZE + off)
        mv = memoryview(buf)
        got = 0
        while got < len(buf):
            k = self.f.readinto(mv[got:])
            if not k:
                raise OSError(5)
            got += k

    def writeblocks(self, n, buf, off=None):
        if off is None:
            self.ioctl(6, n)
            off = 0
        self.f.seek(self.start + n * BLOCK_SIZE + off)
        self.f.write(buf)

    def ioctl(self, op, arg):
        if op == 4:  # block count
            return self.blocks
        if op == 5:  # block size
            return BLOCK_SIZE
        if op == 6:  # erase block
            self.f.seek(self.start + arg * BLOCK_SIZE)
            self.f.write(b"\xff" * BLOCK_SIZE)
            return 0
        return 0


def _native_source(name):
    """A simulated module's source with every function compiled to native code.

    On a board these modules are C: a C function that raises adds no traceback entry,
    only the bytecode frames of the user's code do (py/vm.c calls
    mp_obj_exception_add_traceback for each bytecode frame the exception leaves;
    py/obj.c mp_obj_print_exception prints what was recorded). MicroPython's native
    emitter records none either, so the twin's tracebacks show the user's frames only.
    `@micropython.native` is resolved by the compiler (py/compile.c), not looked up."""
    lines = []
    with open(name + ".py") as f:
        for line in f:
            body = line.lstrip()
            if body.startswith("def "):
                lines.append(line[: len(line) - len(body)] + "@micropython.native\n")
            lines.append(line)
    return "".join(lines)


_NATIVE = set()


def _import_native(name):
    """Import a simulated module (and the helpers it imported) as native code."""
    mod = __import__(name)
    helpers = [n for n in sys.modules if n.startswith(("sim_", "cam_")) and n not in _NATIVE and n != name]
    for each in helpers + [name]:
        _NATIVE.add(each)
        exec(compile(_native_source(each), each + ".py", "exec"), sys.modules[each].__dict__)
    return mod


def _load(name, host, cfg):
    mod = _import_native(name)  # stays in sys.modules until boot() ends: sim_os shares sim_sys
    mod.__dict__.pop("__file__", None)
    setup = getattr(mod, "_setup", None)
    if setup:
        setup(host, cfg)
    return mod


def _bootsec_empty(bdev):
    buf = bytearray(BLOCK_SIZE)
    bdev.readblocks(0, buf)
    for b in buf:
        if b != 0xFF:
            return False
    return True


def _fs_corrupted(host):
    import time
    host.call("interruptible")
    micropython.kbd_intr(3)
    while 1:
        print("""\
The filesystem appears to be corrupted. If you had important data there, you
may want to make a flash snapshot to try to recover it. Otherwise, perform
factory reprogramming of MicroPython firmware (completely erase flash, followed
by firmware programming).
""")
        time.sleep(3)


def _mount(bdev, host):
    """_boot.py: mount the littlefs, format a blank partition; True when mounted."""
    try:
        vfs.mount(vfs.VfsLfs2(bdev), "/")
        return True
    except OSError:
        pass
    if not _bootsec_empty(bdev):
        try:
            _fs_corrupted(host)
        except KeyboardInterrupt as e:  # Ctrl-C ends the loop: the REPL runs without a filesystem
            sys.print_exception(e)
            micropython.kbd_intr(-1)
            return False
    print("Performing initial setup")
    vfs.VfsLfs2.mkfs(bdev)
    vfs.mount(vfs.VfsLfs2(bdev), "/")
    with open("boot.py", "w") as f:
        f.write(BOOT_PY)
    return True


@micropython.native  # pyexec_file is C: no frame of its own in a boot.py/main.py traceback
def _run(name, g):
    try:
        os.stat(name)
    except OSError:
        return
    try:
        with open(name) as f:
            src = f.read()
        exec(compile(src, name, "exec"), g)
    except SystemExit as e:
        raise e  # soft reboot, like pyexec's forced exit (native code has no bare raise)
    except BaseException as e:  # includes KeyboardInterrupt, as on a board
        sys.print_exception(e)


def boot(g):
    micropython.kbd_intr(-1)  # the chip's own start-up cannot be interrupted
    from vb_host import Host

    host = Host(open(int(sys.argv[1]), "wb"), open(int(sys.argv[2]), "rb"))
    del sys.modules["vb_host"]
    cfg = host.call("hello")
    flash = open(cfg["flash"], "r+b")
    modules = {}
    for public, private in SIM_MODULES:
        modules[public] = _load(private, host, cfg)
    if cfg.get("camera"):
        modules["camera"] = _load("cam_" + cfg["camera"], host, cfg)

    # the host's filesystem goes away for good; the board's flash takes its place
    for mount_point in ("/",):
        vfs.umount(mount_point)
    mounted = _mount(FlashBdev(flash, cfg["vfs_offset"], cfg["vfs_size"]), host)
    if mounted:
        os.chdir("/")
    sys.path[:] = ["", ".frozen", "/lib"]
    sys.argv[:] = []
    for name in list(sys.modules):
        if name.startswith(("sim_", "cam_")) or name == "vb_boot":
            del sys.modules[name]
    for public, mod in modules.items():
        mod.__name__ = public
        sys.modules[public] = mod
    for alias, public in ALIASES.items():
        sys.modules[alias] = modules[public]
    gc.collect()

    host.call("booted")  # the board's modules are in place; Ctrl-C may now interrupt code
    micropython.kbd_intr(3)
    if not mounted:
        return
    _run("boot.py", g)
    if not cfg.get("raw_repl"):
        _run("main.py", g)  # like pyexec: main.py runs only when booting into the friendly REPL
