"""Camera support for the three MicroPython driver families (pure Python).

families   — names, frame sizes, quality direction per family
devicecode — the MicroPython code sent to the board, per family
transfer   — binary-safe frame encoding/decoding
problems   — device errors turned into explanations
session    — the host-side camera logic shared by Thonny's back-end and the CLI
rawrepl    — a raw-REPL runner on pyserial for the CLI
"""
