"""The wheel smoke test's scenario: runs INSIDE Thonny in the fresh virtualenv.

tests/test_wheel_smoke.py copies this file and tests/thonny_harness.py into an
empty folder and runs them with the fresh virtualenv's Python in isolated mode
(``-I``: no PYTHONPATH, no checkout on sys.path), so everything of the plug-in
that is used here comes from the installed wheel. Only the standard library,
Thonny and the installed plug-in may be imported.
"""
from __future__ import annotations

import importlib
import os
import pkgutil
import sys


def _menu_labels(wb, menu_name: str):
    menu = wb.get_menu(menu_name)
    labels = []
    for index in range(menu.index("end") + 1):
        if menu.type(index) == "command":
            labels.append(menu.entrycget(index, "label"))
    return labels


def other_generation_adapters() -> set:
    """thonny_compat's adapters for the Thonny generation that is not installed: they
    import that generation's internals (``back_minny`` imports minny), so they cannot
    import here; the connection below proves this generation's adapters work."""
    from thonnycontrib.esp32cam import thonny_compat

    other = "minny" if thonny_compat.generation() == thonny_compat.CLASSIC else "classic"
    return {f"thonnycontrib.esp32cam.thonny_compat.{side}_{other}" for side in ("back", "front")}


def scenario_smoke(h, url: str):
    import thonnycontrib.esp32cam as plugin

    result = {"plugin_file": plugin.__file__, "prefix": sys.prefix, "version": plugin.__version__}

    # registered by load_plugin()
    backends = h.wb.get_backends()
    result["backend"] = backends["ESP32CAM"].description if "ESP32CAM" in backends else None
    result["tools_menu"] = [x for x in _menu_labels(h.wb, "tools") if "ESP32-CAM" in x]
    result["edit_menu"] = [x for x in _menu_labels(h.wb, "edit") if "ESP32-CAM" in x]

    # every module the wheel holds imports (front-end ones with the Workbench up)
    modules = []
    other_adapters = other_generation_adapters()
    for info in pkgutil.walk_packages(plugin.__path__, plugin.__name__ + "."):
        if info.name.endswith(".__main__") or ".backend." in info.name or info.name in other_adapters:
            continue  # __main__ runs the CLI; back-end modules load in the back-end (below)
        importlib.import_module(info.name)
        modules.append(info.name)
    result["modules"] = modules

    # the package data is found where the code looks for it
    from thonnycontrib.esp32cam import stubs, templates
    from thonnycontrib.esp32cam.core import catalog
    from thonnycontrib.esp32cam.core.camera import families

    result["catalog_builds"] = len(catalog.load_bundled().builds)
    result["templates"] = {name: len(templates.render(name, families.LEMARIVA)) for name in templates.TEMPLATES}
    result["stubs"] = sorted(d for d in os.listdir(stubs.STUBS_DIR)
                             if os.path.isfile(os.path.join(stubs.stub_path(d), "camera.pyi")))

    # the user picks the interpreter on the Options page and connects to the board
    dlg, _ = h.open_options("interpreter")
    top_page = [w for key, _t, w in dlg._page_records if key == "interpreter"][0]
    top_page._combo_variable.set(plugin.BACKEND_DESCRIPTION)
    h.pump(0.2)
    page = top_page._current_page
    result["page_class"] = type(page).__module__ + "." + type(page).__name__
    page._port_desc_variable.set(url)
    h.press_ok(dlg)
    h.wait_for_prompt(60)
    result["backend_name"] = h.wb.get_option("run.backend_name")
    result["answer"] = h.run_in_shell("print(6 * 7)")
    result["shell"] = h.shell_text()[-2000:]
    return result
