"""A chunk's sorted copy of a string column (storage.secondary_index): UTF-8 bytes in a fixed
width when the values are short, a Python str each past ``MAX_FIXED_WIDTH``. Every probe (=, IN,
ranges, probes longer than the width, multi-byte characters, empty strings, NUL bytes) finds at
least the rows that hold it, and for values without NUL bytes exactly those (a strict bound over
fixed-width bytes: those and the rows equal to the bound)."""

from __future__ import annotations

import random

import numpy as np
import pyarrow as pa
import pytest

from helios_core.storage import secondary_index
from helios_core.storage.versions import Chunk

ALPHABET = ["a", "b", "z", "é", "日", "ß", " ", "A", "0", "\U0001f600"]
OPS = {"=": lambda v, x: v == x, "<": lambda v, x: v < x, "<=": lambda v, x: v <= x,
       ">": lambda v, x: v > x, ">=": lambda v, x: v >= x}


def _chunk(values: list[str | None], kind: pa.DataType) -> Chunk:
    return Chunk(1, pa.record_batch({"c0": pa.array(values, kind)}), 0)


def _found(chunk: Chunk, probe: list) -> set[int] | None:
    pos = secondary_index.positions(chunk, "c0", probe)
    if pos is None:
        return None
    assert pos.dtype == np.int64
    return set(pos.tolist())


@pytest.mark.parametrize("kind", [pa.string(), pa.large_string()])
@pytest.mark.parametrize("longest", [3, 12, 80])  # 80 characters: past the fixed width
@pytest.mark.parametrize("seed", range(3))
def test_probes_find_the_rows_that_hold_them(kind, longest, seed, monkeypatch):
    monkeypatch.setattr(secondary_index, "MAX_SELECTED_SHARE", 1.0)  # answer every probe from the copy
    rng = random.Random(seed)
    values = ["".join(rng.choice(ALPHABET) for _ in range(rng.randint(0, longest))) for _ in range(2000)]
    values += ["", "a", "a", "ab", None, "b" * longest]
    chunk = _chunk(values, kind)
    sorted_values, _rows = secondary_index.sorted_column(chunk, "c0")
    assert (sorted_values.dtype.kind == "S") == (max(len(v.encode()) for v in values if v) <= 64)
    probes = [rng.choice([v for v in values if v is not None]) for _ in range(20)]
    probes += ["", "a", "zzz", "日本", "b" * (longest + 10), "\U0001f600" * 30]
    for x in probes:
        for op, holds in OPS.items():
            want = {i for i, v in enumerate(values) if v is not None and holds(v, x)}
            got = _found(chunk, [(op, [pa.scalar(x, kind)])])
            if got is not None and op in ("<", ">") and sorted_values.dtype.kind == "S":
                # a strict bound over padded bytes is searched as the inclusive one: the equal rows too
                assert want <= got <= want | {i for i, v in enumerate(values) if v == x}, (op, x)
            elif got is not None:
                assert got == want, (op, x)
        want = {i for i, v in enumerate(values) if v in (x, "ab")}
        got = _found(chunk, [("in", [pa.scalar(x, kind), pa.scalar("ab", kind), pa.scalar(None, kind)])])
        assert got is None or got == want, x


def test_nul_bytes_add_rows_never_drop_them(monkeypatch):
    monkeypatch.setattr(secondary_index, "MAX_SELECTED_SHARE", 1.0)
    values = ["ab", "ab\x00", "ab\x00c", "abc", "a", "b"] * 50
    chunk = _chunk(values, pa.string())
    for x in ["ab", "ab\x00", "ab\x00c", "abc"]:
        for op, holds in OPS.items():
            want = {i for i, v in enumerate(values) if holds(v, x)}
            got = _found(chunk, [(op, [pa.scalar(x)])])
            assert got is None or want <= got, (op, x)
