"""Running a parsed jsonpath over a parsed jsonb document, as PostgreSQL 15's jsonpath_exec.c.

Results are produced lazily (generators): ``jsonb_path_exists`` stops at the first item as
PostgreSQL does, so an error further on is never reached. Errors PostgreSQL lets ``silent``
suppress are ``PathError``s; a predicate turns them into ``unknown``. Missing variables and
bad ``vars`` are not suppressible, as in PostgreSQL.

Values are what ``json.loads`` gives (None, bool, int, Decimal, str, list, dict) plus
``datetimes.DateTime`` for results of ``.datetime()``.
"""

from __future__ import annotations

import decimal
import math
import re
from collections.abc import Iterator
from typing import Any

import attrs

from helios_core.errors import HeliosError
from helios_core.sql.jsonpath import datetimes
from helios_core.sql.jsonpath.failures import PathError
from helios_core.sql.jsonpath.syntax import ANY_LAST, COMPARISONS, Item, JsonPath, compile_regex

TRUE, FALSE, UNKNOWN = "true", "false", "unknown"
_CTX = decimal.Context(prec=2000, rounding=decimal.ROUND_HALF_UP, Emax=999999, Emin=-999999)
_INT32 = 2**31
_FLOAT_TEXT = re.compile(r"\s*[+-]?(?:(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][+-]?[0-9]+)?|inf|infinity|nan)\s*",
                         re.IGNORECASE)


@attrs.frozen
class _State:
    current: Any = None
    innermost: int = -1  # size of the array whose subscript is evaluated (for ``last``)
    ignore_structural: bool = True


def kind_of(v: Any) -> str:
    if v is None:
        return "null"
    if v is True or v is False:
        return "boolean"
    if isinstance(v, (int, decimal.Decimal)):
        return "number"
    if isinstance(v, str):
        return "string"
    if isinstance(v, list):
        return "array"
    if isinstance(v, dict):
        return "object"
    if isinstance(v, datetimes.DateTime):
        return v.type_name
    raise TypeError(type(v))


def _is_number(v: Any) -> bool:
    return isinstance(v, (int, decimal.Decimal)) and not isinstance(v, bool)


def _num(d: decimal.Decimal | int) -> decimal.Decimal:
    d = decimal.Decimal(d)
    return d.copy_abs() if d.is_zero() else d


class Evaluator:
    """One execution of a path: the document, ``vars`` and mode."""

    def __init__(self, path: JsonPath, root: Any, variables: dict[str, Any], use_tz: bool) -> None:
        self.path = path
        self.lax = path.lax
        self.root = root
        self.vars = variables
        self.use_tz = use_tz
        self._offsets: dict[int, int] | None = None
        # items whose results only need to exist (lax jsonb_path_exists, exists()): PostgreSQL
        # evaluates them without a result list and skips some errors there
        self.exists_roots: set[int] = set()

    # ------------------------------------------------------------------------------ entry points
    def items(self, exists: bool = False) -> Iterator[Any]:
        if exists and self.lax:
            self.exists_roots.add(id(self.path.root))
        return self.exec(self.path.root, self.root, self.lax, _State(ignore_structural=self.lax))

    # -------------------------------------------------------------------------------- the walker
    def next(self, item: Item, v: Any, st: _State) -> Iterator[Any]:
        if item.next is None:
            yield v
        else:
            yield from self.exec(item.next, v, self.lax, st)

    def unwrapped(self, item: Item, v: Any, st: _State, unwrap: bool = True) -> Iterator[Any]:
        """executeItemOptUnwrapResult: in lax mode arrays among the results give their elements."""
        for r in self.exec(item, v, self.lax, st):
            if unwrap and self.lax and isinstance(r, list):
                yield from r
            else:
                yield r

    def each_element(self, item: Item | None, arr: list, st: _State, unwrap: bool) -> Iterator[Any]:
        for e in arr:
            if item is None:
                yield e
            else:
                yield from self.exec(item, e, unwrap, st)

    def exec(self, item: Item, v: Any, unwrap: bool, st: _State) -> Iterator[Any]:
        k = item.kind
        handler = _HANDLERS.get(k)
        if handler is not None:
            yield from handler(self, item, v, unwrap, st)
            return
        if k in _BOOL_KINDS:
            res = self.boolean(item, v, st)
            yield from self.next(item, None if res == UNKNOWN else res == TRUE, st)
            return
        raise HeliosError(f"unknown jsonpath item {k!r}", sqlstate="XX000")

    # ----------------------------------------------------------------------------- accessors
    def _key(self, item: Item, v: Any, unwrap: bool, st: _State) -> Iterator[Any]:
        if isinstance(v, dict):
            if item.value in v:
                yield from self.next(item, v[item.value], st)
            elif not st.ignore_structural:
                raise PathError(f'JSON object does not contain key "{item.value}"', sqlstate="2203A")
        elif unwrap and isinstance(v, list):
            yield from self.each_element(item, v, st, False)
        elif not st.ignore_structural:
            raise PathError("jsonpath member accessor can only be applied to an object", sqlstate="2203A")

    def _anykey(self, item: Item, v: Any, unwrap: bool, st: _State) -> Iterator[Any]:
        if isinstance(v, dict):
            for val in v.values():
                if item.next is None:
                    yield val
                else:
                    yield from self.exec(item.next, val, self.lax, st)
        elif unwrap and isinstance(v, list):
            yield from self.each_element(item, v, st, False)
        elif not st.ignore_structural:
            raise PathError("jsonpath wildcard member accessor can only be applied to an object", sqlstate="2203C")

    def _anyarray(self, item: Item, v: Any, unwrap: bool, st: _State) -> Iterator[Any]:
        if isinstance(v, list):
            yield from self.each_element(item.next, v, st, self.lax)
        elif self.lax:
            yield from self.next(item, v, st)
        elif not st.ignore_structural:
            raise PathError("jsonpath wildcard array accessor can only be applied to an array", sqlstate="22039")

    def _index(self, item: Item, v: Any, unwrap: bool, st: _State) -> Iterator[Any]:
        if not isinstance(v, list) and not self.lax:
            if not st.ignore_structural:
                raise PathError("jsonpath array accessor can only be applied to an array", sqlstate="22039")
            return
        singleton = not isinstance(v, list)
        size = 1 if singleton else len(v)
        sub_st = attrs.evolve(st, innermost=size)
        for lo, hi in item.args:
            start = self._subscript(lo, v, sub_st)
            end = start if hi is None else self._subscript(hi, v, sub_st)
            if not st.ignore_structural and (start < 0 or start > end or end >= size):
                raise PathError("jsonpath array subscript is out of bounds", sqlstate="22033")
            start, end = max(start, 0), min(end, size - 1)
            for i in range(start, end + 1):
                yield from self.next(item, v if singleton else v[i], st)

    def _subscript(self, expr: Item, v: Any, st: _State) -> int:
        found = list(self.exec(expr, v, self.lax, st))
        if len(found) != 1 or not _is_number(found[0]):
            raise PathError("jsonpath array subscript is not a single numeric value", sqlstate="22033")
        n = int(decimal.Decimal(found[0]).to_integral_value(decimal.ROUND_DOWN))
        if not -_INT32 <= n < _INT32:
            raise PathError("jsonpath array subscript is out of integer range", sqlstate="22033")
        return n

    def _any(self, item: Item, v: Any, unwrap: bool, st: _State) -> Iterator[Any]:
        first, last = item.value
        if first == 0:
            yield from self.next(item, v, attrs.evolve(st, ignore_structural=True))
        if isinstance(v, (dict, list)):
            yield from self._any_levels(item.next, v, 1, first, last, self.lax,
                                        attrs.evolve(st, ignore_structural=True))

    def _any_levels(self, nxt: Item | None, container: Any, level: int, first: int, last: int, unwrap: bool,
                    st: _State) -> Iterator[Any]:
        if level > last:
            return
        for val in container.values() if isinstance(container, dict) else container:
            nested = isinstance(val, (dict, list))
            if level >= first or (first == ANY_LAST and last == ANY_LAST and not nested):
                if nxt is None:
                    yield val
                else:
                    yield from self.exec(nxt, val, unwrap, st)
            if level < last and nested:
                yield from self._any_levels(nxt, val, level + 1, first, last, unwrap, st)

    def _filter(self, item: Item, v: Any, unwrap: bool, st: _State) -> Iterator[Any]:
        if unwrap and isinstance(v, list):
            yield from self.each_element(item, v, st, False)
            return
        if self.boolean(item.args[0], v, attrs.evolve(st, current=v)) == TRUE:
            yield from self.next(item, v, st)

    # ------------------------------------------------------------------------------ primaries
    def _root(self, item: Item, v: Any, unwrap: bool, st: _State) -> Iterator[Any]:
        yield from self.next(item, self.root, st)

    def _current(self, item: Item, v: Any, unwrap: bool, st: _State) -> Iterator[Any]:
        yield from self.next(item, st.current, st)

    def _literal(self, item: Item, v: Any, unwrap: bool, st: _State) -> Iterator[Any]:
        value = {"null": None, "bool": item.value, "numeric": item.value, "string": item.value}[item.kind]
        yield from self.next(item, value, st)

    def _variable(self, item: Item, v: Any, unwrap: bool, st: _State) -> Iterator[Any]:
        if item.value not in self.vars:
            raise HeliosError(f'could not find jsonpath variable "{item.value}"', sqlstate="42704")
        yield from self.next(item, self.vars[item.value], st)

    def _last(self, item: Item, v: Any, unwrap: bool, st: _State) -> Iterator[Any]:
        if st.innermost < 0:
            raise HeliosError("evaluating jsonpath LAST outside of array subscript", sqlstate="XX000")
        yield from self.next(item, decimal.Decimal(st.innermost - 1), st)

    # ----------------------------------------------------------------------------- arithmetic
    def _binary(self, item: Item, v: Any, unwrap: bool, st: _State) -> Iterator[Any]:
        left = list(self.unwrapped(item.args[0], v, st))
        right = list(self.unwrapped(item.args[1], v, st))
        op = item.kind
        if len(left) != 1 or not _is_number(left[0]):
            raise PathError(f"left operand of jsonpath operator {op} is not a single numeric value",
                            sqlstate="22038")
        if len(right) != 1 or not _is_number(right[0]):
            raise PathError(f"right operand of jsonpath operator {op} is not a single numeric value",
                            sqlstate="22038")
        yield from self.next(item, arithmetic(op, decimal.Decimal(left[0]), decimal.Decimal(right[0])), st)

    def _unary(self, item: Item, v: Any, unwrap: bool, st: _State) -> Iterator[Any]:
        op = "+" if item.kind == "plus" else "-"
        for val in self.unwrapped(item.args[0], v, st):
            if not _is_number(val):
                if item.next is None and id(item) in self.exists_roots:
                    continue  # PostgreSQL skips what cannot count when only existence is asked
                raise PathError(f"operand of unary jsonpath operator {op} is not a numeric value", sqlstate="2203B")
            yield from self.next(item, _num(-decimal.Decimal(val)) if op == "-" else val, st)

    # --------------------------------------------------------------------------- item methods
    def _type(self, item: Item, v: Any, unwrap: bool, st: _State) -> Iterator[Any]:
        yield from self.next(item, kind_of(v), st)

    def _size(self, item: Item, v: Any, unwrap: bool, st: _State) -> Iterator[Any]:
        if isinstance(v, list):
            size = len(v)
        elif self.lax:
            size = 1
        else:
            if not st.ignore_structural:
                raise PathError("jsonpath item method .size() can only be applied to an array", sqlstate="22039")
            return
        yield from self.next(item, decimal.Decimal(size), st)

    def _numeric_method(self, item: Item, v: Any, unwrap: bool, st: _State) -> Iterator[Any]:
        if unwrap and isinstance(v, list):
            yield from self.each_element(item, v, st, False)
            return
        if not _is_number(v):
            raise PathError(f"jsonpath item method .{item.kind}() can only be applied to a numeric value",
                            sqlstate="22036")
        d = decimal.Decimal(v)
        if item.kind == "abs":
            out = d.copy_abs()
        else:
            out = d.to_integral_value(decimal.ROUND_FLOOR if item.kind == "floor" else decimal.ROUND_CEILING)
        yield from self.next(item, _num(out), st)

    def _double(self, item: Item, v: Any, unwrap: bool, st: _State) -> Iterator[Any]:
        if unwrap and isinstance(v, list):
            yield from self.each_element(item, v, st, False)
            return
        if _is_number(v):
            try:
                f = float(v)
            except OverflowError:
                f = math.inf
            if math.isinf(f) or math.isnan(f):
                raise PathError("numeric argument of jsonpath item method .double() is out of range for type "
                                "double precision", sqlstate="22036")
            out: Any = v
        elif isinstance(v, str):
            f = float(v) if _FLOAT_TEXT.fullmatch(v) else math.nan
            if math.isinf(f) or math.isnan(f):
                raise PathError("string argument of jsonpath item method .double() is not a valid representation "
                                "of a double precision number", sqlstate="22036")
            out = _num(decimal.Decimal(format(f, ".15g")))
        else:
            raise PathError("jsonpath item method .double() can only be applied to a string or numeric value",
                            sqlstate="22036")
        yield from self.next(item, out, st)

    def _keyvalue(self, item: Item, v: Any, unwrap: bool, st: _State) -> Iterator[Any]:
        if unwrap and isinstance(v, list):
            yield from self.each_element(item, v, st, False)
            return
        if not isinstance(v, dict):
            raise PathError("jsonpath item method .keyvalue() can only be applied to an object", sqlstate="2203C")
        oid = self.container_id(v)
        for key, val in v.items():
            yield from self.next(item, {"id": oid, "key": key, "value": val}, st)

    def container_id(self, v: Any) -> int:
        """PostgreSQL's keyvalue id: the byte offset of the object inside the stored jsonb."""
        if self._offsets is None:
            self._offsets = {}
            _layout(self.root, 0, self._offsets)
            if self.vars:
                vars_offsets: dict[int, int] = {}
                _layout(self.vars, 0, vars_offsets)
                for key, off in vars_offsets.items():
                    self._offsets.setdefault(key, off + 10_000_000_000)
        return self._offsets.get(id(v), 0)

    def _datetime(self, item: Item, v: Any, unwrap: bool, st: _State) -> Iterator[Any]:
        if unwrap and isinstance(v, list):
            yield from self.each_element(item, v, st, False)
            return
        if not isinstance(v, str):
            raise PathError("jsonpath item method .datetime() can only be applied to a string", sqlstate="22031")
        yield from self.next(item, datetimes.parse(v, item.value, self.use_tz), st)

    # ------------------------------------------------------------------------------ predicates
    def boolean(self, item: Item, v: Any, st: _State) -> str:
        k = item.kind
        if k == "&&":
            a = self.boolean(item.args[0], v, st)
            if a == FALSE:
                return FALSE
            b = self.boolean(item.args[1], v, st)
            return a if b == TRUE else b
        if k == "||":
            a = self.boolean(item.args[0], v, st)
            if a == TRUE:
                return TRUE
            b = self.boolean(item.args[1], v, st)
            return a if b == FALSE else b
        if k == "!":
            a = self.boolean(item.args[0], v, st)
            return UNKNOWN if a == UNKNOWN else (FALSE if a == TRUE else TRUE)
        if k == "is unknown":
            return TRUE if self.boolean(item.args[0], v, st) == UNKNOWN else FALSE
        if k == "exists":
            try:
                if not self.lax:
                    return TRUE if list(self.exec(item.args[0], v, self.lax, st)) else FALSE
                self.exists_roots.add(id(item.args[0]))
                for _ in self.exec(item.args[0], v, self.lax, st):
                    return TRUE
                return FALSE
            except PathError:
                return UNKNOWN
        if k in COMPARISONS:
            return self._predicate(item.args[0], item.args[1], v, st, True,
                                   lambda a, b: compare(k, a, b, self.use_tz))
        if k == "starts with":
            return self._predicate(item.args[0], item.args[1], v, st, False, _starts_with)
        if k == "like_regex":
            pattern, flags = item.value
            rx = compile_regex(pattern, flags)
            return self._predicate(item.args[0], None, v, st, False,
                                   lambda a, _b: (TRUE if rx.search(a) else FALSE) if isinstance(a, str) else UNKNOWN)
        raise HeliosError("jsonpath item is not a predicate", sqlstate="XX000")

    def _predicate(self, left: Item, right: Item | None, v: Any, st: _State, unwrap_right: bool, test: Any) -> str:
        try:
            lseq = list(self.unwrapped(left, v, st))
            rseq = list(self.unwrapped(right, v, st, unwrap_right)) if right is not None else [None]
        except PathError:
            return UNKNOWN
        found = error = False
        for a in lseq:
            for b in rseq:
                res = test(a, b)
                if res == UNKNOWN:
                    if not self.lax:
                        return UNKNOWN
                    error = True
                elif res == TRUE:
                    if self.lax:
                        return TRUE
                    found = True
        if found:
            return TRUE
        return UNKNOWN if error else FALSE


_BOOL_KINDS = frozenset({"&&", "||", "!", "is unknown", "exists", *COMPARISONS, "starts with", "like_regex"})

_HANDLERS = {
    "key": Evaluator._key, "anykey": Evaluator._anykey, "anyarray": Evaluator._anyarray,
    "index": Evaluator._index, "any": Evaluator._any, "filter": Evaluator._filter,
    "root": Evaluator._root, "current": Evaluator._current, "var": Evaluator._variable,
    "last": Evaluator._last, "null": Evaluator._literal, "bool": Evaluator._literal,
    "numeric": Evaluator._literal, "string": Evaluator._literal,
    "+": Evaluator._binary, "-": Evaluator._binary, "*": Evaluator._binary, "/": Evaluator._binary,
    "%": Evaluator._binary, "plus": Evaluator._unary, "minus": Evaluator._unary,
    "type": Evaluator._type, "size": Evaluator._size, "abs": Evaluator._numeric_method,
    "floor": Evaluator._numeric_method, "ceiling": Evaluator._numeric_method, "double": Evaluator._double,
    "keyvalue": Evaluator._keyvalue, "datetime": Evaluator._datetime,
}


def _starts_with(whole: Any, initial: Any) -> str:
    if not isinstance(whole, str) or not isinstance(initial, str):
        return UNKNOWN
    return TRUE if whole.startswith(initial) else FALSE


def compare(op: str, a: Any, b: Any, use_tz: bool) -> str:
    """compareItems: three-valued comparison of two items."""
    ka, kb = kind_of(a), kind_of(b)
    a_dt, b_dt = isinstance(a, datetimes.DateTime), isinstance(b, datetimes.DateTime)
    if ka != kb and not (a_dt and b_dt):
        if a is None or b is None:
            return TRUE if op == "!=" else FALSE
        return UNKNOWN
    if ka in ("array", "object"):
        return UNKNOWN
    if a_dt:
        cmp = datetimes.compare(a, b, use_tz)
        if cmp is None:
            return UNKNOWN
    elif ka == "string" and op in ("==", "!="):
        cmp = 0 if a == b else 1
    elif ka == "null":
        cmp = 0
    elif ka == "number":
        cmp = (a > b) - (a < b)
    else:
        cmp = (a > b) - (a < b)
    result = {"==": cmp == 0, "!=": cmp != 0, "<": cmp < 0, ">": cmp > 0, "<=": cmp <= 0, ">=": cmp >= 0}[op]
    return TRUE if result else FALSE


def arithmetic(op: str, a: decimal.Decimal, b: decimal.Decimal) -> decimal.Decimal:
    """numeric +, -, *, /, % with PostgreSQL's result scales."""
    if op == "+":
        return _num(_CTX.add(a, b))
    if op == "-":
        return _num(_CTX.subtract(a, b))
    if op == "*":
        return _num(_CTX.multiply(a, b))
    if b.is_zero():
        raise PathError("division by zero", sqlstate="22012")
    if op == "%":
        return _num(_CTX.remainder(a, b))
    scale = _div_scale(a, b)
    q = _CTX.divide(a, b)
    return _num(q.quantize(decimal.Decimal(1).scaleb(-scale), rounding=decimal.ROUND_HALF_UP, context=_CTX))


def _weight_first(d: decimal.Decimal) -> tuple[int, int]:
    """Base-10000 weight and leading base-10000 digit of |d| (numeric.c's select_div_scale)."""
    if d.is_zero():
        return 0, 0
    d = d.copy_abs()
    weight = d.adjusted() // 4
    first = int(d.scaleb(-4 * weight, context=_CTX).to_integral_value(decimal.ROUND_DOWN))
    return weight, first


def _dscale(d: decimal.Decimal) -> int:
    exp = d.as_tuple().exponent
    return max(0, -exp) if isinstance(exp, int) else 0


def _div_scale(a: decimal.Decimal, b: decimal.Decimal) -> int:
    w1, f1 = _weight_first(a)
    w2, f2 = _weight_first(b)
    q = w1 - w2 - (1 if f1 <= f2 else 0)
    return min(max(16 - q * 4, _dscale(a), _dscale(b), 0), 1000)


# ----------------------------------------------------------------- the stored layout (keyvalue ids)

def _numeric_size(v: Any) -> int:
    """Bytes of a numeric datum as jsonb stores it (4-byte varlena header + header + NBASE digits)."""
    d = decimal.Decimal(v)
    if d.is_zero():
        return 4 + 2
    _sign, digits, exp = d.as_tuple()
    text = "".join(map(str, digits))
    assert isinstance(exp, int)
    # the digit at power p of ten falls in base-10000 group p // 4; leading and trailing zero groups
    # are not stored
    top = exp + len(text) - 1
    nonzero = sorted({(top - i) // 4 for i, ch in enumerate(text) if ch != "0"})
    ndigits = (nonzero[-1] - nonzero[0] + 1) if nonzero else 0
    weight = nonzero[-1] if nonzero else 0
    short = _dscale(d) <= 0x3F and -64 <= weight <= 63
    return 4 + (2 if short else 4) + 2 * ndigits


def stored_size(doc: Any) -> int:
    """Bytes of a jsonb datum: the 4-byte varlena header and the root container (a scalar is stored
    as a one-element array)."""
    root = doc if isinstance(doc, (dict, list)) else [doc]
    return 4 + _layout(root, 0, {})


def _layout(v: Any, offset: int, out: dict[int, int]) -> int:
    """The size of container ``v`` laid out at ``offset``, recording every container's offset."""
    out[id(v)] = offset
    entries = list(v.items()) if isinstance(v, dict) else [(None, x) for x in v]
    pos = offset + 4 + 4 * len(entries) * (2 if isinstance(v, dict) else 1)
    if isinstance(v, dict):
        for key, _ in entries:
            pos += len(key.encode())
    for _, x in entries:
        if isinstance(x, (dict, list)):
            pos += -pos % 4
            pos += _layout(x, pos, out)
        elif _is_number(x):
            pos += -pos % 4
            pos += _numeric_size(x)
        elif isinstance(x, str):
            pos += len(x.encode())
    return pos - offset
