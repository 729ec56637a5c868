# Entry point of the virtual ESP32-CAM firmware, run as `micropython -i vb_main.py REQ_FD RESP_FD`.
# It binds no names: the REPL's globals stay as clean as a real board's. If booting fails,
# `-i` still enters the REPL (even after SystemExit): the host kills a process that shows a
# prompt without having said "booted", so no REPL runs on the host's filesystem.
try:
    __import__("vb_boot").boot(globals())
except SystemExit:
    raise
except BaseException as e:
    __import__("sys").print_exception(e)
    raise SystemExit(70)
