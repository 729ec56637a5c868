"""The fast link's remembered rates: per port, the adapter, its good rate and whether the
board was left running at it (``fast_link.json`` in the plug-in's folder of Thonny's user
folder, ``thonny_compat.plugin_user_dir()``)."""
from __future__ import annotations

import json
import os
from logging import getLogger
from typing import Optional

from thonnycontrib.esp32cam.thonny_compat import plugin_user_dir

logger = getLogger("thonnycontrib.esp32cam.backend.fast_link")

STORE_NAME = "fast_link.json"


def _store_path() -> str:
    return os.path.join(plugin_user_dir(), STORE_NAME)


def load_store() -> dict:
    try:
        with open(_store_path(), encoding="utf-8") as f:
            data = json.load(f)
        return data if isinstance(data, dict) else {}
    except (OSError, ValueError):
        return {}


def save_store(port: str, adapter: str, rate: Optional[int], left_fast: Optional[int]) -> None:
    """Remember the port's good rate and whether the board is left running at it."""
    if not port:
        return
    store = load_store()
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
