"""Immutable columnar segments: one Arrow IPC file per flushed chunk of row versions.

Layout: the physical columns (``c<col_id>``), ``_rowid`` and ``_created`` (commit
timestamps). ``ended`` stamps change after a flush, so they live in the checkpoint
state, not here. The schema metadata carries per-column min/max statistics and an
bloom filter of the primary keys, so a scan can skip the file without reading it.
"""

from __future__ import annotations

import base64
import datetime as dt
import itertools
import json
import math
import re
from typing import Any

import attrs
import mmh3
import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from helios_core.storage.versions import ROWID, Chunk

CREATED = "_created"
CODEC_KEY = b"helios.codec"  # schema metadata of a segment whose column buffers are compressed
_U64 = (1 << 64) - 1
_STAT_TYPES = (pa.types.is_integer, pa.types.is_floating, pa.types.is_string, pa.types.is_large_string)


_GOLDEN, _MIX1, _MIX2 = 0x9E3779B97F4A7C15, 0xBF58476D1CE4E5B9, 0x94D049BB133111EB
_SECOND = 0xD6E8FEB86659FD93  # the second hash mixes the key xor'ed with this


def _mix(x: int) -> int:
    """splitmix64's finalizer of one 64-bit value (the same arithmetic as ``_mix_array``)."""
    z = (x + _GOLDEN) & _U64
    z = ((z ^ (z >> 30)) * _MIX1) & _U64
    z = ((z ^ (z >> 27)) * _MIX2) & _U64
    return z ^ (z >> 31)


def _mix_array(x: np.ndarray) -> np.ndarray:
    with np.errstate(over="ignore"):
        z = x + np.uint64(_GOLDEN)
        z = (z ^ (z >> np.uint64(30))) * np.uint64(_MIX1)
        z = (z ^ (z >> np.uint64(27))) * np.uint64(_MIX2)
        return z ^ (z >> np.uint64(31))


class Bloom:
    """A plain bloom filter (two 64-bit hashes, double hashing), little-endian bit order.

    Two hash schemes: ``mmh3`` of the key's repr (any key), and ``i64`` for a primary key of one
    integer column, whose hashes are splitmix64 mixes computed on the whole key column with
    numpy: a million-key segment is hashed in milliseconds instead of a Python call per key.
    Segments record their scheme; those written before ``i64`` existed read as ``mmh3``.
    """

    def __init__(self, nbits: int, k: int, bits: bytearray | None = None, scheme: str = "mmh3") -> None:
        self.nbits = nbits
        self.k = k
        self.bits = bits if bits is not None else bytearray((nbits + 7) // 8)
        self.scheme = scheme

    def _hash(self, key: Any) -> tuple[int, int] | None:
        if self.scheme == "i64":
            if type(key) is not int or not -(1 << 63) <= key < (1 << 63):
                return None  # not a key of this column's type: no pruning
            x = key & _U64
            return _mix(x), _mix(x ^ _SECOND)
        h1, h2 = mmh3.hash64(repr(key))
        return h1 & _U64, h2 & _U64

    @classmethod
    def _sized(cls, n: int, scheme: str) -> Bloom:
        n = max(1, n)
        return cls(max(64, int(-n * math.log(0.01) / (math.log(2) ** 2))), 7, scheme=scheme)

    @classmethod
    def for_keys(cls, keys: list[Any]) -> Bloom:
        """Build from many keys: one mmh3 call per key, the bit arithmetic on numpy arrays."""
        b = cls._sized(len(keys), "mmh3")
        if keys:
            flat = np.fromiter(itertools.chain.from_iterable(map(mmh3.hash64, map(repr, keys))),
                               dtype=np.int64, count=2 * len(keys)).view(np.uint64)
            b._set(flat[0::2], flat[1::2])
        return b

    @classmethod
    def for_int_column(cls, column: pa.Array) -> Bloom:
        """Build from a primary-key column of integers without nulls (the ``i64`` scheme)."""
        b = cls._sized(len(column), "i64")
        if len(column):
            x = column.cast(pa.int64()).to_numpy(zero_copy_only=False).view(np.uint64)
            b._set(_mix_array(x), _mix_array(x ^ np.uint64(_SECOND)))
        return b

    def _set(self, h1: np.ndarray, h2: np.ndarray) -> None:
        m = np.uint64(self.nbits)
        a = (h1 % m).astype(np.int64)
        step = (h2 % m).astype(np.int64)
        flags = np.zeros(self.nbits, dtype=bool)
        for _ in range(self.k):  # position i = (h1 + i * h2) mod nbits, as in _positions
            flags[a] = True
            a += step
            a %= self.nbits
        self.bits = bytearray(np.packbits(flags, bitorder="little").tobytes())

    def _positions(self, key: Any) -> list[int] | None:
        h = self._hash(key)
        if h is None:
            return None
        h1, h2 = h
        m = self.nbits
        return [(h1 % m + (i * (h2 % m)) % m) % m for i in range(self.k)]

    def add(self, key: Any) -> None:
        positions = self._positions(key)
        if positions is None:
            raise TypeError(f"key {key!r} does not fit this bloom filter's {self.scheme} scheme")
        for p in positions:
            self.bits[p >> 3] |= 1 << (p & 7)

    def might_contain(self, key: Any) -> bool:
        positions = self._positions(key)
        if positions is None:
            return True
        return all(self.bits[p >> 3] & (1 << (p & 7)) for p in positions)


def column_stats(batch: pa.RecordBatch) -> dict[str, list[Any]]:
    out: dict[str, list[Any]] = {}
    for name, col in zip(batch.schema.names, batch.columns, strict=True):
        if name == ROWID or not any(f(col.type) for f in _STAT_TYPES) or len(col) == col.null_count:
            continue
        mm = pc.min_max(col)
        lo, hi = mm["min"].as_py(), mm["max"].as_py()
        if isinstance(lo, float) and (math.isnan(lo) or math.isnan(hi)):
            continue
        out[name] = [lo, hi]
    for name, col in zip(batch.schema.names, batch.columns, strict=True):
        unit = _moment_unit(col.type)
        if unit is not None and len(col) != col.null_count:  # [min, max, unit]: time ranges prune too
            mm = pc.min_max(col.cast(pa.int64() if unit == "us" else pa.int32()))
            out[name] = [mm["min"].as_py(), mm["max"].as_py(), unit]
    return out


def _moment_unit(t: pa.DataType) -> str | None:
    """Timestamps (microseconds) and dates (days) keep min/max as integers of this unit."""
    if pa.types.is_timestamp(t) and t.unit == "us":
        return "us"
    if pa.types.is_date32(t):
        return "day"
    return None


@attrs.frozen
class _Moment:
    """A timestamp or date literal of a filter, as an integer of its unit since the epoch."""

    value: int
    unit: str


_EPOCH = dt.datetime(1970, 1, 1)
_MOMENT = re.compile(r"(-?\d{4,}-\d\d-\d\d)(?: (\d\d:\d\d:\d\d(?:\.\d{1,6})?)(Z?))?")


def _moment(lit: str) -> _Moment | None:
    m = _MOMENT.fullmatch(lit)
    if m is None:
        return None
    try:
        day = dt.date.fromisoformat(m.group(1))
        if m.group(2) is None:
            return _Moment((day - _EPOCH.date()).days, "day")
        moment = dt.datetime.fromisoformat(f"{m.group(1)} {m.group(2)}")
    except ValueError:
        return None
    delta = moment - _EPOCH
    return _Moment((delta.days * 86_400 + delta.seconds) * 1_000_000 + delta.microseconds, "us")


def encode_segment(ch: Chunk, pk_cols: tuple[str, ...], *, compression: str | None = None,
                   dictionary: list[str] | tuple[str, ...] = ()) -> tuple[pa.Buffer, dict[str, Any], Bloom | None]:
    """The segment file of a chunk; ``compression`` (e.g. "zstd") compresses every column buffer and
    ``dictionary`` names columns stored dictionary-encoded (read back plain: ``plain_batch``)."""
    data = ch.data
    created = ch.created
    carr = pa.array(np.full(data.num_rows, created, dtype=np.int64) if isinstance(created, int) else created)
    full = data.append_column(CREATED, carr)
    stats = column_stats(data)
    bloom = None
    if pk_cols:
        first = data.column(pk_cols[0])
        if len(pk_cols) == 1 and pa.types.is_integer(first.type) and first.null_count == 0 and \
                first.type != pa.uint64():
            bloom = Bloom.for_int_column(first)
        else:
            cols = [data.column(c).to_pylist() for c in pk_cols]
            keys = cols[0] if len(cols) == 1 else list(zip(*cols, strict=True))
            bloom = Bloom.for_keys(keys)
    meta = {b"helios.stats": json.dumps(stats, default=str).encode()}
    if compression:
        meta[CODEC_KEY] = compression.encode()  # read on demand when opened (persist.settle_segment)
    if bloom is not None:
        meta[b"helios.bloom"] = json.dumps(
            {"n": bloom.nbits, "k": bloom.k, "bits": base64.b64encode(bytes(bloom.bits)).decode(),
             "scheme": bloom.scheme}).encode()
    for name in dictionary:
        i = full.schema.get_field_index(name)
        full = full.set_column(i, name, pc.dictionary_encode(full.column(i)))
    full = full.replace_schema_metadata(meta)
    sink = pa.BufferOutputStream()
    options = pa.ipc.IpcWriteOptions(compression=compression) if compression else None
    with pa.ipc.new_file(sink, full.schema, options=options) as w:
        w.write_batch(full)
    return sink.getvalue(), stats, bloom


def plain_batch(batch: pa.RecordBatch) -> pa.RecordBatch:
    """A batch with its dictionary-encoded columns decoded (packed segments store some that way)."""
    for i, field in enumerate(batch.schema):
        if pa.types.is_dictionary(field.type):
            batch = batch.set_column(i, field.name, batch.column(i).cast(field.type.value_type))
    return batch


def decode_segment(buf: pa.Buffer) -> tuple[pa.RecordBatch, int | np.ndarray, dict[str, Any], Bloom | None]:
    """Zero-copy read of a segment buffer (mmapped by a disk tier)."""
    reader = pa.ipc.open_file(pa.BufferReader(buf))
    batch = reader.get_batch(0) if reader.num_record_batches == 1 else pa.Table.from_batches(
        [reader.get_batch(i) for i in range(reader.num_record_batches)]).combine_chunks().to_batches()[0]
    meta = reader.schema.metadata or {}
    batch = plain_batch(batch)
    idx = batch.schema.get_field_index(CREATED)
    created_np = batch.column(idx).to_numpy()
    data = batch.remove_column(idx).replace_schema_metadata(None)
    created: int | np.ndarray
    if len(created_np) and created_np.min() == created_np.max():
        created = int(created_np[0])
    else:
        created = created_np
    stats, bloom = segment_summary(meta)
    return data, created, stats, bloom


def segment_summary(meta: dict[bytes, bytes] | None) -> tuple[dict[str, Any], Bloom | None]:
    """The min/max statistics and key bloom filter stored in a segment's schema metadata."""
    meta = meta or {}
    stats = json.loads(meta.get(b"helios.stats", b"{}"))
    bloom = None
    if b"helios.bloom" in meta:
        b = json.loads(meta[b"helios.bloom"])
        bloom = Bloom(b["n"], b["k"], bytearray(base64.b64decode(b["bits"])), b.get("scheme", "mmh3"))
    return stats, bloom


def recompress_segment(buf: pa.Buffer | bytes, codec: str = "zstd") -> pa.Buffer:
    """The same segment with its column buffers compressed (cold storage); still read by byte ranges."""
    reader = pa.ipc.open_file(pa.BufferReader(buf))
    sink = pa.BufferOutputStream()
    with pa.ipc.new_file(sink, reader.schema, options=pa.ipc.IpcWriteOptions(compression=codec)) as w:
        for i in range(reader.num_record_batches):
            w.write_batch(reader.get_batch(i))
    return sink.getvalue()


_OPS = {"<": "lt", "<=": "le", ">": "gt", ">=": "ge", "==": "eq"}


def prune_terms(expr: Any) -> list[tuple[str, str, Any]]:
    """Conjuncts ``field op literal`` of a filter, read conservatively from its text form.

    Anything not understood is ignored (no pruning), so results stay exact.
    """
    if expr is None:
        return []
    return _terms(str(expr))


def _terms(text: str) -> list[tuple[str, str, Any]]:
    terms: list[tuple[str, str, Any]] = []
    for part in _split_and(text):
        part = part.strip()
        while part.startswith("(") and part.endswith(")") and _balanced(part[1:-1]):
            part = part[1:-1].strip()
        sub = _split_and(part)
        if len(sub) > 1:
            terms.extend(_terms(part))
            continue
        for op in ("<=", ">=", "==", "<", ">"):
            pieces = part.split(f" {op} ")
            if len(pieces) == 2:
                field, lit = pieces[0].strip(), pieces[1].strip()
                if not field.isidentifier():
                    break
                val = _literal(lit)
                if val is not _NO:
                    terms.append((field, _OPS[op], val))
                break
    return terms


_NO = object()


def _literal(lit: str) -> Any:
    moment = _moment(lit)
    if moment is not None:
        return moment
    if len(lit) >= 2 and lit[0] == lit[-1] == '"' and '"' not in lit[1:-1] and "\\" not in lit:
        return lit[1:-1]
    try:
        return int(lit)
    except ValueError:
        pass
    try:
        v = float(lit)
        return v if math.isfinite(v) else _NO
    except ValueError:
        return _NO


def _balanced(s: str) -> bool:
    depth = 0
    instr = False
    for ch in s:
        if ch == '"':
            instr = not instr
        elif not instr:
            if ch == "(":
                depth += 1
            elif ch == ")":
                depth -= 1
                if depth < 0:
                    return False
    return depth == 0 and not instr


def _split_and(text: str) -> list[str]:
    t = text.strip()
    while t.startswith("(") and t.endswith(")") and _balanced(t[1:-1]):
        t = t[1:-1].strip()
    if " and " not in t and " or " not in t:
        return [t]  # one term (an index probe's): no walk over its characters
    parts, depth, instr, start, i = [], 0, False, 0, 0
    while i < len(t):
        ch = t[i]
        if ch == '"':
            instr = not instr
        elif not instr:
            if ch == "(":
                depth += 1
            elif ch == ")":
                depth -= 1
            elif depth == 0 and t.startswith(" and ", i):
                parts.append(t[start:i])
                i += 5
                start = i
                continue
            elif depth == 0 and t.startswith(" or ", i):
                return []  # a disjunction at the top: do not prune
        i += 1
    parts.append(t[start:])
    return parts


def may_match(stats: dict[str, list[Any]], terms: list[tuple[str, str, Any]]) -> bool:
    """False only when min/max prove no row of the segment satisfies every term."""
    for field, op, val in terms:
        mm = stats.get(field)
        if mm is None:
            continue
        lo, hi = mm[0], mm[1]
        unit = mm[2] if len(mm) > 2 else None
        if isinstance(val, _Moment):
            if val.unit != unit:
                continue
            val = val.value
        elif unit is not None:
            continue
        if isinstance(val, str) != isinstance(lo, str) or isinstance(lo, bool) or isinstance(val, bool):
            continue
        try:
            if (op == "eq" and (val < lo or val > hi)) or (op == "lt" and not lo < val) or \
                    (op == "le" and not lo <= val) or (op == "gt" and not hi > val) or \
                    (op == "ge" and not hi >= val):
                return False
        except TypeError:
            continue
    return True
