"""Run scenarios in a real Thonny Workbench (one per subprocess) under Xvfb.

Thonny allows one Workbench per process, so every scenario runs in a fresh
``python -m tests.thonny_harness`` subprocess with its own ``THONNY_USER_DIR``.

Writing a test::

    from tests.thonny_harness import run_scenario

    def scenario_prompt(h, url):                    # runs INSIDE the Workbench process
        h.select_backend("ESP32CAM", port=url)      # set options, (re)start the back-end
        h.wait_for_prompt()
        out = h.run_in_shell("print(1+1)")          # Shell text produced by the command
        return {"out": out}                         # anything JSON-serialisable

    @pytest.mark.thonny
    def test_prompt(xdisplay, tmp_path):
        result = run_scenario(scenario_prompt, tmp_path / "user", url=board.url)
        assert "2" in result["out"]

``run_scenario(func_or_"module:function", user_dir, *, ini=None, plugin=True,
timeout=120, env=None, **kwargs)`` returns the scenario's value (as JSON) and
raises ``ScenarioFailed`` (with the child's traceback and log tails) if the
scenario raised, Thonny reported an internal error (``Workbench.report_exception``,
Tk callback exceptions) or the process timed out. Keyword arguments must be
JSON-serialisable. ``ini`` = ``{"section": {"key": value}}`` is merged into
``configuration.ini`` before start (values are written with ``repr`` unless they
are ``str``: use ``"maybe"`` to write a raw word). The user folder may be reused
across calls to test persistence (the Workbench is closed cleanly, so Thonny
saves its configuration). ``plugin=False`` hides all ``thonnycontrib`` plug-ins.
``killed=True``: the scenario ends with ``h.kill()`` (SIGKILL, no clean exit);
``run_scenario`` checks that it died so and returns None.

Inside the scenario, ``h`` (``Harness``) offers:

- ``h.wb`` the Workbench; ``h.runner``; ``h.proxy`` (current back-end proxy)
- ``h.pump(seconds)``; ``h.wait_until(predicate, timeout, what)``
- ``h.select_backend(name, **options)``: sets ``<name>.<option>`` and restarts
- ``h.wait_for_prompt(timeout)``: back-end waits for a command, Shell ends with ``>>> ``
- ``h.shell_text()``; ``h.run_in_shell(code, timeout)`` → new Shell text
- ``h.interrupt()``; ``h.stop_restart()``
- ``h.open_options("interpreter")`` → ``(dialog, page)`` without blocking;
  ``h.press_ok(dialog)`` / ``h.press_cancel(dialog)``
- ``h.call_modal(func, *args, timeout=30)``: calls something that shows a modal
  dialog (e.g. Thonny's upload/download); a watchdog closes stuck dialogs
- ``h.remote_files()`` names shown in the Files view's device pane
- ``h.messages`` messagebox calls (recorded, not shown); ``h.exceptions``
- ``h.screenshot(path)`` (ImageMagick ``import -window root``)

Scripts outside pytest wrap their calls in ``with private_display(): ...``.
"""
from __future__ import annotations

import contextlib
import importlib
import json
import os
import subprocess
import sys
import tempfile
import time
import traceback
from pathlib import Path
from typing import Any, Callable, Dict, Iterator, List, Optional, Tuple, Union

REPO_ROOT = Path(__file__).resolve().parent.parent


class ScenarioFailed(AssertionError):
    pass


@contextlib.contextmanager
def private_display(width: int = 1280, height: int = 800) -> Iterator[str]:
    """For scripts (benchmarks, screenshots): the caller's X display if it works,
    else a private Xvfb for the duration of the block. Tests use the ``xdisplay`` fixture."""
    import shutil

    existing = os.environ.get("DISPLAY")
    if existing and shutil.which("xdpyinfo") and subprocess.run(
        ["xdpyinfo", "-display", existing], capture_output=True
    ).returncode == 0:
        yield existing
        return
    from tests.xvfb import start_xvfb, stop_xvfb

    started = start_xvfb(width, height, range(140, 200))
    if started is not None:
        proc, display = started
        old = os.environ.get("DISPLAY")
        os.environ["DISPLAY"] = display
        try:
            yield display
        finally:
            stop_xvfb(proc)
            if old is None:
                os.environ.pop("DISPLAY", None)
            else:
                os.environ["DISPLAY"] = old
        return
    raise RuntimeError("could not start Xvfb")


# ---------------------------------------------------------------- parent side
def run_scenario(
    scenario: Union[str, Callable],
    user_dir: Union[str, Path],
    *,
    ini: Optional[Dict[str, Dict[str, Any]]] = None,
    plugin: bool = True,
    timeout: float = 120,
    env: Optional[Dict[str, str]] = None,
    killed: bool = False,
    **kwargs: Any,
) -> Any:
    if callable(scenario):
        module = scenario.__module__
        if module == "__main__":  # a script: name its module by its path in the repo
            path = Path(sys.modules["__main__"].__file__).resolve().relative_to(REPO_ROOT)
            module = ".".join(path.with_suffix("").parts)
        scenario = f"{module}:{scenario.__name__}"
    user_dir = Path(user_dir)
    user_dir.mkdir(parents=True, exist_ok=True)
    write_ini(user_dir / "configuration.ini", ini or {})
    with tempfile.TemporaryDirectory() as tmp:
        result_file = Path(tmp) / "result.json"
        child_env = dict(os.environ)
        child_env["PYTHONPATH"] = os.pathsep.join(
            [str(REPO_ROOT)] + [p for p in child_env.get("PYTHONPATH", "").split(os.pathsep) if p]
        )
        child_env.update(env or {})
        cmd = [
            sys.executable, "-m", "tests.thonny_harness",
            scenario, str(user_dir), json.dumps(kwargs), str(result_file), "1" if plugin else "0",
        ]
        try:
            proc = subprocess.run(
                cmd, cwd=str(REPO_ROOT), env=child_env, capture_output=True, text=True, timeout=timeout
            )
        except subprocess.TimeoutExpired as e:
            raise ScenarioFailed(
                f"scenario {scenario} timed out after {timeout} s\n{_tails(user_dir, e.stderr)}"
            ) from None
        if killed:  # the scenario ends by SIGKILL, as a machine switched off: nothing to read
            if proc.returncode != -9:
                raise ScenarioFailed(f"scenario {scenario} was to die by SIGKILL, exit {proc.returncode}\n"
                                     f"{_tails(user_dir, proc.stderr)}")
            return None
        if not result_file.exists():
            raise ScenarioFailed(
                f"scenario {scenario} died (exit {proc.returncode})\n{_tails(user_dir, proc.stderr)}"
            )
        outcome = json.loads(result_file.read_text())
    if outcome.get("error") or outcome.get("exceptions"):
        raise ScenarioFailed(
            f"scenario {scenario} failed:\n{outcome.get('error') or ''}\n"
            f"Thonny internal errors: {outcome.get('exceptions')}\n{_tails(user_dir, proc.stderr)}"
        )
    return outcome["value"]


def write_ini(path: Path, sections: Dict[str, Dict[str, Any]]) -> None:
    """Merge ``sections`` into a configuration.ini, with what a headless run needs."""
    import configparser

    parser = configparser.ConfigParser(interpolation=None)
    if path.exists():
        parser.read(path, encoding="utf-8")
    base = {"general": {"single_instance": False, "language": "en_US"}}
    for section, values in list(base.items()) + list(sections.items()):
        if not parser.has_section(section):
            parser.add_section(section)
        for key, value in values.items():
            parser.set(section, key, value if isinstance(value, str) else repr(value))
    with open(path, "w", encoding="utf-8") as fp:
        parser.write(fp)


def _tails(user_dir: Path, stderr: Optional[Union[str, bytes]]) -> str:
    parts = []
    if isinstance(stderr, bytes):
        stderr = stderr.decode(errors="replace")
    if stderr:
        parts.append("--- stderr ---\n" + stderr[-3000:])
    for name in ("frontend.log", "backend.log"):
        log = user_dir / name
        if log.exists():
            parts.append(f"--- {name} ---\n" + log.read_text(errors="replace")[-3000:])
    return "\n".join(parts)


# ----------------------------------------------------------------- child side
class Harness:
    def __init__(self, wb) -> None:
        self.wb = wb
        self.messages: List[Tuple[str, str, str]] = []
        self.exceptions: List[str] = []

    @property
    def runner(self):
        from thonny import get_runner

        return get_runner()

    @property
    def proxy(self):
        return self.runner.get_backend_proxy()

    def backend_let_go(self, timeout: float = 5.0) -> bool:
        """Thonny's back-end no longer holds the board's port: no proxy, or (after Thonny's
        own Disconnect) a proxy whose back-end process has ended."""
        from thonnycontrib.esp32cam.thonny_compat import front

        def released() -> bool:
            proc = None if self.proxy is None else front.proxy_process(self.proxy)
            return proc is None or proc.poll() is not None

        deadline = time.monotonic() + timeout
        while not released() and time.monotonic() < deadline:
            self.pump(0.05)
        return released()

    def pump(self, seconds: float = 0.1) -> None:
        deadline = time.monotonic() + seconds
        while True:
            self.wb.update()
            if time.monotonic() >= deadline:
                return
            time.sleep(0.01)

    def wait_until(self, predicate: Callable[[], Any], timeout: float = 20, what: str = "condition") -> Any:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            self.wb.update()
            value = predicate()
            if value:
                return value
            time.sleep(0.01)
        raise TimeoutError(f"timed out after {timeout} s waiting for {what}; shell:\n{self.shell_text()[-1500:]}")

    # --- back-end -------------------------------------------------------
    def select_backend(self, name: str, **options: Any) -> None:
        for key, value in options.items():
            self.wb.set_option(f"{name}.{key}", value)
        self.wb.set_option("run.backend_name", name)
        self.runner.restart_backend(False)

    def is_at_prompt(self) -> bool:
        return bool(
            self.proxy is not None
            and self.runner.is_waiting_toplevel_command()
            and self.shell_text().rstrip(" \n").endswith(">>>")
        )

    def wait_for_prompt(self, timeout: float = 30) -> None:
        self.wait_until(self.is_at_prompt, timeout, "the >>> prompt")

    def shell_text(self) -> str:
        from thonny import get_shell

        return get_shell().text.get("1.0", "end-1c")

    def run_in_shell(self, code: str, timeout: float = 20) -> str:
        from thonny import get_shell

        before = len(self.shell_text())
        self.wait_until(self.runner.is_waiting_toplevel_command, timeout, "back-end ready")
        get_shell().submit_python_code(code.rstrip("\n") + "\n")
        # started, or (a loaded machine polls late) already answered with a new prompt
        self.wait_until(lambda: not self.runner.is_waiting_toplevel_command()
                        or ">>>" in self.shell_text()[before:], 5, "command start")
        self.wait_for_prompt(timeout)
        return self.shell_text()[before:]

    def interrupt(self) -> None:
        self.runner._cmd_interrupt()  # what Ctrl+C / Run → Interrupt execution call

    def stop_restart(self) -> None:
        self.runner.cmd_stop_restart()

    def kill(self) -> None:
        """SIGKILL this Workbench process (a laptop switched off): Thonny saves nothing."""
        import signal

        self.wb.update()
        backend = getattr(self.proxy, "_proc", None) if self.proxy is not None else None
        if backend is not None and backend.poll() is None:  # no orphan back-end left behind
            backend.kill()
        os.kill(os.getpid(), signal.SIGKILL)

    # --- options dialog -----------------------------------------------
    def open_options(self, page_key: str = "interpreter"):
        from thonny.config_ui import ConfigurationDialog

        dlg = ConfigurationDialog(self.wb, self.wb._configuration_pages)
        dlg.select_page(page_key)
        self.pump(0.2)
        page = None
        for key, _title, widget in dlg._page_records:
            if key == page_key:
                page = widget._current_page if hasattr(widget, "_current_page") else widget
        return dlg, page

    def press_ok(self, dlg) -> bool:
        """OK; returns whether the back-end restart was requested (Thonny then restarts it)."""
        dlg._ok()
        self.pump(0.1)
        if dlg.backend_restart_required:
            self.runner.restart_backend(False)
        return bool(dlg.backend_restart_required)

    def press_cancel(self, dlg) -> None:
        dlg._cancel()
        self.pump(0.1)

    # --- modal dialogs, files -------------------------------------------
    def call_modal(self, func: Callable, *args: Any, timeout: float = 30) -> Any:
        import tkinter as tk

        fired = []

        def watchdog():
            for child in self.wb.winfo_children():
                if isinstance(child, tk.Toplevel):
                    fired.append(str(child))
                    child.destroy()

        after_id = self.wb.after(int(timeout * 1000), watchdog)
        try:
            result = func(*args)
        finally:
            self.wb.after_cancel(after_id)
        if fired:
            raise TimeoutError(f"modal dialog still open after {timeout} s: {fired}")
        return result

    def widgets(self, root: Any = None) -> Iterator[Any]:
        """Every widget below ``root`` (the Workbench by default), depth first."""
        for child in (root or self.wb).winfo_children():
            yield child
            yield from self.widgets(child)

    def drive_modal(self, window_class: type, script: Callable, opener: Callable, timeout: float = 120,
                    close: Callable[[Any], None] = lambda w: w.destroy(),
                    details: Callable[[Any], str] = lambda w: "") -> Dict[str, Any]:
        """Run ``opener`` (it shows a ``window_class`` window modally) while ``script(window,
        result)`` drives that window: a generator yielding conditions to wait for. An error
        in the script closes the window (``close``) and fails the test with the traceback
        and ``details(window)``. Returns ``result``."""
        result: Dict[str, Any] = {}
        state: Dict[str, Any] = {}

        def tick():
            try:
                if "gen" not in state:
                    window = next((w for w in self.widgets() if isinstance(w, window_class)
                                   and w.winfo_ismapped()), None)
                    if window is None:
                        self.wb.after(50, tick)
                        return
                    state["window"] = window
                    state["gen"] = script(window, result)
                    state["cond"] = next(state["gen"])
                while state["cond"]():
                    state["cond"] = next(state["gen"])
                self.wb.after(50, tick)
            except StopIteration:
                pass
            except BaseException as e:  # report in the test, close the window
                result["error"] = repr(e) + "\n" + traceback.format_exc() + details(state.get("window"))
                close(state["window"])

        self.wb.after(50, tick)
        self.call_modal(opener, timeout=timeout)
        assert "error" not in result, result["error"]
        return result

    def camera_view(self) -> Any:
        """Show the plug-in's camera view, as its View menu item does, and return it."""
        from thonnycontrib.esp32cam.frontend.registration import VIEW_ID, show_camera_view

        show_camera_view()
        self.pump(0.3)
        return self.wb.get_view(VIEW_ID)

    @staticmethod
    def set_live(view: Any, on: bool, frame_size: Optional[str] = None) -> None:
        """The camera view's Live check box, as the user ticks it (after picking a frame size)."""
        if frame_size:
            view.controls.frame_size.set(frame_size)
        view.controls.live.set(on)
        view._on_live_toggled()

    def remote_files(self) -> List[str]:
        view = self.wb.get_view("FilesView")
        tree = view.remote_files.tree
        return [tree.set(item, "name") for item in tree.get_children("")]

    def screenshot(self, path: Union[str, Path]) -> None:
        self.pump(0.5)
        Path(path).parent.mkdir(parents=True, exist_ok=True)
        subprocess.run(["import", "-window", "root", str(path)], check=True, timeout=30)


def _missing_language_server(text: str) -> bool:
    """The development head's wheel lacks the vendored basedpyright (see the README beside
    the wheels): Thonny's own language-server client then fails inside Thonny
    (thonny/lsp_proxy.py, with no plug-in frame); not the plug-in's error."""
    return "thonny/lsp_proxy.py" in text and "thonnycontrib" not in text


def _install_recorders(h: Harness) -> None:
    import tkinter.messagebox as messagebox

    from thonny.workbench import Workbench

    def report_exception(self, title: str = "Internal error") -> None:
        text = traceback.format_exc()
        if _missing_language_server(text):
            return
        h.exceptions.append(f"{title}: {text}")

    Workbench.report_exception = report_exception  # type: ignore[assignment]

    def recorder(kind: str, answer: Any):
        def record(title=None, message=None, **kw):
            h.messages.append((kind, str(title), str(message)))
            return answer

        return record

    for kind, answer in [("showerror", "ok"), ("showwarning", "ok"), ("showinfo", "ok"),
                         ("askyesno", True), ("askokcancel", True), ("askyesnocancel", True)]:
        setattr(messagebox, kind, recorder(kind, answer))


def _start_workbench() -> Any:
    """What ``python -m thonny`` does before its main loop, on each generation.

    Thonny 4.1/5.0: ``thonny._configure_frontend_logging()``, ``Workbench()``.
    The development head (5.0.0b1.dev0, ``thonny/main.py`` ``run()``): sets
    ``thonny.THONNY_USER_DIR`` for old plug-ins, logs through ``configure_logging``
    and passes the parsed command line to ``Workbench(parsed_args)``."""
    import thonny
    from thonny.workbench import Workbench

    thonny.prepare_thonny_user_dir()
    if hasattr(thonny, "_configure_frontend_logging"):
        thonny._configure_frontend_logging()
        return Workbench()
    from thonny import main

    thonny.THONNY_USER_DIR = thonny.get_thonny_user_dir()
    thonny.configure_logging(main._get_frontend_log_file(), thonny.choose_logging_level())
    return Workbench(main._parse_arguments_to_dict([]))


def _child_main(argv: List[str]) -> int:
    scenario, user_dir, kwargs_json, result_file, plugin = argv
    os.environ["THONNY_USER_DIR"] = user_dir
    sys.argv = sys.argv[:1]
    if plugin == "0":
        sys.modules["thonnycontrib"] = None  # type: ignore[assignment]  # hides all plug-ins
    outcome: Dict[str, Any] = {"value": None, "error": None, "exceptions": []}
    h: Optional[Harness] = None
    try:
        h = Harness(None)
        _install_recorders(h)
        wb = _start_workbench()
        h.wb = wb
        h.wait_until(lambda: wb.ready, 30, "Workbench ready")
        module_name, func_name = scenario.split(":")
        func = getattr(importlib.import_module(module_name), func_name)
        outcome["value"] = func(h, **json.loads(kwargs_json))
    except BaseException:
        outcome["error"] = traceback.format_exc()
    finally:
        if h is not None and h.wb is not None:
            try:
                h.wb._on_close()
            except Exception:
                outcome["error"] = (outcome["error"] or "") + "closing: " + traceback.format_exc()
        if h is not None:
            outcome["exceptions"] = h.exceptions
            outcome["messages"] = h.messages
        Path(result_file).write_text(json.dumps(outcome, default=repr))
    return 0


if __name__ == "__main__":
    sys.exit(_child_main(sys.argv[1:]))
