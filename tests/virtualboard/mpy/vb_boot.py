# Boot sequence of the virtual ESP32-CAM (what ESP32 MicroPython's main.c and _boot.py do):
# load the simulated built-in modules while the host filesystem is still there, swap the
# host filesystem for a littlefs on the board's flash image, then run boot.py and main.py.
import sys
import os
import vfs
import micropython
import gc

BLOCK_SIZE = 4096
_METER = [None]  # vb_host.Meter: the twin's own work, not paced at ESP32 speed (cpu.py)
SIM_MODULES = (
    ("micropython", "sim_micropython"),  # first: it keeps the unix port's C print, __import__...
    ("time", "sim_time"),  # early: the other modules sleep through it (see _load)
    ("sys", "sim_sys"),  # before sim_os, which uses it
    ("machine", "sim_machine"),
    ("esp32", "sim_esp32"),
    ("esp", "sim_esp"),
    ("network", "sim_network"),
    ("socket", "sim_socket"),  # after network: it asks sim_network for the STA address
    ("os", "sim_os"),
    ("vfs", "sim_vfs"),
    ("select", "sim_select"),
    ("platform", "sim_platform"),
    ("webrepl", "sim_webrepl"),  # after network: it reports the STA address
)
# MicroPython also accepts the old u-names; they must reach the simulated modules too
ALIASES = {"utime": "time", "uos": "os", "usys": "sys", "umachine": "machine", "uplatform": "platform", "usocket": "socket",
           "uselect": "select"}
BOOT_PY = """\
# This file is executed on every boot (including wake-boot from deepsleep)
#import esp
#esp.osdebug(None)
#import webrepl
#webrepl.start()
"""


class FlashBdev:
    """Block device on the flash image file (the ESP32 "vfs" partition). Like esp32.Partition
    (ports/esp32/esp32_partition.c, v1.24.0: esp_partition_erase_range / esp_partition_write)
    it returns when the chip is done: each erase and program is charged the flash chip's time
    (cfg "fs_timing", flash.py FlashTiming), which the host waits out (op "flash_busy")."""

    def __init__(self, f, start, size, host=None, timing=None):
        self.f = f
        self.start = start
        self.blocks = size // BLOCK_SIZE
        self.host = host
        self.timing = timing or {}

    def _busy(self, seconds):
        if self.host is not None and seconds > 0:
            self.host.call("flash_busy", s=seconds)

    def readblocks(self, n, buf, off=0):
        meter = _METER[0]
        t0 = meter.start()
        self.f.seek(self.start + n * BLOCK_SIZE + off)
        mv = memoryview(buf)
        got = 0
        while got < len(buf):
            k = self.f.readinto(mv[got:])
            if not k:
                raise OSError(5)
            got += k
        meter.stop(t0)

    def writeblocks(self, n, buf, off=None):
        meter = _METER[0]
        if off is None:
            self.ioctl(6, n)
            off = 0
        t0 = meter.start()
        self.f.seek(self.start + n * BLOCK_SIZE + off)
        self.f.write(buf)
        page = self.timing.get("page_size", 256)
        meter.stop(t0)
        self._busy(-(-len(buf) // page) * self.timing.get("page_program", 0))

    def ioctl(self, op, arg):
        if op == 4:  # block count
            return self.blocks
        if op == 5:  # block size
            return BLOCK_SIZE
        if op == 6:  # erase block
            t0 = _METER[0].start()
            self.f.seek(self.start + arg * BLOCK_SIZE)
            self.f.write(b"\xff" * BLOCK_SIZE)
            _METER[0].stop(t0)
            self._busy(self.timing.get("sector_erase", 0))
            return 0
        return 0


def _load(name, host, cfg):
    # from the host's copies compiled to native code (firmware.py native_module_dir): on a
    # board these modules are C and add no traceback entries; they stay in sys.modules
    # until boot() ends (sim_os shares sim_sys)
    mod = __import__(name)
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
        exec(compile(_syntax.mask(src, _VERSION[0]), name, "exec"), g)
    except SystemExit as e:
        raise e  # soft reboot, like pyexec's forced exit (native code has no bare raise)
    except BaseException as e:  # includes KeyboardInterrupt, as on a board
        sys.print_exception(e)


_VERSION = [(1, 28, 0)]  # the flashed build's MicroPython version (set in boot)
# modules the unix port has that a build of that version lacks: (module, first version, source)
_LATER_MODULES = (
    ("vfs", (1, 23), "extmod/modvfs.c, new in v1.23.0"),
    ("deflate", (1, 21), "extmod/moddeflate.c, new in v1.21.0"),
)
_hidden = set()


@micropython.native
def _check_module_syntax(name):
    """Before the C import compiles a module from the filesystem: the build's syntax.
    A construct the version lacks raises its SyntaxError, naming the file as import does."""
    rel = name.replace(".", "/")
    for d in sys.path:
        if d == ".frozen":
            continue
        for cand in (rel + ".py", rel + "/__init__.py"):
            path = d + "/" + cand if d else cand
            try:
                f = open(path, "rb")
            except OSError:
                continue
            src = f.read()
            f.close()
            t0 = _METER[0].start()
            masked = _syntax.mask(src, _VERSION[0])
            _METER[0].stop(t0)
            if masked is not src:
                compile(masked, path, "exec")
            return


def _install_language(g, version):
    """Make what the REPL's code can use follow the flashed build's version (the unix port
    is 1.28 whatever is flashed). The UART side masks what is typed (firmware.py); this
    covers code compiled on the board: import, exec, eval, compile, boot.py/main.py."""
    import builtins

    _VERSION[0] = version
    for name, first, _source in _LATER_MODULES:
        if tuple(version[:2]) < first:
            _hidden.add(name)
    orig_import = builtins.__import__
    syntax_active = _syntax.FStringMask(version).active

    @micropython.native
    def board_import(name, *args):
        if name in _hidden and name not in sys.modules:
            raise ImportError("no module named '%s'" % name)
        if syntax_active and name not in sys.modules and not (len(args) > 3 and args[3]):
            _check_module_syntax(name)
        return orig_import(name, *args)

    builtins.__import__ = board_import
    if not syntax_active:
        return
    # exec/eval without globals use the calling function's: the wrappers are made with
    # the REPL's globals (g), where code typed at the REPL runs
    maker = {}
    exec(
        "def wrap(orig, mask, v, meter):\n"
        " @micropython.native\n"
        " def w(src, *a):\n"
        "  if isinstance(src, (str, bytes)):\n"
        "   t0 = meter.start()\n"
        "   src = mask(src, v)\n"
        "   meter.stop(t0)\n"
        "  return orig(src, *a)\n"
        " return w\n",
        g,
        maker,
    )
    wrap = maker["wrap"]
    builtins.exec = wrap(exec, _syntax.mask, version, _METER[0])
    builtins.eval = wrap(eval, _syntax.mask, version, _METER[0])
    builtins.compile = wrap(compile, _syntax.mask, version, _METER[0])


def boot(g):
    micropython.kbd_intr(-1)  # the chip's own start-up cannot be interrupted
    from vb_host import Host, Meter

    host = Host(open(int(sys.argv[1]), "wb"), open(int(sys.argv[2]), "rb"))
    del sys.modules["vb_host"]
    cfg = host.call("hello")
    esp32 = cfg.get("cpu") == "esp32"
    host.meter = _METER[0] = Meter(cfg.get("cpu_meter") if esp32 else None, cfg.get("cpu_wake", ()))
    flash = open(cfg["flash"], "r+b")
    global _syntax
    import vb_syntax as _syntax
    modules = {}
    sys.path.insert(0, cfg["native_dir"])
    for public, private in SIM_MODULES:
        modules[public] = _load(private, host, cfg)
        if public == "time":
            sys.modules["time"] = modules["time"]  # what the modules loaded next import
    if cfg.get("camera"):
        modules["camera"] = _load("cam_" + cfg["camera"], host, cfg)

    # the host's filesystem goes away for good; the board's flash takes its place
    for mount_point in ("/",):
        vfs.umount(mount_point)
    mounted = _mount(FlashBdev(flash, cfg["vfs_offset"], cfg["vfs_size"], host, cfg.get("fs_timing")), host)
    if mounted:
        os.chdir("/")
    sys.path[:] = ["", ".frozen", "/lib"]
    sys.argv[:] = []
    for name in list(sys.modules):
        if name.startswith(("sim_", "cam_")) or name in ("vb_boot", "vb_syntax"):
            del sys.modules[name]
    for public, mod in modules.items():
        mod.__name__ = public
        sys.modules[public] = mod
    for alias, public in ALIASES.items():
        sys.modules[alias] = modules[public]
    _install_language(g, modules["sys"]._BOARD["tuple"])
    for name in _hidden:
        modules.pop(name, None)
        sys.modules.pop(name, None)
    gc.collect()

    host.call("booted")  # the board's modules are in place; Ctrl-C may now interrupt code
    micropython.kbd_intr(3)
    if not mounted:
        return
    _run("boot.py", g)
    if not cfg.get("raw_repl"):
        _run("main.py", g)  # like pyexec: main.py runs only when booting into the friendly REPL
