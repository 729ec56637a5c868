"""Tools → "Install MicroPython for ESP32-CAM…": Thonny dialog around the core installer.

The work (download, inspection, esptool) runs in a thread; it talks to the
dialog only through WorkDialog's thread-safe queue (``append_text``,
``report_progress``, ``set_action_text`` and the ``_post`` events below).
"""
from __future__ import annotations

import os
import sys
import threading
import tkinter as tk
from logging import getLogger
from tkinter import filedialog, ttk
from typing import Any, Dict, List, Optional

from thonny import get_runner, get_sys_path_directory_containg_plugins, get_workbench
from thonny.ui_utils import MappingCombobox, ems_to_pixels, show_dialog

from thonnycontrib.esp32cam import BACKEND_NAME
from thonnycontrib.esp32cam.core import backend_commands, boards
from thonnycontrib.esp32cam.core.catalog import Build, CatalogError, load_catalog, refresh_catalog
from thonnycontrib.esp32cam.core.download import DownloadCancelled, DownloadError, firmware_cache, installer_dir
from thonnycontrib.esp32cam.core.esptool_cmd import EsptoolMissing, find_esptool
from thonnycontrib.esp32cam.core.flasher import DOWNLOAD_MODE_HELP, PSRAM_MISMATCH, FlashOptions
from thonnycontrib.esp32cam.core.install import CHECKING, Installer
from thonnycontrib.esp32cam.core.image import ImageError
from thonnycontrib.esp32cam.core.prepare import PreparedImage, prepare_build, prepare_file
from thonnycontrib.esp32cam.core import sensors
from thonnycontrib.esp32cam.frontend.scrolling import OnScreenKeeper
from thonnycontrib.esp32cam.thonny_compat import front, user_dir

logger = getLogger(__name__)

CATALOG_URL_OPTION = f"{BACKEND_NAME}.catalog_url"
MIRROR_OPTION = f"{BACKEND_NAME}.firmware_mirror"  # folder of <sha256>.bin, see core.download
AUTO = "auto"
BAUD_CHOICES = {"automatic (460800 → 115200 → 38400)": None, "460800": 460800,
                "230400": 230400, "115200": 115200, "38400": 38400}
KEEP = {"from the image": None}
UNTOUCHED = "Nothing was written: the board is as it was."


class FirmwareInstallerDialog(front.work_dialog_base()):
    def __init__(self, master, port: Optional[str] = None,
                 board_facts: Optional[sensors.BoardFacts] = None) -> None:
        self._initial_port = port
        self._board_facts = board_facts  # chip, PSRAM, sensor found by the doctor or camera view
        self._catalog = load_catalog(installer_dir(user_dir()))
        self._local_image: Optional[PreparedImage] = None
        self._flasher: Optional[Installer] = None
        self._psram_warned: Optional[tuple] = None  # (port, sha256) of an install refused for its PSRAM
        self._cancel_event = threading.Event()
        self._needs_manual_boot = False
        self._disconnected_backend = False
        super().__init__(master)
        self.minsize(ems_to_pixels(48), ems_to_pixels(20))
        if board_facts is None:
            self._ask_board_facts()
        # log shown, advanced options open: the log gives up lines, then the dialog moves up
        self._on_screen = OnScreenKeeper(self, self.log_text.text)

    # --- WorkDialog hooks -------------------------------------------------
    def get_title(self) -> str:
        return "Install MicroPython camera firmware (ESP32-CAM)"

    def get_ok_text(self) -> str:
        return "Install"

    def get_instructions(self) -> Optional[str]:
        return ("Installs MicroPython with a camera driver on an ESP32-CAM through its USB-serial\n"
                "adapter or ESP32-CAM-MB. Downloads are checked (SHA-256) before use.")

    def get_action_text_max_length(self) -> int:
        return 60

    def has_action_menu(self) -> bool:
        return True

    def populate_action_menu(self, menu: tk.Menu) -> None:
        url = get_workbench().get_option(CATALOG_URL_OPTION) or ""
        menu.add_command(label="Select local file…", command=self.choose_local_file)
        menu.add_command(label="Refresh catalog" + (f" from {url}" if url else " (set a URL first)"),
                         command=self.refresh_catalog,
                         state="normal" if url.startswith("https://") else "disabled")
        menu.add_command(label="Install on several boards…", command=self.open_tray)
        menu.add_command(label="Open firmware cache folder", command=self._open_cache_folder)
        mirror = get_workbench().get_option(MIRROR_OPTION) or ""
        menu.add_command(label="Firmware mirror folder…" + (f" ({mirror})" if mirror else ""),
                         command=self.choose_mirror)

    def get_initial_log_line_count(self) -> int:
        return 8

    def populate_main_frame(self) -> None:
        pad = self.get_large_padding()
        frame = self.main_frame
        self.progress_bar().configure(length=ems_to_pixels(12))  # a determinate bar worth seeing
        frame.columnconfigure(1, weight=1)

        ttk.Label(frame, text="Port").grid(row=0, column=0, sticky="w", padx=(pad, 0), pady=(pad, 0))
        self.port_combo = ttk.Combobox(frame, values=self._port_choices(), width=40)
        self.port_combo.grid(row=0, column=1, sticky="we", padx=pad, pady=(pad, 0))
        self.port_combo.set(self._default_port())
        self.tray_button = ttk.Button(frame, text="All boards…", command=self.open_tray,
                                      width=len("Select local file…") + 1)
        self.tray_button.grid(row=0, column=2, sticky="e", padx=(pad / 3, pad), pady=(pad, 0))

        ttk.Label(frame, text="Board").grid(row=1, column=0, sticky="w", padx=(pad, 0), pady=(pad / 2, 0))
        self.board_combo = MappingCombobox(
            frame, mapping={p.title: p.key for p in boards.PROFILES.values()}, exportselection=False,
            width=40)
        self.board_combo.grid(row=1, column=1, sticky="we", padx=pad, pady=(pad / 2, 0))
        self.board_combo.select_value(boards.get_profile(
            get_workbench().get_option(boards.OPTION_NAME)).key)
        self.board_combo.bind("<<ComboboxSelected>>", lambda e: self._fill_builds(), True)

        ttk.Label(frame, text="Firmware").grid(row=2, column=0, sticky="w", padx=(pad, 0), pady=(pad / 2, 0))
        self.build_combo = MappingCombobox(frame, mapping={}, exportselection=False, width=40)  # dev head: mapping required
        self.build_combo.grid(row=2, column=1, sticky="we", padx=(pad, 0), pady=(pad / 2, 0))
        self.build_combo.bind("<<ComboboxSelected>>", lambda e: self._on_build_selected(), True)
        self.local_button = ttk.Button(frame, text="Select local file…", command=self.choose_local_file,
                                       width=len("Select local file…") + 1)
        self.local_button.grid(row=2, column=2, sticky="e", padx=(pad / 3, pad), pady=(pad / 2, 0))

        self.info_label = ttk.Label(frame, text="", justify="left", wraplength=ems_to_pixels(60))
        self.info_label.grid(row=3, column=0, columnspan=3, sticky="we", padx=pad, pady=(pad / 2, 0))

        self.erase_var = tk.BooleanVar(value=True)
        ttk.Checkbutton(frame, text="Erase the whole flash before writing (recommended)",
                        variable=self.erase_var).grid(row=4, column=0, columnspan=3, sticky="w",
                                                      padx=pad, pady=(pad / 2, 0))
        self.advanced_var = tk.BooleanVar(value=False)
        ttk.Checkbutton(frame, text="Advanced options", variable=self.advanced_var,
                        command=self._toggle_advanced).grid(row=5, column=0, columnspan=3,
                                                            sticky="w", padx=pad)
        self.advanced_frame = self._build_advanced(frame)

        self.guidance_label = ttk.Label(frame, text="", justify="left", foreground="#9a3b00",
                                        wraplength=ems_to_pixels(60))
        self.guidance_label.grid(row=7, column=0, columnspan=3, sticky="we", padx=pad, pady=(pad / 2, 0))
        self._fill_builds()
        if self._catalog.problem:
            self.guidance_label.configure(text=self._catalog.problem)

    def _build_advanced(self, parent) -> ttk.Frame:
        frame = ttk.Frame(parent)
        rows = [("Baud rate", "baud_combo", BAUD_CHOICES),
                ("Flash mode", "mode_combo", dict(KEEP, **{m.upper(): m for m in ("dio", "qio", "dout", "qout")})),
                ("Flash size", "size_combo", dict(KEEP, **{s: s for s in ("4MB", "8MB", "16MB", "2MB")}))]
        for row, (label, attr, mapping) in enumerate(rows):
            ttk.Label(frame, text=label).grid(row=row, column=0, sticky="w")
            combo = MappingCombobox(frame, mapping=mapping, exportselection=False)
            combo.set(next(iter(mapping)))
            combo.grid(row=row, column=1, sticky="we", padx=(ems_to_pixels(1), 0))
            setattr(self, attr, combo)
        self.manual_boot_var = tk.BooleanVar(value=False)
        ttk.Checkbutton(frame, text="Board is already in download mode (IO0 held low, RST tapped): "
                        "don't reset it", variable=self.manual_boot_var).grid(
            row=len(rows), column=0, columnspan=2, sticky="w")
        return frame

    def _toggle_advanced(self) -> None:
        if self.advanced_var.get():
            self.advanced_frame.grid(row=6, column=0, columnspan=3, sticky="we",
                                     padx=self.get_large_padding() * 2)
        else:
            self.advanced_frame.grid_forget()

    # --- choices ----------------------------------------------------------
    def _default_port(self) -> str:
        if self._initial_port:
            return self._initial_port
        port = get_workbench().get_option(f"{BACKEND_NAME}.port")
        if port and port != AUTO:
            return port
        choices = self._port_choices()
        return choices[0] if choices else ""

    @staticmethod
    def _port_choices() -> List[str]:
        try:
            from serial.tools.list_ports import comports

            return sorted(p.device for p in comports())
        except Exception:  # listing ports must never break the dialog
            logger.exception("Could not list serial ports")
            return []

    def _builds_for_board(self) -> List[Build]:
        profile = boards.get_profile(self.board_combo.get_selected_value())
        matching = self._catalog.for_board(profile.key)
        return matching or [b for b in self._catalog.builds if b.chip == profile.chip]

    def _fill_builds(self) -> None:
        builds = self._builds_for_board()
        mapping: Dict[str, Any] = {}
        for b in builds:
            label = ("★ " if b.recommended else "") + b.title + (" — non-commercial licence"
                                                                  if b.non_commercial else "")
            mapping[label] = b
        self.build_combo.set_mapping(mapping)
        default = self._catalog.default_for(boards.get_profile(self.board_combo.get_selected_value()).key)
        choice = default if default in builds else (builds[0] if builds else None)
        choice = self._preselect_for_board(builds, choice)
        if choice:
            self.build_combo.select_value(choice)
        else:
            self.build_combo.select_none()
        self._local_image = None
        self._on_build_selected()

    def _on_build_selected(self) -> None:
        build = self.build_combo.get_selected_value()
        if build is None:
            self.info_label.configure(text="No catalog build for this board: select a local file.")
            return
        self._local_image = None
        self.info_label.configure(text=self.describe_build(build) + self._fit_warning(build))

    # --- the board's chip + PSRAM + sensor (given by the doctor / camera view) --------
    def _preselect_for_board(self, builds: List[Build], choice: Optional[Build]) -> Optional[Build]:
        facts = self._board_facts
        if facts is None:
            return choice
        return sensors.preselect(builds, choice, facts.chip, facts.psram, facts.sensor) or choice

    def _ask_board_facts(self) -> None:
        """Opened on its own (Tools menu): ask the connected board for its chip, PSRAM and
        sensor, so the list is preselected and checked as when the doctor opens it."""
        from thonny import get_runner
        from thonny.common import InlineCommand

        from thonnycontrib.esp32cam.frontend.camera_requests import backend_is_idle, board_profile_key

        if not backend_is_idle():
            return
        get_workbench().bind(backend_commands.BOARD_FACTS + "_response", self._on_board_facts, True)
        self._facts_asked = True
        get_runner().send_command(InlineCommand(backend_commands.BOARD_FACTS, profile=board_profile_key()))

    def _on_board_facts(self, msg: Any) -> None:
        facts = sensors.BoardFacts.from_diagnosis(getattr(msg, "facts", None) or {})
        if facts is None or self._board_facts is not None or not self.winfo_exists():
            return
        self._board_facts = facts
        untouched = self.build_combo.get_selected_value() is self._catalog.default_for(
            boards.get_profile(self.board_combo.get_selected_value()).key)
        if untouched and self._local_image is None:
            self._fill_builds()  # preselect for this board
        else:
            self._on_build_selected()  # keep the user's choice, add the warning if it does not fit

    def destroy(self) -> None:
        if getattr(self, "_facts_asked", False):
            self._facts_asked = False
            get_workbench().unbind(backend_commands.BOARD_FACTS + "_response", self._on_board_facts)
        super().destroy()

    def _fit_warning(self, build: Build) -> str:
        facts = self._board_facts
        why = sensors.mismatch(build, facts.chip, facts.psram, facts.sensor) if facts else ""
        return "\n⚠ This build does not fit your board: %s." % why if why else ""

    @staticmethod
    def describe_build(b: Build) -> str:
        camera = f"{b.family} camera driver" if b.has_camera else "NO camera module (REPL only)"
        size = f"{b.size:,} bytes, SHA-256 {b.sha256}" if b.pinned else "size/hash not pinned: inspected after download"
        return (f"MicroPython {b.micropython or '?'} · {camera} · {b.chip.upper()} at {b.offset:#x}\n"
                f"{b.notes}\nLicence: {b.license}{' (non-commercial use only)' if b.non_commercial else ''} · {size}\nMore: {b.info_url}")

    def choose_local_file(self) -> None:
        path = filedialog.askopenfilename(
            parent=self, title="Select firmware image",
            filetypes=[("Firmware images", "*.bin"), ("All files", "*")])
        if path:
            self.select_local_file(path)

    def select_local_file(self, path: str) -> bool:
        """Inspect a local image and select it; show why if it is refused. Its header names
        its chip; the installer asks the board for its own before writing."""
        try:
            self._local_image = prepare_file(path)
        except ImageError as e:
            self._local_image = None
            self.build_combo.select_none()  # nothing to install until the user picks again
            self.info_label.configure(text=f"Refused {os.path.basename(path)}: {e}")
            return False
        self.build_combo.select_none()
        self.info_label.configure(text=f"Local file: {self._local_image.summary()}")
        return True

    def refresh_catalog(self) -> None:
        """Fetch the catalog from the configured URL in a thread: the dialog stays responsive."""
        url = get_workbench().get_option(CATALOG_URL_OPTION) or ""
        self.info_label.configure(text=f"Refreshing the catalog from {url}…")

        def fetch() -> None:
            try:
                self._post("catalog", refresh_catalog(url, installer_dir(user_dir())))
            except (CatalogError, DownloadError) as e:
                self._post("catalog", f"Catalog not refreshed (still using the previous one): {e}")

        threading.Thread(target=fetch, daemon=True, name="esp32cam-catalog").start()

    def choose_mirror(self) -> None:
        """A folder of verified images (<sha256>.bin) used before downloading; Cancel clears it."""
        folder = filedialog.askdirectory(parent=self, title="Firmware mirror folder (Cancel: none)",
                                         initialdir=get_workbench().get_option(MIRROR_OPTION) or None)
        self.set_mirror(folder or "")

    def set_mirror(self, folder: str) -> None:
        get_workbench().set_option(MIRROR_OPTION, folder)
        self.info_label.configure(text=f"Firmware mirror: {folder}. Images found there are used "
                                       "when their SHA-256 matches the catalog." if folder else
                                       "No firmware mirror: images are downloaded.")

    def _firmware_cache(self):
        return firmware_cache(user_dir(), get_workbench().get_option(MIRROR_OPTION) or None)

    def _open_cache_folder(self) -> None:
        folder = firmware_cache(user_dir()).dir
        folder.mkdir(parents=True, exist_ok=True)
        front.open_folder(str(folder))

    def is_ready_for_work(self) -> bool:
        return bool(self.port_combo.get().strip()) and (
            self._local_image is not None or self.build_combo.get_selected_value() is not None)

    # --- work ---------------------------------------------------------------
    def start_work(self):
        port = self.port_combo.get().strip()
        build: Optional[Build] = self.build_combo.get_selected_value()
        options = FlashOptions(
            port=port, chip=build.chip if build and not self._local_image else self._local_image.chip,
            erase=self.erase_var.get(), baud=self.baud_combo.get_selected_value(),
            manual_boot=self.manual_boot_var.get(),
            flash_mode=self.mode_combo.get_selected_value(),
            flash_size=self.size_combo.get_selected_value())
        self.clear_log()
        self.show_log_frame()
        self.guidance_label.configure(text="")
        self._cancel_event.clear()
        backend_proc = self._release_port(port)
        self._disconnected_backend = backend_proc is not None
        self._cache = self._firmware_cache()  # options are read here, on Tk's thread
        threading.Thread(target=self._work, args=(build, self._local_image, options, backend_proc),
                         daemon=True, name="esp32cam-installer").start()
        return True

    def _release_port(self, port: str):
        """Disconnect Thonny's back-end if it holds ``port``; returns its process."""
        proxy = get_runner().get_backend_proxy() if get_runner() else None
        if proxy is None or front.proxy_port(proxy) != port:
            return None
        proc = front.proxy_process(proxy)
        self.append_text(f"Disconnecting Thonny from {port}…\n")
        proxy.disconnect()
        return proc

    def _work(self, build: Optional[Build], local: Optional[PreparedImage], options: FlashOptions,
              backend_proc) -> None:
        try:
            ok = self._do_work(build, local, options, backend_proc)
        except Exception as e:  # show it in the dialog instead of an internal-error box
            logger.exception("Installer failed")
            self.append_text(f"\nUnexpected error: {e}\n")
            ok = False
        self.report_done(ok)

    def _do_work(self, build, local, options: FlashOptions, backend_proc) -> bool:
        if backend_proc is not None:
            try:
                backend_proc.wait(5)
            except Exception:
                pass
        if local is None:
            self.set_action_text("Getting the firmware…")
            try:
                prepared = prepare_build(
                    build, self._cache, cancel=self._cancel_event,
                    log=lambda text: self.append_text(text + "\n"),
                    progress=lambda done, total: total and self.report_progress(done, total))
            except DownloadCancelled as e:
                return self._untouched("Cancelled", f"{e} The board is unchanged.")
            except DownloadError as e:
                return self._untouched("Download failed", f"{e}\n{UNTOUCHED}")
            except ImageError as e:
                return self._untouched("Firmware refused", f"Refused: {e}\n{UNTOUCHED}")
        else:
            prepared = local
        self.append_text(prepared.summary() + "\n")
        # ESP32-S3: the flasher reads the board's PSRAM first; after a mismatch warning the
        # same install pressed again writes anyway (the user was told)
        attempt = (options.port, prepared.info.sha256)
        options.check_board = self._psram_warned != attempt
        options.work_dir = str(self._cache.dir)
        try:
            tool = find_esptool(sys.executable, [get_sys_path_directory_containg_plugins()])
        except EsptoolMissing as e:
            return self._untouched("esptool missing", f"{e}\n{UNTOUCHED}")
        self.append_text(f"esptool {'.'.join(map(str, tool.version))}\n")
        self.set_action_text("Writing the firmware…")
        self.report_progress(0, 100)

        def on_stage(stage: str) -> None:
            if stage == CHECKING:
                self.set_action_text("Checking that the board starts…")

        self._flasher = Installer(tool, on_line=lambda line: self.append_text(line + "\n"),
                                  on_progress=self._on_write_progress, on_stage=on_stage)
        if self._cancel_event.is_set():
            return self._untouched("Cancelled", "Cancelled before anything was written: the board is unchanged.")
        report = self._flasher.run(prepared, options)
        result = report.flash
        if not result.ok:
            self.append_text("\n" + result.message + "\n")
            if result.outcome == PSRAM_MISMATCH:
                self._psram_warned = attempt
                self._post("guidance", result.message + " To write it anyway, press the install button again.")
                self.set_action_text("PSRAM does not match — see above")
                return False
            self._post("guidance", result.message if result.needs_download_mode else "")
            self.set_action_text("Board needs download mode — see above" if result.needs_download_mode
                                 else ("Cancelled" if result.outcome == "cancelled" else "Failed — see log"))
            return False
        self.report_progress(100, 100)
        self.append_text(result.message + "\n")
        if report.manual_boot:
            self._post("guidance", "Firmware installed. Now remove the IO0–GND jumper (or release IO0) "
                       "and tap RST; then press Stop/Restart in Thonny.")
            self.set_action_text("Done — remove the jumper and tap RST")
            return True
        check = report.check
        if report.started:
            self.append_text(f"Board started: {check.banner} ({check.camera_summary})\n")
            if check.hardware_summary:
                self.append_text(f"MicroPython reports: {check.hardware_summary}\n")
        else:
            self.append_text(report.not_started_message() + "\n")
        for warning in report.warnings:
            self.append_text(warning + "\n")
        self._post("reconnect", report.port)
        self.set_action_text("Done — MicroPython is installed")
        return True

    def _untouched(self, action: str, text: str) -> bool:
        """The install stopped before esptool touched the board: say so and give the
        board back to Thonny's interpreter, connected as it was before."""
        self.append_text(text + "\n")
        self.set_action_text(action)
        if self._disconnected_backend:
            self._post("restore", None)
        return False

    def _on_write_progress(self, percent: float) -> None:
        self.report_progress(percent, 100)
        self.set_action_text(f"Writing the firmware… {percent:.0f} %")

    def _post(self, kind: str, value: Any) -> None:
        self.post_work_event(kind, value)

    def handle_work_event(self, type, args):
        if type == "guidance":
            self.guidance_label.configure(text=args[0])
            self._needs_manual_boot = args[0] == DOWNLOAD_MODE_HELP
            if self._needs_manual_boot:
                self.manual_boot_var.set(True)
                self.advanced_var.set(True)
                self._toggle_advanced()
                self.ok_button().configure(text="Retry (board in download mode)")
        elif type == "reconnect":
            self._reconnect(args[0])
        elif type == "restore":
            self.append_text("Thonny is connected to the board again.\n")
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
        if success:  # WorkDialog's stop() empties the bar; a finished install shows it full
            self.progress_bar().configure(value=100, maximum=100)

    def _reconnect(self, port: str) -> None:
        """Land the user at the new prompt: ESP32-CAM interpreter on this port."""
        wb = get_workbench()
        wb.set_option(f"{BACKEND_NAME}.port", port)
        wb.set_option("run.backend_name", BACKEND_NAME)
        get_runner().restart_backend(clean=True)

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
            say(f"Getting {build.title}…")
            return prepare_build(build, cache, log=say)

        options = dict(erase=self.erase_var.get(), baud=self.baud_combo.get_selected_value(),
                       manual_boot=self.manual_boot_var.get(),
                       flash_mode=self.mode_combo.get_selected_value(),
                       flash_size=self.size_combo.get_selected_value(), work_dir=str(cache.dir))
        return (local.path.name if local is not None else build.title), get_image, options

    def open_tray(self) -> None:
        """Hand the chosen build over to the several-boards window (this dialog closes)."""
        from thonnycontrib.esp32cam.frontend.classroom_dialog import install_tray

        choice = self.tray_choice()
        if choice is None:
            self.info_label.configure(text="Choose a build or a local file first.")
            return
        master = self.master
        self.destroy()
        self.tray = install_tray(master, *choice)
        show_dialog(self.tray, master)

    def cancel_work(self):
        super().cancel_work()
        self._cancel_event.set()
        if self._flasher is not None:
            threading.Thread(target=self._flasher.cancel, daemon=True).start()


def open_installer(master: Optional[tk.Misc] = None,
                   board_facts: Optional[sensors.BoardFacts] = None) -> None:
    master = master or get_workbench()
    show_dialog(FirmwareInstallerDialog(master, board_facts=board_facts), master)
