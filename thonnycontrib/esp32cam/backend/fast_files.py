"""Files view transfers of the plug-in's own while the fast link runs.

Thonny's serial transfer sends each 1 KB block as hexadecimal inside a Python
command (upload) or prints it as hexadecimal (download): twice the bytes, a full
raw-REPL exchange per block, and on MicroPython v1.19+ every print longer than
the 128-byte TX FIFO waits for FreeRTOS ticks (ports/esp32/uart.c
``uart_stdout_tx_strn``): measured on the virtual board at 921600, 5-8 kB/s up and
18-25 kB/s down (benchmarks/bench_fast_link.py, README). Here one small program per file moves
raw bytes:

- download: the board sends 4 KB blocks (header: length, CRC-32) through the fast
  link's paced writer, one block per request byte from the host (``n`` next, ``r``
  resend, ``q`` quit);
- upload: the host keeps two blocks of at most 121 bytes in flight (header: length,
  sequence number, CRC-32 over both and the data): two fit the ESP32 port's 259-byte
  stdin ring (ports/esp32/mphalport.c ``stdin_ringbuf_array[260]``), which has no flow
  control. The board acknowledges a block as soon as it has read it, before writing
  it, so the next block crosses the wire while the filesystem writes and the
  acknowledgement's USB turnaround is hidden behind the other block. A damaged block:
  the board drops what follows until the line is quiet, then sends NAK and the
  sequence number it expects, and the host sends again from there. Ctrl-C is off meanwhile
  (0x03 is data) and a silent host ends the program after a few seconds; the file is
  written under a temporary name and renamed at the end, so a broken upload leaves
  the old file, not half a new one.

At 115200, or when anything unexpected happens before the first block, Thonny's own
transfer runs instead (``self.compat.thonny_read_file`` / ``thonny_write_file``). These are
the ``esp32cam_read_file`` / ``esp32cam_write_file`` hooks of ``thonny_compat.back``, which
Thonny's serial transfers call on every Thonny generation.
"""
from __future__ import annotations

import binascii
import os
import struct
from logging import getLogger
from collections import deque
from typing import Any, BinaryIO, Callable, Deque, Tuple

from thonnycontrib.esp32cam.backend.fast_link import binary_io
from thonnycontrib.esp32cam.core import fastlink
from thonnycontrib.esp32cam.core.i18n import _

logger = getLogger("thonnycontrib.esp32cam.backend.fast_files")

READ_BLOCK = 4096
WRITE_CHUNK = 121  # + 8 header bytes, two blocks: 258 < 259, the ESP32 port's stdin ring
WRITE_WINDOW = 2  # blocks in flight
RETRIES = 3
TIMEOUT = 10.0
RUN_END = fastlink.RUN_END

DEVICE_READ = """\
def __esp32cam_rd(p, n, r):
 import sys
 from binascii import crc32
 f = open(p, 'rb')
 i = sys.stdin.buffer
 w = __esp32cam_pw(r)
 b = b''
 try:
  while True:
   c = i.read(1)
   if c == b'n':
    b = f.read(n)
   elif c != b'r':
    break
   w(b'\\x02B' + len(b).to_bytes(4, 'little') + (crc32(b) & 0xffffffff).to_bytes(4, 'little'))
   w(b)
 finally:
  f.close()
"""

DEVICE_WRITE = """\
def __esp32cam_wr(p, g, m):
 import sys, os, time, select, micropython
 from binascii import crc32
 i = sys.stdin.buffer
 w = sys.stdout.buffer.write
 q = select.poll()
 q.register(sys.stdin, 1)
 t = p + '.part'
 f = open(t, 'wb')
 ok = False
 e = 0
 micropython.kbd_intr(-1)
 try:
  w(b'\\x02R')
  while True:
   if not q.poll(g):
    raise OSError(110)
   h = i.read(8)
   k = h[0] | h[1] << 8
   b = i.read(k) if 0 < k <= m else b''
   if k <= m and crc32(b, crc32(h[:4])) & 0xffffffff == int.from_bytes(h[4:], 'little'):
    if (h[2] | h[3] << 8) == e:
     if k == 0:
      break
     w(b'\\x06')
     e = (e + 1) & 0xffff
     f.write(b)
   else:
    while q.poll(20):
     i.read(1)
    w(b'\\x15' + bytes((e & 255, e >> 8)))
  ok = True
 finally:
  micropython.kbd_intr(3)
  f.close()
  if ok:
   try:
    os.remove(p)
   except OSError:
    pass
   os.rename(t, p)
   w(b'\\x02D')
  else:
   os.remove(t)
"""


# Set in the back-end's environment, Thonny's own transfer runs at the fast rate too
# (benchmarks/bench_fast_link.py compares the two at the same rate).
THONNY_TRANSFER_ENV = "ESP32CAM_THONNY_TRANSFER"


class FastFilesMixin:
    def _esp32cam_fast_files(self) -> bool:
        if os.environ.get(THONNY_TRANSFER_ENV):
            return False
        return getattr(self, "_esp32cam_link_rate", fastlink.BOOT_BAUD) > fastlink.BOOT_BAUD

    # --- download -------------------------------------------------------------------------
    def esp32cam_read_file(self, source_path: str, target_fp: BinaryIO,
                           callback: Callable[[int, int], None]) -> Any:
        compat = self.compat  # type: ignore[attr-defined]
        if not self._esp32cam_fast_files():
            return super().esp32cam_read_file(source_path, target_fp, callback)  # type: ignore[misc]
        file_size = compat.file_size(source_path)
        rate = self._esp32cam_link_rate  # type: ignore[attr-defined]
        connection = compat.connection
        code = fastlink.PACED_WRITER + DEVICE_READ + "__esp32cam_rd(%r, %d, %d)" % (source_path, READ_BLOCK, rate)
        compat.ensure_raw_mode()
        done = 0
        with binary_io(connection):
            self._esp32cam_submit(code)  # type: ignore[attr-defined]
            request = b"n"
            retries = 0
            while True:
                if compat.command_interrupted():
                    connection.write(b"q")
                    connection.soft_read_until(RUN_END, TIMEOUT)
                    raise KeyboardInterrupt()
                callback(done, file_size)
                connection.write(request)
                header = bytes(connection.soft_read(10, TIMEOUT))
                if not header.startswith(b"\x02B") or len(header) < 10:
                    connection.soft_read_until(RUN_END, TIMEOUT)
                    if done == 0:  # e.g. no binascii.crc32: Thonny's own way says what is wrong
                        logger.info("Fast download refused (%r); Thonny's transfer instead", header)
                        return super().esp32cam_read_file(source_path, target_fp, callback)  # type: ignore[misc]
                    raise OSError(_("The board stopped sending {path} after {count} bytes.").format(
                        path=source_path, count=done))
                size, crc = struct.unpack("<II", header[2:])
                block = bytes(connection.soft_read(size, TIMEOUT))
                if len(block) != size or binascii.crc32(block) & 0xFFFFFFFF != crc:
                    retries += 1
                    if retries > RETRIES:
                        connection.write(b"q")
                        connection.soft_read_until(RUN_END, TIMEOUT)
                        raise OSError(_("{path} arrived damaged {count} times in a row; try "
                                        "again, or set the serial speed to 115200.").format(path=source_path,
                                                                                  count=retries))
                    request = b"r"
                    continue
                retries = 0
                request = b"n"
                target_fp.write(block)
                done += size
                if size < READ_BLOCK:
                    break
            connection.write(b"q")
            connection.soft_read_until(RUN_END, TIMEOUT)
        callback(done, file_size)
        logger.info("Fast download of %s: %d bytes at %d baud", source_path, done, rate)
        return done

    # --- upload ---------------------------------------------------------------------------
    def esp32cam_write_file(self, source_fp: BinaryIO, target_path: str, file_size: int,
                            callback: Callable[[int, int], None]) -> Any:
        """``source_fp`` is only read (minny hands over a reader without seek), and not
        before the board is ready: a refusal falls back with nothing read yet."""
        compat = self.compat  # type: ignore[attr-defined]
        if not self._esp32cam_fast_files():
            return super().esp32cam_write_file(source_fp, target_path, file_size, callback)  # type: ignore[misc]
        connection = compat.connection
        code = DEVICE_WRITE + "__esp32cam_wr(%r, %d, %d)" % (target_path, int(TIMEOUT * 1000 / 2), WRITE_CHUNK)
        compat.ensure_raw_mode()
        done = 0
        with binary_io(connection):
            self._esp32cam_submit(code)  # type: ignore[attr-defined]
            ready = bytes(connection.soft_read(2, TIMEOUT))
            if ready != b"\x02R":
                connection.soft_read_until(RUN_END, TIMEOUT)
                logger.info("Fast upload refused (%r); Thonny's transfer instead", ready)
                return super().esp32cam_write_file(source_fp, target_path, file_size, callback)  # type: ignore[misc]
            done, resent = self._esp32cam_send_blocks(connection, source_fp, target_path, file_size, callback)
            end = bytes(connection.soft_read_until(RUN_END, TIMEOUT))
            if b"\x02D" not in end:
                raise OSError(_("The board could not finish writing {path}: {answer}").format(
                    path=target_path, answer=end[-200:].decode("utf-8", "replace")))
        callback(done, file_size)
        logger.info("Fast upload of %s: %d bytes (%d blocks sent again)", target_path, done, resent)
        return done

    def _esp32cam_send_blocks(self, connection: Any, source_fp: BinaryIO, target_path: str,
                              file_size: int, callback: Callable[[int, int], None]) -> Tuple[int, int]:
        """Sends the file's blocks, WRITE_WINDOW in flight; (bytes acknowledged, blocks resent)."""
        in_flight: Deque[Tuple[int, bytes, int]] = deque()  # (seq, frame, data bytes), oldest first
        done = resent = naks = seq = 0
        end_of_file = False
        while True:
            while len(in_flight) < WRITE_WINDOW and not end_of_file:
                chunk = source_fp.read(WRITE_CHUNK)
                if not chunk:
                    end_of_file = True
                    break
                frame = upload_frame(seq, chunk)
                in_flight.append((seq, frame, len(chunk)))
                connection.write(frame)
                seq = (seq + 1) & 0xFFFF
            if not in_flight:
                connection.write(upload_frame(seq, b""))
                return done, resent
            answer = bytes(connection.soft_read(1, TIMEOUT))
            if answer == b"\x06":
                done += in_flight.popleft()[2]
                naks = 0
                callback(done, file_size)
                continue
            if answer == b"\x15":  # damaged on the way: again from the block the board expects
                expected = bytes(connection.soft_read(2, TIMEOUT))
                naks += 1
                if naks > RETRIES:
                    raise OSError(_("{path} was damaged on the way {count} times in a row; try "
                                    "again, or set the serial speed to 115200.").format(path=target_path,
                                                                                 count=naks))
                if len(expected) == 2 and in_flight and in_flight[0][0] == struct.unpack("<H", expected)[0]:
                    for _seq, frame, _size in in_flight:
                        connection.write(frame)
                    resent += len(in_flight)
                    continue
                answer += expected
            # silence or an error: the board ended the program
            rest = connection.soft_read_until(RUN_END, TIMEOUT)
            raise OSError(_("The board stopped receiving {path} after {count} "
                            "bytes: {answer}").format(path=target_path, count=done, answer=bytes(
                                answer + rest)[-200:].decode("utf-8", "replace")))

def upload_frame(seq: int, data: bytes) -> bytes:
    """One upload block: length and sequence number (2 bytes each, little-endian), the
    CRC-32 of those four bytes and the data, then the data; an empty one ends the file."""
    head = struct.pack("<HH", len(data), seq)
    return head + struct.pack("<I", binascii.crc32(data, binascii.crc32(head)) & 0xFFFFFFFF) + data
