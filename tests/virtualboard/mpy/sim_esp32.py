# `esp32` as on ESP32 MicroPython (the parts a program on an ESP32-CAM asks about).
HEAP_DATA = 4
HEAP_EXEC = 1
WAKEUP_ALL_LOW = False
WAKEUP_ANY_HIGH = True
_psram = True


def _setup(host, cfg):
    global _psram
    _psram = bool(cfg["psram"])


def raw_temperature():
    return 128


def idf_heap_info(capabilities):
    # (total, free, largest free block, minimum free seen) per heap region
    heaps = [(7280, 4096, 4096, 4096), (16648, 14756, 14336, 14428), (94608, 40028, 28672, 30000)]
    if _psram and capabilities == HEAP_DATA:
        heaps.append((4194252, 4175564, 4128768, 4170000))
    return heaps


def wake_on_ext0(pin, level):
    pass


def wake_on_ext1(pins, level):
    pass
