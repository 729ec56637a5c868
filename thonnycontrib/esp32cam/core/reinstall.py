"""What an install has to write on a board that already holds something.

The board is read first (``core/board_survey.py``: its partition table, its flash size, the
first blocks of its filesystem, and an MD5 per 64 KB region of where the image goes), then
:func:`plan_install` decides:

- ``keep``: the new build puts its filesystem exactly where the board's is, and can mount
  that filesystem: no erase, the filesystem is not touched, only the regions whose hash
  differs from the image are written (none when the board already holds the image);
- ``fresh``: the board has no filesystem to lose (blank, or a filesystem region that reads
  erased): the same diff write, nothing to announce;
- ``erase``: the layout or the filesystem differ (or where the new build's filesystem goes
  holds other data, which MicroPython would refuse to format: ports/esp32/modules/
  inisetup.py check_bootsec()): the whole flash is erased, then the whole image written.
  When the board had files, ``files_at_risk`` is set and the front-ends say so before
  writing and offer to copy them first.

Pure Python; no Tk, no Thonny.
"""
from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from typing import Dict, List, Optional, Tuple

from thonnycontrib.esp32cam.core import partitions as pt
from thonnycontrib.esp32cam.core.board_survey import MARK
from thonnycontrib.esp32cam.core.i18n import _, ngettext

REGION = 0x10000  # 64 KB: a flash block (one erase command), 24 hashes for a 1.5 MB image
KEEP, FRESH, ERASE = "keep", "fresh", "erase"


def regions(offset: int, size: int, step: int = REGION) -> List[Tuple[int, int]]:
    """(flash address, length) of each region of an image of ``size`` bytes at ``offset``."""
    return [(offset + start, min(step, size - start)) for start in range(0, size, step)]


@dataclass
class BoardSurvey:
    """What the board held before the install (board_survey's JSON)."""
    flash_size: Optional[int]
    table: List[pt.Partition]
    md5: List[str]
    probes: Dict[int, bytes] = field(default_factory=dict)

    @classmethod
    def from_output(cls, text: str) -> Optional["BoardSurvey"]:
        for line in text.splitlines():
            if line.startswith(MARK):
                data = json.loads(line[len(MARK):])
                return cls(data["flash_size"], pt.parse_table(bytes.fromhex(data["table"])), data["md5"],
                           {int(a, 16): bytes.fromhex(h) for a, h in data["probes"].items()})
        return None

    def kind_at(self, part: Optional[pt.Partition]) -> Optional[str]:
        if part is None or part.offset not in self.probes:
            return None
        return pt.filesystem_kind(self.probes[part.offset])


@dataclass
class Plan:
    mode: str                              # keep | fresh | erase
    write: List[Tuple[int, int]]           # (flash address, length) to write; [] = nothing differs
    total: int                             # the image's region count
    message: str                           # what happens to the board's files, for every front-end
    files_at_risk: bool = False            # the board has a filesystem that the erase deletes
    filesystem: Optional[pt.Partition] = None  # the board's (keep; erase with files_at_risk)

    @property
    def erase_all(self) -> bool:
        return self.mode == ERASE

    @property
    def nothing_to_write(self) -> bool:
        return not self.erase_all and not self.write

    def written_bytes(self) -> int:
        return sum(length for _address, length in self.write)


def _merge(parts: List[Tuple[int, int]]) -> List[Tuple[int, int]]:
    """Adjacent regions as one (one file, one esptool write each)."""
    merged: List[Tuple[int, int]] = []
    for addr, length in parts:
        if merged and merged[-1][0] + merged[-1][1] == addr:
            merged[-1] = (merged[-1][0], merged[-1][1] + length)
        else:
            merged.append((addr, length))
    return merged


def image_md5s(image: bytes, offset: int) -> List[str]:
    """The MD5 of each region of ``image`` written at ``offset``, as the survey reads the board's."""
    return [hashlib.md5(image[a - offset:a - offset + n]).hexdigest() for a, n in regions(offset, len(image))]


def plan_install(image: bytes, offset: int, survey: BoardSurvey, header_changed: bool = False) -> Plan:
    """The plan for writing ``image`` at ``offset`` on the board ``survey`` read.
    ``header_changed``: flash mode/size/frequency options make esptool rewrite the image
    header, so the first region is written whatever the board holds."""
    spans, hashes = regions(offset, len(image)), image_md5s(image, offset)
    differ = [span for index, span in enumerate(spans)
              if index >= len(survey.md5) or (index == 0 and header_changed) or hashes[index] != survey.md5[index]]
    new_fs = pt.filesystem(pt.image_table(image, offset), survey.flash_size)
    old_fs = pt.filesystem(survey.table, survey.flash_size)
    old_kind = survey.kind_at(old_fs)
    image_end = offset + len(image)
    has_files = old_kind not in (None, pt.BLANK)
    if has_files:
        same_place = new_fs is not None and (new_fs.offset, new_fs.size) == (old_fs.offset, old_fs.size)
        if same_place and old_kind in pt.image_filesystems(image) and image_end <= old_fs.offset:
            return Plan(KEEP, _merge(differ), len(spans), _keep_message(old_fs, old_kind, differ, spans),
                        filesystem=old_fs)
        where = pt.describe(old_fs, old_kind)
        if new_fs is None:
            why = _("The board's files will be erased: they are in a {where}, and the new firmware "
                    "has no filesystem partition. The whole flash is erased before writing.")
        elif not same_place:
            why = _("The board's files will be erased: they are in a {where}, and the new "
                    "firmware's filesystem is at {offset} ({size}). The whole flash is erased "
                    "before writing.")
        elif old_kind not in pt.image_filesystems(image):
            why = _("The board's files will be erased: they are in a {where}, and the new firmware "
                    "cannot mount a {kind} filesystem. The whole flash is erased before writing.")
        else:
            why = _("The board's files will be erased: they are in a {where}, and the new firmware "
                    "reaches into it. The whole flash is erased before writing.")
        message = why.format(where=where, kind=old_kind,
                             offset=f"{new_fs.offset:#x}" if new_fs is not None else "",
                             size=pt.size_text(new_fs.size) if new_fs is not None else "")
        return Plan(ERASE, spans, len(spans), message, files_at_risk=True, filesystem=old_fs)
    new_kind = survey.kind_at(new_fs)
    if new_fs is not None and new_kind not in (None, pt.BLANK, *pt.image_filesystems(image)):
        return Plan(ERASE, spans, len(spans), _(
            "The whole flash is erased before writing: where the new firmware keeps its files "
            "({offset}) holds other data, which MicroPython would not format.").format(
                offset=f"{new_fs.offset:#x}"))
    return Plan(FRESH, _merge(differ), len(spans),
                " ".join((_("The board has no files to keep."), _write_summary(differ, spans))))


def _write_summary(differ, spans) -> str:
    if not differ:
        return _("It already holds this firmware: every region's hash matches, nothing needs "
                 "writing.")
    return ngettext("{count} of {total} regions of 64 KB differs from the image: only that one "
                    "is written, then the whole image is verified.",
                    "{count} of {total} regions of 64 KB differ from the image: only those are "
                    "written, then the whole image is verified.",
                    len(differ)).format(count=len(differ), total=len(spans))


def _keep_message(fs: pt.Partition, kind: str, differ, spans) -> str:
    kept = _("The board's files are kept: the new firmware uses the same {where}, so the flash is "
             "not erased and that region is not written.").format(where=pt.describe(fs, kind))
    return " ".join((kept, _write_summary(differ, spans)))
