"""Each camera driver family end to end on real published bytes: `flash --build ID`
takes the image from a firmware mirror (the catalog's URLs are not reachable
here, as in a classroom without internet), real esptool writes it onto the
virtual board, the board boots it, the post-flash check gives the camera
verdict, and `snapshot` takes a photo (or explains that there is no camera)."""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from PIL import Image

from tests.real_images import real_firmware_dir, real_image
from tests.virtualboard import VirtualBoard
from tests.virtualboard.testing import FASTCLIENT_DIR
from thonnycontrib.esp32cam.core.catalog import load_bundled

REPO = Path(__file__).resolve().parent.parent

CASES = [  # build id, what the post-flash check says about the camera
    ("lemariva-v1.21.0", "(the camera module imports)"),
    # the oldest builds: the twin's language follows their version (no f-strings before v1.17)
    ("lemariva-v1.14-ble", "(the camera module imports)"),
    ("lemariva-v1.18", "(the camera module imports)"),
    ("kaki5-x23-esp32-aithinker-wifi-ssl", "(the camera module imports)"),
    ("kaki5-christmas-2023-edition-esp32", "(the camera module imports)"),
    ("cnadler86-v1.27.0-freenove", "(the camera module imports)"),
    ("official-v1.26.0-spiram", "no camera module"),
]


def _cli(args, env, timeout=240):
    return subprocess.run([sys.executable, "-m", "thonnycontrib.esp32cam", *args], env=env,
                          cwd=str(REPO), capture_output=True, text=True, timeout=timeout)


@pytest.mark.esptool
@pytest.mark.slow
@pytest.mark.parametrize("build_id, camera_verdict", CASES, ids=[c[0] for c in CASES])
def test_flash_boot_check_and_snapshot_on_real_bytes(tmp_path, build_id, camera_verdict):
    build = load_bundled().get(build_id)
    env = dict(os.environ, THONNY_USER_DIR=str(tmp_path / "user"),
               ESP32CAM_FIRMWARE_MIRROR=str(real_firmware_dir()),
               PYTHONPATH=os.pathsep.join([str(FASTCLIENT_DIR), str(REPO)]))
    with VirtualBoard(wiring="classic", line_rate="unlimited", en_delay=0.02, flash_timing="fast") as board:
        proc = _cli(["flash", "--port", board.url, "--build", build_id, "--yes", "--baud", "921600"],
                    env)
        out = proc.stdout + proc.stderr
        assert proc.returncode == 0, out
        assert "taken from the mirror" in out and "Firmware written and verified" in out
        assert f"Board started: {build.banner}" in out
        assert camera_verdict in out
        assert board.flash.read(0x1000, build.size) == real_image(build.sha256)
        assert board.events.all("firmware_started")[-1].data["banner"] == build.banner

        photo = tmp_path / "photo.jpg"
        snap = _cli(["snapshot", "--port", board.url, "-o", str(photo), "--size", "QVGA"], env)
    if build.has_camera:
        assert snap.returncode == 0, snap.stdout + snap.stderr
        with Image.open(photo) as image:
            assert image.format == "JPEG" and image.size == (320, 240)
    else:
        assert snap.returncode == 1 and not photo.exists()
        assert "has no 'camera' module" in snap.stdout + snap.stderr
