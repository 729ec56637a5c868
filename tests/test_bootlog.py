"""Boot-log classification with the exact strings ESP32 ROM / ESP-IDF / MicroPython print."""
from __future__ import annotations

import pytest

from thonnycontrib.esp32cam.core import bootlog as bl

DOWNLOAD_LOG = (
    "ets Jun  8 2016 00:22:57\r\n\r\n"
    "rst:0x1 (POWERON_RESET),boot:0x3 (DOWNLOAD_BOOT(UART0/UART1/SDIO_REI_REO_V2))\r\n"
    "waiting for download\r\n"
)
NORMAL_LOG = (
    "ets Jun  8 2016 00:22:57\r\n\r\n"
    "rst:0x1 (POWERON_RESET),boot:0x13 (SPI_FAST_FLASH_BOOT)\r\n"
    "configsip: 0, SPIWP:0xee\r\n"
    "mode:DIO, clock div:2\r\n"
    "load:0x3fff0030,len:4540\r\n"
    "entry 0x400805cc\r\n"
    "MicroPython v1.21.0 on 2023-10-13; ESP32-cam with ESP32\r\n"
    "Type \"help()\" for more information.\r\n"
    ">>> "
)


@pytest.mark.parametrize("line, code", [
    ("rst:0x1 (POWERON_RESET),boot:0x3 (DOWNLOAD_BOOT(UART0/UART1/SDIO_REI_REO_V2))", bl.DOWNLOAD_MODE),
    ("waiting for download", bl.DOWNLOAD_MODE),
    ("flash read err, 1000", bl.NO_FIRMWARE),
    ("ets_main.c 371 ", bl.NO_FIRMWARE),
    ("invalid header: 0xffffffff", bl.NO_FIRMWARE),
    ("E (347) boot: No bootable app partitions in the partition table", bl.NO_FIRMWARE),
    # ESP-IDF v4.4 components/bootloader_support/src/esp_image_format.c
    ("E (346) esp_image: Checksum failed. Calculated 0x63 read 0x66", bl.CORRUPT_FIRMWARE),
    ("\x1b[0;31mE (579) esp_image: Image hash failed - image is corrupt\x1b[0m", bl.CORRUPT_FIRMWARE),
    ("Brownout detector was triggered", bl.BROWNOUT),
    ("E (536) psram: PSRAM ID read error: 0xffffffff", bl.PSRAM_FAILURE),
    ("E (540) cpu_start: Failed to init external RAM!", bl.PSRAM_FAILURE),
    ("E (605) spiram: SPI RAM enabled but initialization failed. Bailing out.", bl.PSRAM_FAILURE),
    ("E (510) camera: Camera probe failed with error 0x105(ESP_ERR_NOT_FOUND)", bl.CAMERA_PROBE_FAILED),
    ("OSError: Camera Init Failed", bl.CAMERA_PROBE_FAILED),
    ("ImportError: no module named 'camera'", bl.NO_CAMERA_MODULE),
    ("entry 0x400805cc", bl.NORMAL_BOOT),
    ("MicroPython v1.21.0 on 2023-10-13; ESP32-cam with ESP32", bl.BANNER),
    ("MicroPython v1.23.0 on 2024-06-02; Generic ESP32 module with ESP32", bl.BANNER),
    (">>> ", bl.PROMPT),
    ("raw REPL; CTRL-B to exit", bl.RAW_REPL),
])
def test_each_signature_is_recognised(line, code):
    assert code in bl.classify_line(line)


@pytest.mark.parametrize("line", [
    "print('waiting')", "x = 0x1000", "Type \"help()\" for more information.",
    "mode:DIO, clock div:2", "import camera", "camera.init(0)",
])
def test_ordinary_lines_are_not_problems(line):
    assert not set(bl.classify_line(line)) & set(bl.PROBLEM_CODES)


def test_normal_boot_rst_line_is_a_reset_not_download():
    codes = bl.classify_line("rst:0x1 (POWERON_RESET),boot:0x13 (SPI_FAST_FLASH_BOOT)")
    assert bl.RESET in codes and bl.NORMAL_BOOT in codes and bl.DOWNLOAD_MODE not in codes


def test_bootlog_feeds_in_arbitrary_chunks():
    log = bl.BootLog()
    data = NORMAL_LOG.encode()
    seen = []
    for i in range(0, len(data), 7):
        seen += [f.code for f in log.feed(data[i:i + 7])]
    assert seen == [bl.RESET, bl.NORMAL_BOOT, bl.NORMAL_BOOT, bl.BANNER, bl.PROMPT]
    assert log.ends_with_prompt()
    assert log.problems() == []
    assert not log.garbled()


def test_bootlog_evidence_for_download_mode():
    log = bl.BootLog()
    log.feed(DOWNLOAD_LOG.encode())
    assert log.problems() == [bl.DOWNLOAD_MODE]
    assert log.evidence([bl.DOWNLOAD_MODE]) == [
        "rst:0x1 (POWERON_RESET),boot:0x3 (DOWNLOAD_BOOT(UART0/UART1/SDIO_REI_REO_V2))",
        "waiting for download",
    ]


def test_brownout_loop_counts_resets_and_dedups_evidence():
    cycle = ("rst:0xc (SW_CPU_RESET),boot:0x13 (SPI_FAST_FLASH_BOOT)\r\nentry 0x400805cc\r\n"
             "\r\nBrownout detector was triggered\r\n\r\nets Jun  8 2016 00:22:57\r\n\r\n")
    log = bl.BootLog()
    log.feed((cycle * 3).encode())
    assert log.count(bl.BROWNOUT) == 3 and log.count(bl.RESET) == 3
    assert log.problems() == [bl.BROWNOUT]
    assert log.evidence([bl.BROWNOUT]) == ["Brownout detector was triggered"]  # no repeats
    assert log.evidence([bl.RESET, bl.BROWNOUT]) == [
        "rst:0xc (SW_CPU_RESET),boot:0x13 (SPI_FAST_FLASH_BOOT)", "Brownout detector was triggered"] * 3
    assert len(log.evidence()) <= 12


def test_garbage_from_a_baud_mismatch_is_detected():
    # What 115200-baud text looks like when read at the wrong speed: mostly high bytes.
    noise = bytes([0xF0, 0x00, 0x8C, 0xFE, 0x80, 0x1C, 0xE0, 0xF8, 0x00, 0x9F, 0xC3, 0x06] * 4)
    assert bl.looks_garbled(noise)
    assert not bl.looks_garbled(NORMAL_LOG.encode())
    assert not bl.looks_garbled(b"\xf0\x00")  # too little to judge
    log = bl.BootLog()
    log.feed(noise)
    assert log.garbled()


def test_episode_tracker_reports_once_per_occurrence():
    tracker = bl.EpisodeTracker()
    cycle = "rst:0xc (SW_CPU_RESET),boot:0x13 (SPI_FAST_FLASH_BOOT)\r\nBrownout detector was triggered\r\n"
    first = tracker.feed_text(cycle)
    assert [f.code for f in first] == [bl.BROWNOUT]
    for _ in range(5):  # the loop continues: same episode, no new report
        assert tracker.feed_text(cycle) == []
    # the firmware comes up: the episode ends; a new brownout is a new occurrence
    assert tracker.feed_text("MicroPython v1.21.0 on 2023-10-13; ESP32-cam with ESP32\r\n>>> ") == []
    assert [f.code for f in tracker.feed_text(cycle)] == [bl.BROWNOUT]


def test_episode_tracker_camera_problem_once_per_session_and_split_lines():
    tracker = bl.EpisodeTracker()
    assert tracker.feed_text("Traceback (most recent call last):\r\nImportError: no mod") == []
    assert [f.code for f in tracker.feed_text("ule named 'camera'\r\n>>> ")] == [bl.NO_CAMERA_MODULE]
    assert tracker.feed_text("ImportError: no module named 'camera'\r\n>>> ") == []
    tracker.reset()  # back-end restarted
    assert [f.code for f in tracker.feed_text("ImportError: no module named 'camera'\r\n")] == [
        bl.NO_CAMERA_MODULE]


@pytest.mark.parametrize("message, code", [
    ("Unable to connect to /dev/ttyUSB0: port not found", bl.CONNECT_FAILED),
    ("Unable to connect to COM5: could not open port 'COM5': PermissionError(13, 'Access is denied.', None, 5)",
     bl.CONNECT_FAILED),
    ("Device is busy or does not respond. Your options:", bl.NO_RESPONSE),
])
def test_thonny_connection_messages(message, code):
    assert code in bl.classify_line(message)


def test_every_problem_has_a_shell_hint():
    from thonnycontrib.esp32cam.core.diagnosis import SHELL_HINTS
    assert set(bl.PROBLEM_CODES) == set(SHELL_HINTS)


def test_a_few_corrupted_bytes_in_a_long_reply_mean_a_weak_line():
    text = (NORMAL_LOG * 2).encode()
    corrupted = bytearray(text)
    for i in range(5, len(corrupted), 40):  # one byte in 40 replaced by noise
        corrupted[i] = 0x9C
    assert bl.looks_garbled(bytes(corrupted))
    glitch = b"\x00" + text  # a single glitch byte at power-on is not noise
    assert not bl.looks_garbled(glitch)
    colours = "\x1b[0;31mE (536) psram: PSRAM ID read error: 0xffffffff\x1b[0m\r\n温度 21.5 °C\r\n".encode()
    assert not bl.looks_garbled(colours * 3)


def test_generic_no_response_is_quiet_after_a_specific_hint():
    tracker = bl.EpisodeTracker()
    assert [f.code for f in tracker.feed_text("Brownout detector was triggered\r\n")] == [bl.BROWNOUT]
    assert tracker.feed_text("\nDevice is busy or does not respond. Your options:\n") == []
    fresh = bl.EpisodeTracker()
    assert [f.code for f in fresh.feed_text("Device is busy or does not respond.\n")] == [bl.NO_RESPONSE]


def test_back_end_losing_the_board_mid_command():
    # Thonny 4.1/5.0 wording when the board resets under a running command
    line = ("PROBLEM IN THONNY'S BACK-END: Exception while handling 'get_globals' "
            "(thonny.plugins.micropython.mp_back.ProtocolError: Could not get raw-paste confirmation).")
    assert bl.LOST_SYNC in bl.classify_line(line)
    assert bl.LOST_SYNC in bl.classify_line("ProtocolError: Could not enter raw prompt")
    assert not bl.classify_line("Could not get raw-paste confirmation in my own print")
