# The syntax a board's MicroPython version accepts, where the unix port (1.28) accepts more.
# Runs in CPython (the board's UART, tests/virtualboard/firmware.py) and in the firmware
# (exec/eval/compile/import, vb_boot), so it uses only what both have.
#
# f-strings came in v1.17 (py/lexer.c, commit 692d36d779 "Implement partial PEP-498
# (f-string) support", MICROPY_PY_FSTRINGS set in ports/esp32/mpconfigport.h from v1.17).
# An older lexer reads f'...' as the name f followed by a string: the parser stops there
# with "SyntaxError: invalid syntax" on that line. The mask replaces the quote after an
# f prefix by "$" (same length: raw-paste flow control counts bytes), which the unix
# port rejects with the same message on the same line.

FSTRINGS = (1, 17)
_Q1 = 39  # '
_Q2 = 34  # "
_BSL = 92
_HASH = 35
_NL = (10, 13)
_MASK = 36  # $


def _ident(c):
    return c == 95 or 48 <= c <= 57 or 65 <= c <= 90 or 97 <= c <= 122 or c >= 128


class FStringMask:
    """Streams source bytes; returns them with each f-string's opening quote masked.
    Tracks comments and strings (single/triple quoted, escapes) so text inside them
    is left alone. Control bytes 1..5 (the REPL's mode switches, Ctrl-C, Ctrl-D) start over."""

    def __init__(self, version):
        self.active = tuple(version[:2]) < FSTRINGS
        self.reset()

        self.masked = []  # the quotes replaced, in order (the friendly REPL echoes them)

    def reset(self):
        self.mode = 0  # 0 code, 1 comment, 2 string
        self.word = b""  # the identifier run just before (up to 3 bytes)
        self.quote = 0
        self.triple = False
        self.opening = 0  # quotes seen at a string's start (1 or 2)
        self.closing = 0
        self.esc = False

    def feed(self, data):
        if not self.active or not data:
            return data
        out = bytearray(data)
        for i in range(len(out)):
            c = out[i]
            if 1 <= c <= 5:
                self.reset()
                continue
            if self.mode == 2 and self.opening:
                if c == self.quote:
                    self.opening += 1
                    if self.opening == 3:
                        self.triple = True
                        self.opening = 0
                    continue
                empty = self.opening == 2
                self.opening = 0
                if empty:  # '' or "": the string is over
                    self.mode = 0
            if self.mode == 1:
                if c in _NL:
                    self.mode = 0
                continue
            if self.mode == 2:
                if self.esc:
                    self.esc = False
                elif c == _BSL:
                    self.esc = True
                    self.closing = 0
                elif self.triple:
                    self.closing = self.closing + 1 if c == self.quote else 0
                    if self.closing == 3:
                        self.mode = 0
                elif c == self.quote or c in _NL:
                    self.mode = 0
                continue
            # code
            if c == _Q1 or c == _Q2:
                if self.word.lower() in (b"f", b"rf", b"fr"):
                    out[i] = _MASK
                    self.masked.append(c)
                self.mode, self.quote, self.triple, self.opening, self.closing = 2, c, False, 1, 0
                self.word = b""
            elif c == _HASH:
                self.mode = 1
                self.word = b""
            elif _ident(c):
                if len(self.word) < 3:
                    self.word += bytes((c,))
            else:
                self.word = b""
        return bytes(out)


def mask(source, version):
    """A whole source (str or bytes) as the build's compiler would see it; unchanged
    (the same object) when the build accepts all of it."""
    text = source.encode() if isinstance(source, str) else bytes(source)
    masked = FStringMask(version).feed(text)
    if masked == text:
        return source
    return masked.decode() if isinstance(source, str) else masked
