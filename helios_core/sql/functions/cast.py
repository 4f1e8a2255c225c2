"""cast(): PostgreSQL's type conversions between SQL types, with its errors.

``context`` is PostgreSQL's coercion context: "explicit" (CAST / ::, varchar(n) silently
truncates), "assignment" (INSERT/UPDATE into a column: 22001 when a string is too long) and
"implicit" (operator/function argument coercion; same checks as assignment).
"""

from __future__ import annotations

import datetime as dt
import decimal

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from helios_core import hstore_text
from helios_core.errors import FeatureNotSupported, HeliosError, NumericValueOutOfRange
from helios_core.sql import types as T
from helios_core.sql.functions import (
    bitstring,
    intervals,
    macaddr,
    money,
    network,
    range_io,
    record_io,
    runtime,
    timetz,
    zone_offsets,
)
from helios_core.sql.functions import decimals as D
from helios_core.sql.functions import numeric_special as NS
from helios_core.sql.functions import numeric_wide as NW
from helios_core.sql.functions.text_in import from_text
from helios_core.sql.functions.text_out import to_text
from helios_core.sql.functions.vec import Vec
from helios_core.sql.geometric import TYPE_NAMES as GEOMETRIC
from helios_core.sql.geometric import vectors as geometric_vectors
from helios_core.sql.geometric.conversions import CASTS

_INTS = {"int2": pa.int16(), "int4": pa.int32(), "int8": pa.int64(), "oid": pa.int64(),
         **dict.fromkeys(T.OID_ALIAS_NAMES, pa.int64())}
_INT_RANGE = {"int2": (-(2**15), 2**15 - 1, "smallint"), "int4": (-(2**31), 2**31 - 1, "integer"),
              "int8": (-(2**63), 2**63 - 1, "bigint"), "oid": (0, 2**32 - 1, "OID"),
              **dict.fromkeys(T.OID_ALIAS_NAMES, (0, 2**32 - 1, "OID"))}
_STRINGS = ("text", "varchar", "bpchar", "name", "char", "unknown", "citext")
US_PER_DAY = 86_400_000_000


class CannotCoerce(HeliosError):
    sqlstate = "42846"


def cast(v: Vec, target: T.SqlType, *, context: str = "assignment") -> Vec:
    """Convert ``v`` to ``target`` as PostgreSQL does (errors 22P02, 22003, 22001, 42846...)."""
    one = _one_integer(v, target)
    if one is not None:
        return one
    if target.domain is not None:  # to the base type, then the domain's constraints
        out = cast(v, T.without_domain(target), context=context)
        if T.DOMAIN_CHECK is not None:
            T.DOMAIN_CHECK(target, out.array)
        return Vec(out.array, target, v.scalar)
    arr = cast_array_values(v.array, v.type, target, context=context)
    if target.element is not None and not pa.types.is_null(arr.type) and arr.type != target.arrow_type:
        from helios_core.sql.functions.array_dims import depth, leaf_type, with_dims

        if depth(arr.type) != depth(target.arrow_type):  # an N-dimensional value: say so in its type
            target = with_dims(target, depth(arr.type), leaf_type(arr.type))
    return Vec(arr, target, v.scalar)


_ONE_INT_NAMES = ("int2", "int4", "int8")
_ONE_INT_ARROW = (pa.int16(), pa.int32(), pa.int64())


def _one_integer(v: Vec, target: T.SqlType) -> Vec | None:
    """One smallint/integer/bigint value to another of those types, in Python: what the general
    path below gives (22003 past the target's range), without its Arrow kernels' per-call cost.
    A client's parameter comes as the type its driver picked for the value (psycopg sends 7 as a
    smallint), so a point statement's key and SET values often need this cast; through the
    kernels it cost a point UPDATE or INSERT more than the rest of it. None: not such a value."""
    arr = v.array
    if (len(arr) != 1 or target.name not in _ONE_INT_NAMES or v.type.name not in _ONE_INT_NAMES
            or target.domain is not None or v.type.domain is not None or arr.type not in _ONE_INT_ARROW):
        return None
    value = arr[0].as_py()
    arrow = _INTS[target.name]
    if value is None:
        return Vec(pa.nulls(1, arrow), target, v.scalar)
    lo, hi, display = _INT_RANGE[target.name]
    if value < lo or value > hi:
        raise NumericValueOutOfRange(f"{display} out of range")
    return Vec(pa.array([value], arrow), target, v.scalar)


def to_storage(v: Vec, column_type: T.SqlType, n: int | None = None) -> pa.Array:
    """A Vec as the exact Arrow array a column of ``column_type`` stores (assignment rules).

    Unconstrained numeric columns store decimal256(76, 16): values are rounded (half away
    from zero) to 16 fractional digits, and more than 59 integer digits is 22003 (60-digit values stand
    for NaN/Infinity, see numeric_special). ``n``
    broadcasts a scalar Vec to n rows.
    """
    out = v if v.type == column_type and v.array.type == column_type.arrow_type else \
        cast(v, column_type, context="assignment")
    arr = out.broadcast(n).array if (out.scalar and n is not None) else out.array
    target = column_type.arrow_type
    if pa.types.is_struct(arr.type) and column_type.name == "numeric":
        return numeric_specials_to_storage(arr, column_type)
    if column_type.name == "numeric" and column_type.typmod == -1 and NW.is_wide(arr):
        # a wide value into an unconstrained column: decimal storage if it fits there (22003 below if not)
        narrowed = NS.from_python([None if x is None else NW.round_half_away(x, target.scale)
                                   for x in NW.to_decimals(arr)])
        if NW.is_wide(narrowed):
            raise NumericValueOutOfRange("value overflows numeric format",
                                         detail="HeliosDB stores unconstrained numeric with at most 59 integer "
                                                "digits and 16 fractional digits")
        return to_storage(Vec(narrowed, T.NUMERIC, False), column_type)
    if column_type.name == "numeric" and column_type.typmod == -1 and column_type.element is None \
            and arr.type != target:
        dec = D.to_decimal(arr) if not pa.types.is_floating(arr.type) else _float_to_numeric(arr, 15)
        if dec.type.scale > target.scale:
            dec = D.round_to_scale(dec, target.scale)
        if D.int_digits_needed(dec) > target.precision - target.scale - 1:
            raise NumericValueOutOfRange("value overflows numeric format",
                                         detail="HeliosDB stores unconstrained numeric with at most 59 integer "
                                                "digits and 16 fractional digits")
        return dec.cast(target)
    if arr.type != target:
        if column_type.element is not None:
            arr = array_to_storage(arr, column_type)
            if stores_rounded_numeric_elements(column_type) and arr.type != target:
                return numeric_elements_to_storage(arr, column_type)
        arr = arr.cast(target)
    return arr


def numeric_specials_to_storage(arr: pa.Array, column_type: T.SqlType) -> pa.Array:
    """NaN/Infinity into a numeric column: reserved values in an unconstrained column (see
    numeric_special); a numeric(p,s) column has no room for NaN here (Infinity never fits)."""
    if not column_type.stores_numeric_specials:
        if pc.any(pc.fill_null(pc.and_(arr.is_valid(), pc.equal(arr.field(1), NS.NAN)), False)).as_py():
            raise HeliosError(f"storing NaN in a {column_type.sql_name()} column is not supported by HeliosDB",
                              sqlstate="0A000", hint="Unconstrained numeric columns hold NaN and Infinity.")
        return to_storage(Vec(NS.finite_only(arr), T.NUMERIC, False), column_type)
    finite = to_storage(Vec(NS.finite_only(arr), T.NUMERIC, False), column_type)
    kinds = arr.field(1)
    return NS.encode_for_storage(NS.make(pc.if_else(pc.is_valid(finite), finite, pa.scalar(0, finite.type)),
                                         kinds, arr.is_valid()), column_type.arrow_type)


def array_to_storage(arr: pa.Array, column_type: T.SqlType) -> pa.Array:
    """Arrays are stored at the column's declared dimensionality (integer[][]: two); other
    dimensionalities are refused, except NULL and empty arrays, which fit any."""
    from helios_core.sql.functions.array_dims import depth

    have, want = depth(arr.type), depth(column_type.arrow_type)
    if have == want:
        return arr
    if all(not x for x in arr.to_pylist()):
        return pa.array([None if x is None else [] for x in arr.to_pylist()], column_type.arrow_type)
    raise HeliosError(f"a {have}-dimensional array cannot be stored in a column declared with {want} "
                      f"dimension{'s' if want > 1 else ''}: HeliosDB keeps one dimensionality per column",
                      sqlstate="0A000", hint=f"Declare the column as {column_type.element.sql_name()}"
                                              f"{'[]' * have}.")


def numeric_elements_to_storage(arr: pa.Array, column_type: T.SqlType) -> pa.Array:
    """An unconstrained numeric[] column's elements rounded to its storage scale, as to_storage
    rounds a numeric value (a plain Arrow cast of the lists refuses to lose digits)."""
    if isinstance(arr, pa.ChunkedArray):
        arr = arr.combine_chunks()
    element = column_type.element
    if element is None:
        return to_storage(Vec(arr, T.NUMERIC, False), column_type)
    arr = array_to_storage(arr, column_type)  # another dimensionality: 0A000 (or empty arrays)
    if arr.type == column_type.arrow_type:
        return arr
    if not pa.types.is_list(arr.type) and not pa.types.is_large_list(arr.type):
        return arr.cast(column_type.arrow_type)
    values = numeric_elements_to_storage(arr.values, element)
    return pa.ListArray.from_arrays(arr.offsets, values, type=column_type.arrow_type, mask=arr.is_null())


def _innermost(t: T.SqlType) -> T.SqlType:
    while t.element is not None:
        t = t.element
    return t


def stores_rounded_numeric_elements(t: T.SqlType) -> bool:
    """An array column of unconstrained numeric: its elements are rounded on the way in."""
    inner = _innermost(t)
    return t.element is not None and inner.name == "numeric" and inner.typmod == -1


def can_cast(src: T.SqlType, dst: T.SqlType) -> bool:
    """Whether some cast (of any context) exists from src to dst."""
    if src.name == dst.name or src.name == "unknown" or dst.is_string_family:
        return True
    if src.is_string_family:
        return True
    s, d = src.name, dst.name
    if s in _NUMBERISH and d in _NUMBERISH:
        return True
    if {s, d} <= {"int4", "bool"}:
        return True
    dts = ("date", "timestamp", "timestamptz")
    if s in dts and d in dts:
        return True
    if s in ("timestamp", "timestamptz") and d == "time":
        return True
    if {s, d} <= {"time", "interval"} or {s, d} <= {"json", "jsonb"} or {s, d} <= {"macaddr", "macaddr8"} \
            or {s, d} <= {"bit", "varbit"} or (s, d) in (("int4", "bit"), ("int8", "bit"), ("bit", "int4"), ("bit", "int8")):
        return True
    if s == "hstore" and d in ("json", "jsonb"):
        return True
    if (s, d) in CASTS or (src.is_range and dst.is_multirange and T.multirange_of_range(src) == dst):
        return True
    if src.element is not None and dst.element is not None:
        return can_cast(src.element, dst.element)
    return False


def cast_array_values(arr: pa.Array, src: T.SqlType, dst: T.SqlType, *, context: str = "assignment") -> pa.Array:
    """The array-level worker of cast() (also used for array elements)."""
    s, d = src.name, dst.name
    if pa.types.is_null(arr.type):
        return pa.nulls(len(arr), _arrow_for(dst))
    if s in T.EXTENSION_TYPES or d in T.EXTENSION_TYPES:
        return _cast_extension(arr, src, dst, context)
    if dst.element is None and src.element is None and (
            NW.is_wide(arr) or (d == "numeric" and isinstance(dst.arrow_type, NW.WideNumericType))) and (
            s in _NUMBERISH or s in _STRINGS) and (d in _NUMBERISH or d in _STRINGS):
        return _cast_wide(arr, src, dst, context)
    if dst.element is not None:
        if src.element is not None:
            return _cast_list(arr, src.element, dst.element, context)
        if s in _STRINGS:
            return from_text(_text_of(arr, src), dst)
        raise _cannot(src, dst)
    if src.element is not None and d not in _STRINGS:
        raise _cannot(src, dst)
    if src.is_rowtype and dst.is_rowtype and pa.types.is_struct(arr.type):
        return _cast_record(arr, src, dst, context)
    if s == "record" and dst.is_rowtype and arr.null_count == len(arr):  # NULL::record
        return pa.nulls(len(arr), dst.arrow_type)
    if dst.is_composite and s in _STRINGS:
        return _parse_records(pc.utf8_rtrim(arr, characters=" ") if s == "bpchar" else arr, dst)
    if d == "record" and s in _STRINGS:
        if arr.null_count == len(arr):  # a NULL literal where a record is expected
            return pa.nulls(len(arr), dst.arrow_type)
        raise HeliosError("input of anonymous composite types is not implemented", sqlstate="0A000")
    if s in network.NETWORK_TYPES and d in network.NETWORK_TYPES and s != d:
        return network.inet_to_cidr(arr) if d == "cidr" else network.cidr_to_inet(arr)
    if s in GEOMETRIC and d in GEOMETRIC and s != d:
        return _cast_geometric(arr, src, dst, context)
    if s in macaddr.MAC_TYPES and d in macaddr.MAC_TYPES and s != d:
        return macaddr.to_macaddr8(arr) if d == "macaddr8" else macaddr.to_macaddr(arr)
    if s in bitstring.BIT_TYPES and d in bitstring.BIT_TYPES:
        return bitstring.apply_typmod(arr, dst, context)
    if s in ("int4", "int8") and d == "bit" and context == "explicit":
        return bitstring.from_integer(arr, dst)
    if s == "bit" and d in ("int4", "int8") and context == "explicit":
        return bitstring.to_integer(arr, d)
    if src.is_range and dst.is_multirange and T.multirange_of_range(src) == dst:  # int4range::int4multirange, explicit only
        if context != "explicit":
            raise _cannot(src, dst)
        return range_io.multirange_of_ranges(arr, dst)
    # ---- to the same type (maybe applying a typmod)
    if s == d and s not in _STRINGS:
        return _apply_typmod(arr, dst, context)
    # ---- to strings
    if d in _STRINGS:
        txt = _text_of(arr, src, dst)
        return _string_typmod(txt, dst, context)
    # ---- from strings
    if s in _STRINGS:
        txt = arr
        if s == "bpchar":
            txt = pc.utf8_rtrim(arr, characters=" ")
        direct = _strict_parse(txt, dst)
        if direct is not None:
            return direct
        return _apply_typmod(from_text(txt, dst), dst, context)
    # ---- money: from numeric and integers, to numeric (text both ways goes through its I/O)
    if d == "money" and s in ("int4", "int8", "numeric"):
        return money.from_numeric(NW.to_decimals(arr))
    if s == "money" and d == "numeric":
        return _apply_typmod(money.to_numeric(arr), dst, context)
    # ---- numeric family
    if s in _NUMBERISH and d in _NUMBERISH:
        return _apply_typmod(_cast_number(arr, s, d), dst, context)
    if s == "bool" and d == "int4":  # PostgreSQL casts boolean only to and from integer
        return pc.cast(arr, _INTS[d])
    if d == "bool" and s == "int4":
        return pc.not_equal(arr, 0)
    # ---- date/time
    if (s, d) in _DT_CASTS:
        return _apply_typmod(_DT_CASTS[(s, d)](arr), dst, context)
    if s == "hstore" and d in ("json", "jsonb"):  # the hstore extension's casts (hstore_to_json)
        return from_text(pa.array([None if x is None else hstore_text.to_json(hstore_text.parse(x)) for x in arr.to_pylist()],
                                  pa.string()), dst)
    if s == "json" and d == "jsonb":
        return from_text(arr, T.JSONB)
    if s == "jsonb" and d == "json":
        return arr
    if s == "jsonb" and d in ("bool", "int2", "int4", "int8", "float4", "float8", "numeric"):
        from helios_core.sql.functions.jsonb import jsonb_to_scalar_text

        return _apply_typmod(from_text(jsonb_to_scalar_text(arr, dst), dst), dst, context)
    raise _cannot(src, dst)


def _cast_geometric(arr: pa.Array, src: T.SqlType, dst: T.SqlType, context: str) -> pa.Array:
    """point::box, path::polygon, circle::polygon...: the casts of pg_cast, those PostgreSQL
    marks explicit-only refused elsewhere (42846)."""
    conversion = CASTS.get((src.name, dst.name))
    if conversion is None or (conversion[1] == "e" and context != "explicit") or context == "implicit":
        raise _cannot(src, dst)
    return geometric_vectors.apply(conversion[0], dst, [Vec(arr, src)]).array


def _cast_extension(arr: pa.Array, src: T.SqlType, dst: T.SqlType, context: str) -> pa.Array:
    """Casts of a plugin's type (hookspecs.SqlDataType): from text with its ``parse``, to text
    with its output function; nothing else."""
    if src.name == dst.name:
        return arr
    if dst.name in T.EXTENSION_TYPES and src.name in _STRINGS:
        parse = T.EXTENSION_TYPES[dst.name][1].parse
        out = parse(_text_of(arr, src))
        return out.combine_chunks() if isinstance(out, pa.ChunkedArray) else out
    if src.name in T.EXTENSION_TYPES and dst.name in _STRINGS:
        return _string_typmod(to_text(arr, src), dst, context)
    raise _cannot(src, dst)


def _cast_record(arr: pa.Array, src: T.SqlType, dst: T.SqlType, context: str) -> pa.Array:
    """record -> record: field by field to dst's field types (a bare ``record`` keeps the fields);
    to a composite type, the fields take its attribute names."""
    if not dst.fields or arr.type == dst.arrow_type:
        return arr
    if len(dst.fields) != arr.type.num_fields:
        if dst.is_composite and not src.is_composite:
            more = arr.type.num_fields > len(dst.fields)
            raise CannotCoerce(f"cannot cast type {src} to {dst}",
                               detail=f"Input has too {'many' if more else 'few'} columns.")
        if dst.is_composite or src.is_composite:
            raise CannotCoerce(f"cannot cast type {src} to {dst}")
        raise HeliosError("cannot combine records of different lengths", sqlstate="0A000",
                          detail=f"one has {arr.type.num_fields} fields and the other {len(dst.fields)}")
    if isinstance(arr, pa.ChunkedArray):
        arr = arr.combine_chunks()
    children = []
    for i, ft in enumerate(dst.fields):
        st = src.fields[i] if i < len(src.fields) else T.sql_type_of_arrow(arr.type.field(i).type)
        child = cast_array_values(arr.field(i), st, ft, context=context)
        if child.type != ft.arrow_type and not pa.types.is_decimal(child.type):  # numerics keep their scale
            child = child.cast(ft.arrow_type)
        children.append(child)
    names = list(dst.field_names) if dst.is_composite else [f"f{i + 1}" for i in range(len(children))]
    return pa.StructArray.from_arrays(children, names=names, mask=arr.is_null())


def _parse_records(strings: pa.Array, dst: T.SqlType) -> pa.Array:
    """Values of the composite type ``dst`` from their text forms: each field read by its type."""
    texts, nulls = record_io.split_records(strings, len(dst.fields))
    children = []
    for text, ft in zip(texts, dst.fields, strict=True):
        child = cast_array_values(text, T.TEXT, ft, context="assignment")  # input functions: varchar(n) refuses
        if child.type != ft.arrow_type and not pa.types.is_decimal(child.type):  # numerics keep their scale
            child = child.cast(ft.arrow_type)
        children.append(child)
    return pa.StructArray.from_arrays(children, names=list(dst.field_names), mask=nulls)


_NUMBERISH = ("int2", "int4", "int8", "float4", "float8", "numeric", "oid", *sorted(T.OID_ALIAS_NAMES))


def _cannot(src: T.SqlType, dst: T.SqlType) -> HeliosError:
    return CannotCoerce(f"cannot cast type {src} to {dst}")


def _arrow_for(t: T.SqlType) -> pa.DataType:
    return t.arrow_type


def _cast_wide(arr: pa.Array, src: T.SqlType, dst: T.SqlType, context: str) -> pa.Array:
    """Casts where a side is a wide numeric (numeric_wide): through Python Decimals."""
    if dst.name in _STRINGS:
        return _string_typmod(arr.storage, dst, context)
    if src.name in _STRINGS:
        arr = from_text(_text_of(arr, src), T.NUMERIC)
    vals = NW.to_decimals(arr)
    if dst.name in _INTS:
        return _wide_to_int(vals, dst)
    if dst.name in ("float4", "float8"):
        return _wide_to_float(vals, dst)
    ps = dst.precision_scale
    if ps is not None:
        vals = [None if x is None else _wide_typmod(x, *ps) for x in vals]
    if isinstance(dst.arrow_type, NW.WideNumericType):
        return NW.from_decimals(vals)
    out = NS.from_python(vals)
    return out if NW.is_wide(out) or ps is None else _apply_typmod(out, dst, context)


def _wide_to_float(vals: list, dst: T.SqlType) -> pa.Array:
    """22003 for a finite value that the float type cannot hold (too large, or rounds to zero)."""
    typ = pa.float32() if dst.name == "float4" else pa.float64()
    out = pa.array([None if x is None else float(x) for x in vals], typ)
    for x, f in zip(vals, out.to_pylist(), strict=True):
        if x is not None and x.is_finite() and (f in (float("inf"), float("-inf")) or (f == 0 and x != 0)):
            word = "real" if dst.name == "float4" else "double precision"
            raise NumericValueOutOfRange(f'"{NW.text_of(x)}" is out of range for type {word}')
    return out


def _wide_typmod(x: decimal.Decimal, precision: int, scale: int) -> decimal.Decimal:
    if x.is_infinite():
        raise NumericValueOutOfRange(
            "numeric field overflow",
            detail=f"A field with precision {precision}, scale {scale} cannot hold an infinite value.")
    if x.is_nan():
        return x
    r = NW.round_half_away(x, scale)
    if r != 0 and r.adjusted() + 1 > precision - scale:
        limit = precision - scale
        raise NumericValueOutOfRange(
            "numeric field overflow",
            detail=f"A field with precision {precision}, scale {scale} must round to an absolute value "
                   f"less than {'10^' + str(limit) if limit else '1'}.")
    return r


def _wide_to_int(vals: list, dst: T.SqlType) -> pa.Array:
    typ = _INTS[dst.name]
    bits = typ.bit_width
    out = []
    for x in vals:
        if x is None:
            out.append(None)
            continue
        if x.is_nan():
            raise FeatureNotSupported("cannot convert NaN to " + _INT_WORDS.get(dst.name, dst.name))
        if x.is_infinite():
            raise FeatureNotSupported("cannot convert infinity to " + _INT_WORDS.get(dst.name, dst.name))
        r = int(NW.round_half_away(x, 0))
        if not -(1 << (bits - 1)) <= r < (1 << (bits - 1)):
            raise NumericValueOutOfRange(f"{_INT_WORDS.get(dst.name, dst.name)} out of range")
        out.append(r)
    return pa.array(out, typ)


_INT_WORDS = {"int2": "smallint", "int4": "integer", "int8": "bigint"}


def _text_of(arr: pa.Array, src: T.SqlType, dst: T.SqlType | None = None) -> pa.Array:
    if src.name == "bpchar":  # to another bpchar the blanks stay (a binary-coercible cast, then its length)
        return arr if dst is not None and dst.name == "bpchar" else pc.utf8_rtrim(arr, characters=" ")
    if src.name == "bool":  # the bool -> text cast spells words; the output function says t/f
        return pc.if_else(arr, "true", "false")
    if src.name == "inet":  # text(inet) keeps the prefix length that inet's output omits
        return network.as_text(arr)
    return to_text(arr, src)


def _cast_list(arr: pa.Array, se: T.SqlType, de: T.SqlType, context: str) -> pa.Array:
    if isinstance(arr, pa.ChunkedArray):
        arr = arr.combine_chunks()
    inner = arr.values
    if pa.types.is_list(inner.type) or pa.types.is_large_list(inner.type):  # N dimensions
        values = _cast_list(inner, se, de, context)
    else:
        values = cast_array_values(inner, se, de, context=context)
    return pa.ListArray.from_arrays(arr.offsets, values, mask=arr.is_null())


# ------------------------------------------------------------------------------------- strings

def _byte_lengths(txt: pa.Array) -> np.ndarray | None:
    """Each value's length in bytes, from the offsets (no pass over the text); None if not plain utf8."""
    if not pa.types.is_string(txt.type) or len(txt) == 0:
        return None
    offsets = np.frombuffer(txt.buffers()[1], dtype=np.int32, count=txt.offset + len(txt) + 1)
    return np.diff(offsets[txt.offset:])


def _string_typmod(txt: pa.Array, dst: T.SqlType, context: str) -> pa.Array:
    n = dst.length
    if n is None:
        return txt
    blen = _byte_lengths(txt)
    if blen is not None and blen.max() <= n:  # no value has more characters than bytes: none too long
        # char(n): padded unless every value is n characters (bytes first: fewer bytes, fewer characters)
        if dst.name == "bpchar" and (blen.min() < n or (pc.min(pc.utf8_length(txt)).as_py() or 0) < n):
            txt = pc.utf8_rpad(txt, width=n, padding=" ")
        return txt
    lens = pc.utf8_length(txt)
    too_long = pc.fill_null(pc.greater(lens, n), False)
    if pc.any(too_long).as_py():
        if context != "explicit":
            # only trailing spaces may be cut silently on assignment
            cut = pc.utf8_slice_codeunits(txt, n)
            nonspace = pc.and_(too_long, pc.greater(pc.utf8_length(pc.utf8_rtrim(cut, characters=" ")), 0))
            if pc.any(nonspace).as_py():
                raise HeliosError(f"value too long for type {dst}", sqlstate="22001")
        txt = pc.utf8_slice_codeunits(txt, 0, n)
    if dst.name == "bpchar" and (pc.min(lens).as_py() or 0) < n:  # values all n long (flags) need no padding
        txt = pc.utf8_rpad(txt, width=n, padding=" ")
    return txt


# ------------------------------------------------------------------------------------- numbers

def _check_int_range(arr: pa.Array, d: str) -> None:
    lo, hi, display = _INT_RANGE[d]
    if len(arr) == 0 or arr.null_count == len(arr):
        return
    mm = pc.min_max(arr)
    mn, mx = mm["min"].as_py(), mm["max"].as_py()
    if mn < lo or mx > hi:
        raise NumericValueOutOfRange(f"{display} out of range")


def _small_decimal_to_float8(arr: pa.Array) -> pa.Array:
    """decimal(p <= 15, s) -> float8 without text: the unscaled integer (below 10**15 < 2**53) and
    10**s are exact doubles, so one IEEE division gives the correctly rounded value, the double
    PostgreSQL's strtod reads from the digits (ClickHouse's ``decimal_column < 0.05`` casts every row)."""
    words = np.frombuffer(arr.buffers()[1], dtype=np.int64)[2 * arr.offset: 2 * (arr.offset + len(arr)): 2]
    out = words.astype(np.float64) / (10.0 ** arr.type.scale)
    if arr.null_count:
        return pa.array(out, mask=pc.is_null(arr).to_numpy(zero_copy_only=False))
    return pa.array(out)


def _cast_number(arr: pa.Array, s: str, d: str) -> pa.Array:
    at = arr.type
    if pa.types.is_struct(at):  # numeric NaN / Infinity (numeric_special)
        if d in ("float4", "float8"):
            return NS.to_float(arr, pa.float32() if d == "float4" else pa.float64())
        if d == "numeric":
            return arr
        if d in _INTS:
            NS.refuse_integer(arr, _INT_WORDS.get(d, "integer"))
            return _cast_number(NS.finite_only(arr), s, d)
    if d in _INTS:
        if pa.types.is_floating(at):
            if pc.any(pc.invert(pc.is_finite(arr))).as_py():
                raise NumericValueOutOfRange(f"{_INT_RANGE[d][2]} out of range")
            r = pc.round(arr, round_mode="half_to_even")  # rint()
            _check_int_range(r, d)
            return pc.cast(r, _INTS[d], safe=False)
        if pa.types.is_decimal(at):
            r = D.round_to_scale(arr, 0) if at.scale else arr
            _check_int_range(r, d)
            return pc.cast(r, _INTS[d], safe=False)
        if pa.types.is_integer(at):
            _check_int_range(arr, d)
            return pc.cast(arr, _INTS[d], safe=False)
    if d in ("float4", "float8"):
        target = pa.float32() if d == "float4" else pa.float64()
        if d == "float8" and pa.types.is_decimal128(at) and at.precision <= 15 and isinstance(arr, pa.Array):
            return _small_decimal_to_float8(arr)
        if pa.types.is_decimal(at):
            # through text: Arrow's decimal->double division is not correctly rounded
            # (3.14159 -> 3.1415900000000003); parsing the digits is, like PostgreSQL's strtod
            text = pc.cast(arr, pa.string())
            out = pc.cast(pc.cast(text, pa.float64()), target, safe=False)
            if d == "float4":  # a numeric beyond real's range, as float4(numeric) reports it
                lost = pc.fill_null(pc.or_(pc.is_inf(out), pc.and_(pc.equal(out, 0),
                                                                   pc.not_equal(arr, pa.scalar(0, at)))), False)
                if pc.any(lost).as_py():
                    value = pc.filter(arr, lost)[0].as_py()
                    raise NumericValueOutOfRange(f'"{format(value, "f")}" is out of range for type real')
            return out
        out = pc.cast(arr, target, safe=False)
        if d == "float4" and pa.types.is_floating(at):
            over = pc.and_(pc.is_inf(out), pc.is_finite(arr))
            if pc.any(over).as_py():
                raise NumericValueOutOfRange("value out of range: overflow")
            under = pc.and_(pc.equal(out, 0), pc.not_equal(arr, 0))
            if pc.any(pc.fill_null(under, False)).as_py():
                raise NumericValueOutOfRange("value out of range: underflow")
        return out
    if d == "numeric":
        if pa.types.is_integer(at):
            return D.to_decimal(arr)
        if pa.types.is_decimal(at):
            return arr
        if pa.types.is_floating(at):
            return _float_to_numeric(arr, 15 if at == pa.float64() else 6)
    raise CannotCoerce(f"cannot cast type {s} to {d}")


def _float_to_numeric(arr: pa.Array, digits: int) -> pa.Array:
    # Per-row Python: PostgreSQL converts through the %.15g text of the float (no Arrow kernel)
    import decimal
    import math

    vals = []
    specials = False
    for x in arr.to_pylist():
        if x is None:
            vals.append(None)
            continue
        if math.isnan(x) or math.isinf(x):
            specials = True
            vals.append(decimal.Decimal(x))
            continue
        vals.append(decimal.Decimal(format(x, f".{digits}g")))
    if specials:  # NaN / Infinity are numerics too (numeric_special)
        finite = D.py_to_decimal_array([d if d is not None and d.is_finite() else None for d in vals])
        if NW.is_wide(finite):  # past Arrow's decimals: text per value holds NaN and Infinity too
            return NW.from_decimals(vals)
        return NS.make(pc.if_else(pc.is_valid(finite), finite, pa.scalar(decimal.Decimal(0), finite.type)),
                       pa.array([0 if d is None or d.is_finite() else NS.NAN if d.is_nan() else
                                 NS.POS_INF if d > 0 else NS.NEG_INF for d in vals], pa.int8()),
                       pa.array([d is not None for d in vals], pa.bool_()))
    return D.py_to_decimal_array(vals)


# ---------------------------------------------------------------------------------- date / time

_DATE_INFINITIES = (2**31 - 1, -(2**31))
_TS_INFINITIES = (2**63 - 1, -(2**63))
_TS_US = pa.timestamp("us")


def _date_to_ts(arr: pa.Array) -> pa.Array:
    """Midnight of each date; 'infinity' and '-infinity' stay infinite."""
    days = arr.cast(pa.int32())
    pos, neg = (pc.fill_null(pc.equal(days, v), False) for v in _DATE_INFINITIES)
    us = pc.multiply(pc.if_else(pc.or_(pos, neg), 0, days).cast(pa.int64()), US_PER_DAY)
    us = pc.if_else(pos, _TS_INFINITIES[0], pc.if_else(neg, _TS_INFINITIES[1], us))
    return us.cast(pa.timestamp("us"))


def _ts_to_date(arr: pa.Array) -> pa.Array:
    """The date of each timestamp (floor division: days before 1970 count down); infinities stay."""
    us = arr.cast(pa.timestamp("us")).cast(pa.int64()) if arr.type.tz is None else arr.cast(pa.int64())
    pos, neg = (pc.fill_null(pc.equal(us, v), False) for v in _TS_INFINITIES)
    finite = pc.if_else(pc.or_(pos, neg), 0, us)
    days = pc.divide(finite, US_PER_DAY)  # truncates toward zero: one less where that went up
    days = pc.subtract(days, pc.cast(pc.greater(pc.multiply(days, US_PER_DAY), finite), pa.int64()))
    days = pc.if_else(pos, _DATE_INFINITIES[0], pc.if_else(neg, _DATE_INFINITIES[1], days))
    return days.cast(pa.int32()).cast(pa.date32())


def _keeping_infinities(arr: pa.Array, convert, out_type: pa.DataType) -> pa.Array:
    """convert(arr) with 'infinity' and '-infinity' passed through untouched (a zone's offset would
    move them, or overflow)."""
    if isinstance(arr, pa.Array) and len(arr) <= 8 and \
            not any(v in _TS_INFINITIES for v in arr.view(pa.int64()).to_pylist()):
        return convert(arr)  # a statement's constant (now()): no kernel calls
    us = arr.cast(pa.int64())
    infinite = pc.is_in(us, value_set=pa.array(_TS_INFINITIES, pa.int64()))
    if not pc.any(infinite).as_py():
        return convert(arr)
    finite = pc.if_else(infinite, 0, us).cast(arr.type)
    return pc.if_else(infinite, us, convert(finite).cast(pa.int64())).cast(out_type)


def ts_to_tstz(arr: pa.Array) -> pa.Array:
    """Wall-clock timestamps read in the session TimeZone -> UTC instants."""
    return _keeping_infinities(arr.cast(pa.timestamp("us")), _ts_to_tstz_finite, pa.timestamp("us", tz="UTC"))


def _ts_to_tstz_finite(arr: pa.Array) -> pa.Array:
    arr = arr.cast(pa.timestamp("us"))
    tz = runtime.timezone()
    if tz.upper() in ("UTC", "GMT", "ETC/UTC", "Z"):
        return arr.cast(pa.timestamp("us", tz="UTC"))
    import datetime as dt

    from helios_core.sql.functions.text_out import session_tz_info

    zone = session_tz_info(tz)
    if isinstance(zone, dt.timezone):
        off = int(zone.utcoffset(None).total_seconds()) * 1_000_000
        return pc.subtract(arr.cast(pa.int64()), off).cast(pa.timestamp("us", tz="UTC"))
    return _wall_to_utc(arr, tz, zone)


def _wall_to_utc(wall: pa.Array, zone: str, tzinfo: dt.tzinfo) -> pa.Array:
    """Wall-clock times of a named zone as UTC instants, PostgreSQL's way through transitions: a
    time that occurs twice (clocks set back) is read with the offset after the change, a time the
    clocks skipped (set forward) with the offset before it (02:30 before a 02:00->03:00 jump is 01:30
    in the old offset's terms, as DetermineTimeZoneOffset does)."""
    utc = pc.assume_timezone(wall, timezone=zone, ambiguous="latest", nonexistent="earliest")
    back = pc.local_timestamp(utc).cast(pa.int64())
    us = wall.cast(pa.int64())
    skipped = pc.fill_null(pc.not_equal(back, us), False)
    if not pc.any(skipped).as_py():
        return zone_offsets.wall_to_utc(us, utc.cast(pa.int64()), tzinfo)
    offset_before = pc.subtract(back, utc.cast(pa.int64()))  # the offset just before the jump
    fixed = pc.subtract(us, offset_before)
    return zone_offsets.wall_to_utc(us, pc.if_else(skipped, fixed, utc.cast(pa.int64())), tzinfo)


def tstz_to_ts(arr: pa.Array) -> pa.Array:
    """UTC instants -> wall-clock timestamps in the session TimeZone."""
    return _keeping_infinities(arr, _tstz_to_ts_finite, pa.timestamp("us"))


def _tstz_to_ts_finite(arr: pa.Array) -> pa.Array:
    tz = runtime.timezone()
    if tz.upper() in ("UTC", "GMT", "ETC/UTC", "Z"):
        return arr.view(_TS_US) if isinstance(arr, pa.Array) else arr.cast(_TS_US)  # same int64 microseconds
    import datetime as dt

    from helios_core.sql.functions.text_out import session_tz_info

    zone = session_tz_info(tz)
    if isinstance(zone, dt.timezone):
        off = int(zone.utcoffset(None).total_seconds()) * 1_000_000
        return pc.add(arr.cast(pa.int64()), off).cast(pa.timestamp("us"))
    return zone_offsets.local_micros(arr.cast(pa.int64()), tz, zone).cast(pa.timestamp("us"))


def _ts_to_time(arr: pa.Array) -> pa.Array:
    us = arr.cast(pa.int64())
    tod = pc.subtract(us, pc.multiply(pc.floor(pc.divide(us.cast(pa.float64()), float(US_PER_DAY)))
                                       .cast(pa.int64()), US_PER_DAY))
    return tod.cast(pa.time64("us"))


def _time_to_interval(arr: pa.Array) -> pa.Array:
    return intervals.make_intervals(None, None, pc.multiply(arr.cast(pa.int64()), 1000))


def _interval_to_time(arr: pa.Array) -> pa.Array:
    _, _, ns = intervals.interval_fields(arr)
    us = pc.divide(ns, 1000)
    day = US_PER_DAY
    tod = pc.subtract(us, pc.multiply(pc.floor(pc.divide(us.cast(pa.float64()), float(day))).cast(pa.int64()),
                                      day))
    return tod.cast(pa.time64("us"))


_DT_CASTS = {
    ("date", "timestamp"): _date_to_ts,
    ("date", "timestamptz"): lambda a: ts_to_tstz(_date_to_ts(a)),
    ("timestamp", "date"): _ts_to_date,
    ("timestamptz", "date"): lambda a: _ts_to_date(tstz_to_ts(a)),
    ("timestamp", "timestamptz"): ts_to_tstz,
    ("timestamptz", "timestamp"): tstz_to_ts,
    ("timestamp", "time"): lambda a: _ts_to_time(a.cast(pa.timestamp("us"))),
    ("timestamptz", "time"): lambda a: _ts_to_time(tstz_to_ts(a)),
    ("time", "interval"): _time_to_interval,
    ("interval", "time"): _interval_to_time,
    ("time", "timetz"): timetz.from_time,
    ("timetz", "time"): timetz.to_time,
    ("timestamptz", "timetz"): timetz.from_timestamptz,
}


# ------------------------------------------------------------------------------------- typmods

def _round_interval(arr: pa.Array, precision: int) -> pa.Array:
    """interval(p): the seconds rounded to p fractional digits (half away from zero)."""
    months, days, ns = intervals.interval_fields(arr)
    unit = 10 ** (9 - precision)
    rounded = pc.multiply(pc.round(pc.divide(ns.cast(pa.float64()), float(unit)), round_mode="half_towards_infinity"
                                   ).cast(pa.int64()), unit)
    return intervals.make_intervals(months, days, rounded)


_FIRST_AD_DAY = -719162  # 0001-01-01 as days since 1970-01-01
_INT_BOUNDS = {"int2": (-(1 << 15), (1 << 15) - 1), "int4": (-(1 << 31), (1 << 31) - 1)}


def _strict_parse(txt: pa.Array, dst: T.SqlType) -> pa.Array | None:
    """Arrow's own parser where its syntax is a subset of PostgreSQL's input syntax (integers,
    ISO dates, numeric(p,s) values that fit without rounding): one C++ pass instead of the
    validating path's regular expressions, which COPY pays per column. None (nothing parsed)
    when any value needs the full rules: spaces, other formats, rounding, range errors."""
    name = dst.name
    try:
        if name in ("int2", "int4", "int8") and dst.typmod < 0:
            if pc.any(pc.match_substring(txt, "x", ignore_case=True)).as_py():
                return None  # Arrow reads 0x.. as hexadecimal; PostgreSQL 15 does not
            v = pc.cast(txt, pa.int64())
            bounds = _INT_BOUNDS.get(name)
            if bounds is not None and len(v) > v.null_count:
                mm = pc.min_max(v)
                if mm["min"].as_py() < bounds[0] or mm["max"].as_py() > bounds[1]:
                    return None
            return v if name == "int8" else pc.cast(v, _INTS[name])
        if name == "numeric" and dst.typmod >= 0:
            p, s = dst.precision_scale
            if 0 < p <= 38 and 0 <= s <= p:
                return pc.cast(txt, pa.decimal128(p, s))
        if name == "date":
            d = pc.cast(txt, pa.date32())
            if len(d) > d.null_count and pc.min(d.cast(pa.int32())).as_py() < _FIRST_AD_DAY:
                return None  # year 0000: Arrow takes it, PostgreSQL has no year zero
            return d
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
        return None
    return None


def _apply_typmod(arr: pa.Array, dst: T.SqlType, context: str) -> pa.Array:
    if dst.typmod < 0:
        if dst.name in _INTS and arr.type != _INTS[dst.name]:
            return pc.cast(arr, _INTS[dst.name])
        return arr
    if dst.name == "numeric":
        p, s = dst.precision_scale
        if pa.types.is_struct(arr.type):  # NaN fits numeric(p,s), Infinity does not (numeric_special)
            k = arr.field(1)
            if pc.any(pc.fill_null(pc.and_(arr.is_valid(), pc.is_in(k, value_set=pa.array(
                    [NS.POS_INF, NS.NEG_INF], pa.int8()))), False)).as_py():
                raise NumericValueOutOfRange(
                    "numeric field overflow",
                    detail=f"A field with precision {p}, scale {s} cannot hold an infinite value.")
            v = D.apply_typmod(pc.if_else(pc.equal(k, NS.FINITE), arr.field(0),
                                          pa.scalar(0, arr.field(0).type)), p, s)
            return NS.make(v, k, arr.is_valid())
        return D.apply_typmod(arr, p, s)
    if dst.name in _STRINGS:
        return _string_typmod(arr, dst, context)
    if dst.name in bitstring.BIT_TYPES:
        return bitstring.apply_typmod(arr, dst, context)
    if dst.name == "interval" and dst.typmod >= 0 and (dst.typmod & 0xFFFF) < 6:
        return _round_interval(arr, dst.typmod & 0xFFFF)
    if dst.name in ("timestamp", "timestamptz", "time", "timetz") and dst.typmod < 6:
        if pa.types.is_struct(arr.type):  # timetz: round the time, keep the offset
            return timetz.round_to(arr, _apply_typmod(arr.field("time"), T.with_precision(T.TIME, dst.typmod),
                                                      context))
        epoch = _PG_EPOCH_MICROS if dst.name in ("timestamp", "timestamptz") else 0
        return _round_microseconds(arr, 10 ** (6 - dst.typmod), epoch)
    return arr


_INFINITE_MICROS = pa.array([-(2 ** 63), 2 ** 63 - 1], pa.int64())


_PG_EPOCH_MICROS = 946_684_800_000_000  # 2000-01-01, where PostgreSQL counts timestamps from


def _round_microseconds(arr: pa.Array, unit: int, epoch: int) -> pa.Array:
    """Round a time value to a multiple of ``unit`` microseconds as PostgreSQL's
    AdjustTimestampForTypmod does: halves away from PostgreSQL's zero (``epoch`` microseconds from
    ours), in integer arithmetic (a float64 loses microseconds past 2^53); 'infinity' and
    '-infinity' stay as they are."""
    us = arr.cast(pa.int64())
    finite = pc.invert(pc.is_in(us, value_set=_INFINITE_MICROS))
    shifted = pc.subtract(pc.if_else(finite, us, epoch), epoch)
    rounded = pc.multiply(pc.divide(pc.add(pc.abs(shifted), unit // 2), unit), unit)
    signed = pc.if_else(pc.less(shifted, 0), pc.negate(rounded), rounded)
    return pc.if_else(finite, pc.add(signed, epoch), us).cast(arr.type)
