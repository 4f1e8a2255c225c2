"""The tsquery value: a tree of lexemes, ``!``, ``&``, ``|`` and phrase ``<N>``, and its text form.

Nodes are tuples: ``("val", lexeme, weights, prefix)`` (weights: bit 3 for A down to bit 0
for D, 0 = any), ``("not", child)``, ``("and", l, r)``, ``("or", l, r)``,
``("phrase", l, r, distance)``; an empty query is None. Operator priority and the
parenthesised output follow PostgreSQL (``!`` > ``<->`` > ``&`` > ``|``).
"""

from __future__ import annotations

import functools
from collections.abc import Callable

from helios_core.errors import HeliosError, SyntaxError_
from helios_search.tsvector import quote_lexeme

MAX_DISTANCE = 16384
PRIORITY = {"not": 4, "phrase": 3, "and": 2, "or": 1}
_OPERATOR_CHARS = "!&|()<"

Node = tuple


def syntax_error(text: str) -> HeliosError:
    return SyntaxError_(f'syntax error in tsquery: "{text}"')


class _Reader:
    """Tokens of tsquery text: operands, operators and parentheses."""

    def __init__(self, text: str, plain: bool = False) -> None:
        self.text = text
        self.i = 0
        self.plain = plain

    def skip_space(self) -> None:
        while self.i < len(self.text) and self.text[self.i].isspace():
            self.i += 1

    def peek(self) -> str:
        self.skip_space()
        return self.text[self.i] if self.i < len(self.text) else ""

    def operand(self) -> tuple[str, int, bool]:
        """A lexeme and its ``:`` flags (weights, prefix)."""
        t, n = self.text, len(self.text)
        out: list[str] = []
        if t[self.i] == "'":
            self.i += 1
            while True:
                if self.i >= n:
                    raise syntax_error(t)
                c = t[self.i]
                if c == "\\" and self.i + 1 < n:
                    out.append(t[self.i + 1])
                    self.i += 2
                elif c == "'":
                    if self.i + 1 < n and t[self.i + 1] == "'":
                        out.append("'")
                        self.i += 2
                    else:
                        self.i += 1
                        break
                else:
                    out.append(c)
                    self.i += 1
        else:
            while self.i < n:
                c = t[self.i]
                if c == "\\" and self.i + 1 < n:
                    out.append(t[self.i + 1])
                    self.i += 2
                elif c.isspace() or c in _OPERATOR_CHARS or c == ":":
                    break
                else:
                    out.append(c)
                    self.i += 1
        weights, prefix = 0, False
        if self.i < n and t[self.i] == ":":
            self.i += 1
            while self.i < n:
                c = t[self.i].upper()
                if c == "*":
                    prefix = True
                elif c in "ABCD":
                    weights |= 1 << "DCBA".index(c)
                else:
                    break
                self.i += 1
        return "".join(out), weights, prefix

    def phrase_distance(self) -> int | None:
        """``<->`` or ``<N>`` at the reader (after '<'), or None when it is not one: the digits
        or the '-' follow '<' directly and '>' follows them directly, as PostgreSQL reads them."""
        t = self.text
        if t.startswith("<->", self.i):
            self.i += 3
            return 1
        j = self.i + 1
        k = j
        while k < len(t) and t[k].isdigit():
            k += 1
        if k == j or k >= len(t) or t[k] != ">":
            return None
        distance = int(t[j:k])
        if distance > MAX_DISTANCE:
            raise HeliosError(
                f"distance in phrase operator must be an integer value between zero and {MAX_DISTANCE} "
                "inclusive", sqlstate="22023")
        self.i = k + 1
        return distance


Morph = Callable[[str, int, bool], Node | None | str]
STOP = "stop"  # an operand the dictionaries dropped (stop word), removed after parsing


def parse(text: str, morph: Morph | None = None) -> Node | None:
    """tsquery input; ``morph(lexeme, weights, prefix)`` turns each operand into a subtree
    (to_tsquery) or ``STOP``. Stop operands are then removed as PostgreSQL removes them."""
    reader = _Reader(text)
    if not reader.peek():
        return None

    def operand_node(lexeme: str, weights: int, prefix: bool) -> Node | str | None:
        if not lexeme:  # '' (to_tsquery too: an empty operand is no stop word)
            raise syntax_error(text)
        if morph is None:
            if len(lexeme.encode()) > 2046:
                raise HeliosError("word is too long in tsquery: \"" + text + "\"", sqlstate="54000")
            return ("val", lexeme, weights, prefix)
        return morph(lexeme, weights, prefix)

    def primary() -> Node | str:
        c = reader.peek()
        if not c:
            raise SyntaxError_(f'no operand in tsquery: "{text}"')
        if c == "!":
            reader.i += 1
            child = primary()
            return ("not", child)
        if c == "(":
            reader.i += 1
            inner = expression(0)
            if reader.peek() != ")":
                raise syntax_error(text)
            reader.i += 1
            return inner
        if c in "&|)<:":
            raise syntax_error(text)
        node = operand_node(*reader.operand())
        if node is None:
            return STOP
        return node

    def binary() -> tuple[str, int] | None:
        c = reader.peek()
        if c == "&":
            reader.i += 1
            return ("and", 0)
        if c == "|":
            reader.i += 1
            return ("or", 0)
        if c == "<":
            save = reader.i
            distance = reader.phrase_distance()
            if distance is None:
                reader.i = save
                raise syntax_error(text)
            return ("phrase", distance)
        return None

    def expression(min_priority: int) -> Node | str:
        left = primary()
        while True:
            save = reader.i
            op = binary()
            if op is None:
                return left
            prio = PRIORITY[op[0]]
            if prio < min_priority:
                reader.i = save
                return left
            right = expression(prio + 1)
            left = ("phrase", left, right, op[1]) if op[0] == "phrase" else (op[0], left, right)

    tree = expression(0)
    c = reader.peek()
    if c:
        raise syntax_error(text)
    return clean_stop_words(tree)


def clean_stop_words(tree: Node | str) -> Node | None:
    """Remove stop-word operands; a phrase keeps the distance they took up."""
    node, _, _ = _clean(tree)
    return node


def _clean(node: Node | str) -> tuple[Node | None, int, int]:
    if node == STOP:
        return None, 0, 0
    kind = node[0]
    if kind == "val":
        return node, 0, 0
    if kind == "not":
        child, ladd, radd = _clean(node[1])
        return (("not", child) if child is not None else None), ladd, radd
    left, lladd, lradd = _clean(node[1])
    right, rladd, rradd = _clean(node[2])
    is_phrase = kind == "phrase"
    distance = node[3] if is_phrase else 0
    if left is None and right is None:
        add = lladd + distance + rladd if is_phrase else max(lladd, rladd)
        return None, add, add
    if left is None:
        if is_phrase:
            return right, lladd + distance + rladd, rradd
        return right, rladd, rradd
    if right is None:
        if is_phrase:
            return left, lladd, lradd + distance + rradd
        return left, lladd, lradd
    if is_phrase:
        return ("phrase", left, right, distance + lradd + rladd), lladd, rradd
    return (kind, left, right), 0, 0


# ---------------------------------------------------------------------------- output


def _operand_text(node: Node) -> str:
    _, lexeme, weights, prefix = node
    out = quote_lexeme(lexeme)
    if weights or prefix:
        out += ":" + ("*" if prefix else "") + "".join(
            letter for bit, letter in ((3, "A"), (2, "B"), (1, "C"), (0, "D")) if weights & (1 << bit))
    return out


def _infix(node: Node, parent_priority: int, right_phrase: bool) -> str:
    kind = node[0]
    if kind == "val":
        return _operand_text(node)
    priority = PRIORITY[kind]
    if kind == "not":
        inner = "!" + _infix(node[1], priority, False)
        return f"( {inner} )" if priority < parent_priority else inner
    right = _infix(node[2], priority, kind == "phrase")
    left = _infix(node[1], priority, False)
    if kind == "or":
        s = f"{left} | {right}"
    elif kind == "and":
        s = f"{left} & {right}"
    else:
        op = "<->" if node[3] == 1 else f"<{node[3]}>"
        s = f"{left} {op} {right}"
    if priority < parent_priority or (kind == "phrase" and right_phrase):
        return f"( {s} )"
    return s


@functools.lru_cache(maxsize=65536)
def format(tree: Node | None) -> str:
    return "" if tree is None else _infix(tree, 0, False)


@functools.lru_cache(maxsize=65536)
def parse_cached(text: str) -> Node | None:
    return parse(text)


def canonical(text: str) -> str:
    return format(parse_cached(text))


# ---------------------------------------------------------------------------- properties


def numnode(tree: Node | None) -> int:
    if tree is None:
        return 0
    if tree[0] == "val":
        return 1
    return 1 + sum(numnode(c) for c in tree[1:] if isinstance(c, tuple))


def operands(tree: Node | None) -> list[Node]:
    if tree is None:
        return []
    if tree[0] == "val":
        return [tree]
    return [o for c in tree[1:] if isinstance(c, tuple) for o in operands(c)]


def querytree(tree: Node | None) -> str:
    """The part of the query an index can use: NOT branches are dropped ('T' when nothing is left)."""
    if tree is None:
        return ""
    kept = _drop_not(tree)
    return "T" if kept is None else format(kept)


def _drop_not(node: Node) -> Node | None:
    kind = node[0]
    if kind == "val":
        return node
    if kind == "not":
        return None
    left, right = _drop_not(node[1]), _drop_not(node[2])
    if kind == "or":
        return None if left is None or right is None else (kind, left, right)
    if left is None:
        return right
    if right is None:
        return left
    return (kind, left, right, *node[3:])


def combine(kind: str, left: Node | None, right: Node | None, distance: int = 1) -> Node | None:
    """``&&``, ``||``, ``<->`` of two queries; an empty side gives the other."""
    if left is None:
        return right
    if right is None:
        return left
    if kind == "phrase":
        return ("phrase", left, right, distance)
    return (kind, left, right)


def negate(tree: Node | None) -> Node | None:
    return None if tree is None else ("not", tree)
