"""Camera sensors on the SCCB bus of the virtual board (host side).

Derived from espressif/esp32-camera (v2.0.4 and v2.1.5, the versions the real
images carry), not from the plug-in:

- 7-bit SCCB addresses, driver/include/sensor.h: OV2640 0x30, OV3660 0x3C,
  OV5640 0x3C.
- ID registers, sensors/ov2640.c ``esp32_camera_ov2640_detect``: write 0xFF=0x01
  (register bank "sensor"), then PID at 0x0A and VER at 0x0B, 8-bit register
  addresses (sensors/private_include/ov2640_regs.h: BANK_SEL 0xFF, REG_PID 0x0A,
  REG_VER 0x0B, REG_MIDH 0x1C, REG_MIDL 0x1D). sensors/ov3660.c and ov5640.c:
  16-bit register addresses, PID high byte at 0x300A, low byte at 0x300B.
- IDs, sensor.h: OV2640_PID 0x26 (VER 0x42, the chip ID 0x2642),
  OV3660_PID 0x3660, OV5640_PID 0x5640.
- A sensor answers only while it gets a clock: esp_camera.c ``camera_probe``
  enables XCLK (LEDC) before it initialises SCCB and scans; without XCLK the
  sensor's SCCB slave does not run. The OV2640/OV3660/OV5640 datasheets give a
  6 MHz minimum input clock; MicroPython's ESP32 PWM goes up to 40 MHz
  (ports/esp32/machine_pwm.c ``check_freq_ranges``).
- PWDN high powers the sensor down (esp_camera.c pulses PWDN high, then low, before
  the scan: "logic is inverted compared to reset pin").
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Dict, List, Optional

OV2640_BANK_SEL = 0xFF


@dataclass(frozen=True)
class SensorModel:
    name: str
    address: int
    reg16: bool  # 16-bit register addresses (OV3660/OV5640) or 8-bit (OV2640)
    registers: Dict[int, int]  # power-on values the twin knows (ID registers)
    banked: Dict[int, Dict[int, int]] = field(default_factory=dict)  # OV2640: bank -> registers


MODELS: Dict[str, SensorModel] = {
    "OV2640": SensorModel("OV2640", 0x30, False, {}, banked={
        0: {},  # DSP bank
        1: {0x0A: 0x26, 0x0B: 0x42, 0x1C: 0x7F, 0x1D: 0xA2},  # sensor bank: PID, VER, MIDH, MIDL
    }),
    "OV3660": SensorModel("OV3660", 0x3C, True, {0x300A: 0x36, 0x300B: 0x60}),
    "OV5640": SensorModel("OV5640", 0x3C, True, {0x300A: 0x56, 0x300B: 0x40}),
}

MIN_XCLK_HZ = 6_000_000


@dataclass(frozen=True)
class CameraWiring:
    """Which ESP32 GPIOs reach the camera connector (AI-Thinker ESP32-CAM schematic;
    the same pins as esp32-camera's examples, CAMERA_MODEL_AI_THINKER)."""
    sda: int = 26
    scl: int = 27
    xclk: int = 0
    pwdn: int = 32


class SccbBus:
    """The camera connector's SCCB bus with one sensor (or none)."""

    def __init__(self, model: Optional[str], wiring: CameraWiring = CameraWiring()) -> None:
        if model is not None and model not in MODELS:
            raise ValueError("unknown sensor %r (known: %s)" % (model, ", ".join(MODELS)))
        self.model = MODELS[model] if model else None
        self.wiring = wiring
        self.pwm: Dict[int, Dict[str, int]] = {}  # pin -> {"freq": Hz, "duty": 0..65535}
        self.driver_clock = False  # the camera driver's own LEDC runs XCLK
        self._pointer = 0  # register address set by the last write
        self._bank = 0  # OV2640 register bank (0xFF); reset to DSP at power-up

    def power_on(self) -> None:
        self._pointer = 0
        self._bank = 0
        self.pwm.clear()
        self.driver_clock = False

    def set_pwm(self, pin: int, freq: int, duty: int) -> None:
        if duty <= 0:
            self.pwm.pop(pin, None)
        else:
            self.pwm[pin] = {"freq": int(freq), "duty": int(duty)}

    def clocked(self) -> bool:
        if self.driver_clock:
            return True
        p = self.pwm.get(self.wiring.xclk)
        return bool(p) and 0 < p["duty"] < 65536 and p["freq"] >= MIN_XCLK_HZ

    def answers(self, addr: int, sda: int, scl: int, levels: Dict[int, int]) -> bool:
        """Does a device ACK this address on these pins now?"""
        if self.model is None or addr != self.model.address:
            return False
        if (sda, scl) != (self.wiring.sda, self.wiring.scl):
            return False
        if levels.get(self.wiring.pwdn) == 1:
            return False
        return self.clocked()

    def scan(self, sda: int, scl: int, levels: Dict[int, int]) -> List[int]:
        if self.model is not None and self.answers(self.model.address, sda, scl, levels):
            return [self.model.address]
        return []

    def write(self, data: bytes) -> None:
        """Bytes after the address of a write: register address, then values."""
        assert self.model is not None
        width = 2 if self.model.reg16 else 1
        if len(data) < width:
            return
        self._pointer = int.from_bytes(data[:width], "big")
        for i, value in enumerate(data[width:]):
            self._store(self._pointer + i, value)

    def read(self, n: int) -> bytes:
        """Register contents from the last register address (auto-increment)."""
        out = bytes(self._load(self._pointer + i) for i in range(n))
        self._pointer += n
        return out

    def _store(self, reg: int, value: int) -> None:
        assert self.model is not None
        if self.model.banked and reg == OV2640_BANK_SEL:
            self._bank = value & 0x01
        # other registers: configuration the twin does not model

    def _load(self, reg: int) -> int:
        assert self.model is not None
        if self.model.banked:
            if reg == OV2640_BANK_SEL:
                return self._bank
            return self.model.banked.get(self._bank, {}).get(reg, 0)
        return self.model.registers.get(reg, 0)
