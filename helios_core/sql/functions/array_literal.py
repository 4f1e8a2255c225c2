"""PostgreSQL's array text input: '{1,2}', '{{1,2},{3,4}}', '{"a b",NULL}', '[1:2]={1,2}'.

The literal becomes nested Python lists of element texts (None for NULL); the elements are
converted to the element type afterwards, vectorized. Errors are PostgreSQL's 22P02
"malformed array literal" with its DETAIL lines.
"""

from __future__ import annotations

import re

from helios_core.errors import FeatureNotSupported, InvalidTextRepresentation

# array_in's notion of white space (not Python's, which also counts \x1c-\x1f, \x85, \xa0...)
ARRAY_SPACE = " \t\n\r\v\f"
_DIMS = re.compile(r"\s*((?:\[\s*-?\d+\s*(?::\s*-?\d+\s*)?\])+)\s*=\s*")
_ONE_DIM = re.compile(r"\[\s*(-?\d+)\s*(?::\s*(-?\d+)\s*)?\]")


def _malformed(txt: str, detail: str) -> InvalidTextRepresentation:
    return InvalidTextRepresentation(f'malformed array literal: "{txt}"', detail=detail)


def parse_literal(txt: str, delimiter: str = ",") -> list:
    """Nested lists of element texts for one array literal (rectangular, else 22P02); elements are
    separated by the element type's delimiter (``;`` for box, whose values hold commas)."""
    s = txt
    declared: list[tuple[int, int]] | None = None
    m = _DIMS.match(s)
    if m:
        declared = []
        for lo, hi in _ONE_DIM.findall(m.group(1)):
            lo_i, hi_i = (1, int(lo)) if hi == "" else (int(lo), int(hi))
            declared.append((lo_i, hi_i))
        s = s[m.end():]
    elif s.lstrip(ARRAY_SPACE).startswith("["):
        raise _malformed(txt, 'Missing "=" after array dimensions.')
    parser = _Parser(s, txt, delimiter)
    value = parser.parse()
    if declared is not None:
        if any(lo != 1 for lo, _ in declared):
            raise FeatureNotSupported("arrays with lower bounds other than 1 are not supported by HeliosDB")
        dims = _dims(value)
        if [hi - lo + 1 for lo, hi in declared] != dims:
            raise _malformed(txt, "Specified array dimensions do not match array contents.")
    return value


def _dims(v: list) -> list[int]:
    dims = []
    while isinstance(v, list) and v:
        dims.append(len(v))
        v = v[0]
    return dims


class _Parser:
    def __init__(self, s: str, orig: str, delimiter: str = ",") -> None:
        self.s = s
        self.orig = orig
        self.i = 0
        self.delimiter = delimiter

    def ws(self) -> None:
        while self.i < len(self.s) and self.s[self.i] in ARRAY_SPACE:
            self.i += 1

    def parse(self) -> list:
        self.ws()
        if self.i >= len(self.s) or self.s[self.i] != "{":
            raise _malformed(self.orig, 'Array value must start with "{" or dimension information.')
        value = self.array()
        self.ws()
        if self.i != len(self.s):
            raise _malformed(self.orig, "Junk after closing right brace.")
        self.check(value)
        return value

    def array(self) -> list:
        self.i += 1  # "{"
        out: list = []
        self.ws()
        if self.i < len(self.s) and self.s[self.i] == "}":
            self.i += 1
            return out
        while True:
            self.ws()
            if self.i >= len(self.s):
                raise _malformed(self.orig, "Unexpected end of input.")
            c = self.s[self.i]
            if c == "{":
                out.append(self.array())
            elif c == '"':
                out.append(self.quoted())
            elif c in (self.delimiter, "}"):
                raise _malformed(self.orig, f'Unexpected "{c}" character.')
            else:
                out.append(self.bare())
            self.ws()
            if self.i >= len(self.s):
                raise _malformed(self.orig, "Unexpected end of input.")
            c = self.s[self.i]
            self.i += 1
            if c == "}":
                return out
            if c != self.delimiter:
                raise _malformed(self.orig, f'Unexpected "{c}" character.')

    def quoted(self) -> str:
        self.i += 1
        buf = []
        while self.i < len(self.s) and self.s[self.i] != '"':
            if self.s[self.i] == "\\" and self.i + 1 < len(self.s):
                self.i += 1
            buf.append(self.s[self.i])
            self.i += 1
        if self.i >= len(self.s):
            raise _malformed(self.orig, "Unexpected end of input.")
        self.i += 1
        return "".join(buf)

    def bare(self) -> str | None:
        buf = []
        escaped_any = False
        trail = 0  # trailing unescaped whitespace is dropped
        while self.i < len(self.s) and self.s[self.i] not in (self.delimiter, "}"):
            c = self.s[self.i]
            if c == "\\" and self.i + 1 < len(self.s):
                self.i += 1
                buf.append(self.s[self.i])
                escaped_any = True
                trail = 0
            elif c in '{"':
                raise _malformed(self.orig, f'Unexpected "{c}" character.')
            else:
                buf.append(c)
                trail = trail + 1 if c in ARRAY_SPACE else 0
            self.i += 1
        text = "".join(buf[: len(buf) - trail] if trail else buf)
        if not escaped_any and text.upper() == "NULL":
            return None
        return text

    def check(self, value: list) -> None:
        """Sub-arrays must match in length and depth; scalars and sub-arrays cannot mix."""
        dims = _dims(value)

        def walk(v: object, level: int) -> None:
            if level == len(dims):
                if isinstance(v, list):
                    raise _malformed(self.orig, "Multidimensional arrays must have sub-arrays with matching "
                                                "dimensions.")
                return
            if not isinstance(v, list):
                raise _malformed(self.orig, "Unexpected array element.")
            if len(v) != dims[level]:
                raise _malformed(self.orig, "Multidimensional arrays must have sub-arrays with matching "
                                            "dimensions.")
            for x in v:
                walk(x, level + 1)

        if value:
            walk(value, 0)
