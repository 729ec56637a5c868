"""Which camera sensor is on the board, and which firmware builds drive it.

The sensor is read the way espressif/esp32-camera probes it (driver/esp_camera.c
``camera_probe``, v2.0.4 to v2.1.5): XCLK first (there through LEDC, here through
``machine.PWM`` on the board profile's XCLK pin), PWDN low / RESET high, then the
sensor's ID over SCCB (I2C) on the profile's SIOD/SIOC pins:

- OV2640 at 0x30: write 0xFF=0x01 (register bank "sensor"), PID at 0x0A, VER at
  0x0B, 8-bit register addresses (sensors/ov2640.c ``esp32_camera_ov2640_detect``;
  the driver accepts any VER once PID is 0x26);
- OV3660 and OV5640 at 0x3C: 16-bit register addresses, PID high byte at 0x300A,
  low byte at 0x300B: 0x3660 / 0x5640 (sensors/ov3660.c, ov5640.c).

Addresses and IDs: driver/include/sensor.h. Each SCCB read is a register-address
write, a STOP, then a read (driver/sccb.c ``SCCB_Read``/``SCCB_Read16``), so the
snippet uses ``writeto`` + ``readfrom`` rather than a repeated start.

The snippet runs on any firmware with ``machine`` (SoftI2C since MicroPython 1.14;
the clock's duty is given as ``duty=512``, half of 10 bits: ``duty_u16`` exists on
the ESP32 only since v1.18, ports/esp32/machine_pwm.c v1.14-v1.17 take freq and duty);
a driver that reports the sensor itself (cnadler86 ``Camera.sensor_name``) is used
first where the caller has that report.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Dict, Iterable, List, Optional, Sequence

from thonnycontrib.esp32cam.core.boards import BoardProfile
from thonnycontrib.esp32cam.core.i18n import _


@dataclass(frozen=True)
class SensorKind:
    name: str
    address: int  # 7-bit SCCB address
    chip_id: int  # PID as the driver compares it


SENSORS: Dict[str, SensorKind] = {s.name: s for s in (
    SensorKind("OV2640", 0x30, 0x26),  # PID byte; VER (0x42 on the parts seen) is not checked
    SensorKind("OV3660", 0x3C, 0x3660),
    SensorKind("OV5640", 0x3C, 0x5640),
)}

MARK = "ESP32CAM_SENSOR"
XCLK_HZ = 20_000_000  # what the drivers use on these boards (esp32-camera examples)

_SNIPPET = """\
def _esp32cam_sensor():
    import machine, os, gc, time, sys
    o = []
    gc.collect()
    o.append('heap %%d' %% (gc.mem_free() + gc.mem_alloc()))
    o.append('machine ' + os.uname().machine)
    ck = None
    try:
        if %(pwdn)d >= 0:
            machine.Pin(%(pwdn)d, machine.Pin.OUT, value=0)
        if %(reset)d >= 0:
            machine.Pin(%(reset)d, machine.Pin.OUT, value=1)
        ck = machine.PWM(machine.Pin(%(xclk)d), freq=%(hz)d, duty=512)
        time.sleep_ms(10)
        cls = getattr(machine, 'SoftI2C', None) or machine.I2C
        bus = cls(scl=machine.Pin(%(sioc)d), sda=machine.Pin(%(siod)d), freq=100000)
        found = bus.scan()
        o.append('scan ' + ' '.join(str(a) for a in found))
        for a in found:
            if a == 0x30:
                bus.writeto(a, b'\\xff\\x01')
                bus.writeto(a, b'\\x0a')
                pid = bus.readfrom(a, 1)[0]
                bus.writeto(a, b'\\x0b')
                ver = bus.readfrom(a, 1)[0]
                o.append('id %%d %%d %%d' %% (a, pid, ver))
            elif a == 0x3c:
                bus.writeto(a, b'\\x30\\x0a')
                hi = bus.readfrom(a, 1)[0]
                bus.writeto(a, b'\\x30\\x0b')
                lo = bus.readfrom(a, 1)[0]
                o.append('id %%d %%d %%d' %% (a, hi, lo))
    except Exception as e:
        o.append('error ' + repr(e))
    finally:
        if ck is not None:
            ck.deinit()
    t = ''.join('%(mark)s ' + x + '\\n' for x in o)
    %(emit)s
_esp32cam_sensor()
del _esp32cam_sensor
"""


# as printed text, or as the camera view's info frame (core.camera.transfer, kind "I")
_PRINT = "sys.stdout.write(t)"
# (with the CRC-32 every frame carries, "-" from a build without binascii.crc32)
_FRAME = ("d = t.encode(); c = getattr(__import__('binascii'), 'crc32', None); "
          "sys.stdout.buffer.write(('\\x02ESPCAM:I:N:%d:%s\\n' % (len(d), '%08x' % (c(d) & 0xffffffff) "
          "if c else '-')).encode() + d)")


def probe_code(profile: BoardProfile, frame: bool = False) -> str:
    """MicroPython source that reports the heap size, the machine name and the sensor
    ID (lines starting with ``MARK``), printed or as one info frame; it leaves XCLK stopped."""
    return _SNIPPET % {"mark": MARK, "pwdn": profile.pwdn, "reset": profile.reset, "emit": _FRAME if frame else _PRINT,
                       "xclk": profile.xclk, "siod": profile.siod, "sioc": profile.sioc, "hz": XCLK_HZ}


# A MicroPython heap this large lives in PSRAM (SPIRAM builds put the GC heap there).
PSRAM_HEAP = 1024 * 1024


@dataclass
class BoardFacts:
    """What the probe found. ``sensor`` None = no sensor answered (or not probed)."""
    chip: Optional[str] = None       # "esp32" | "esp32s3"
    psram: Optional[bool] = None
    sensor: Optional[str] = None     # e.g. "OV3660"; "unknown" for an unrecognised ID
    address: Optional[int] = None
    chip_id: Optional[int] = None
    source: str = ""                 # "driver" | "sccb"
    error: str = ""
    scanned: List[int] = field(default_factory=list)

    def describe_sensor(self) -> str:
        if self.sensor and self.sensor != "unknown":
            if self.source == "driver":
                return _("{sensor} (reported by the camera driver)").format(sensor=self.sensor)
            return _("{sensor} (ID 0x{id:04X} read over SCCB at 0x{address:02X})").format(
                sensor=self.sensor, id=self.chip_id or 0, address=self.address or 0)
        if self.sensor == "unknown":
            return _("unknown sensor at SCCB address 0x{address:02X} (ID 0x{id:04X})").format(
                address=self.address or 0, id=self.chip_id or 0)
        if self.error:
            return _("no sensor answered on SCCB ({error})").format(error=self.error)
        return _("no sensor answered on SCCB")

    @classmethod
    def from_diagnosis(cls, extra: Dict[str, object]) -> Optional["BoardFacts"]:
        """Back from a diagnosis' ``extra`` (doctor JSON); None when it has none."""
        if "sensor" not in extra and "chip" not in extra:
            return None
        sensor = extra.get("sensor") if isinstance(extra.get("sensor"), dict) else {}
        chip, psram = extra.get("chip"), extra.get("psram")
        return cls(chip=chip if isinstance(chip, str) else None,
                   psram=psram if isinstance(psram, bool) else None,
                   sensor=sensor.get("model") or None, source=sensor.get("source") or "")

    def summary(self) -> str:
        """One line for dialogs: "ESP32 · PSRAM · OV3660 camera"."""
        parts = [self.chip.upper() if self.chip else _("chip ?"),
                 "PSRAM" if self.psram else (_("no PSRAM") if self.psram is False else "PSRAM ?"),
                 _("{sensor} camera").format(sensor=self.sensor) if self.sensor
                 else _("no camera sensor found")]
        return " · ".join(parts)

    def to_json(self) -> Dict[str, object]:
        return {"model": self.sensor, "source": self.source or None,
                "address": None if self.address is None else "0x%02x" % self.address,
                "id": None if self.chip_id is None else "0x%04x" % self.chip_id,
                "error": self.error or None}


def identify(address: int, first: int, second: int) -> Optional[SensorKind]:
    """The sensor for the two ID bytes read at ``address`` (PID/VER or 0x300A/0x300B)."""
    for kind in SENSORS.values():
        if kind.address != address:
            continue
        if kind.name == "OV2640" and first == kind.chip_id:
            return kind
        if kind.name != "OV2640" and (first << 8 | second) == kind.chip_id:
            return kind
    return None


def parse_probe(output: str, facts: Optional[BoardFacts] = None) -> BoardFacts:
    """Read the probe's marked lines (other output is ignored)."""
    facts = facts or BoardFacts()
    for line in output.splitlines():
        parts = line.strip().split()
        if len(parts) < 2 or parts[0] != MARK:
            continue
        what, args = parts[1], parts[2:]
        if what == "heap" and args and args[0].isdigit():
            facts.psram = int(args[0]) >= PSRAM_HEAP
        elif what == "machine":
            facts.chip = "esp32s3" if "ESP32S3" in " ".join(args).upper().replace("-", "") else "esp32"
        elif what == "scan":
            facts.scanned = [int(a) for a in args if a.isdigit()]
        elif what == "id" and len(args) == 3 and all(a.isdigit() for a in args):
            address, first, second = (int(a) for a in args)
            kind = identify(address, first, second)
            if facts.source == "driver":
                continue  # the driver's own report wins
            facts.address = address
            facts.chip_id = first << 8 | second  # OV2640: PID, VER (0x2642)
            facts.sensor = kind.name if kind else "unknown"
            facts.source = "sccb"
        elif what == "error":
            facts.error = " ".join(args)
    return facts


# --- which builds drive which sensor ------------------------------------------

def drives(build: object, sensor: Optional[str]) -> Optional[bool]:
    """Does the build's camera driver drive ``sensor``? None: unknown (no sensor
    known, or the catalog entry has no ``sensors``)."""
    listed = getattr(build, "sensors", None)
    if not sensor or sensor == "unknown" or listed is None:
        return None
    return sensor in listed


def mismatch(build: object, chip: Optional[str], psram: Optional[bool], sensor: Optional[str]) -> str:
    """Why ``build`` does not fit the board ("" if it fits or nothing is known)."""
    reasons = []
    b_chip = getattr(build, "chip", None)
    if chip and b_chip and b_chip != chip:
        reasons.append(_("it is built for the {build_chip}, the board has an {board_chip}").format(
            build_chip=b_chip.upper(), board_chip=chip.upper()))
    requires = " ".join(getattr(build, "requires", ()) or ())
    if psram is False and "psram" in requires:
        reasons.append(_("it needs PSRAM, which the board did not show"))
    if getattr(build, "family", "none") == "none":
        reasons.append(_("it has no camera driver"))
    elif drives(build, sensor) is False:
        listed = ", ".join(getattr(build, "sensors", ()) or ()) or _("no sensor")
        reasons.append(_("its camera driver does not drive the {sensor} (it drives: {listed})").format(
            sensor=sensor, listed=listed))
    return "; ".join(reasons)


def matching_builds(builds: Iterable[object], chip: Optional[str], psram: Optional[bool],
                    sensor: Optional[str]) -> List[object]:
    """Camera builds that fit chip + PSRAM + sensor, in catalog order."""
    return [b for b in builds if getattr(b, "family", "none") != "none"
            and not mismatch(b, chip, psram, sensor)]


def preselect(builds: Sequence[object], default: Optional[object], chip: Optional[str],
              psram: Optional[bool], sensor: Optional[str]) -> Optional[object]:
    """The build to preselect: the default if it fits, else the first recommended
    build that fits, else the first that fits; None if none fits."""
    fits = matching_builds(builds, chip, psram, sensor)
    if default is not None and default in fits:
        return default
    recommended = [b for b in fits if getattr(b, "recommended", False)]
    return (recommended or fits or [None])[0]
