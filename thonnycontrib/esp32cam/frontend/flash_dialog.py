"""Tools → "Install MicroPython for ESP32-CAM…": Thonny dialog around the core installer.

The work (download, inspection, esptool) runs in a thread (``frontend.install_run``); it
talks to the dialog only through WorkDialog's thread-safe queue (``append_text``,
``report_progress``, ``set_action_text`` and the ``post_work_event`` events below).
Where the firmware comes from besides the catalog: ``frontend.firmware_sources``.
"""
from __future__ import annotations

import threading
import tkinter as tk
from tkinter import ttk
from typing import Optional

from thonny import get_runner, get_workbench
from thonny.ui_utils import MappingCombobox, ems_to_pixels, show_dialog

from thonnycontrib.esp32cam import BACKEND_NAME
from thonnycontrib.esp32cam.core import boards
from thonnycontrib.esp32cam.core.catalog import Build, load_catalog
from thonnycontrib.esp32cam.core.download import installer_dir
from thonnycontrib.esp32cam.core.flash_messages import DOWNLOAD_MODE_HELP, download_mode_help
from thonnycontrib.esp32cam.core.flasher import FlashOptions
from thonnycontrib.esp32cam.core.i18n import _
from thonnycontrib.esp32cam.core.prepare import PreparedImage, prepare_build
from thonnycontrib.esp32cam.core import sensors
from thonnycontrib.esp32cam.core.contrast import WARNING, marked
from thonnycontrib.esp32cam.frontend.advanced_flash_options import AdvancedFlashOptions
from thonnycontrib.esp32cam.frontend.firmware_choice import FirmwareChoiceMixin
from thonnycontrib.esp32cam.frontend.firmware_sources import CATALOG_URL_OPTION, FirmwareSourcesMixin
from thonnycontrib.esp32cam.frontend.files_question import ask_about_files
from thonnycontrib.esp32cam.frontend.fit import at_least
from thonnycontrib.esp32cam.frontend.install_run import REASON_EVENT, InstallRun
from thonnycontrib.esp32cam.frontend.keyboard import bind_work_dialog_keys
from thonnycontrib.esp32cam.frontend.progress_style import apply_visible_bar
from thonnycontrib.esp32cam.frontend.readable_styles import readable_window
from thonnycontrib.esp32cam.frontend.scrolling import LogReason, OnScreenKeeper
from thonnycontrib.esp32cam.frontend import theme_colors
from thonnycontrib.esp32cam.frontend.wifi_entry import WifiOfferMixin
from thonnycontrib.esp32cam.thonny_compat import front, user_dir

__all__ = ["CATALOG_URL_OPTION", "FirmwareInstallerDialog", "open_installer"]


class FirmwareInstallerDialog(FirmwareChoiceMixin, FirmwareSourcesMixin, WifiOfferMixin, front.work_dialog_base()):
    def __init__(self, master, port: Optional[str] = None,
                 board_facts: Optional[sensors.BoardFacts] = None) -> None:
        self._initial_port = port
        self._board_facts = board_facts  # chip, PSRAM, sensor found by the doctor or camera view
        self._catalog = load_catalog(installer_dir(user_dir()))
        self._local_image: Optional[PreparedImage] = None
        self._cancel_event = threading.Event()
        self._install = InstallRun(self, self._cancel_event)
        self._needs_manual_boot = False
        super().__init__(master)
        self.minsize(ems_to_pixels(48), ems_to_pixels(20))
        bind_work_dialog_keys(self)  # Enter: Install (Retry); Escape: WorkDialog's own Cancel
        if board_facts is None:
            self._ask_board_facts()
        # log shown, advanced options open: the log gives up lines, then the dialog moves up
        self._on_screen = OnScreenKeeper(readable_window(self), self.log_text.text)  # + readable styles
        self._reason = LogReason(self.log_text.text)  # shown when an install failed

    # --- WorkDialog hooks -------------------------------------------------
    def get_title(self) -> str:
        return _("Install MicroPython camera firmware (ESP32-CAM)")

    def get_ok_text(self) -> str:
        return _("Install")

    def get_instructions(self) -> Optional[str]:
        return _("Installs MicroPython with a camera driver on an ESP32-CAM through its "
                 "USB-serial\nadapter or ESP32-CAM-MB. Downloads are checked (SHA-256) before use.")

    def get_action_text_max_length(self) -> int:
        return 60

    def has_action_menu(self) -> bool:
        return True

    def get_initial_log_line_count(self) -> int:
        return 8

    def populate_main_frame(self) -> None:
        pad = self.get_large_padding()
        frame = self.main_frame
        self.progress_bar().configure(length=ems_to_pixels(12))  # a determinate bar worth seeing
        apply_visible_bar(self.progress_bar())
        frame.columnconfigure(1, weight=1)

        ttk.Label(frame, text=_("Port")).grid(row=0, column=0, sticky="w", padx=(pad, 0),
                                              pady=(pad, 0))
        self.port_combo = ttk.Combobox(frame, values=self._port_choices(), width=40)
        self.port_combo.grid(row=0, column=1, sticky="we", padx=pad, pady=(pad, 0))
        self.port_combo.set(self._default_port())
        button_width = at_least(len(_("Select local file…")) + 1)  # the two buttons of the right column
        self.tray_button = ttk.Button(frame, text=_("All boards…"), command=self.open_tray,
                                      width=button_width)
        self.tray_button.grid(row=0, column=2, sticky="we", padx=(pad / 3, pad), pady=(pad, 0))

        ttk.Label(frame, text=_("Board")).grid(row=1, column=0, sticky="w", padx=(pad, 0),
                                               pady=(pad / 2, 0))
        self.board_combo = MappingCombobox(
            frame, mapping={p.title: p.key for p in boards.PROFILES.values()}, exportselection=False,
            width=40)
        self.board_combo.grid(row=1, column=1, sticky="we", padx=pad, pady=(pad / 2, 0))
        self.board_combo.select_value(boards.get_profile(
            get_workbench().get_option(boards.OPTION_NAME)).key)
        self.board_combo.bind("<<ComboboxSelected>>", lambda e: self._fill_builds(), True)

        ttk.Label(frame, text=_("Firmware")).grid(row=2, column=0, sticky="w", padx=(pad, 0),
                                                  pady=(pad / 2, 0))
        self.build_combo = MappingCombobox(frame, mapping={}, exportselection=False, width=40)  # dev head: mapping required
        self.build_combo.grid(row=2, column=1, sticky="we", padx=(pad, 0), pady=(pad / 2, 0))
        self.build_combo.bind("<<ComboboxSelected>>", lambda e: self._on_build_selected(), True)
        self.local_button = ttk.Button(frame, text=_("Select local file…"),
                                       command=self.choose_local_file, width=button_width)
        self.local_button.grid(row=2, column=2, sticky="we", padx=(pad / 3, pad), pady=(pad / 2, 0))

        self.info_label = ttk.Label(frame, text="", justify="left", wraplength=ems_to_pixels(60))
        self.info_label.grid(row=3, column=0, columnspan=3, sticky="we", padx=pad, pady=(pad / 2, 0))

        self.erase_var = tk.BooleanVar(value=False)  # off: only what differs is written, files kept
        ttk.Checkbutton(frame, text=_("Erase the whole flash first (also deletes the board's "
                                      "files)"),
                        variable=self.erase_var).grid(row=4, column=0, columnspan=3, sticky="w", padx=pad, pady=(pad / 2, 0))
        self.advanced_var = tk.BooleanVar(value=False)
        ttk.Checkbutton(frame, text=_("Advanced options"), variable=self.advanced_var,
                        command=self._toggle_advanced).grid(row=5, column=0, columnspan=3,
                                                            sticky="w", padx=pad)
        self.advanced_frame = AdvancedFlashOptions(frame)

        self.guidance_label = ttk.Label(frame, text="", justify="left", wraplength=ems_to_pixels(60),
                                        style=theme_colors.themed(frame, theme_colors.WARNING))
        self.guidance_label.grid(row=7, column=0, columnspan=3, sticky="we", padx=pad, pady=(pad / 2, 0))
        self._fill_builds()
        if self._catalog.problem:
            self.guidance_label.configure(text=marked(WARNING, self._catalog.problem))

    def _toggle_advanced(self) -> None:
        self.advanced_frame.set_shown(self.advanced_var.get(), padx=self.get_large_padding() * 2)

    def is_ready_for_work(self) -> bool:
        return bool(self.port_combo.get().strip()) and (
            self._local_image is not None or self.build_combo.get_selected_value() is not None)

    # --- work ---------------------------------------------------------------
    def start_work(self):
        port = self.port_combo.get().strip()
        build: Optional[Build] = self.build_combo.get_selected_value()
        local = self._local_image
        options = FlashOptions(port=port, chip=build.chip if build and not local else local.chip,
                               erase=self.erase_var.get(), **self.advanced_frame.chosen())
        self.clear_log()
        self._reason.index = None
        self.show_log_frame()
        self.guidance_label.configure(text="")
        self._cancel_event.clear()
        backend_proc = release_port(self, port)
        cache = self._firmware_cache()  # options are read here, on Tk's thread
        threading.Thread(target=lambda: self.report_done(self._install.run(build, local, options, backend_proc, cache)),
                         daemon=True, name="esp32cam-installer").start()
        return True

    def handle_work_event(self, type, args):
        if type == REASON_EVENT:
            self._reason.mark()
        elif type == "guidance":
            self.guidance_label.configure(text=marked(WARNING, args[0]))
            self._needs_manual_boot = args[0] in (DOWNLOAD_MODE_HELP, download_mode_help())
            if self._needs_manual_boot:
                self.advanced_frame.manual_boot_var.set(True)
                self.advanced_var.set(True)
                self._toggle_advanced()
                self.ok_button().configure(text=_("Retry (board in download mode)"))
        elif type == "files-question":  # the install would erase the board's files: ask first
            ask_about_files(self, *args)
        elif type == "reconnect":
            reconnect_thonny(args[0])
        elif type == "restore":
            self.append_text(_("Thonny is connected to the board again.") + "\n")
            get_runner().restart_backend(clean=False)
        elif type == "catalog":
            if isinstance(args[0], str):  # the reason it was not refreshed
                self.info_label.configure(text=args[0])
            else:
                self._catalog = args[0]
                self._fill_builds()
        else:
            super().handle_work_event(type, args)

    def on_done(self, success):
        super().on_done(success)
        self._finished(success)  # the bar full (WorkDialog's stop() empties it), Set up Wi-Fi…
        if not success:  # with advanced options open on a small screen the log has few lines
            self._reason.show()

    def cancel_work(self):
        super().cancel_work()
        self._cancel_event.set()
        flasher = self._install.flasher
        if flasher is not None:
            threading.Thread(target=flasher.cancel, daemon=True).start()

    # --- several boards (frontend.classroom_dialog) ------------------------------
    def tray_choice(self):
        """What the tray installs: (title, get_image(say), FlashJob options) from this
        dialog's choices, or None when nothing is chosen."""
        build: Optional[Build] = self.build_combo.get_selected_value()
        local = self._local_image
        if build is None and local is None:
            return None
        cache = self._firmware_cache()  # options are read here, on Tk's thread

        def get_image(say):
            if local is not None:
                return local
            say(_("Getting {title}…").format(title=build.title))
            return prepare_build(build, cache, log=say)

        options = dict(erase=self.erase_var.get(), work_dir=str(cache.dir), **self.advanced_frame.chosen())
        return (local.path.name if local is not None else build.title), get_image, options

    def open_tray(self) -> None:
        """Hand the chosen build over to the several-boards window (this dialog closes)."""
        from thonnycontrib.esp32cam.frontend.classroom_dialog import install_tray

        choice = self.tray_choice()
        if choice is None:
            self.info_label.configure(text=_("Choose a build or a local file first."))
            return
        master = self.master
        self.destroy()
        self.tray = install_tray(master, *choice)
        show_dialog(self.tray, master)


def release_port(dialog: FirmwareInstallerDialog, port: str):
    """Disconnect Thonny's back-end if it holds ``port``; returns its process."""
    proxy = get_runner().get_backend_proxy() if get_runner() else None
    if proxy is None or front.proxy_port(proxy) != port:
        return None
    proc = front.proxy_process(proxy)
    dialog.append_text(_("Disconnecting Thonny from {port}…").format(port=port) + "\n")
    proxy.disconnect()
    return proc


def reconnect_thonny(port: str) -> None:
    """Land the user at the new prompt: ESP32-CAM interpreter on this port."""
    wb = get_workbench()
    wb.set_option(f"{BACKEND_NAME}.port", port)
    wb.set_option("run.backend_name", BACKEND_NAME)
    get_runner().restart_backend(clean=True)


def open_installer(master: Optional[tk.Misc] = None,
                   board_facts: Optional[sensors.BoardFacts] = None) -> None:
    master = master or get_workbench()
    show_dialog(FirmwareInstallerDialog(master, board_facts=board_facts), master)
