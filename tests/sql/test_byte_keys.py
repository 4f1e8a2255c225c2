"""GROUP BY on one-byte string keys (operators.byte_keys): the groups, keys and aggregates are the
string grouping's, whether or not the key qualifies (NULLs, empty or longer strings, sliced
chunks, large strings)."""

from __future__ import annotations

from collections import defaultdict

import pyarrow as pa
import pytest

import helios_core
from helios_core.sql.operators import byte_keys

ROWS = 70_000  # over the by-ids and parallel thresholds: the hash aggregation runs on many chunks


def _expected(flags, states, values):
    groups = defaultdict(lambda: [0, 0])
    for f, s, v in zip(flags, states, values, strict=True):
        groups[(f, s)][0] += 1
        groups[(f, s)][1] += v
    return [(f, s, n, total) for (f, s), (n, total) in groups.items()]


@pytest.mark.parametrize("odd", [None, "", "é", "AB", "NULL"], ids=["one-byte", "empty", "two-byte", "two-letter", "null"])
def test_grouping_by_flags_gives_the_string_grouping(odd) -> None:
    flags = ["A", "N", "R"]
    rows = [(flags[x % 3], "FO"[x % 7 == 0], x % 100) for x in range(ROWS)]
    if odd is not None:
        rows[ROWS // 2] = (None if odd == "NULL" else odd, "O", 5)
    s = helios_core.connect()
    try:
        s.execute("CREATE TABLE li (flag text, st char(1), v int)")
        for start in range(0, ROWS, 10_000):
            values = ", ".join(f"({'NULL' if f is None else repr(f)}, '{st}', {v})" for f, st, v in rows[start:start + 10_000])
            s.execute(f"INSERT INTO li VALUES {values}")
        got = s.execute("SELECT flag, st, count(*), sum(v) FROM li GROUP BY flag, st ORDER BY flag, st")[-1].rows()
    finally:
        s.close()
    want = _expected(*zip(*rows, strict=True))
    key = (lambda r: (r[0] is None, r[0] or "", r[1]))
    assert sorted(got, key=key) == sorted(want, key=key)


def test_codes_and_back_for_sliced_and_large_strings() -> None:
    base = pa.array(["x", "A", "B", "A", "C", "B"] * 5)
    for arr in (base.slice(3, 20), base.cast(pa.large_string()).slice(1, 25)):
        work = pa.table({"k": pa.chunked_array([arr.slice(0, 7), arr.slice(7)]), "v": pa.array(range(len(arr)))})
        coded, types = byte_keys.as_codes(work, ["k"])
        assert types == {"k": arr.type} and coded.column("k").type == pa.uint8()
        assert [chr(c) for c in coded.column("k").to_pylist()] == arr.to_pylist()
        out = coded.group_by(["k"]).aggregate([("v", "sum")])
        back = byte_keys.as_strings(out, types)
        assert back.column("k").type == arr.type
        assert dict(zip(back.column("k").to_pylist(), back.column("v_sum").to_pylist(), strict=True)) == \
            dict(zip(*work.group_by(["k"]).aggregate([("v", "sum")]).select(["k", "v_sum"]).to_pydict().values(),
                     strict=True))
    for not_coded in (pa.array(["a", "bb"]), pa.array(["a", None]), pa.array(["", "a"]), pa.array(["é", "a"])):
        assert byte_keys.as_codes(pa.table({"k": not_coded}), ["k"])[1] == {}
