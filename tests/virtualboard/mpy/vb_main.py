# Entry point of the virtual ESP32-CAM firmware, run as `micropython -i vb_main.py REQ_FD RESP_FD`.
# It binds no names: the REPL's globals stay as clean as a real board's.
__import__("vb_boot").boot(globals())
