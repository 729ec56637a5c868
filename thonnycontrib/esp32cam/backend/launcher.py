"""Back-end launcher: Thonny runs ``python -s -u -B launcher.py "<repr(args)>"``.

The folder holding ``thonnycontrib`` (e.g. Thonny's plug-ins site-packages) is
not on the back-end's ``sys.path``, so add it before importing the plug-in.
``thonny_compat.back.launch`` imports the back-end module; on a Thonny whose
internals moved it prints one line (Shell and log) and exits non-zero.
"""
import os.path
import sys

_here = os.path.dirname(os.path.abspath(__file__))
_container = os.path.dirname(os.path.dirname(os.path.dirname(_here)))
if sys.path and os.path.abspath(sys.path[0]) == _here:
    sys.path.pop(0)  # keep this folder's module names from shadowing top-level ones
if _container not in sys.path:
    sys.path.insert(0, _container)

if __name__ == "__main__":
    from thonnycontrib.esp32cam.thonny_compat.back import launch

    launch("thonnycontrib.esp32cam.backend.esp32cam_back")
