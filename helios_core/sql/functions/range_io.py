"""Range and multirange values (int4range ... tstzrange, int4multirange ...): input, output, order.

A range value is an Arrow struct {lower, upper, flags} (see ``types.range_arrow``) kept in
PostgreSQL's canonical form: discrete ranges (int4, int8, date) as ``[a,b)``, infinite bounds
and empty ranges with NULL bounds, so that equal ranges are equal structs. A multirange is a
list of such structs, sorted and with overlapping or adjacent ranges merged.

Bounds are parsed and printed with the subtype's own input and output functions (vectorized);
the bracket syntax, canonicalization and comparisons work per row in Python, since Arrow has
no kernels for intervals of values. Constructors, functions and operators are in ``ranges``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pyarrow as pa

from helios_core.errors import HeliosError, NumericValueOutOfRange
from helios_core.sql import types as T

# module objects, not names: text_in and text_out dispatch range types back to this module
from helios_core.sql.functions import decimals, text_in, text_out
from helios_core.sql.functions import numeric_wide as NW

EMPTY, LB_INC, UB_INC, LB_INF, UB_INF = 0x01, 0x02, 0x04, 0x08, 0x10
_DISCRETE_STEP = {"int4": 1, "int8": 1, "date": 1}
_INT_LIMITS = {"int4": (-(2**31), 2**31 - 1, "integer"), "int8": (-(2**63), 2**63 - 1, "bigint")}

# one range as Python: (flags, lower, upper), lower/upper None when infinite or empty; date
# bounds are day numbers since 1970 (see bound_values)
PyRange = tuple[int, Any, Any]
_DATE_INFINITIES = (-(2**31), 2**31 - 1)  # how date32 holds -infinity and infinity
EMPTY_RANGE: PyRange = (EMPTY, None, None)


def subtype_of(t: T.SqlType) -> T.SqlType:
    """The element type of a range or multirange type."""
    return T.range_subtype(t)


def range_type_of(t: T.SqlType) -> T.SqlType:
    return T.range_of_multirange(t)


def _malformed(text: str, detail: str, kind: str = "range") -> HeliosError:
    return HeliosError(f'malformed {kind} literal: "{text}"', sqlstate="22P02", detail=detail)


# --------------------------------------------------------------------------------- text input

def _parse_bound(s: str, i: int, text: str, kind: str) -> tuple[str | None, int]:
    """One bound starting at s[i] (PostgreSQL's range_parse_bound): None when it is empty
    (infinite); double quotes group, a doubled quote or a backslash escapes."""
    if i < len(s) and s[i] in ",)]":
        return None, i
    out: list[str] = []
    in_quote = False
    while i < len(s):
        ch = s[i]
        if not in_quote and ch in ",)]":
            break
        if ch == "\\":
            i += 1
            if i >= len(s):
                raise _malformed(text, "Unexpected end of input.", kind)
            out.append(s[i])
        elif ch == '"':
            if not in_quote:
                in_quote = True
            elif i + 1 < len(s) and s[i + 1] == '"':
                out.append('"')
                i += 1
            else:
                in_quote = False
        else:
            out.append(ch)
        i += 1
    if in_quote:
        raise _malformed(text, "Unexpected end of input.", kind)
    return "".join(out), i


def _parse_literal(s: str, i: int, text: str, kind: str = "range") -> tuple[tuple[int, str | None, str | None], int]:
    """One range literal at s[i]: ((flags, lower text, upper text), index after it)."""
    n = len(s)
    while i < n and s[i].isspace():
        i += 1
    if s[i:i + 5].lower() == "empty":
        return (EMPTY, None, None), i + 5
    if i >= n or s[i] not in "[(":
        raise _malformed(text, "Missing left parenthesis or bracket.", kind)
    flags = LB_INC if s[i] == "[" else 0
    lower, i = _parse_bound(s, i + 1, text, kind)
    if i >= n or s[i] != ",":
        raise _malformed(text, "Missing comma after lower bound.", kind)
    upper, i = _parse_bound(s, i + 1, text, kind)
    if i >= n or s[i] not in ")]":
        raise _malformed(text, "Too many commas." if i < n and s[i] == "," else
                         "Missing right parenthesis or bracket.", kind)
    if s[i] == "]":
        flags |= UB_INC
    if lower is None:
        flags = (flags & ~LB_INC) | LB_INF
    if upper is None:
        flags = (flags & ~UB_INC) | UB_INF
    return (flags, lower, upper), i + 1


def _parse_range_text(text: str) -> tuple[int, str | None, str | None]:
    parsed, i = _parse_literal(text, 0, text)
    if text[i:].strip():
        raise _malformed(text, "Junk after right parenthesis or bracket.")
    return parsed


def _parse_multirange_text(text: str) -> list[tuple[int, str | None, str | None]]:
    """PostgreSQL's multirange_in: each range's extent is found first (from its opening bracket
    to its closing one outside quotes, or the word empty), then read as a range literal, whose
    own errors name that range's text."""
    s, n = text, len(text)
    i = 0
    while i < n and s[i].isspace():
        i += 1
    if i >= n or s[i] != "{":
        raise _malformed(text, "Missing left brace.", "multirange")
    i += 1
    out = []
    while i < n and s[i].isspace():
        i += 1
    if i < n and s[i] == "}":
        i += 1
    else:
        while True:
            while i < n and s[i].isspace():
                i += 1
            j = _range_extent(s, i, text)
            out.append(_parse_range_text(s[i:j]))
            i = j
            while i < n and s[i].isspace():
                i += 1
            if i < n and s[i] == ",":
                i += 1
                continue
            if i < n and s[i] == "}":
                i += 1
                break
            raise _malformed(text, "Expected comma or end of multirange.", "multirange")
    if s[i:].strip():
        raise _malformed(text, "Junk after closing right brace.", "multirange")
    return out


def _range_extent(s: str, i: int, text: str) -> int:
    """Where the range literal starting at s[i] ends (just past it) inside a multirange literal."""
    if s[i:i + 5].lower() == "empty":
        return i + 5
    if i >= len(s) or s[i] not in "[(":
        raise _malformed(text, "Expected range start.", "multirange")
    j, in_quote = i + 1, False
    while j < len(s):
        ch = s[j]
        if ch == "\\":
            j += 2
            continue
        if ch == '"':
            in_quote = not in_quote
        elif not in_quote and ch in ")]":
            return j + 1
        j += 1
    raise _malformed(text, "Unexpected end of input.", "multirange")


def _bounds_to_values(parts: list[tuple[int, str | None, str | None]], sub: T.SqlType) -> list[PyRange]:
    """Literal parts to canonical ranges: bounds through the subtype's input function."""

    texts = [p[1] for p in parts] + [p[2] for p in parts]
    parsed = text_in.from_text(pa.array(texts, pa.string()), sub) if texts else None
    if parsed is not None and sub.domain is not None and T.DOMAIN_CHECK is not None:
        T.DOMAIN_CHECK(sub, parsed)  # a range over a domain: its bounds are the domain's values
    values = bound_values(parsed) if parsed is not None else []
    k = len(parts)
    return [canonical(sub, p[0], values[i], values[k + i]) for i, p in enumerate(parts)]


def parse_ranges(arr: pa.Array, t: T.SqlType) -> pa.Array:
    """Range literals ('[1,5)', 'empty', '(,"2020-01-01")') to range values of type t."""
    sub = subtype_of(t)
    texts = arr.to_pylist()
    parts = [_parse_range_text(x) for x in texts if x is not None]
    ranges = iter(_bounds_to_values(parts, sub))
    return to_arrow([None if x is None else next(ranges) for x in texts], t)


def parse_multiranges(arr: pa.Array, t: T.SqlType) -> pa.Array:
    """Multirange literals ('{[1,3), [5,7)}', '{}') to normalized multirange values of type t."""
    sub = subtype_of(t)
    texts = arr.to_pylist()
    per_row = [None if x is None else _parse_multirange_text(x) for x in texts]
    flat = [p for row in per_row if row for p in row]
    ranges = iter(_bounds_to_values(flat, sub))
    rows = [None if row is None else normalize([next(ranges) for _ in row]) for row in per_row]
    return to_arrow_multi(rows, t)


# ------------------------------------------------------------------------------ canonical form

def canonical(sub: T.SqlType, flags: int, lower: Any, upper: Any) -> PyRange:
    """PostgreSQL's range_serialize: checks the bounds, makes discrete ranges [a,b), empties."""
    if flags & EMPTY:
        return EMPTY_RANGE
    if lower is None:
        flags = (flags | LB_INF) & ~LB_INC
    if upper is None:
        flags = (flags | UB_INF) & ~UB_INC
    if lower is not None and upper is not None:
        if lower > upper:
            raise HeliosError("range lower bound must be less than or equal to range upper bound",
                              sqlstate="22000")
        if lower == upper and not (flags & LB_INC and flags & UB_INC):
            return EMPTY_RANGE
    step = _DISCRETE_STEP.get(sub.name)
    if step is not None:  # infinite dates are left as they are (daterange_canonical)
        if lower is not None and not flags & LB_INC and (sub.name != "date" or lower not in _DATE_INFINITIES):
            lower = _next(sub, lower)
            flags |= LB_INC
        if upper is not None and flags & UB_INC and (sub.name != "date" or upper not in _DATE_INFINITIES):
            upper = _next(sub, upper)
            flags &= ~UB_INC
        if lower is not None and upper is not None and lower >= upper:
            return EMPTY_RANGE
    return flags, lower, upper


def _next(sub: T.SqlType, v: Any) -> Any:
    if sub.name == "date":
        return v + 1
    _lo, hi, name = _INT_LIMITS[sub.name]
    if v + 1 > hi:
        raise NumericValueOutOfRange(f"{name} out of range")
    return v + 1


def to_arrow(rows: list[PyRange | None], t: T.SqlType) -> pa.Array:
    """Python ranges to the Arrow struct array of range type t."""
    sub = subtype_of(t)
    lower = [None if r is None else r[1] for r in rows]
    upper = [None if r is None else r[2] for r in rows]
    flags = pa.array([None if r is None else r[0] for r in rows], pa.int8())

    def column(values: list) -> pa.Array:
        if sub.name == "numeric":
            return numeric_storage(text_in.decimals_to_array(values))
        return pa.array(values, sub.arrow_type)

    mask = pa.array([r is None for r in rows], pa.bool_())
    return pa.StructArray.from_arrays([column(lower), column(upper), flags],
                                      names=["lower", "upper", "flags"], mask=mask)


def to_arrow_multi(rows: list[list[PyRange] | None], t: T.SqlType) -> pa.Array:
    """Python multiranges (lists of ranges) to the Arrow list array of multirange type t."""
    flat = [r for row in rows if row for r in row]
    values = to_arrow(flat, range_type_of(t))
    offsets = [0]
    for row in rows:
        offsets.append(offsets[-1] + (len(row) if row else 0))
    mask = pa.array([row is None for row in rows], pa.bool_())
    return pa.ListArray.from_arrays(pa.array(offsets, pa.int32()), values, type=t.arrow_type, mask=mask)


def multirange_of_ranges(arr: pa.Array, t: T.SqlType) -> pa.Array:
    """Each range as a multirange of type t holding it (none when it is empty)."""
    return to_arrow_multi([None if r is None else normalize([r]) for r in from_arrow(arr)], t)


class ArrayBound(list):
    """An array bound (a range over int4[], ...) that compares as PostgreSQL's array_cmp: element
    by element, NULL elements after every value, a shorter array first when it is a prefix."""

    def _key(self) -> tuple:
        return tuple((1,) if v is None else (0, ArrayBound(v)._key() if isinstance(v, list) else v) for v in self)

    def __lt__(self, other: object) -> bool:
        return self._key() < ArrayBound(other)._key()  # type: ignore[arg-type]

    def __le__(self, other: object) -> bool:
        return self._key() <= ArrayBound(other)._key()  # type: ignore[arg-type]

    def __gt__(self, other: object) -> bool:
        return self._key() > ArrayBound(other)._key()  # type: ignore[arg-type]

    def __ge__(self, other: object) -> bool:
        return self._key() >= ArrayBound(other)._key()  # type: ignore[arg-type]

    def __eq__(self, other: object) -> bool:
        return isinstance(other, list) and self._key() == ArrayBound(other)._key()

    def __hash__(self) -> int:  # type: ignore[override]
        return hash(self._key())


def bound_values(arr: pa.Array) -> list:
    """Bound or element values as Python: dates as day numbers, since date32 holds -infinity and
    infinity as its extremes, which Python's dates cannot hold; arrays as ArrayBounds."""
    if isinstance(arr, pa.ChunkedArray):
        arr = arr.combine_chunks()
    if pa.types.is_date32(arr.type):
        return arr.cast(pa.int32()).to_pylist()
    if pa.types.is_list(arr.type):
        return [None if v is None else ArrayBound(v) for v in arr.to_pylist()]
    return arr.to_pylist()


def from_arrow(arr: pa.Array) -> list[PyRange | None]:
    """The Arrow struct array of a range type as Python ranges."""
    if isinstance(arr, pa.ChunkedArray):
        arr = arr.combine_chunks()
    if not len(arr):
        return []
    flat = arr.flatten()  # the fields, with the struct's offset applied
    flags, lower, upper = flat[2].to_pylist(), bound_values(flat[0]), bound_values(flat[1])
    valid = arr.is_valid().to_pylist()
    return [(f, lo, up) if ok else None for ok, f, lo, up in zip(valid, flags, lower, upper, strict=True)]


def from_arrow_multi(arr: pa.Array) -> list[list[PyRange] | None]:
    if isinstance(arr, pa.ChunkedArray):
        arr = arr.combine_chunks()
    ranges = iter(from_arrow(arr.flatten()))
    return [None if not ok else [next(ranges) for _ in range(n or 0)]  # type: ignore[misc]
            for ok, n in zip(arr.is_valid().to_pylist(), arr.value_lengths().to_pylist(), strict=True)]


# ---------------------------------------------------------------------------- ordering, algebra

def _lower_key(r: PyRange) -> tuple:
    flags, lower, _ = r
    return (0,) if flags & LB_INF else (1, lower, 0 if flags & LB_INC else 1)


def _upper_key(r: PyRange) -> tuple:
    flags, _, upper = r
    return (2,) if flags & UB_INF else (1, upper, 1 if flags & UB_INC else 0)


def sort_key(r: PyRange) -> tuple:
    """PostgreSQL's range_cmp order: empty first, then by lower bound, then by upper bound."""
    if r[0] & EMPTY:
        return (0,)
    return (1, _lower_key(r), _upper_key(r))


def _cmp(x: Any, y: Any) -> int:
    return (x > y) - (x < y)


def upper_vs_lower(a: PyRange, b: PyRange) -> int:
    """Where a's upper bound lies against b's lower bound (<0 before, 0 touching inside, >0)."""
    if a[0] & UB_INF or b[0] & LB_INF:
        return 1
    c = _cmp(a[2], b[1])
    if c != 0:
        return c
    return 0 if (a[0] & UB_INC and b[0] & LB_INC) else -1


def overlaps(a: PyRange, b: PyRange) -> bool:
    if a[0] & EMPTY or b[0] & EMPTY:
        return False
    return upper_vs_lower(a, b) >= 0 and upper_vs_lower(b, a) >= 0


def adjacent(a: PyRange, b: PyRange) -> bool:
    """a ends exactly where b starts (one of the two bounds inclusive), or the other way round."""
    if a[0] & EMPTY or b[0] & EMPTY:
        return False

    def touch(x: PyRange, y: PyRange) -> bool:
        if x[0] & UB_INF or y[0] & LB_INF:
            return False
        return x[2] == y[1] and bool(x[0] & UB_INC) != bool(y[0] & LB_INC)

    return touch(a, b) or touch(b, a)


def contains(a: PyRange, b: PyRange) -> bool:
    """a @> b for ranges: every value of b lies in a (the empty range is in every range)."""
    if b[0] & EMPTY:
        return True
    if a[0] & EMPTY:
        return False
    return _lower_key(a) <= _lower_key(b) and _upper_key(b) <= _upper_key(a)


def contains_element(a: PyRange, v: Any) -> bool:
    return contains(a, (LB_INC | UB_INC, v, v))


def union(a: PyRange, b: PyRange) -> PyRange:
    lower = a if _lower_key(a) <= _lower_key(b) else b
    upper = a if _upper_key(a) >= _upper_key(b) else b
    flags = (lower[0] & (LB_INC | LB_INF)) | (upper[0] & (UB_INC | UB_INF))
    return flags, lower[1], upper[2]


def normalize(ranges: list[PyRange]) -> list[PyRange]:
    """A multirange's ranges sorted, empties dropped, overlapping and adjacent ones merged."""
    out: list[PyRange] = []
    for r in sorted((r for r in ranges if not r[0] & EMPTY), key=sort_key):
        if out and (overlaps(out[-1], r) or adjacent(out[-1], r)):
            out[-1] = union(out[-1], r)
        else:
            out.append(r)
    return out


def multi_sort_key(rs: list[PyRange]) -> tuple:
    return tuple(sort_key(r) for r in rs) + ((-1,),)


# ------------------------------------------------------------------------------- text output

def _quote_bound(s: str) -> str:
    if s == "" or any(c in s for c in '"\\()[], \t\n\r\v\f'):  # range_bound_escape's characters
        return '"' + s.replace("\\", "\\\\").replace('"', '""') + '"'  # range_bound_escape doubles both
    return s


def _own_digits(text: str | None) -> str | None:
    """A numeric bound's text without trailing fractional zeros: range bounds are stored at one
    scale, so the scale a value was written with is not known (5.0 and 5 print as 5)."""
    if text is None or "." not in text or "e" in text.lower():
        return text
    return text.rstrip("0").rstrip(".")


def _range_strings(arr: pa.Array, sub: T.SqlType) -> list[str | None]:
    lower = text_out.to_text(arr.field("lower"), sub).to_pylist()
    upper = text_out.to_text(arr.field("upper"), sub).to_pylist()
    if sub.name == "numeric":  # each bound with its own digits, not the column's common scale
        lower, upper = [_own_digits(x) for x in lower], [_own_digits(x) for x in upper]
    out: list[str | None] = []
    for i, flags in enumerate(arr.field("flags").to_pylist()):
        if not arr[i].is_valid:
            out.append(None)
        elif flags & EMPTY:
            out.append("empty")
        else:
            lo = "" if flags & LB_INF else _quote_bound(lower[i])
            up = "" if flags & UB_INF else _quote_bound(upper[i])
            out.append(f"{'[' if flags & LB_INC else '('}{lo},{up}{']' if flags & UB_INC else ')'}")
    return out


def range_text(arr: pa.Array, t: T.SqlType) -> pa.Array:
    """PostgreSQL's range_out: 'empty', '[1,5)', '(,"2020-01-01 00:00:00+00")'."""
    if isinstance(arr, pa.ChunkedArray):
        arr = arr.combine_chunks()
    return pa.array(_range_strings(arr, subtype_of(t)), pa.string())


def multirange_text(arr: pa.Array, t: T.SqlType) -> pa.Array:
    """PostgreSQL's multirange_out: '{}', '{[1,3),[5,7)}'."""
    if isinstance(arr, pa.ChunkedArray):
        arr = arr.combine_chunks()
    inner = iter(_range_strings(arr.flatten(), subtype_of(t)))
    out = []
    for n, valid in zip(arr.value_lengths().to_pylist(), arr.is_valid().to_pylist(), strict=True):
        items = [next(inner) for _ in range(n or 0)]
        out.append("{" + ",".join(items) + "}" if valid else None)
    return pa.array(out, pa.string())


# ------------------------------------------------------------------------------- comparisons

def _py_values(arr: Any, t: T.SqlType, n: int) -> list:
    if isinstance(arr, pa.Scalar):
        arr = pa.array([arr.as_py()] * n, arr.type)
    if t.is_multirange:
        return [None if rs is None else multi_sort_key(rs) for rs in from_arrow_multi(arr)]
    return [None if r is None else sort_key(r) for r in from_arrow(arr)]


def compare(op: str, a: Any, b: Any, t: T.SqlType, *, null_safe: bool = False) -> pa.Array:
    """a op b over two range (or multirange) arrays/scalars of type t, in range_cmp order."""
    n = len(a) if isinstance(a, pa.Array) else len(b) if isinstance(b, pa.Array) else 1
    ka, kb = _py_values(a, t, n), _py_values(b, t, n)
    ops: dict[str, Callable[[tuple, tuple], bool]] = {
        "=": lambda x, y: x == y, "<>": lambda x, y: x != y, "!=": lambda x, y: x != y,
        "<": lambda x, y: x < y, "<=": lambda x, y: x <= y, ">": lambda x, y: x > y,
        ">=": lambda x, y: x >= y}
    fn = ops[op]
    out = []
    for x, y in zip(ka, kb, strict=True):
        if x is None or y is None:
            out.append((x is None and y is None) if null_safe else None)
        else:
            out.append(fn(x, y))
    return pa.array(out, pa.bool_())


def is_range_struct(t: pa.DataType) -> bool:
    return pa.types.is_struct(t) and [f.name for f in t] == ["lower", "upper", "flags"]


def sortable_key(col: pa.Array) -> pa.Array:
    """An int64 rank that sorts range (or multirange) values as PostgreSQL orders them."""
    if isinstance(col, pa.ChunkedArray):
        col = col.combine_chunks()
    if pa.types.is_list(col.type):
        keys = [None if rs is None else multi_sort_key(rs) for rs in from_arrow_multi(col)]
    else:
        keys = [None if r is None else sort_key(r) for r in from_arrow(col)]
    rank = {k: i for i, k in enumerate(sorted({k for k in keys if k is not None}))}
    return pa.array([None if k is None else rank[k] for k in keys], pa.int64())


def numeric_storage(arr: pa.Array) -> pa.Array:
    """Decimal bounds as unconstrained numeric storage (decimal256(76, 16), rounded to 16 places),
    as a numeric column stores them: more than 59 integer digits is 22003, not an internal error."""
    target = T.NUMERIC_STORAGE_ARROW
    if not pa.types.is_decimal(arr.type):  # past 76 digits (wide text): rounded first, then it may fit
        arr = text_in.decimals_to_array([None if d is None else NW.round_half_away(d, target.scale)
                                         for d in NW.to_decimals(arr)])
    if not pa.types.is_decimal(arr.type) or (
            arr.type.scale <= target.scale and decimals.int_digits_needed(arr) > target.precision - target.scale - 1):
        raise NumericValueOutOfRange("value overflows numeric format",
                                     detail="HeliosDB stores numeric range bounds with at most 59 integer digits "
                                            "and 16 fractional digits")
    if arr.type.scale > target.scale:
        arr = decimals.round_to_scale(arr, target.scale)
        if decimals.int_digits_needed(arr) > target.precision - target.scale - 1:
            raise NumericValueOutOfRange("value overflows numeric format",
                                         detail="HeliosDB stores numeric range bounds with at most 59 integer "
                                                "digits and 16 fractional digits")
    return arr.cast(target)
