"""Read what the board holds, without writing: run in esptool's own Python as

    python -m thonnycontrib.esp32cam.core.board_survey --md5 ADDR:LEN[,ADDR:LEN...]
        [--probe ADDR,...] [--to-baud BAUD [--reset-if DIGEST]] -- <esptool arguments ending in flash-id>

esptool connects exactly as it does for a write (its reset sequence, ``--before``/``--after``,
stub, ``--baud`` change, flash attach): this module only takes the place of esptool's
``flash_id`` command function, which both esptool generations look up by name at run time
(esptool 4.8.1 ``__init__.py`` main(): ``operation_func = globals()[args.operation]``, called
as ``operation_func(esp, args)``; esptool 5.x ``__init__.py`` flash_id_cli():
``flash_id(ctx.obj["esp"])``). In its place it reads, through the stub:

- the flash size (``ESPLoader.flash_id()``: JEDEC id, size code in bits 16-23, the same
  code esptool's ``detect_flash_size`` maps), handed to ``flash_set_parameters``;
- the partition table sector (``ESPLoader.read_flash(0x8000, 0xC00)``);
- one MD5 per region (``ESPLoader.flash_md5sum(addr, size)``: the stub's SPI_FLASH_MD5, the
  hash esptool's own write-flash and verify-flash compare; 4.8.1 and 5.x loader.py);
- the first 8 KB of the board's filesystem partition and of each ``--probe`` address.

It prints one line ``ESP32CAM-SURVEY {json}``; esptool prints its usual lines around it and
resets the board as ``--after`` says. ``--to-baud``: afterwards the stub is switched to that
rate (``ESPLoader.change_baud``), where the next esptool finds it (with ``--after
no-reset-stub``: it connects at 115200 and its sync tells a running stub) -- unless the
board's hashes give ``--reset-if`` (:func:`hashes_digest`): it holds the image already, no
write follows, and the board is reset into its firmware (``ESPLoader.hard_reset``) instead. Only esptool and the pure ``core/partitions.py`` are
imported, so it runs in whatever Python runs esptool.
"""
from __future__ import annotations

import hashlib
import json
import sys
from typing import List, Tuple

MARK = "ESP32CAM-SURVEY "


def _pairs(text: str) -> List[Tuple[int, int]]:
    return [(int(a, 0), int(n, 0)) for a, n in (item.split(":") for item in text.split(",") if item)]


def hashes_digest(md5s: List[str]) -> str:
    """One digest standing for a list of region MD5s (short enough for a command line)."""
    return hashlib.md5(",".join(md5s).encode()).hexdigest()


def flash_bytes(jedec_id: int):
    """Flash size in bytes from the JEDEC id's capacity code (0x12 256 KB ... 0x19 32 MB, as
    esptool's DETECTED_FLASH_SIZES); None when the code is not one of those."""
    code = (jedec_id >> 16) & 0xFF
    return 1 << code if 0x12 <= code <= 0x1A else None


def survey(esp, md5_regions, probes) -> dict:
    from thonnycontrib.esp32cam.core import partitions

    size = flash_bytes(esp.flash_id())
    if size:
        esp.flash_set_parameters(size)  # reads and hashes above 2 MB need the real size
    table = esp.read_flash(partitions.TABLE_ADDR, partitions.TABLE_SIZE)
    md5 = [esp.flash_md5sum(addr, length) for addr, length in md5_regions]
    fs = partitions.filesystem(partitions.parse_table(table), size)
    read = {}
    for addr in list(probes) + ([fs.offset] if fs else []):
        if addr not in read and (not size or addr + partitions.PROBE_SIZE <= size):
            read[addr] = esp.read_flash(addr, partitions.PROBE_SIZE)
    return {"flash_size": size, "table": table.hex(), "md5": md5,
            "probes": {f"{a:#x}": data.hex() for a, data in read.items()}}


def main(argv: List[str]) -> None:
    split = argv.index("--")
    ours, esptool_args = argv[:split], argv[split + 1:]
    options = dict(zip(ours[::2], ours[1::2]))
    md5_regions = _pairs(options.get("--md5", ""))
    probes = [int(a, 0) for a in options.get("--probe", "").split(",") if a]
    to_baud = int(options["--to-baud"]) if "--to-baud" in options else None
    reset_if = options.get("--reset-if")

    import esptool

    def flash_id(esp, args=None):  # 4.8.1 calls (esp, args), 5.x (esp)
        found = survey(esp, md5_regions, probes)
        print(MARK + json.dumps(found), flush=True)
        if reset_if and hashes_digest(found["md5"]) == reset_if:
            esp.hard_reset()
        elif to_baud:
            esp.change_baud(to_baud)

    esptool.flash_id = flash_id
    sys.argv = ["esptool"] + esptool_args
    esptool._main()  # esptool's own error handling: "A fatal error occurred: ...", exit code 2


if __name__ == "__main__":
    main(sys.argv[1:])
