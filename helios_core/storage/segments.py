"""Immutable columnar segments: one Arrow IPC file per flushed chunk of row versions.

Layout: the physical columns (``c<col_id>``), ``_rowid`` and ``_created`` (commit
timestamps). ``ended`` stamps change after a flush, so they live in the checkpoint
state, not here. The schema metadata carries per-column min/max statistics and an
mmh3 bloom filter of the primary keys, so a scan can skip the file without reading it.
"""

from __future__ import annotations

import base64
import itertools
import json
import math
from typing import Any

import mmh3
import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from helios_core.storage.versions import ROWID, Chunk

CREATED = "_created"
_U64 = (1 << 64) - 1
_STAT_TYPES = (pa.types.is_integer, pa.types.is_floating, pa.types.is_string, pa.types.is_large_string)


class Bloom:
    """A plain bloom filter over mmh3 (two 64-bit halves, double hashing), little-endian bit order."""

    def __init__(self, nbits: int, k: int, bits: bytearray | None = None) -> None:
        self.nbits = nbits
        self.k = k
        self.bits = bits if bits is not None else bytearray((nbits + 7) // 8)

    @staticmethod
    def _hash(key: Any) -> tuple[int, int]:
        h1, h2 = mmh3.hash64(repr(key))
        return h1 & _U64, h2 & _U64

    @classmethod
    def for_keys(cls, keys: list[Any]) -> Bloom:
        """Build from many keys: one mmh3 call per key, the bit arithmetic on numpy arrays."""
        n = max(1, len(keys))
        nbits = max(64, int(-n * math.log(0.01) / (math.log(2) ** 2)))
        b = cls(nbits, 7)
        if keys:
            flat = np.fromiter(itertools.chain.from_iterable(map(mmh3.hash64, map(repr, keys))),
                               dtype=np.int64, count=2 * len(keys)).view(np.uint64)
            h1, h2 = flat[0::2], flat[1::2]
            m = np.uint64(nbits)
            a = (h1 % m).astype(np.int64)
            step = (h2 % m).astype(np.int64)
            flags = np.zeros(nbits, dtype=bool)
            for _ in range(b.k):  # position i = (h1 + i * h2) mod nbits, as in _positions
                flags[a] = True
                a += step
                a %= nbits
            b.bits = bytearray(np.packbits(flags, bitorder="little").tobytes())
        return b

    def _positions(self, key: Any) -> list[int]:
        h1, h2 = self._hash(key)
        m = self.nbits
        return [(h1 % m + (i * (h2 % m)) % m) % m for i in range(self.k)]

    def add(self, key: Any) -> None:
        for p in self._positions(key):
            self.bits[p >> 3] |= 1 << (p & 7)

    def might_contain(self, key: Any) -> bool:
        return all(self.bits[p >> 3] & (1 << (p & 7)) for p in self._positions(key))


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
    return out


def encode_segment(ch: Chunk, pk_cols: tuple[str, ...]) -> tuple[pa.Buffer, dict[str, Any], Bloom | None]:
    data = ch.data
    created = ch.created
    carr = pa.array(np.full(data.num_rows, created, dtype=np.int64) if isinstance(created, int) else created)
    full = data.append_column(CREATED, carr)
    stats = column_stats(data)
    bloom = None
    if pk_cols:
        cols = [data.column(c).to_pylist() for c in pk_cols]
        keys = cols[0] if len(cols) == 1 else list(zip(*cols, strict=True))
        bloom = Bloom.for_keys(keys)
    meta = {b"helios.stats": json.dumps(stats, default=str).encode()}
    if bloom is not None:
        meta[b"helios.bloom"] = json.dumps(
            {"n": bloom.nbits, "k": bloom.k, "bits": base64.b64encode(bytes(bloom.bits)).decode()}).encode()
    full = full.replace_schema_metadata(meta)
    sink = pa.BufferOutputStream()
    with pa.ipc.new_file(sink, full.schema) as w:
        w.write_batch(full)
    return sink.getvalue(), stats, bloom


def decode_segment(buf: pa.Buffer) -> tuple[pa.RecordBatch, int | np.ndarray, dict[str, Any], Bloom | None]:
    """Zero-copy read of a segment buffer (mmapped by a disk tier)."""
    reader = pa.ipc.open_file(pa.BufferReader(buf))
    batch = reader.get_batch(0) if reader.num_record_batches == 1 else pa.Table.from_batches(
        [reader.get_batch(i) for i in range(reader.num_record_batches)]).combine_chunks().to_batches()[0]
    meta = reader.schema.metadata or {}
    idx = batch.schema.get_field_index(CREATED)
    created_np = batch.column(idx).to_numpy()
    data = batch.remove_column(idx).replace_schema_metadata(None)
    created: int | np.ndarray
    if len(created_np) and created_np.min() == created_np.max():
        created = int(created_np[0])
    else:
        created = created_np
    stats = json.loads(meta.get(b"helios.stats", b"{}"))
    bloom = None
    if b"helios.bloom" in meta:
        b = json.loads(meta[b"helios.bloom"])
        bloom = Bloom(b["n"], b["k"], bytearray(base64.b64decode(b["bits"])))
    return data, created, stats, bloom


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
        lo, hi = mm
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
