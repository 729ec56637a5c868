# `esp32` as on ESP32 MicroPython (the parts a program on an ESP32-CAM asks about).
import binascii as _binascii
import sim_heap as _heap  # the heap lock state of the board's micropython module
import json as _json

HEAP_DATA = 4  # MALLOC_CAP_8BIT (ESP-IDF esp_heap_caps.h)
HEAP_EXEC = 1  # MALLOC_CAP_EXEC
WAKEUP_ALL_LOW = False
WAKEUP_ANY_HIGH = True
_psram = True
_psram_size = 4 * 1024 * 1024
_flash = None
_partitions = []  # [type, subtype, offset, size, label] of the flashed partition table


def _setup(host, cfg):
    global _psram, _psram_size, _flash, _partitions
    _psram = bool(cfg["psram"])
    _psram_size = cfg.get("psram_size", _psram_size)
    _flash = open(cfg["flash"], "r+b")
    _partitions = [list(p) for p in cfg.get("partitions", [])]


def _esp_err(code, name):
    # check_esp_err (ports/esp32/mphalport.c, v1.27.0): OSError(-code, name) with the
    # ESP_ERR_... name (MICROPY_ERROR_REPORTING_NORMAL). With the heap locked the name's str
    # object cannot be made: mp_raise_OSError(-code), whose argument only fits into an
    # emergency exception buffer (py/objexcept.c); without one the OSError has no arguments.
    if _heap.locked():
        return OSError(-code) if _heap.emergency[0] else OSError()
    return OSError(-code, name)


def raw_temperature():
    return 128


# ESP-IDF MALLOC_CAP_* bits (esp_heap_caps.h)
_EXEC, _32BIT, _8BIT, _DMA, _SPIRAM, _INTERNAL, _DEFAULT = 1, 2, 4, 8, 1 << 10, 1 << 11, 1 << 12
# the union of each region type's caps (ESP-IDF components/heap/port/esp32/memory_layout.c)
_DRAM = _8BIT | _DEFAULT | _INTERNAL | _DMA | _32BIT
_DIRAM = _DRAM | _EXEC
_IRAM = _EXEC | _32BIT | _INTERNAL
# (caps, total, free, largest free block, minimum free seen): the data regions are those of
# MicroPython's docs/library/esp32.rst example (v1.27.0) "after booting"; the last two
# are D/IRAM (0x3FFE0440.., 0x3FFE4350..0x40000000), so also executable. The IRAM region
# is what the app's IRAM code leaves of 0x40080000..0x400A0000 (its size is illustrative).
_REGIONS = (
    (_DRAM, 240, 0, 0, 0),
    (_DRAM, 7288, 0, 0, 0),
    (_DRAM, 16648, 4, 4, 4),
    (_DRAM, 79912, 35712, 35512, 35108),
    (_DIRAM, 15072, 15036, 15036, 15036),
    (_DIRAM, 113840, 0, 0, 0),
    (_IRAM, 6572, 6512, 6512, 6512),
)


def idf_heap_info(capabilities):
    # (total, free, largest free block, minimum free seen) of each registered heap whose caps
    # include all of `capabilities` (modesp32.c esp32_idf_heap_info: heap_caps_match)
    caps = capabilities & 0xFFFFFFFF
    heaps = [r[1:] for r in _REGIONS if r[0] & caps == caps]
    spiram = _SPIRAM | _DEFAULT | _8BIT | _32BIT
    if _psram and spiram & caps == caps:
        # the SPIRAM region: all of it but a few bytes of heap bookkeeping (4 MB: 4194252)
        total = _psram_size - 52
        heaps.append((total, total - 18688, total - 65484, total - 24252))
    return heaps


def wake_on_ext0(pin, level):
    pass


def wake_on_ext1(pins, level):
    pass


# --- Partition (ports/esp32/esp32_partition.c, v1.27.0) on the board's flash image ---
_ERR_INVALID_SIZE = (0x104, "ESP_ERR_INVALID_SIZE")
_ERR_NOT_FOUND = (0x105, "ESP_ERR_NOT_FOUND")
_ERR_OTA_VALIDATE_FAILED = (0x1503, "ESP_ERR_OTA_VALIDATE_FAILED")
_MAGIC = bytearray(1)  # ESP_IMAGE_HEADER_MAGIC 0xE9 is read into this


class Partition:
    BOOT = 0
    RUNNING = 1
    TYPE_APP = 0
    TYPE_DATA = 1

    def __init__(self, id, block_size=4096):
        self._bs = block_size
        if isinstance(id, list):  # a row of the table (Partition.find)
            self._p = id
            return
        if isinstance(id, int):
            if id not in (Partition.BOOT, Partition.RUNNING):
                raise ValueError()
            # no otadata/ota_N partitions in an ESP32-CAM build's table: the bootloader
            # runs the factory app (the first app partition), and so does the twin
            part = _first(0, None)
        else:
            part = _first(0, id) or _first(1, id)
        if part is None:
            raise OSError(2)  # MP_ENOENT (esp32_partition_new)
        self._p = part

    def info(self):
        p = self._p
        return (p[0], p[1], p[2], p[3], p[4], False)

    def __repr__(self):
        p = self._p
        return "<Partition type=%u, subtype=%u, address=%u, size=%u, label=%s, encrypted=0>" % tuple(p)

    @staticmethod
    def find(type=0, subtype=0xFF, label=None, block_size=4096):
        found = []
        for p in _partitions:
            if p[0] == type and (subtype == 0xFF or p[1] == subtype) and (label is None or p[4] == label):
                found.append(Partition(p, block_size))
        return found

    def _range(self, offset, n):
        if offset < 0 or offset + n > self._p[3]:
            raise _esp_err(_ERR_INVALID_SIZE[0], _ERR_INVALID_SIZE[1])
        return self._p[2] + offset

    def readblocks(self, block, buf, offset=0):
        mv = memoryview(buf)
        _flash.seek(self._range(block * self._bs + offset, len(mv)))
        _flash.readinto(mv)

    def _erase(self, offset, n):
        _flash.seek(self._range(offset, n))
        _flash.write(b"\xff" * n)

    def writeblocks(self, block, buf, offset=None):
        data = bytes(memoryview(buf))
        start = block * self._bs
        if offset is None:  # a simple write erases first
            if self._bs >= 4096:
                # esp_partition_erase_range(offset, len): whole 4 KB sectors only
                if start % 4096 or len(data) % 4096:
                    raise _esp_err(_ERR_INVALID_SIZE[0], _ERR_INVALID_SIZE[1])
                self._erase(start, len(data))
                at = start
            else:  # smaller blocks: erase the sectors around them, keeping the rest
                first = start // 4096 * 4096
                keep = bytearray((start + len(data) + 4095) // 4096 * 4096 - first)
                _read_at(self, first, keep)
                self._erase(first, len(keep))
                keep[start - first:start - first + len(data)] = data
                data, at = bytes(keep), first
        else:  # extended write: erased before
            at = start + offset
        old = bytearray(len(data))
        _read_at(self, at, old)
        for i in range(len(old)):  # NOR programming only clears bits
            old[i] &= data[i]
        _flash.seek(self._range(at, len(old)))
        _flash.write(old)
        _flash.flush()

    def ioctl(self, cmd, arg):
        if cmd in (1, 2, 3):  # INIT, DEINIT, SYNC
            return 0
        if cmd == 4:  # BLOCK_COUNT
            return self._p[3] // self._bs
        if cmd == 5:  # BLOCK_SIZE
            return self._bs
        if cmd == 6:  # BLOCK_ERASE
            if self._bs != 4096:
                return -22  # -MP_EINVAL
            self._erase(arg * 4096, 4096)
            _flash.flush()
            return 0
        return None

    def set_boot(self):
        # esp_ota_set_boot_partition (ESP-IDF app_update/esp_ota_ops.c): esp_image_verify of
        # the partition first (the twin checks the image header's magic byte), then a factory
        # app needs an otadata partition, which the table lacks. Nothing here allocates, so a
        # call with the heap locked raises the OSError as C code does (without arguments then).
        _flash.seek(self._p[2])
        _flash.readinto(_MAGIC)
        if _MAGIC[0] != 0xE9:
            raise _esp_err(_ERR_OTA_VALIDATE_FAILED[0], _ERR_OTA_VALIDATE_FAILED[1])
        if _first(1, None, 0x00) is None:
            raise _esp_err(_ERR_NOT_FOUND[0], _ERR_NOT_FOUND[1])

    def get_next_update(self):
        # esp_ota_get_next_update_partition: NULL without ota_N partitions -> MP_ENOENT
        raise OSError(2)

    @classmethod
    def mark_app_valid_cancel_rollback(cls):
        return None


def _read_at(part, at, buf):
    _flash.seek(part._range(at, len(buf)))
    _flash.readinto(buf)


def _first(ptype, label, subtype=None):
    for p in _partitions:
        if p[0] == ptype and (label is None or p[4] == label) and (subtype is None or p[1] == subtype):
            return p
    return None


# --- NVS (ports/esp32/esp32_nvs.c, v1.27.0) ---
# Kept in the board's "nvs" partition, so it survives resets and a full erase clears it;
# the twin's own record format (not ESP-IDF's pages): b"VBNVS1" + length + JSON.
_NVS_MAGIC = b"VBNVS1"
_NVS_NOT_INITIALIZED = (0x1101, "ESP_ERR_NVS_NOT_INITIALIZED")
_NVS_NOT_FOUND = (0x1102, "ESP_ERR_NVS_NOT_FOUND")
_NVS_NOT_ENOUGH_SPACE = (0x1105, "ESP_ERR_NVS_NOT_ENOUGH_SPACE")
_NVS_KEY_TOO_LONG = (0x1109, "ESP_ERR_NVS_KEY_TOO_LONG")
_NVS_INVALID_LENGTH = (0x110C, "ESP_ERR_NVS_INVALID_LENGTH")
_nvs = [None]  # {namespace: {key: [type, value]}} once read


def _nvs_part():
    for p in _partitions:
        if p[0] == 1 and p[1] == 0x02:  # data, nvs
            return p
    return None


def _nvs_load():
    if _nvs[0] is None:
        p = _nvs_part()
        if p is None:
            raise _esp_err(_NVS_NOT_INITIALIZED[0], _NVS_NOT_INITIALIZED[1])
        _flash.seek(p[2])
        head = _flash.read(10)
        store = {}
        if head[:6] == _NVS_MAGIC:
            n = int.from_bytes(head[6:10], "little")
            if 0 < n <= p[3] - 10:
                try:
                    store = _json.loads(_flash.read(n).decode())
                except ValueError:
                    store = {}
        _nvs[0] = store
    return _nvs[0]


def _nvs_save():
    p = _nvs_part()
    data = _json.dumps(_nvs[0]).encode()
    if len(data) + 10 > p[3]:
        raise _esp_err(_NVS_NOT_ENOUGH_SPACE[0], _NVS_NOT_ENOUGH_SPACE[1])
    _flash.seek(p[2])
    _flash.write(_NVS_MAGIC + len(data).to_bytes(4, "little") + data)
    _flash.flush()


def _key(key):
    if not isinstance(key, str):
        raise TypeError("can't convert %s to str" % type(key).__name__)
    if len(key) > 15:  # NVS_KEY_NAME_MAX_SIZE 16, NUL included
        raise _esp_err(_NVS_KEY_TOO_LONG[0], _NVS_KEY_TOO_LONG[1])
    return key


class NVS:
    def __init__(self, namespace):
        if not isinstance(namespace, str):
            raise TypeError("can't convert %s to str" % type(namespace).__name__)
        self._ns = namespace
        _nvs_load()

    def __repr__(self):
        return "<NVS namespace>"

    def _items(self):
        return _nvs_load().get(self._ns, {})

    def _get(self, key, kind):
        item = self._items().get(_key(key))
        if item is None or item[0] != kind:
            raise _esp_err(_NVS_NOT_FOUND[0], _NVS_NOT_FOUND[1])
        return item[1]

    def _set(self, key, kind, value):
        store = _nvs_load()
        store.setdefault(self._ns, {})[_key(key)] = [kind, value]
        _nvs_save()

    def set_i32(self, key, value):
        if not isinstance(value, int):
            raise TypeError("can't convert %s to int" % type(value).__name__)
        if not -0x80000000 <= value <= 0x7FFFFFFF:  # mp_obj_get_int: 32-bit mp_int_t
            raise OverflowError("overflow converting long int to machine word")
        self._set(key, "i32", value)

    def get_i32(self, key):
        return self._get(key, "i32")

    def set_blob(self, key, value):
        data = value.encode() if isinstance(value, str) else bytes(memoryview(value))
        self._set(key, "blob", _binascii.hexlify(data).decode())

    def get_blob(self, key, buf):
        hexed = self._get(key, "blob")
        data = _binascii.unhexlify(hexed)
        mv = memoryview(buf)
        if len(mv) < len(data):
            raise _esp_err(_NVS_INVALID_LENGTH[0], _NVS_INVALID_LENGTH[1])
        mv[:len(data)] = data
        return len(data)

    def erase_key(self, key):
        items = self._items()
        if _key(key) not in items:
            raise _esp_err(_NVS_NOT_FOUND[0], _NVS_NOT_FOUND[1])
        del items[key]
        _nvs_save()

    def commit(self):
        _nvs_load()
