"""jsonb's btree order, as PostgreSQL 15 compares two jsonb values.

jsonb is held as its normalized text, which orders neither numbers (`2` < `15`) nor kinds
(PostgreSQL: null < string < number < boolean < array < object). PostgreSQL compares containers
by their size first (more elements or pairs is greater), then element by element (an object's
pairs in its stored key order: shorter keys first, then bytewise), numbers as numerics
(`1.0` equals `1`). A top-level scalar is a one-element pseudo array that sorts below a real
array of one element but above the empty array. Each value becomes a Python tuple that orders
the same way; columns are compared through the dense rank of those tuples.
"""

from __future__ import annotations

import json
from decimal import Decimal

import pyarrow as pa

_NULL, _STRING, _NUMBER, _BOOL, _ARRAY, _OBJECT = range(6)


def _key(v) -> tuple:
    if v is None:
        return (_NULL,)
    if isinstance(v, bool):
        return (_BOOL, v)
    if isinstance(v, str):
        return (_STRING, v)
    if isinstance(v, Decimal):
        return (_NUMBER, v)
    if isinstance(v, list):
        return (_ARRAY, len(v), 1, *(_key(e) for e in v))
    pairs = sorted(v.items(), key=lambda kv: (len(kv[0].encode()), kv[0].encode()))
    out: list = [_OBJECT, len(pairs)]
    for k, val in pairs:
        out.append((_STRING, k))
        out.append(_key(val))
    return tuple(out)


def order_key(text: str) -> tuple:
    """A tuple that sorts and compares as PostgreSQL orders the jsonb value of `text`."""
    v = json.loads(text, parse_float=Decimal, parse_int=Decimal)
    if isinstance(v, (list, dict)):
        return _key(v)
    return (_ARRAY, 1, 0, _key(v))  # a raw scalar: below any one-element array


def ranks(*cols) -> list[pa.Array]:
    """Each column (Array or Scalar of jsonb text) as int64 ranks of one shared order."""
    texts = [c.to_pylist() if isinstance(c, (pa.Array, pa.ChunkedArray)) else [c.as_py()] for c in cols]
    keys = {t: order_key(t) for vals in texts for t in vals if t is not None}
    rank: dict[str, int] = {}
    last, r = None, -1
    for t in sorted(keys, key=keys.__getitem__):
        if keys[t] != last:
            last, r = keys[t], r + 1
        rank[t] = r
    out = []
    for c, vals in zip(cols, texts, strict=True):
        if isinstance(c, (pa.Array, pa.ChunkedArray)):
            out.append(pa.array([None if t is None else rank[t] for t in vals], pa.int64()))
        else:
            out.append(pa.scalar(None if vals[0] is None else rank[vals[0]], pa.int64()))
    return out
