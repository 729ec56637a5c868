"""Every user-visible string of the Thonny front-end goes through the plug-in's gettext
domain (``core/i18n.py``).

Reads the front-end's modules (``frontend/``, ``thonny_compat/front*.py``, ``ast``, no
import) and lists every text literal given unwrapped where the user reads it:

- the keywords ``text``, ``title``, ``label``, ``message``, ``detail`` and the items of
  ``values`` (Tk widgets, menus, comboboxes, dialogs);
- the positional arguments of ``messagebox``'s functions, of ``.title(...)`` (window
  titles), of Thonny's ``add_command`` (its label, third) and ``add_view`` (second);
- the arguments of the plug-in's own "show this" helpers (status lines, the Shell, the
  installer's log and action line; ``SHOWN_BY`` below) and of ``.set(...)`` when the
  literal reads like a sentence (a space in it: ``StringVar.set``).

A literal, an f-string, a ``%``/``+`` built string or a ``"...".format()`` is unwrapped;
``_()``, ``ngettext()`` and ``N_()`` (or a variable, translated where it was made) pass.
A conditional's two branches are checked each. Literals with no letters (``"✔ "``,
``"…"``, ``"\\n"``) are not text.

For the whole package: ``_()``/``ngettext()`` get literals (no f-string, no ``+``, no
``%``: the catalog holds the literal), and no module importing ``_`` binds ``_`` again
(``for _, x in ...`` would shadow the translation function).
"""
from __future__ import annotations

import ast
import re
from pathlib import Path
from typing import Iterator, List, Optional, Tuple

PACKAGE = Path(__file__).resolve().parent.parent / "thonnycontrib" / "esp32cam"

TEXT_KEYWORDS = {"text", "title", "label", "message", "detail"}
MESSAGEBOX = {"showinfo", "showerror", "showwarning", "askyesno", "askokcancel", "askyesnocancel",
              "askretrycancel", "askquestion"}
# positional arguments (0-based) a function shows: Thonny's and Tk's ...
SHOWN_POSITIONAL = {"add_command": (2,), "add_view": (1,), "title": (0,),
                    "insert_command_link": (0,), "print_error": (0,),
                    # ... and the plug-in's helpers that put text on the screen
                    "_show_status": (0,), "_message": (0, 1), "_say": (0,), "say": (0,),
                    "progress": (0,), "append_text": (0,), "set_action_text": (0,),
                    "_untouched": (0, 1), "_show_error": (0,), "PrepareError": (0,),
                    "_show_port_error": (0,)}
TRANSLATING = {"_", "N_", "ngettext"}
LETTERS = re.compile(r"[^\W\d_]{2,}")  # two letters in a row: a word

# Literals with letters that are still no text to translate, each with why:
NOT_TEXT = {
    "MAC",  # the board table's column heading: the same abbreviation in every language
    "esptool",  # "esptool 5.0.1" in the installer's log: a program's name and version
}


def frontend_modules() -> Iterator[Path]:
    yield from sorted((PACKAGE / "frontend").glob("*.py"))
    yield from sorted((PACKAGE / "thonny_compat").glob("front*.py"))


def _name(func: ast.expr) -> Optional[str]:
    if isinstance(func, ast.Name):
        return func.id
    if isinstance(func, ast.Attribute):
        return func.attr
    return None


def _literal_texts(node: ast.expr) -> List[str]:
    """The untranslated text in ``node`` (a literal, f-string, ``+``/``%`` or ``.format``
    built string); [] when it is translated or not a string made here."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return [node.value]
    if isinstance(node, ast.JoinedStr):
        return ["".join(v.value for v in node.values if isinstance(v, ast.Constant))]
    if isinstance(node, ast.BinOp) and isinstance(node.op, (ast.Add, ast.Mod)):
        return _literal_texts(node.left) + _literal_texts(node.right)
    if isinstance(node, ast.IfExp):
        return _literal_texts(node.body) + _literal_texts(node.orelse)
    if isinstance(node, ast.Call) and _name(node.func) == "format" \
            and isinstance(node.func, ast.Attribute):
        return _literal_texts(node.func.value)  # "...".format(): the literal; _("...").format(): []
    return []


def _is_text(value: str) -> bool:
    return bool(LETTERS.search(value)) and value.strip() not in NOT_TEXT


def _unwrapped(node: ast.expr, sentence_only: bool = False) -> List[str]:
    return [text for text in _literal_texts(node)
            if _is_text(text) and (not sentence_only or " " in text.strip())]


def unwrapped_texts(tree: ast.AST) -> List[Tuple[int, str]]:
    """(line, text) of every user-visible literal not given to ``_()``."""
    found: List[Tuple[int, str]] = []
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call):
            continue
        name = _name(node.func)
        shown: List[ast.expr] = []
        for keyword in node.keywords:
            if keyword.arg in TEXT_KEYWORDS:
                shown.append(keyword.value)
            elif keyword.arg == "values" and isinstance(keyword.value, (ast.List, ast.Tuple)):
                shown.extend(keyword.value.elts)
        if name in MESSAGEBOX:
            shown.extend(node.args[:2])
        for index in SHOWN_POSITIONAL.get(name, ()):
            if index < len(node.args):
                shown.append(node.args[index])
        if name == "post_work_event" and len(node.args) > 1:  # the installer's guidance line
            shown.append(node.args[1])
        texts = [text for value in shown for text in _unwrapped(value)]
        if name == "set" and isinstance(node.func, ast.Attribute):  # StringVar.set, Treeview.set
            texts += [text for value in node.args for text in _unwrapped(value, sentence_only=True)]
        found += [(node.lineno, text) for text in texts]
    return found


def translation_misuse(tree: ast.AST) -> List[Tuple[int, str]]:
    """``_()``/``ngettext()`` of a built string; ``_`` bound again in a module importing it."""
    found: List[Tuple[int, str]] = []
    imports_underscore = any(isinstance(node, ast.ImportFrom)
                             and any(a.name == "_" and a.asname is None for a in node.names)
                             for node in ast.walk(tree))
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and _name(node.func) in ("_", "ngettext") \
                and isinstance(node.func, ast.Name):
            for arg in node.args[:2]:
                if isinstance(arg, (ast.JoinedStr, ast.BinOp)) or \
                        (isinstance(arg, ast.Call) and _name(arg.func) == "format"):
                    found.append((node.lineno, f"{node.func.id}() of a built string"))
        if imports_underscore and isinstance(node, ast.Name) and node.id == "_" \
                and isinstance(node.ctx, ast.Store):
            found.append((node.lineno, "_ bound again (it is the translation function here)"))
    return found


def _listing(findings: dict) -> str:
    return "\n".join(f"{path}:\n  " + "\n  ".join(f"line {n}: {text!r}" for n, text in items)
                     for path, items in findings.items())


def test_every_user_visible_front_end_string_is_translated():
    findings = {}
    for path in frontend_modules():
        found = unwrapped_texts(ast.parse(path.read_text(encoding="utf-8")))
        if found:
            findings[str(path.relative_to(PACKAGE.parent.parent))] = found
    assert not findings, ("Front-end texts not given to _() / ngettext() / N_():\n"
                          + _listing(findings))


def test_translation_calls_get_literals_and_keep_their_name():
    findings = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        found = translation_misuse(ast.parse(path.read_text(encoding="utf-8")))
        if found:
            findings[str(path.relative_to(PACKAGE.parent.parent))] = found
    assert not findings, _listing(findings)


def test_the_checks_find_each_kind_of_unwrapped_text():
    """The rules catch what the front-end's modules did before they were translated (so a
    pass means something), and let the translated forms through."""
    source = '''
from thonnycontrib.esp32cam.core.i18n import _, ngettext

ttk.Button(frame, text="Capture", command=capture)
ttk.Label(frame, text=f"Refused {name}: {e}")
ttk.Label(frame, text="Fix: " + result.fix)
menu.add_command(label="Refresh catalog" + (f" from {url}" if url else " (set a URL first)"))
wb.add_command("esp32cam_doctor", "tools", "Diagnose ESP32-CAM connection…", open_doctor)
wb.add_view(View, "ESP32-CAM camera", "e")
self.title("ESP32-CAM Wi-Fi")
messagebox.showinfo("Connect the ESP32-CAM first", text, master=wb)
ttk.Combobox(frame, values=["Fastest that works", value])
self.status_var.set("Pick a network in the list or type its name.")
self._show_status("Saved %s (%d bytes)." % (path, size))
report.set_action_text("Writing the firmware… {percent} %".format(percent=p))
report.post_work_event("guidance", "Firmware installed.")
say("Looking for esptool…")
status = _(f"Port {port}")
count = ngettext("{n} board" + "", "{n} boards", n)
for _, x in pairs:
    pass

ttk.Button(frame, text=_("Capture"), command=capture)
ttk.Label(frame, text=_("Refused {file}: {reason}").format(file=name, reason=e))
ttk.Label(frame, text=ngettext("{n} board", "{n} boards", n).format(n=n))
ttk.Label(frame, text="✔ " if ok else "✖ ")
ttk.Label(frame, text=label)
self.title(_(TITLE))
self.tree.heading("mac", text="MAC")
self.status_var.set("")
self.tree.set(port, "status", "")
combo.set("VGA")
report.post_work_event("reconnect", port)
'''
    tree = ast.parse(source)
    found = [text for _line, text in unwrapped_texts(tree)]
    assert found == [
        "Capture", "Refused : ", "Fix: ", "Refresh catalog", " from ", " (set a URL first)",
        "Diagnose ESP32-CAM connection…", "ESP32-CAM camera", "ESP32-CAM Wi-Fi",
        "Connect the ESP32-CAM first", "Fastest that works",
        "Pick a network in the list or type its name.", "Saved %s (%d bytes).",
        "Writing the firmware… {percent} %", "Firmware installed.", "Looking for esptool…",
    ], found
    misuse = [what for _line, what in translation_misuse(tree)]
    assert misuse == ["_() of a built string", "ngettext() of a built string",
                      "_ bound again (it is the translation function here)"], misuse
