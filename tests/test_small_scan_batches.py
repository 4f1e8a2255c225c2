"""Small batches of a scan: parallel.ordered_map computes the items its ``here`` test names on
the calling thread, in their turn, and the others on workers (results in order either way, an
error raised at its item; a scan's batches under HAND_OFF_MIN_ROWS rows stay on the calling
thread), and scan.coalesced hands consecutive small batches of one schema up as one."""

from __future__ import annotations

import threading

import pyarrow as pa
import pytest

from helios_core import parallel
from helios_core.sql.operators import parallel_map


def test_small_items_run_here_in_order(monkeypatch):
    monkeypatch.setattr(parallel, "WORKERS", 2)
    me = threading.get_ident()
    seen: dict[int, int] = {}

    def fn(x: int) -> int:
        seen[x] = threading.get_ident()
        return x * 10

    out = list(parallel.ordered_map(fn, range(20), workers=2, here=lambda x: x % 3 == 0))
    assert out == [x * 10 for x in range(20)]
    assert all(seen[x] == me for x in range(0, 20, 3))
    assert any(seen[x] != me for x in range(20) if x % 3)  # the others went to workers


def test_an_error_is_raised_at_its_item():
    def fn(x: int) -> int:
        if x == 4:
            raise ValueError("four")
        return x

    results = parallel.ordered_map(fn, range(8), workers=2, here=lambda x: x % 2 == 0)
    assert [next(results) for _ in range(4)] == [0, 1, 2, 3]
    with pytest.raises(ValueError, match="four"):
        next(results)


def test_scan_batches_below_the_hand_off_size_stay_here():
    small = pa.record_batch({"a": list(range(parallel_map.HAND_OFF_MIN_ROWS - 1))})
    large = pa.record_batch({"a": list(range(parallel_map.HAND_OFF_MIN_ROWS))})
    assert parallel_map._small(small) and not parallel_map._small(large)


def test_small_scan_batches_are_handed_up_together():
    from helios_core.sql.operators.scan import coalesced

    small = [pa.record_batch({"a": [i, i + 1]}) for i in range(0, 10, 2)]
    big = pa.record_batch({"a": list(range(100, 100 + 50))})
    other = pa.record_batch({"b": ["x"]})  # another schema: not joined to the others
    out = list(coalesced(iter([*small, big, *small[:2], other, *small[2:]]), most=20))
    assert [b.num_rows for b in out] == [10, 50, 4, 1, 6]
    assert out[0].column("a").to_pylist() == list(range(10)) and out[1] is big
    assert [b.num_rows for b in coalesced(iter(small * 3), most=7)] == [6, 6, 6, 6, 6]  # at most 7 rows each
    assert list(coalesced(iter([]))) == []
