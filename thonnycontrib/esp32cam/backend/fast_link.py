"""The fast serial link in Thonny's back-end process (core.fastlink does the protocol).

Mixed into ``Esp32CamBackend`` before Thonny's classes; it implements hooks of
``thonny_compat.back.BackendHooks`` and reaches Thonny through ``self.compat``:

- after the first prompt (and after every reconnect) the link is negotiated up to the
  fastest rate the adapter and the setting allow (``esp32cam_serial_speed`` in the
  launcher's args: "auto", "115200", a rate, "auto:N");
- a ``LinkWatch`` in the connection's reader notices noise (the board was reset, or a
  program changed UART0's rate), finds the board's rate again and the next command
  renegotiates;
- when Thonny lets go of the port (close, interpreter change, Stop/Restart, doctor,
  installer, system shell) an idle board is put back at 115200 first, so PuTTY,
  mpremote or another Thonny work at once. A busy board (a program still running)
  cannot be asked: the rate is remembered in ``fast_link.json`` in Thonny's user
  folder (``thonny_compat.plugin_user_dir()``) and the next connect probes it.
"""
from __future__ import annotations

import contextlib
import json
import os
import threading
import time
from logging import getLogger
from typing import Any, Optional

from thonny.common import BackendEvent

from thonnycontrib.esp32cam.core import backend_commands, fastlink
from thonnycontrib.esp32cam.core.linkwatch import POKE, LinkWatch
from thonnycontrib.esp32cam.core.serialprobe import SYNC_FRAME
from thonnycontrib.esp32cam.thonny_compat import plugin_user_dir

logger = getLogger("thonnycontrib.esp32cam.backend.fast_link")

SETTING_ARG = "esp32cam_serial_speed"
STORE_NAME = "fast_link.json"
PROBE_WAIT = 0.35  # seconds to wait for a prompt when probing a rate


class ThonnyLinkIO:
    """``fastlink.LinkIO`` on Thonny's connection (its reader thread keeps reading)."""

    def __init__(self, backend: Any) -> None:
        self.backend = backend

    @property
    def connection(self) -> Any:
        return self.backend.compat.connection

    def write(self, data: bytes) -> None:
        self.connection.write(data)

    def read_until(self, pattern, timeout: float) -> bytes:
        return bytes(self.connection.soft_read_until(pattern, timeout))

    def read_exactly(self, size: int, timeout: float) -> bytes:
        return bytes(self.connection.soft_read(size, timeout))

    def discard_input(self) -> None:
        time.sleep(0.005)
        self.connection.read_all(check_error=False)

    def set_baud(self, baud: int) -> None:
        self.backend._esp32cam_set_host_rate(baud)


class FastLinkMixin:
    _esp32cam_link_rate = fastlink.BOOT_BAUD
    _esp32cam_relocked: Optional[int] = None
    _esp32cam_said_unsupported = False

    # --- connecting -----------------------------------------------------------------------
    def esp32cam_connecting(self, interrupt: bool) -> None:
        self._esp32cam_io_lock = threading.RLock()
        self._esp32cam_setup_link()
        self._esp32cam_guarded(self._esp32cam_find_board, interrupt)
        super().esp32cam_connecting(interrupt)  # type: ignore[misc]

    def esp32cam_first_prompt(self) -> None:
        super().esp32cam_first_prompt()  # type: ignore[misc]
        if self._esp32cam_link_rate != fastlink.BOOT_BAUD:
            self._esp32cam_guarded(self._esp32cam_renegotiate, "reconnected at the remembered rate")
        else:
            self._esp32cam_guarded(self._esp32cam_negotiate)

    def _esp32cam_guarded(self, step: Any, *args: Any) -> None:
        """A failed speed-up leaves a working 115200 link, never a failed connection."""
        try:
            step(*args)
        except ConnectionError:
            raise
        except Exception:
            logger.exception("Fast link step %s failed; staying at %d baud", step.__name__,
                             self._esp32cam_link_rate)
            try:
                self.compat.connection.set_text_mode(True)  # type: ignore[attr-defined]
            except Exception:
                pass

    def _esp32cam_setup_link(self) -> None:
        args = self.compat.launch_args() or {}  # type: ignore[attr-defined]
        self._esp32cam_port = str(args.get("port") or "")
        try:
            self._esp32cam_setting = fastlink.parse_setting(args.get(SETTING_ARG, "auto"))
        except ValueError as error:
            logger.warning("%s; using auto", error)
            self._esp32cam_setting = fastlink.SpeedSetting("auto")
        self._esp32cam_adapter, self._esp32cam_cap = fastlink.adapter_cap(self._esp32cam_port)
        connection = self.compat.connection  # type: ignore[attr-defined]
        if self._esp32cam_setting.mode != "off" and self._esp32cam_adapter != fastlink.NATIVE_USB \
                and hasattr(connection, "link_watch"):
            connection.start_link_watch(LinkWatch(
                self._esp32cam_set_port_rate, on_relock=self._esp32cam_on_relock, on_lost=self._esp32cam_on_lost,
                poke=lambda: connection.poke(POKE), probe_rom=lambda: connection.poke(SYNC_FRAME),
                on_download_mode=self._esp32cam_on_download_mode))

    def _esp32cam_find_board(self, interrupt: bool) -> None:
        """After Thonny was killed while the board ran fast: find it at the remembered rate."""
        left_at = fastlink.left_fast_rate(_load_store(), self._esp32cam_port)
        if left_at is None:
            return
        connection = self.compat.connection  # type: ignore[attr-defined]
        for rate in (fastlink.BOOT_BAUD, left_at):
            self._esp32cam_set_host_rate(rate)
            connection.read_all(check_error=False)
            connection.write((b"\x03" if interrupt else b"") + b"\x02")
            seen = connection.soft_read_until(b">>> ", PROBE_WAIT)
            if seen.endswith(b">>> "):
                logger.info("Board found at %d baud", rate)
                self._esp32cam_link_rate = rate
                connection.unread(seen)
                return
        self._esp32cam_set_host_rate(fastlink.BOOT_BAUD)

    # --- negotiating ------------------------------------------------------------------------
    def _esp32cam_negotiate(self, current: Optional[int] = None) -> None:
        if self._esp32cam_adapter == fastlink.NATIVE_USB:
            self._esp32cam_announce(fastlink.Result(fastlink.BOOT_BAUD), "USB-Serial/JTAG: no line rate")
            return
        current = current or self._esp32cam_link_rate
        store = _load_store()
        rates = fastlink.candidate_rates(self._esp32cam_setting, self._esp32cam_cap,
                                         fastlink.remembered_rate(store, self._esp32cam_port, self._esp32cam_adapter))
        if not rates:
            self._esp32cam_announce(fastlink.Result(current), "115200 only (setting)")
            return
        connection = self.compat.connection  # type: ignore[attr-defined]
        negotiator = self._esp32cam_negotiator()
        with binary_io(connection):
            result = negotiator.negotiate(rates, current)
        self._esp32cam_link_rate = result.rate
        if connection.link_watch is not None:
            connection.link_watch.agreed(result.rate)
        _save_store(self._esp32cam_port, self._esp32cam_adapter, result.rate, result.rate if result.fast else None)
        self._esp32cam_announce(result, fastlink.describe(result, self._esp32cam_adapter))

    def _esp32cam_renegotiate(self, why: str) -> None:
        logger.info("Renegotiating the link (%s) from %d baud", why, self._esp32cam_link_rate)
        if self._esp32cam_link_rate != fastlink.BOOT_BAUD:
            # back to the boot rate first: the ladder is then tried from a known start
            try:
                self._esp32cam_restore()
            except fastlink.LinkLost:
                logger.warning("No prompt after going back to 115200")
        self._esp32cam_negotiate()

    def _esp32cam_negotiator(self) -> fastlink.Negotiator:
        """A negotiator on Thonny's connection; the board is put at its raw prompt first."""
        self.compat.ensure_raw_mode()  # type: ignore[attr-defined]
        return fastlink.Negotiator(ThonnyLinkIO(self), self._esp32cam_submit, log=logger.info)

    def _esp32cam_restore(self) -> bool:
        """The board (idle at a prompt) back at 115200; True when both sides are there."""
        negotiator = self._esp32cam_negotiator()
        with binary_io(self.compat.connection):  # type: ignore[attr-defined]
            restored = negotiator.restore(self._esp32cam_link_rate)
        if restored:
            self._esp32cam_link_rate = fastlink.BOOT_BAUD
        return restored

    def _esp32cam_submit(self, code: str) -> None:
        """Thonny's own submission (raw-paste, or raw on firmware without it); the output
        that follows is read as bytes (raw-paste switched text mode back on)."""
        self.compat.submit_code(code)  # type: ignore[attr-defined]
        self.compat.connection.set_text_mode(False)  # type: ignore[attr-defined]

    def _esp32cam_set_host_rate(self, rate: int) -> None:
        self._esp32cam_set_port_rate(rate)
        watch = getattr(self.compat.connection, "link_watch", None)  # type: ignore[attr-defined]
        if watch is not None:
            watch.rate = rate

    def _esp32cam_set_port_rate(self, rate: int) -> None:
        logger.debug("Host rate -> %d", rate)
        set_rate = getattr(self.compat.connection, "set_rate", None)  # type: ignore[attr-defined]
        if set_rate is not None:
            set_rate(rate)

    def _esp32cam_announce(self, result: fastlink.Result, text: str) -> None:
        logger.info("Serial link: %s", text)
        if result.unsupported and not self._esp32cam_said_unsupported:
            self._esp32cam_said_unsupported = True
            self.compat.send_output(  # type: ignore[attr-defined]
                "[ESP32-CAM] This firmware keeps its REPL at 115200 baud (%s); everything works, "
                "only slower. MicroPython 1.19 or newer can run faster.\n" % result.unsupported, "stderr")
        self.compat.send_event(BackendEvent(backend_commands.LINK_RATE_EVENT, rate=result.rate,  # type: ignore[attr-defined]
                                       adapter=self._esp32cam_adapter, text=text,
                                       unsupported=bool(result.unsupported)))

    # --- staying in sync ----------------------------------------------------------------------
    def _esp32cam_on_relock(self, rate: int) -> None:
        """Reader thread: text reads clean again at ``rate`` (board reset, or a program's UART call)."""
        logger.info("Link found again at %d baud", rate)
        self._esp32cam_link_rate = rate
        self._esp32cam_relocked = rate

    def _esp32cam_on_lost(self) -> None:
        logger.warning("The board is not readable at any known rate")
        self.compat.send_output(  # type: ignore[attr-defined]
            "\n[ESP32-CAM] The board does not answer at any serial speed the plug-in knows, nor as a "
            "bootloader: a program probably changed its speed with machine.UART(0, ...). Press the "
            "board's RST button: it starts at 115200 and the link comes back by itself.\n", "stderr")

    def _esp32cam_on_download_mode(self) -> None:
        """Watch thread: the ROM bootloader answered a SYNC at 115200; the Shell hint says
        what to do (the boot log that would have said so passed before the host followed)."""
        logger.warning("The ROM bootloader answered: the board is in download mode")
        self.compat.send_event(BackendEvent(backend_commands.BOARD_FINDING_EVENT,  # type: ignore[attr-defined]
                                       code="download_mode", evidence="the ROM bootloader answered a SYNC request"))

    def _esp32cam_check_link(self) -> None:
        relocked, self._esp32cam_relocked = self._esp32cam_relocked, None
        if relocked is None or self._esp32cam_setting.mode == "off":
            if relocked is not None:
                self._esp32cam_announce(fastlink.Result(relocked), "%d baud" % relocked)
            return
        self._esp32cam_renegotiate("the board's rate changed to %d" % relocked)

    def esp32cam_busy(self) -> Any:
        """Held while a command, idle task, input or soft reboot runs: _esp32cam_leave sees "busy"."""
        return self._esp32cam_io_lock

    def esp32cam_before_command(self) -> None:
        self._esp32cam_guarded(self._esp32cam_check_link)
        super().esp32cam_before_command()  # type: ignore[misc]

    # --- letting go ---------------------------------------------------------------------------
    def _esp32cam_leave(self) -> None:
        """Board back at 115200 before the port closes (called from the command reader thread)."""
        rate = self._esp32cam_link_rate
        if rate == fastlink.BOOT_BAUD:
            _save_store(self._esp32cam_port, self._esp32cam_adapter, None, None)
            return
        lock = getattr(self, "_esp32cam_io_lock", None)
        if lock is None or not lock.acquire(timeout=0.5):
            logger.info("Board busy: leaving it at %d baud (remembered for the next connect)", rate)
            return
        try:
            if self._esp32cam_restore():
                self.compat.connection.write(b"\x02")  # type: ignore[attr-defined]  # the friendly REPL, as found
                _save_store(self._esp32cam_port, self._esp32cam_adapter, rate, None)
        except Exception:
            logger.warning("Could not put the board back at 115200 (busy, reset or in download mode)", exc_info=True)
        finally:
            lock.release()

    def esp32cam_before_disconnect(self) -> None:
        self._esp32cam_leave()  # in the main loop, which holds the (re-entrant) lock
        super().esp32cam_before_disconnect()  # type: ignore[misc]


@contextlib.contextmanager
def binary_io(connection: Any):
    """Bytes as they come (no UTF-8 hold-back, no ENQ handling) and no noise judging:
    for the plug-in's own binary exchanges on Thonny's connection."""
    paused = getattr(connection, "watch_paused", None)
    with paused() if paused else contextlib.nullcontext():
        connection.set_text_mode(False)
        try:
            yield
        finally:
            connection.set_text_mode(True)


# --- remembered rates (the plug-in's folder in Thonny's user folder) --------------------------

def _store_path() -> str:
    return os.path.join(plugin_user_dir(), STORE_NAME)


def _load_store() -> dict:
    try:
        with open(_store_path(), encoding="utf-8") as f:
            data = json.load(f)
        return data if isinstance(data, dict) else {}
    except (OSError, ValueError):
        return {}


def _save_store(port: str, adapter: str, rate: Optional[int], left_fast: Optional[int]) -> None:
    """Remember the port's good rate and whether the board is left running at it."""
    if not port:
        return
    store = _load_store()
    entry = store.get(port) if isinstance(store.get(port), dict) else {}
    entry = dict(entry, adapter=adapter, left_fast=bool(left_fast))
    if rate:
        entry["rate"] = rate
    store[port] = entry
    path = _store_path()
    try:
        os.makedirs(os.path.dirname(path), exist_ok=True)
        tmp = path + ".tmp"
        with open(tmp, "w", encoding="utf-8") as f:
            json.dump(store, f, indent=1, sort_keys=True)
        os.replace(tmp, path)
    except OSError:
        logger.warning("Could not remember the link rate in %s", path, exc_info=True)
