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
  cannot be asked: the rate is remembered (``backend.link_store``) and the next
  connect probes it.

Staying in sync and letting go are ``backend.link_keeping``'s.
"""
from __future__ import annotations

import contextlib
import threading
import time
from logging import getLogger
from typing import Any, Optional

from thonny.common import BackendEvent

from thonnycontrib.esp32cam.backend import link_store
from thonnycontrib.esp32cam.core import backend_commands, fastlink
from thonnycontrib.esp32cam.core.linkwatch import POKE, LinkWatch
from thonnycontrib.esp32cam.core.serialprobe import SYNC_FRAME
from thonnycontrib.esp32cam.core.i18n import _

logger = getLogger("thonnycontrib.esp32cam.backend.fast_link")

SETTING_ARG = "esp32cam_serial_speed"
WEBREPL_PORT = "webrepl"  # Thonny's port value for its WebREPL connection (mp_front.WEBREPL_PORT_VALUE)
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
    _esp32cam_said_unsupported = False
    _esp32cam_over_air = False  # WebREPL: no UART between Thonny and the board, no rate to choose

    # --- connecting -----------------------------------------------------------------------
    def esp32cam_connecting(self, interrupt: bool) -> None:
        self._esp32cam_io_lock = threading.RLock()
        self._esp32cam_setup_link()
        if not self._esp32cam_over_air:
            self._esp32cam_guarded(self._esp32cam_find_board, interrupt)
        super().esp32cam_connecting(interrupt)  # type: ignore[misc]

    def esp32cam_first_prompt(self) -> None:
        super().esp32cam_first_prompt()  # type: ignore[misc]
        if self._esp32cam_over_air:
            # changing UART0's rate over WebREPL would only cut off a cable user
            logger.info("Connected over WebREPL: no serial link to speed up")
        elif self._esp32cam_link_rate != fastlink.BOOT_BAUD:
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
        self._esp32cam_over_air = self._esp32cam_port == WEBREPL_PORT
        try:
            self._esp32cam_setting = fastlink.parse_setting(args.get(SETTING_ARG, "auto"))
        except ValueError as error:
            logger.warning("%s; using auto", error)
            self._esp32cam_setting = fastlink.SpeedSetting("auto")
        self._esp32cam_adapter, self._esp32cam_cap = fastlink.adapter_cap(self._esp32cam_port)
        connection = self.compat.connection  # type: ignore[attr-defined]
        if not self._esp32cam_over_air and self._esp32cam_setting.mode != "off" and self._esp32cam_adapter != fastlink.NATIVE_USB \
                and hasattr(connection, "link_watch"):
            connection.start_link_watch(LinkWatch(
                self._esp32cam_set_port_rate, on_relock=self._esp32cam_on_relock, on_lost=self._esp32cam_on_lost,
                poke=lambda: connection.poke(POKE), probe_rom=lambda: connection.poke(SYNC_FRAME),
                on_download_mode=self._esp32cam_on_download_mode))

    def _esp32cam_find_board(self, interrupt: bool) -> None:
        """After Thonny was killed while the board ran fast: find it at the remembered rate."""
        left_at = fastlink.left_fast_rate(link_store.load_store(), self._esp32cam_port)
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
            self._esp32cam_announce(fastlink.Result(fastlink.BOOT_BAUD), _(
                    "USB-Serial/JTAG: no line rate"))
            return
        current = current or self._esp32cam_link_rate
        store = link_store.load_store()
        rates = fastlink.candidate_rates(self._esp32cam_setting, self._esp32cam_cap,
                                         fastlink.remembered_rate(store, self._esp32cam_port, self._esp32cam_adapter))
        if not rates:
            self._esp32cam_announce(fastlink.Result(current), _("115200 only (setting)"))
            return
        connection = self.compat.connection  # type: ignore[attr-defined]
        negotiator = self._esp32cam_negotiator()
        with binary_io(connection):
            result = negotiator.negotiate(rates, current)
        self._esp32cam_link_rate = result.rate
        if connection.link_watch is not None:
            connection.link_watch.agreed(result.rate)
        link_store.save_store(self._esp32cam_port, self._esp32cam_adapter, result.rate, result.rate if result.fast else None)
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
                "[ESP32-CAM] " + _("This firmware keeps its REPL at 115200 baud ({reason}); "
                                   "everything works, only slower. MicroPython 1.19 or newer "
                                   "can run faster.").format(
                                       reason=result.unsupported) + "\n", "stderr")
        self.compat.send_event(BackendEvent(backend_commands.LINK_RATE_EVENT, rate=result.rate,  # type: ignore[attr-defined]
                                       adapter=self._esp32cam_adapter, text=text,
                                       unsupported=bool(result.unsupported)))


@contextlib.contextmanager
def binary_io(connection: Any, over_air: bool = False):
    """Bytes as they come (no UTF-8 hold-back, no ENQ handling) and no noise judging:
    for the plug-in's own binary exchanges on Thonny's connection. Over WebREPL
    (``over_air``) the text mode stays on: it makes Thonny's WebREPL connection send text
    frames, and the board's WebREPL takes a binary frame for a file-transfer request
    (extmod/modwebrepl.c), so REPL input must go as text."""
    paused = getattr(connection, "watch_paused", None)
    with paused() if paused else contextlib.nullcontext():
        if over_air:
            yield
            return
        connection.set_text_mode(False)
        try:
            yield
        finally:
            connection.set_text_mode(True)
