"""Segment bloom filters: integer primary keys hashed with numpy (scheme ``i64``), other keys
with mmh3 of their repr; segments written before the ``i64`` scheme still read as ``mmh3``."""

from __future__ import annotations

import base64
import json

import numpy as np
import pyarrow as pa

from helios_core.storage.segments import Bloom, decode_segment, encode_segment
from helios_core.storage.versions import ROWID, Chunk


def _segment(keys: pa.Array) -> tuple[pa.Buffer, Bloom]:
    data = pa.RecordBatch.from_arrays([keys, pa.array(np.arange(len(keys)), pa.int64())], names=["c1", ROWID])
    buf, _stats, _bloom = encode_segment(Chunk(1, data, 7), ("c1",))
    _data, _created, _stats, bloom = decode_segment(buf)
    return buf, bloom


def test_integer_keys_use_the_numpy_scheme_and_are_all_found() -> None:
    keys = np.arange(0, 300_000, 3, dtype=np.int64)
    _buf, bloom = _segment(pa.array(keys))
    assert bloom.scheme == "i64"
    assert all(bloom.might_contain(int(k)) for k in keys)
    misses = sum(bloom.might_contain(int(k)) for k in range(1, 300_000, 3))
    assert misses < 0.03 * 100_000  # sized for 1% false positives
    assert bloom.might_contain("not an integer")  # another type is never ruled out


def test_negative_and_extreme_integers() -> None:
    keys = [-(1 << 63), -1, 0, 1, (1 << 63) - 1]
    _buf, bloom = _segment(pa.array(keys, pa.int64()))
    assert all(bloom.might_contain(k) for k in keys)
    assert bloom.might_contain(1 << 64)  # outside int64: not prunable


def test_text_keys_keep_mmh3() -> None:
    keys = [f"k{i}" for i in range(1000)]
    _buf, bloom = _segment(pa.array(keys))
    assert bloom.scheme == "mmh3"
    assert all(bloom.might_contain(k) for k in keys)
    assert sum(bloom.might_contain(f"x{i}") for i in range(1000)) < 50


def test_a_segment_without_a_scheme_reads_as_mmh3() -> None:
    keys = list(range(1000))
    old = Bloom.for_keys(keys)  # what every segment held before the i64 scheme
    data = pa.RecordBatch.from_arrays([pa.array(keys, pa.int64()), pa.array(keys, pa.int64()),
                                       pa.array([7] * 1000, pa.int64())], names=["c1", ROWID, "_created"])
    meta = {b"helios.stats": b"{}", b"helios.bloom": json.dumps(
        {"n": old.nbits, "k": old.k, "bits": base64.b64encode(bytes(old.bits)).decode()}).encode()}
    data = data.replace_schema_metadata(meta)
    sink = pa.BufferOutputStream()
    with pa.ipc.new_file(sink, data.schema) as w:
        w.write_batch(data)
    _data, _created, _stats, bloom = decode_segment(sink.getvalue())
    assert bloom.scheme == "mmh3"
    assert all(bloom.might_contain(k) for k in keys)
    assert sum(bloom.might_contain(k) for k in range(5000, 6000)) < 50
