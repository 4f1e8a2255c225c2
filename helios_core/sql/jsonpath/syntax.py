"""jsonpath text -> a tree of ``Item``s, and the tree back to text as PostgreSQL prints it.

The grammar is PostgreSQL 15's (jsonpath_gram.y) written as recursive descent: predicates
(comparisons, ``&&``, ``||``, ``!``, ``exists``, ``is unknown``, ``starts with``,
``like_regex``) and expressions (accessor chains, unary and binary arithmetic) are told apart
so that what PostgreSQL refuses is refused here with its messages (42601). An accessor chain
is a linked list: each item's ``next`` is the accessor applied to its result.

>>> to_text(parse('lax $.a[1 to last] ? (@.b > +1)'))
'$."a"[1 to last]?(@."b" > 1)'
"""

from __future__ import annotations

import decimal
import json
import re
from typing import Any

import attrs

from helios_core.errors import HeliosError

ANY_LAST = 2**32 - 1  # the level bound PostgreSQL writes as ``last`` in ``.**{...}``

PREDICATES = frozenset({"&&", "||", "!", "is unknown", "exists", "==", "!=", "<", ">", "<=", ">=",
                        "starts with", "like_regex"})
COMPARISONS = ("==", "!=", "<", ">", "<=", ">=")
METHODS = ("abs", "size", "type", "floor", "double", "ceiling", "keyvalue")
_KEYWORDS = frozenset({"is", "to", "abs", "lax", "flag", "last", "null", "size", "true", "type", "with",
                       "false", "floor", "double", "exists", "starts", "strict", "ceiling", "unknown",
                       "datetime", "keyvalue", "like_regex"})
_LOWER_ONLY = frozenset({"null", "true", "false"})  # the only keywords PostgreSQL reads case-sensitively
_PRIORITY = {"||": 0, "&&": 1, "!": 2, **dict.fromkeys((*COMPARISONS, "starts with", "like_regex"), 3),
             "+": 4, "-": 4, "*": 5, "/": 5, "%": 5, "plus": 6, "minus": 6}
_FLAG_ORDER = "ismxq"


@attrs.define(eq=False)
class Item:
    """One node: ``kind`` names it (``key``, ``root``, ``+``, ``filter``, ...); ``value`` holds
    a literal, key, variable name, method template or level bounds; ``args`` its operands."""

    kind: str
    value: Any = None
    args: list[Any] = attrs.field(factory=list)
    next: Item | None = None

    def append(self, item: Item) -> Item:
        tail = self
        while tail.next is not None:
            tail = tail.next
        tail.next = item
        return self


@attrs.frozen
class JsonPath:
    lax: bool
    root: Item


def syntax_error(message: str, *, sqlstate: str = "42601", detail: str | None = None) -> HeliosError:
    return HeliosError(message, sqlstate=sqlstate, detail=detail)


# ----------------------------------------------------------------------------------- the lexer

_SPECIAL = set("?%$.[]{}()|&!=<>@#,*:-+/\\\" \t\n\r\f")
_BLANK = " \t\n\r\f"
_NUMBER = re.compile(r"""
    (?P<num>(?:(?:0|[1-9][0-9]*)\.[0-9]*|\.[0-9]+|0|[1-9][0-9]*)(?:[Ee][-+]?[0-9]+)?)
""", re.VERBOSE)
_OPERATORS = ("**", "==", "!=", "<>", "<=", ">=", "&&", "||", "<", ">", "!", "@", "?", "(", ")", "[", "]",
              "{", "}", ",", ".", "*", "+", "-", "/", "%")
_ESCAPES = {"b": "\b", "f": "\f", "n": "\n", "r": "\r", "t": "\t", "v": "\v"}


@attrs.frozen
class Token:
    kind: str  # 'op', 'str', 'num', 'int', 'ident', 'kw', 'var', 'end'
    value: Any
    text: str


def _read_escape(text: str, i: int) -> tuple[str, int]:
    """The character a backslash escape at text[i] stands for, and the index after it."""
    if i + 1 >= len(text):
        raise syntax_error("unexpected end after backslash at end of jsonpath input")
    e = text[i + 1]
    if e in _ESCAPES:
        return _ESCAPES[e], i + 2
    if e == "u":
        m = re.match(r"\\u(?:([0-9A-Fa-f]{4})|\{([0-9A-Fa-f]{1,6})\})", text[i:])
        if m is None:
            near = re.match(r"\\u(?:\{[0-9A-Fa-f]{0,6}|[0-9A-Fa-f]{0,3})", text[i:])
            raise syntax_error(f"invalid unicode sequence at or near \"{near.group(0) if near else text[i:i + 2]}\" "
                               "of jsonpath input")
        cp = int(m.group(1) or m.group(2), 16)
        i += m.end()
        if 0xD800 <= cp <= 0xDBFF:  # a surrogate pair written as two escapes
            m2 = re.match(r"\\u(?:([0-9A-Fa-f]{4})|\{([0-9A-Fa-f]{1,6})\})", text[i:])
            low = int(m2.group(1) or m2.group(2), 16) if m2 else None
            if low is not None and 0xD800 <= low <= 0xDBFF:
                raise syntax_error("invalid input syntax for type jsonpath", sqlstate="22P02",
                                   detail="Unicode high surrogate must not follow a high surrogate.")
            if low is None or not 0xDC00 <= low <= 0xDFFF:
                raise syntax_error("invalid input syntax for type jsonpath", sqlstate="22P02",
                                   detail="Unicode low surrogate must follow a high surrogate.")
            cp = 0x10000 + ((cp - 0xD800) << 10) + (low - 0xDC00)
            i += m2.end()
        elif 0xDC00 <= cp <= 0xDFFF:
            raise syntax_error("invalid input syntax for type jsonpath", sqlstate="22P02",
                               detail="Unicode low surrogate must follow a high surrogate.")
        if cp == 0:
            raise HeliosError("unsupported Unicode escape sequence", sqlstate="22P05",
                              detail="\\u0000 cannot be converted to text.")
        return chr(cp), i
    if e == "x":
        m = re.match(r"\\x([0-9A-Fa-f]{2})", text[i:])
        if m is None:
            raise syntax_error(f"invalid hexadecimal character sequence at or near \"{text[i:i + 4]}\" "
                               "of jsonpath input")
        cp = int(m.group(1), 16)
        if cp == 0:
            raise HeliosError("unsupported Unicode escape sequence", sqlstate="22P05",
                              detail="\\u0000 cannot be converted to text.")
        return chr(cp), i + 4
    return e, i + 2


def _read_string(text: str, i: int) -> tuple[str, int]:
    """A double-quoted string starting at text[i] == '"': (decoded value, index after it)."""
    out = []
    i += 1
    while True:
        if i >= len(text):
            raise syntax_error("unexpected end of quoted string at end of jsonpath input")
        c = text[i]
        if c == '"':
            return "".join(out), i + 1
        if c == "\\":
            ch, i = _read_escape(text, i)
            out.append(ch)
        else:
            out.append(c)
            i += 1


def _read_word(text: str, i: int) -> tuple[str, int]:
    """An unquoted identifier (backslash escapes allowed, as in PostgreSQL)."""
    out = []
    while i < len(text) and (text[i] not in _SPECIAL or text[i] == "\\"):
        if text[i] == "\\":
            ch, i = _read_escape(text, i)
            out.append(ch)
        else:
            out.append(text[i])
            i += 1
    return "".join(out), i


def tokenize(text: str) -> list[Token]:
    toks: list[Token] = []
    i, n = 0, len(text)
    while i < n:
        c = text[i]
        if c in _BLANK:
            i += 1
            continue
        if c == '"':
            s, j = _read_string(text, i)
            toks.append(Token("str", s, text[i:j]))
            i = j
            continue
        if c == "$":
            if i + 1 < n and text[i + 1] == '"':
                s, j = _read_string(text, i + 1)
                toks.append(Token("var", s, text[i:j]))
                i = j
                continue
            name, j = _read_word(text, i + 1)
            if j > i + 1:
                toks.append(Token("var", name, text[i:j]))
            else:
                toks.append(Token("op", "$", "$"))
            i = j
            continue
        m = _NUMBER.match(text, i)
        if m is not None and (c.isdigit() or (c == "." and m.end() > i + 1)):
            j = m.end()
            num = m.group("num")
            if j < n and text[j] not in _SPECIAL:
                raise syntax_error(f"trailing junk after numeric literal at or near \"{text[i:j + 1]}\" "
                                   "of jsonpath input")
            if re.fullmatch(r"0|[1-9][0-9]*", num):
                toks.append(Token("int", int(num), num))
            else:
                toks.append(Token("num", decimal.Decimal(num), num))
            i = j
            continue
        op = next((o for o in _OPERATORS if text.startswith(o, i)), None)
        if op is not None:
            toks.append(Token("op", "!=" if op == "<>" else op, op))
            i += len(op)
            continue
        if c in _SPECIAL and c != "\\":
            raise syntax_error(f"syntax error at or near \"{c}\" of jsonpath input")
        word, j = _read_word(text, i)
        low = word.lower()
        if low in _KEYWORDS and (low not in _LOWER_ONLY or word == low) and "\\" not in text[i:j]:
            toks.append(Token("kw", low, word))
        else:
            toks.append(Token("ident", word, text[i:j]))
        i = j
    toks.append(Token("end", None, ""))
    return toks


# ---------------------------------------------------------------------------------- the parser

class _Parser:
    def __init__(self, text: str) -> None:
        self.toks = tokenize(text)
        self.pos = 0

    @property
    def tok(self) -> Token:
        return self.toks[self.pos]

    def take(self) -> Token:
        t = self.toks[self.pos]
        self.pos += 1
        return t

    def is_op(self, *ops: str) -> bool:
        return self.tok.kind == "op" and self.tok.value in ops

    def is_kw(self, *kws: str) -> bool:
        return self.tok.kind == "kw" and self.tok.value in kws

    def error(self) -> HeliosError:
        if self.tok.kind == "end":
            return syntax_error("syntax error at end of jsonpath input")
        return syntax_error(f"syntax error at or near \"{self.tok.text}\" of jsonpath input")

    def expect_op(self, op: str) -> None:
        if not self.is_op(op):
            raise self.error()
        self.pos += 1

    # result: mode expr_or_predicate
    def parse(self) -> JsonPath | None:
        lax = True
        if self.is_kw("strict", "lax"):
            lax = self.take().value == "lax"
        if self.tok.kind == "end":
            if lax and self.pos == 0:
                return None
            raise self.error()
        root = self.or_()
        if self.tok.kind != "end":
            raise self.error()
        return JsonPath(lax, root)

    def predicate(self) -> Item:
        item = self.or_()
        if not _is_predicate(item):
            raise self.error()
        return item

    def or_(self) -> Item:
        left = self.and_()
        while self.is_op("||"):
            self.take()
            right = self.and_()
            self._need_predicates(left, right)
            left = Item("||", args=[left, right])
        return left

    def and_(self) -> Item:
        left = self.not_()
        while self.is_op("&&"):
            self.take()
            right = self.not_()
            self._need_predicates(left, right)
            left = Item("&&", args=[left, right])
        return left

    def _need_predicates(self, *items: Item) -> None:
        if not all(_is_predicate(i) for i in items):
            raise self.error()

    def not_(self) -> Item:
        if self.is_op("!"):
            self.take()
            if self.is_op("("):
                self.take()
                inner = self.predicate()
                self.expect_op(")")
            elif self.is_kw("exists"):
                inner = self.exists()
            else:
                raise self.error()
            return Item("!", args=[inner])
        return self.comparison()

    def exists(self) -> Item:
        self.take()
        self.expect_op("(")
        inner = self.expr()
        self.expect_op(")")
        return Item("exists", args=[inner])

    def comparison(self) -> Item:
        left = self.additive()
        if _is_predicate(left):
            return left
        if self.is_op(*COMPARISONS):
            op = self.take().value
            right = self.expr()
            return Item(op, args=[left, right])
        if self.is_kw("starts"):
            self.take()
            if not self.is_kw("with"):
                raise self.error()
            self.take()
            if self.tok.kind == "str":
                initial = Item("string", self.take().value)
            elif self.tok.kind == "var":
                initial = Item("var", self.take().value)
            else:
                raise self.error()
            return Item("starts with", args=[left, initial])
        if self.is_kw("like_regex"):
            self.take()
            if self.tok.kind != "str":
                raise self.error()
            pattern = self.take().value
            flags = ""
            if self.is_kw("flag"):
                self.take()
                if self.tok.kind != "str":
                    raise self.error()
                flags = self.take().value
            return Item("like_regex", (pattern, _check_flags(flags, pattern)), [left])
        return left

    def expr(self) -> Item:
        item = self.additive()
        if _is_predicate(item):
            raise self.error()
        return item

    def additive(self) -> Item:
        left = self.multiplicative()
        while self.is_op("+", "-"):
            op = self.tok.value
            if _is_predicate(left):
                raise self.error()
            self.take()
            right = self.multiplicative()
            if _is_predicate(right):
                raise self.error()
            left = Item(op, args=[left, right])
        return left

    def multiplicative(self) -> Item:
        left = self.unary()
        while self.is_op("*", "/", "%"):
            op = self.tok.value
            if _is_predicate(left):
                raise self.error()
            self.take()
            right = self.unary()
            if _is_predicate(right):
                raise self.error()
            left = Item(op, args=[left, right])
        return left

    def unary(self) -> Item:
        if self.is_op("+", "-"):
            sign = self.take().value
            operand = self.unary()
            if _is_predicate(operand):
                raise self.error()
            if operand.kind == "numeric" and operand.next is None:
                if sign == "-":
                    operand.value = -operand.value
                return operand
            return Item("plus" if sign == "+" else "minus", args=[operand])
        return self.accessor_expr()

    def accessor_expr(self) -> Item:
        item = self.primary()
        while True:
            acc = self.accessor_op()
            if acc is None:
                return item
            item = item.append(acc)

    def primary(self) -> Item:
        t = self.tok
        if t.kind == "str":
            self.take()
            return Item("string", t.value)
        if t.kind == "int" or t.kind == "num":
            self.take()
            return Item("numeric", decimal.Decimal(t.value) if t.kind == "int" else t.value)
        if t.kind == "var":
            self.take()
            return Item("var", t.value)
        if t.kind == "kw" and t.value in ("null", "true", "false", "last"):
            self.take()
            return Item(t.value) if t.value in ("null", "last") else Item("bool", t.value == "true")
        if t.kind == "kw" and t.value == "exists":
            return self.exists()
        if self.is_op("$"):
            self.take()
            return Item("root")
        if self.is_op("@"):
            self.take()
            return Item("current")
        if self.is_op("("):
            self.take()
            inner = self.or_()
            self.expect_op(")")
            if _is_predicate(inner) and self.is_kw("is"):
                self.take()
                if not self.is_kw("unknown"):
                    raise self.error()
                self.take()
                return Item("is unknown", args=[inner])
            if _is_predicate(inner):
                # '(' predicate ')' is a predicate unless an accessor follows it
                while (acc := self.accessor_op()) is not None:
                    inner.append(acc)
            return inner
        raise self.error()

    def accessor_op(self) -> Item | None:
        if self.is_op("["):
            return self.array_accessor()
        if self.is_op("?"):
            self.take()
            self.expect_op("(")
            pred = self.predicate()
            self.expect_op(")")
            return Item("filter", args=[pred])
        if not self.is_op("."):
            return None
        self.take()
        t = self.tok
        if self.is_op("*"):
            self.take()
            return Item("anykey")
        if self.is_op("**"):
            self.take()
            return self.any_path()
        if t.kind == "kw" and t.value in (*METHODS, "datetime") and self.toks[self.pos + 1].kind == "op" \
                and self.toks[self.pos + 1].value == "(":
            self.take()
            self.take()
            template = None
            if t.value == "datetime" and self.tok.kind == "str":
                template = self.take().value
            self.expect_op(")")
            return Item(t.value, template)
        if t.kind in ("ident", "str"):
            self.take()
            return Item("key", t.value)
        if t.kind == "kw":
            self.take()
            return Item("key", t.text)
        raise self.error()

    def any_path(self) -> Item:
        first, last = 0, ANY_LAST
        if self.is_op("{"):
            self.take()
            first = self.any_level()
            last = first
            if self.is_kw("to"):
                self.take()
                last = self.any_level()
            self.expect_op("}")
        return Item("any", (first, last))

    def any_level(self) -> int:
        if self.tok.kind == "int":
            return self.take().value
        if self.is_kw("last"):
            self.take()
            return ANY_LAST
        raise self.error()

    def array_accessor(self) -> Item:
        self.take()
        if self.is_op("*") and self.toks[self.pos + 1].kind == "op" and self.toks[self.pos + 1].value == "]":
            self.take()
            self.take()
            return Item("anyarray")
        subs = []
        while True:
            lo = self.expr()
            hi = None
            if self.is_kw("to"):
                self.take()
                hi = self.expr()
            subs.append((lo, hi))
            if self.is_op(","):
                self.take()
                continue
            self.expect_op("]")
            return Item("index", args=subs)


def _is_predicate(item: Item) -> bool:
    return item.kind in PREDICATES and item.next is None


def _check_flags(flags: str, pattern: str) -> str:
    """PostgreSQL's LIKE_REGEX flags: i s m x q, kept in that order; x only with q."""
    seen = set()
    for ch in flags:
        if ch not in _FLAG_ORDER:
            raise syntax_error("invalid input syntax for type jsonpath", sqlstate="42601",
                               detail=f"Unrecognized flag character \"{ch}\" in LIKE_REGEX predicate.")
        seen.add(ch)
    if "x" in seen and "q" not in seen:
        raise HeliosError('XQuery "x" flag (expanded regular expressions) is not implemented', sqlstate="0A000")
    ordered = "".join(c for c in _FLAG_ORDER if c in seen)
    compile_regex(pattern, ordered)
    return ordered


_ARE_ESCAPES = {"b": "\\x08", "B": "\\\\", "y": "\\b", "Y": "\\B", "m": "\\b(?=\\w)", "M": "\\b(?<=\\w)",
                "e": "\\x1b", "Z": "\\Z", "A": "\\A"}


def _are_to_python(pattern: str) -> str:
    """PostgreSQL's regular expressions (ARE) spelled for Python's re: \\y is a word boundary
    there, \\b a backspace, \\B a backslash, \\m/\\M word starts and ends."""
    out, i = [], 0
    while i < len(pattern):
        c = pattern[i]
        if c == "\\" and i + 1 < len(pattern):
            e = pattern[i + 1]
            out.append(_ARE_ESCAPES.get(e, c + e))
            i += 2
            continue
        out.append(c)
        i += 1
    return "".join(out)


def compile_regex(pattern: str, flags: str) -> re.Pattern[str]:
    """The regular expression of a like_regex predicate (2201B when it is not valid)."""
    py_flags = 0
    if "i" in flags:
        py_flags |= re.IGNORECASE
    if "q" in flags:
        pattern = re.escape(pattern)
    else:
        pattern = _are_to_python(pattern)
        if "s" in flags:
            py_flags |= re.DOTALL
        if "m" in flags:
            py_flags |= re.MULTILINE
    try:
        return re.compile(pattern, py_flags)
    except re.error as e:
        message = str(e.msg)
        if "parenthesis" in message or "missing )" in message:
            message = "parentheses () not balanced"
        elif "bracket" in message or "set" in message:
            message = "brackets [] not balanced"
        raise HeliosError(f"invalid regular expression: {message}", sqlstate="2201B") from None


def _check_placement(item: Item | None, nesting: int, in_subscript: bool) -> None:
    """@ only inside filters, last only inside array subscripts (PostgreSQL checks this when it
    stores a path)."""
    while item is not None:
        if item.kind == "current" and nesting <= 0:
            raise syntax_error("@ is not allowed in root expressions")
        if item.kind == "last" and not in_subscript:
            raise syntax_error("LAST is allowed only in array subscripts")
        if item.kind == "filter":
            _check_placement(item.args[0], nesting + 1, in_subscript)
        elif item.kind == "index":
            for lo, hi in item.args:
                _check_placement(lo, nesting, True)
                _check_placement(hi, nesting, True)
        else:
            for a in item.args:
                if isinstance(a, Item):
                    _check_placement(a, nesting, in_subscript)
        item = item.next


_CACHE: dict[str, JsonPath] = {}


def parse(text: str) -> JsonPath:
    """A jsonpath's text parsed (22P02 for an empty one, 42601 for syntax errors)."""
    hit = _CACHE.get(text)
    if hit is not None:
        return hit
    path = _Parser(text).parse()
    if path is None:
        raise HeliosError(f"invalid input syntax for type jsonpath: {json.dumps(text)}", sqlstate="22P02")
    _check_placement(path.root, 0, False)
    if len(_CACHE) > 4096:
        _CACHE.clear()
    _CACHE[text] = path
    return path


# --------------------------------------------------------------------------------- the printer

def quote(s: str) -> str:
    """PostgreSQL's escape_json: \\b \\f \\n \\r \\t \\" \\\\ and \\u00XX for other controls."""
    out = ['"']
    for ch in s:
        if ch == '"':
            out.append('\\"')
        elif ch == "\\":
            out.append("\\\\")
        elif ch in "\b\f\n\r\t":
            out.append({"\b": "\\b", "\f": "\\f", "\n": "\\n", "\r": "\\r", "\t": "\\t"}[ch])
        elif ord(ch) < 0x20:
            out.append(f"\\u{ord(ch):04x}")
        else:
            out.append(ch)
    out.append('"')
    return "".join(out)


def numeric_text(d: decimal.Decimal) -> str:
    text = format(d, "f")
    return "0" if text in ("-0",) else text


def _print(item: Item, out: list[str], in_key: bool, brackets: bool) -> None:
    k = item.kind
    if k in ("&&", "||", *COMPARISONS, "starts with", "+", "-", "*", "/", "%"):
        if brackets:
            out.append("(")
        left, right = item.args
        _print(left, out, False, _PRIORITY.get(left.kind, 7) <= _PRIORITY[k])
        out.append(f" {k} ")
        _print(right, out, False, _PRIORITY.get(right.kind, 7) <= _PRIORITY[k])
        if brackets:
            out.append(")")
    elif k == "like_regex":
        if brackets:
            out.append("(")
        arg = item.args[0]
        _print(arg, out, False, _PRIORITY.get(arg.kind, 7) <= _PRIORITY[k])
        pattern, flags = item.value
        out.append(" like_regex " + quote(pattern))
        if flags:
            out.append(f' flag "{flags}"')
        if brackets:
            out.append(")")
    elif k in ("plus", "minus"):
        if brackets:
            out.append("(")
        out.append("+" if k == "plus" else "-")
        arg = item.args[0]
        _print(arg, out, False, _PRIORITY.get(arg.kind, 7) <= _PRIORITY[k])
        if brackets:
            out.append(")")
    elif k == "filter":
        out.append("?(")
        _print(item.args[0], out, False, False)
        out.append(")")
    elif k == "!":
        out.append("!(")
        _print(item.args[0], out, False, False)
        out.append(")")
    elif k == "is unknown":
        out.append("(")
        _print(item.args[0], out, False, False)
        out.append(") is unknown")
    elif k == "exists":
        out.append("exists (")
        _print(item.args[0], out, False, False)
        out.append(")")
    elif k == "null":
        out.append("null")
    elif k == "bool":
        out.append("true" if item.value else "false")
    elif k == "numeric":
        text = numeric_text(item.value)
        out.append(f"({text})" if item.next is not None else text)
    elif k == "string":
        out.append(quote(item.value))
    elif k == "var":
        out.append("$" + quote(item.value))
    elif k == "root":
        out.append("$")
    elif k == "current":
        out.append("@")
    elif k == "last":
        out.append("last")
    elif k == "key":
        if in_key:
            out.append(".")
        out.append(quote(item.value))
    elif k == "anykey":
        if in_key:
            out.append(".")
        out.append("*")
    elif k == "anyarray":
        out.append("[*]")
    elif k == "index":
        out.append("[")
        for i, (lo, hi) in enumerate(item.args):
            if i:
                out.append(",")
            _print(lo, out, False, False)
            if hi is not None:
                out.append(" to ")
                _print(hi, out, False, False)
        out.append("]")
    elif k == "any":
        if in_key:
            out.append(".")
        first, last = item.value
        if first == 0 and last == ANY_LAST:
            out.append("**")
        elif first == last:
            out.append("**{last}" if first == ANY_LAST else f"**{{{first}}}")
        elif first == ANY_LAST:
            out.append(f"**{{last to {last}}}")
        elif last == ANY_LAST:
            out.append(f"**{{{first} to last}}")
        else:
            out.append(f"**{{{first} to {last}}}")
    elif k == "datetime":
        out.append(".datetime(" + ("" if item.value is None else quote(item.value)) + ")")
    elif k in METHODS:
        out.append(f".{k}()")
    else:
        raise ValueError(k)
    if item.next is not None:
        _print(item.next, out, True, True)


def to_text(path: JsonPath) -> str:
    out = [] if path.lax else ["strict "]
    _print(path.root, out, False, True)
    return "".join(out)


def normalize(text: str) -> str:
    """The text PostgreSQL stores and prints for a jsonpath written as ``text``."""
    return to_text(parse(text))
