"""Where the installer's firmware comes from besides the catalog's list: a local file, a
refreshed catalog, a mirror folder of verified images, the download cache (☰ menu).

A mixin of ``FirmwareInstallerDialog``: it shows its outcome in the dialog's info line.
"""
from __future__ import annotations

import os
import threading
import tkinter as tk
from tkinter import filedialog

from thonny import get_workbench

from thonnycontrib.esp32cam import BACKEND_NAME
from thonnycontrib.esp32cam.core.catalog import CatalogError, refresh_catalog
from thonnycontrib.esp32cam.core.download import DownloadError, FirmwareCache, firmware_cache, installer_dir
from thonnycontrib.esp32cam.core.i18n import _
from thonnycontrib.esp32cam.core.image import ImageError
from thonnycontrib.esp32cam.core.prepare import prepare_file
from thonnycontrib.esp32cam.thonny_compat import front, user_dir

CATALOG_URL_OPTION = f"{BACKEND_NAME}.catalog_url"
MIRROR_OPTION = f"{BACKEND_NAME}.firmware_mirror"  # folder of <sha256>.bin, see core.download


class FirmwareSourcesMixin:
    def populate_action_menu(self, menu: tk.Menu) -> None:
        url = get_workbench().get_option(CATALOG_URL_OPTION) or ""
        menu.add_command(label=_("Select local file…"), command=self.choose_local_file)
        refresh = (_("Refresh catalog from {url}").format(url=url) if url
                   else _("Refresh catalog (set a URL first)"))
        menu.add_command(label=refresh,
                         command=self.refresh_catalog,
                         state="normal" if url.startswith("https://") else "disabled")
        menu.add_command(label=_("Install on several boards…"), command=self.open_tray)
        menu.add_command(label=_("Open firmware cache folder"), command=self._open_cache_folder)
        mirror = get_workbench().get_option(MIRROR_OPTION) or ""
        menu.add_command(label=(_("Firmware mirror folder… ({folder})").format(folder=mirror)
                                if mirror else _("Firmware mirror folder…")),
                         command=self.choose_mirror)

    def choose_local_file(self) -> None:
        path = filedialog.askopenfilename(
            parent=self, title=_("Select firmware image"),
            filetypes=[(_("Firmware images"), "*.bin"), (_("All files"), "*")])
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
            self.info_label.configure(text=_("Refused {file}: {reason}").format(
                file=os.path.basename(path), reason=e))
            return False
        self.build_combo.select_none()
        self.info_label.configure(
            text=_("Local file: {summary}").format(summary=self._local_image.summary()))
        return True

    def refresh_catalog(self) -> None:
        """Fetch the catalog from the configured URL in a thread: the dialog stays responsive."""
        url = get_workbench().get_option(CATALOG_URL_OPTION) or ""
        self.info_label.configure(text=_("Refreshing the catalog from {url}…").format(url=url))

        def fetch() -> None:
            try:
                self.post_work_event("catalog", refresh_catalog(url, installer_dir(user_dir())))
            except (CatalogError, DownloadError) as e:
                self.post_work_event("catalog", _("Catalog not refreshed (still using the previous "
                                                  "one): {reason}").format(reason=e))

        threading.Thread(target=fetch, daemon=True, name="esp32cam-catalog").start()

    def choose_mirror(self) -> None:
        """A folder of verified images (<sha256>.bin) used before downloading; Cancel clears it."""
        folder = filedialog.askdirectory(
            parent=self, title=_("Firmware mirror folder (Cancel: none)"),
            initialdir=get_workbench().get_option(MIRROR_OPTION) or None)
        self.set_mirror(folder or "")

    def set_mirror(self, folder: str) -> None:
        get_workbench().set_option(MIRROR_OPTION, folder)
        self.info_label.configure(
            text=_("Firmware mirror: {folder}. Images found there are used when their SHA-256 "
                   "matches the catalog.").format(folder=folder)
            if folder else _("No firmware mirror: images are downloaded."))

    def _firmware_cache(self) -> FirmwareCache:
        return firmware_cache(user_dir(), get_workbench().get_option(MIRROR_OPTION) or None)

    def _open_cache_folder(self) -> None:
        folder = firmware_cache(user_dir()).dir
        folder.mkdir(parents=True, exist_ok=True)
        front.open_folder(str(folder))
