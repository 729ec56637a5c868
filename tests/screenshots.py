"""Reproducible screenshots for the docs (real Thonny under a private Xvfb).

    python -m tests.screenshots [--out docs/screenshots]

- ``thonny-connected.png``: ESP32-CAM interpreter connected to the virtual
  board (direct wiring, camera firmware): Shell with banner and ``>>>``, the
  Files view listing the device's files.
- ``config-page.png``: Tools → Options → Interpreter with the ESP32-CAM page.
"""
from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO_ROOT))

from tests.thonny_harness import private_display, run_scenario  # noqa: E402

LAYOUT = {"layout": {"left": 0, "top": 0, "width": 1280, "height": 920, "zoomed": False}}
CAPTURE_PY = """import camera

camera.init(0, format=camera.JPEG)
frame = camera.capture()
print(len(frame), "bytes")
camera.deinit()
"""


def scenario_connected(h, url, out, workdir):
    from thonny import ui_utils

    h.wb.show_view("FilesView", set_focus=False)
    h.select_backend("ESP32CAM", port=url)
    h.wait_for_prompt(30)
    from thonny.plugins.files import upload

    h.call_modal(upload, [str(Path(workdir) / "main.py")], "/", h.wb)  # Files view: "Upload to /"
    h.wait_for_prompt(15)
    h.wb.get_view("FilesView").remote_files.refresh_tree()
    h.wait_until(lambda: "main.py" in h.remote_files(), 15, "device files")
    h.wb.get_editor_notebook().show_file(str(Path(workdir) / "capture.py"))
    h.run_in_shell("import os; print(os.listdir())")
    h.screenshot(Path(out) / "thonny-connected.png")

    # the options dialog exactly as Tools → Options → Interpreter shows it
    from thonny.config_ui import ConfigurationDialog

    dlg = ConfigurationDialog(h.wb, h.wb._configuration_pages)
    dlg.select_page("interpreter")

    def shoot_and_close():
        h.screenshot(Path(out) / "config-page.png")
        dlg._cancel()

    h.wb.after(1500, shoot_and_close)
    h.call_modal(ui_utils.show_dialog, dlg)
    return {"files": h.remote_files()}


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--out", default=str(REPO_ROOT / "docs" / "screenshots"))
    args = parser.parse_args()
    from tests.virtualboard import VirtualBoard, synthetic_firmware

    with private_display(1280, 940), tempfile.TemporaryDirectory() as tmp, VirtualBoard(
        wiring="direct", firmware=synthetic_firmware(family="lemariva"), line_rate="unlimited"
    ) as board:
        board.events.wait_for("firmware_started", timeout=30)
        workdir = Path(tmp) / "esp32cam-projects"
        workdir.mkdir()
        (workdir / "capture.py").write_text(CAPTURE_PY)
        (workdir / "main.py").write_text("import capture\n")
        ini = dict(LAYOUT, run={"working_directory": str(workdir)})
        result = run_scenario(scenario_connected, Path(tmp) / "user", ini=ini,
                              url=board.url, out=str(Path(args.out).resolve()), workdir=str(workdir))
    print(f"Screenshots written to {args.out} (device files: {result['files']})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
