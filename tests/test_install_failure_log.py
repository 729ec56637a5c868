"""A failed install keeps its reason in view on small screens (1366×768, 1280×720).

With *Advanced options* open the installer is tall, so ``OnScreenKeeper`` takes lines
from its log; the log follows its end (Thonny's WorkDialog ``see("end")``), so a
reason written before the closing "Nothing was written…" used to scroll out of the
few lines left. Real parts: a real Workbench under an Xvfb of that size, a loopback
HTTPS server whose build fails its SHA-256 check (a tampered mirror).
"""
from __future__ import annotations

import json
from typing import Any, Dict

import pytest

from tests.firmware_server import FirmwareServer, build_entry
from tests.screen_sizes import SMALL_SCREENS, xvfb_screen
from tests.test_flash_dialog import _drive_modal, _env, _press_install, _publish, _select_build
from tests.thonny_harness import REPO_ROOT, run_scenario
from tests.virtualboard import synthetic_firmware

pytestmark = [pytest.mark.thonny, pytest.mark.timeout(300)]

REASON = "SHA-256 mismatch"
CATALOG = REPO_ROOT / "thonnycontrib" / "esp32cam" / "core" / "catalog.json"


def _visible(text, index: str) -> bool:
    text.update_idletasks()
    return text.bbox(index) is not None


def scenario_failed_install(h, build_id):
    def script(dlg, result):
        dlg.port_combo.set("rfc2217://127.0.0.1:9")  # never reached: the download fails first
        _select_build(dlg, build_id)
        dlg.advanced_var.set(True)
        dlg._toggle_advanced()
        yield lambda: True
        yield _press_install(dlg)
        h.pump(0.5)
        log = dlg.log_text.text
        reason = log.search(REASON, "1.0")
        result.update(success=dlg.success, log=log.get("1.0", "end"), lines=int(log.cget("height")),
                      reason_visible=bool(reason) and _visible(log, reason),
                      end_visible=_visible(log, "end-2c linestart"),
                      advanced_open=bool(dlg.advanced_frame.winfo_ismapped()),
                      screen=[dlg.winfo_screenwidth(), dlg.winfo_screenheight()],
                      box=[dlg.winfo_rooty(), dlg.winfo_height()])
        dlg._cancel_button.invoke()
        yield lambda: True

    return _drive_modal(h, script)


@pytest.mark.parametrize("size", SMALL_SCREENS, ids=lambda s: "%dx%d" % s)
def test_the_reason_of_a_failed_install_stays_in_view(tmp_path, monkeypatch, size):
    image = synthetic_firmware("lemariva")
    user = tmp_path / "user"
    with FirmwareServer(tmp_path) as srv, xvfb_screen(*size) as display:
        entry = build_entry("tampered", srv.put("/fw.bin", image), image, tamper=True)
        # described as the catalog describes its builds (the info line then takes its lines)
        real = next(b for b in json.loads(CATALOG.read_text())["builds"] if b.get("recommended"))
        entry.update({k: real[k] for k in ("title", "notes", "info_url", "license") if k in real})
        _publish(srv, user, monkeypatch, [entry])
        r = run_scenario(scenario_failed_install, user, env=dict(_env(srv), DISPLAY=display), timeout=150,
                         build_id="tampered")
    assert r["success"] is False and REASON in r["log"], r
    assert "Nothing was written" in r["log"], r["log"]
    top, height = r["box"]
    assert top + height <= r["screen"][1], r  # the dialog still fits the screen
    assert r["reason_visible"], r  # why it failed, in view
    assert r["end_visible"], r  # and what it means for the board
