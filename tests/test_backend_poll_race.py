"""A back-end restart must never show Thonny's internal-error box. On Thonny's development
head the message poll re-arms itself through an idle callback that ``destroy_backend``
cannot cancel (running.py ``_poll_backend_messages``): when it runs while the runner has no
proxy, Thonny fails with "'NoneType' object has no attribute 'has_next_message'". The race
is made certain here: a poll is queued, then the back-end is destroyed, then Tk runs it.
The harness fails a scenario on any internal Tk error."""
from __future__ import annotations

import pytest

from tests.thonny_harness import run_scenario

pytestmark = pytest.mark.thonny


def scenario_poll_after_destroy(h, url):
    h.select_backend("ESP32CAM", port=url)
    h.wait_for_prompt(30)
    runner = h.runner
    for _ in range(3):
        h.wb.after_idle(runner._poll_backend_messages)  # a poll already queued, as Thonny's re-arm leaves one
        runner.destroy_backend()
        h.wb.update()
        runner.restart_backend(False)
        h.wait_for_prompt(30)
    return {"answer": h.run_in_shell("print(6 * 7)")}


def test_a_poll_queued_before_a_restart_finds_no_proxy_without_an_internal_error(xdisplay, tmp_path):
    from tests.virtualboard import VirtualBoard, synthetic_firmware

    with VirtualBoard(firmware=synthetic_firmware("lemariva"), line_rate="unlimited") as board:
        board.events.wait_for("firmware_started", timeout=20)
        result = run_scenario(scenario_poll_after_destroy, tmp_path / "user", url=board.url, timeout=120)
    assert "42" in result["answer"].splitlines()  # and no internal error (the harness checks)
