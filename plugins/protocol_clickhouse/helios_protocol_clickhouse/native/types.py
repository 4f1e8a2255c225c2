"""ClickHouse type names parsed into trees: ``Nullable(Array(LowCardinality(String)))`` and friends.

A block carries each column's type as text; the column codecs walk this tree. Arguments keep
their kind: nested types, numbers, quoted strings (time zones), enum members and the element
names of named tuples.
"""

from __future__ import annotations

import re

import attrs


class TypeNameError(ValueError):
    """A type name that does not parse (or names no type this server knows)."""


@attrs.frozen
class ChType:
    """One ClickHouse type: its name, its arguments, and (in a named Tuple) its element name."""

    name: str
    args: tuple = ()  # ChType | int | str | tuple[str, int] (enum member)
    element_name: str | None = None

    @property
    def types(self) -> list[ChType]:
        return [a for a in self.args if isinstance(a, ChType)]

    def __str__(self) -> str:
        if not self.args and self.name not in ("Tuple",):
            return self.name
        parts = []
        for a in self.args:
            if isinstance(a, ChType):
                parts.append(f"{a.element_name} {a}" if a.element_name else str(a))
            elif isinstance(a, tuple):
                parts.append(f"{_quote(a[0])} = {a[1]}")
            elif isinstance(a, str):
                parts.append(_quote(a))
            else:
                parts.append(str(a))
        return f"{self.name}({', '.join(parts)})"


def _quote(s: str) -> str:
    return "'" + s.replace("\\", "\\\\").replace("'", "\\'") + "'"


_TOKEN = re.compile(r"""\s*(?:(?P<num>-?\d+)|(?P<str>'(?:[^'\\]|\\.)*')|(?P<ident>[A-Za-z_][A-Za-z0-9_]*|`[^`]*`)|(?P<punct>[(),=]))""")


def _tokens(text: str) -> list[tuple[str, str]]:
    out = []
    pos = 0
    text = text.rstrip()
    while pos < len(text):
        m = _TOKEN.match(text, pos)
        if not m:
            raise TypeNameError(f"cannot parse type name {text!r} at position {pos}")
        kind = m.lastgroup
        assert kind is not None
        out.append((kind, m.group(kind)))
        pos = m.end()
    return out


def _unquote(s: str) -> str:
    body = s[1:-1]
    return re.sub(r"\\(.)", lambda m: {"n": "\n", "t": "\t", "0": "\0"}.get(m.group(1), m.group(1)), body)


class _Parser:
    def __init__(self, text: str) -> None:
        self.text = text
        self.toks = _tokens(text)
        self.i = 0

    def peek(self, offset: int = 0) -> tuple[str, str] | None:
        j = self.i + offset
        return self.toks[j] if j < len(self.toks) else None

    def take(self) -> tuple[str, str]:
        tok = self.peek()
        if tok is None:
            raise TypeNameError(f"type name {self.text!r} ends too early")
        self.i += 1
        return tok

    def expect(self, punct: str) -> None:
        tok = self.take()
        if tok != ("punct", punct):
            raise TypeNameError(f"expected {punct!r} in type name {self.text!r}, found {tok[1]!r}")

    def parse_type(self) -> ChType:
        kind, name = self.take()
        if kind != "ident":
            raise TypeNameError(f"expected a type name in {self.text!r}, found {name!r}")
        name = name.strip("`")
        if self.peek() != ("punct", "("):
            return ChType(name)
        self.expect("(")
        args: list = []
        if self.peek() != ("punct", ")"):
            while True:
                args.append(self.parse_arg(name))
                if self.peek() == ("punct", ","):
                    self.take()
                    continue
                break
        self.expect(")")
        return ChType(name, tuple(args))

    def parse_arg(self, owner: str) -> object:
        tok = self.peek()
        assert tok is not None
        kind, text = tok
        if kind == "num":
            self.take()
            return int(text)
        if kind == "str":
            self.take()
            value = _unquote(text)
            if self.peek() == ("punct", "="):  # an enum member
                self.take()
                k, num = self.take()
                if k != "num":
                    raise TypeNameError(f"enum member {value!r} needs a number in {self.text!r}")
                return (value, int(num))
            return value
        # a named tuple element: "name Type"
        nxt = self.peek(1)
        if owner == "Tuple" and kind == "ident" and nxt is not None and nxt[0] == "ident":
            self.take()
            element = self.parse_type()
            return attrs.evolve(element, element_name=text.strip("`"))
        return self.parse_type()


def parse_type(text: str) -> ChType:
    """The tree of one ClickHouse type name; TypeNameError when it does not parse."""
    parser = _Parser(text)
    out = parser.parse_type()
    if parser.peek() is not None:
        raise TypeNameError(f"unexpected {parser.peek()[1]!r} after the type in {text!r}")  # type: ignore[index]
    return out
