"""Keeping the fast serial link (``backend.fast_link`` negotiates it) in Thonny's back-end:

- a ``LinkWatch`` in the connection's reader notices noise (the board was reset, or a
  program changed UART0's rate), finds the board's rate again and the next command
  renegotiates;
- when Thonny lets go of the port an idle board is put back at 115200 first; a busy one
  is left as it is, its rate remembered (``backend.link_store``) for the next connect.

Mixed into ``Esp32CamBackend`` next to ``FastLinkMixin``, whose state and steps it uses.
"""
from __future__ import annotations

from logging import getLogger
from typing import Any, Optional

from thonny.common import BackendEvent

from thonnycontrib.esp32cam.backend import link_store
from thonnycontrib.esp32cam.core import backend_commands, fastlink
from thonnycontrib.esp32cam.core.i18n import _

logger = getLogger("thonnycontrib.esp32cam.backend.fast_link")


class LinkKeepingMixin:
    _esp32cam_relocked: Optional[int] = None

    # --- staying in sync ----------------------------------------------------------------------
    def _esp32cam_on_relock(self, rate: int) -> None:
        """Reader thread: text reads clean again at ``rate`` (board reset, or a program's UART call)."""
        logger.info("Link found again at %d baud", rate)
        self._esp32cam_link_rate = rate
        self._esp32cam_relocked = rate

    def _esp32cam_on_lost(self) -> None:
        logger.warning("The board is not readable at any known rate")
        self.compat.send_output(  # type: ignore[attr-defined]
            "\n[ESP32-CAM] " + _("The board does not answer at any serial speed the plug-in "
                                 "knows, nor as a bootloader: a program probably changed its "
                                 "speed with machine.UART(0, ...). Press the board's RST "
                                 "button: it starts at 115200 and the link comes back by itself.") + "\n", "stderr")

    def _esp32cam_on_download_mode(self) -> None:
        """Watch thread: the ROM bootloader answered a SYNC at 115200; the Shell hint says
        what to do (the boot log that would have said so passed before the host followed)."""
        logger.warning("The ROM bootloader answered: the board is in download mode")
        self.compat.send_event(BackendEvent(backend_commands.BOARD_FINDING_EVENT,  # type: ignore[attr-defined]
                                       code="download_mode", evidence=_(
                                               "the ROM bootloader answered a SYNC request")))

    def _esp32cam_check_link(self) -> None:
        relocked, self._esp32cam_relocked = self._esp32cam_relocked, None
        if relocked is None or self._esp32cam_setting.mode == "off":
            if relocked is not None:
                self._esp32cam_announce(fastlink.Result(relocked), _(
                        "{rate} baud").format(rate=relocked))
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
        if getattr(self, "_esp32cam_over_air", False):
            return  # WebREPL: the board's UART was never touched
        if rate == fastlink.BOOT_BAUD:
            link_store.save_store(self._esp32cam_port, self._esp32cam_adapter, None, None)
            return
        lock = getattr(self, "_esp32cam_io_lock", None)
        if lock is None or not lock.acquire(timeout=0.5):
            logger.info("Board busy: leaving it at %d baud (remembered for the next connect)", rate)
            return
        try:
            if self._esp32cam_restore():
                self.compat.connection.write(b"\x02")  # type: ignore[attr-defined]  # the friendly REPL, as found
                link_store.save_store(self._esp32cam_port, self._esp32cam_adapter, rate, None)
        except Exception:
            logger.warning("Could not put the board back at 115200 (busy, reset or in download mode)", exc_info=True)
        finally:
            lock.release()

    def esp32cam_before_disconnect(self) -> None:
        self._esp32cam_leave()  # in the main loop, which holds the (re-entrant) lock
        super().esp32cam_before_disconnect()  # type: ignore[misc]
