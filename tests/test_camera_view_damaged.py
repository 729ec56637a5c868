"""The camera view (real Thonny, real back-end) on a link that damages frames (issue 24):
the back-end's camera commands drop a frame whose CRC-32 does not match, so the view
only ever shows whole frames and reports no problem for one bad frame."""
from __future__ import annotations

import io

import pytest
from PIL import Image

from tests.test_camera_damaged_frames import JPEG_FRAME
from tests.test_camera_view import _frame_after, _open_view
from tests.thonny_harness import run_scenario
from tests.virtualboard import VirtualBoard, synthetic_firmware

pytestmark = [pytest.mark.thonny, pytest.mark.timeout(240)]


def scenario_damaged_frames(h, url):
    view = _open_view(h, url)
    view.controls.frame_size.set("QQVGA")
    first = _frame_after(h, view, view.capture)  # its first frame is damaged: asked for again
    shown = []
    h.wb.bind("Esp32CamFrame", lambda m: shown.append(getattr(m, "jpeg", None)), True)
    view.controls.live.set(True)
    view._on_live_toggled()
    h.wait_until(lambda: len(shown) >= 8 or getattr(view, "last_problem", None), 60, "live frames")
    view.controls.live.set(False)
    view._on_live_toggled()
    h.wait_until(lambda: view._pending is None, 20, "live mode to stop")
    decoded = []
    for jpeg in shown:
        try:
            with Image.open(io.BytesIO(jpeg)) as im:
                im.load()
            decoded.append(True)
        except Exception:
            decoded.append(False)
    return {"first": first, "decoded": decoded, "problem": str(getattr(view, "last_problem", None) or "")}


def test_the_camera_view_drops_damaged_frames(xdisplay, tmp_path):
    with VirtualBoard(firmware=synthetic_firmware("lemariva")) as board:
        board.events.wait_for("firmware_started", timeout=20)
        board.uart.flip_to_host(JPEG_FRAME, 3, times=1)  # the first capture

        def damage_live(event):  # and two frames of the live stream
            if event.kind == "camera_frame" and event.data.get("number") == 4:
                board.uart.flip_to_host(JPEG_FRAME, 3, times=2)

        board.events.add_listener(damage_live)
        r = run_scenario(scenario_damaged_frames, tmp_path / "user", url=board.url, timeout=200)
        flipped = len(board.events.all("flipped"))
        sent = len(board.events.all("camera_frame"))
    assert flipped == 3, flipped
    assert not r["problem"], r["problem"]
    assert r["first"]["size"] == [160, 120]
    assert r["decoded"] and all(r["decoded"]), r["decoded"]
    assert sent >= len(r["decoded"]) + 3  # the damaged ones never reached the view
