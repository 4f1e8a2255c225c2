"""GROUP BY on string keys of one byte width (operators.byte_keys): the groups, keys and
aggregates are the string grouping's, whether or not the key qualifies (NULLs, empty or longer
strings, multibyte characters in char(n), sliced chunks, large strings, every view width)."""

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
        assert types == {"k": (arr.type, 1)} and coded.column("k").type == pa.uint8()
        assert [chr(c) for c in coded.column("k").to_pylist()] == arr.to_pylist()
        out = coded.group_by(["k"]).aggregate([("v", "sum")])
        back = byte_keys.as_strings(out, types)
        assert back.column("k").type == arr.type
        assert dict(zip(back.column("k").to_pylist(), back.column("v_sum").to_pylist(), strict=True)) == \
            dict(zip(*work.group_by(["k"]).aggregate([("v", "sum")]).select(["k", "v_sum"]).to_pydict().values(),
                     strict=True))
    for not_coded in (pa.array(["a", "bb"]), pa.array(["a", None]), pa.array(["", "a"]), pa.array(["é", "a"])):
        assert byte_keys.as_codes(pa.table({"k": not_coded}), ["k"])[1] == {}


@pytest.mark.parametrize("width", [2, 3, 4, 8, 10, 64])
def test_every_width_and_back(width) -> None:
    words = [c * width for c in "ABCDE"] + ["x" * (width - 1) + "y"]
    base = pa.array([words[(x * 7) % len(words)] for x in range(40)])
    for arr in (base, base.slice(3, 30), base.cast(pa.large_string()).slice(5, 33)):
        parts = [arr.slice(0, 11), arr.slice(11)]
        work = pa.table({"k": pa.chunked_array(parts), "v": pa.array(range(len(arr)))})
        coded, types = byte_keys.as_codes(work, ["k"])
        assert types == {"k": (arr.type, width)}
        assert coded.column("k").type == {2: pa.uint16(), 4: pa.uint32(), 8: pa.uint64()}.get(width, pa.binary(width))
        back = byte_keys.as_strings(coded.group_by(["k"]).aggregate([("v", "sum")]), types)
        assert back.column("k").type == arr.type
        want = work.group_by(["k"]).aggregate([("v", "sum")]).to_pydict()
        assert dict(zip(back.column("k").to_pylist(), back.column("v_sum").to_pylist(), strict=True)) == \
            dict(zip(want["k"], want["v_sum"], strict=True))


def test_unaligned_chunks_are_viewed_as_binary() -> None:
    """A chunk whose bytes do not start at a multiple of the width is viewed as fixed-size binary,
    and so are the column's other chunks (one type per column)."""
    arr = pa.array(["a", "bbbb", "cccc", "dddd", "cccc"])  # the four-byte values start at byte 1
    work = pa.table({"k": pa.chunked_array([arr.slice(1, 2), arr.slice(3)])})
    coded, types = byte_keys.as_codes(work, ["k"])
    assert types == {"k": (pa.string(), 4)} and coded.column("k").type == pa.binary(4)
    back = byte_keys.as_strings(coded.group_by(["k"]).aggregate([]), types)
    assert sorted(back.column("k").to_pylist()) == ["bbbb", "cccc", "dddd"]
    empty_between = pa.chunked_array([pa.array(["abc", "abd"]), pa.array([], pa.string()), pa.array(["abc"])])
    coded, types = byte_keys.as_codes(pa.table({"k": empty_between}), ["k"])
    assert types == {"k": (pa.string(), 3)} and coded.column("k").num_chunks == 3
    back = byte_keys.as_strings(coded.group_by(["k"]).aggregate([([], "count_all")]), types)
    assert sorted(zip(back.column("k").to_pylist(), back.column("count_all").to_pylist())) == [("abc", 2), ("abd", 1)]
    # an empty chunk whose offsets buffer is empty (as zero-length arrays may come)
    no_offsets = pa.Array.from_buffers(pa.string(), 0, [None, pa.py_buffer(b""), pa.py_buffer(b"")])
    coded, types = byte_keys.as_codes(pa.table({"k": pa.chunked_array([no_offsets, pa.array(["ab", "cd"])])}), ["k"])
    assert types == {"k": (pa.string(), 2)} and coded.column("k").to_pylist() == [0x6261, 0x6463]
    for not_coded in (pa.array(["ab", "cd", "e"]), pa.array(["ab", "éa"]), pa.array(["", ""]),
                      pa.chunked_array([["ab", "cd"], ["abc"]]), pa.array(["x" * 65] * 3)):
        assert byte_keys.as_codes(pa.table({"k": not_coded}), ["k"])[1] == {}


def test_char_n_groups_with_multibyte_values(monkeypatch) -> None:
    """char(n) values are stored blank-padded to n characters: n bytes when ASCII, more with a
    multibyte character, so a column mixing both is grouped as strings; either way the groups are
    PostgreSQL's."""
    modes = ["AIR", "REG AIR", "TRUCK", "MAIL", "SHIP"]
    widths = []
    real = byte_keys.as_codes

    def spy(work, ks):
        out = real(work, ks)
        widths.append([w for _t, w in out[1].values()])
        return out

    monkeypatch.setattr(byte_keys, "as_codes", spy)
    # the width view itself: stored codes, which come first where storage keeps them, are
    # tested in test_string_codes.py
    monkeypatch.setattr(byte_keys.string_codes, "codes_of", lambda arr, **kwargs: None)
    s = helios_core.connect()
    try:
        s.execute("CREATE TABLE sm (mode char(10), v int)")
        s.execute("INSERT INTO sm SELECT (ARRAY['AIR','REG AIR','TRUCK','MAIL','SHIP'])[x % 5 + 1], x "
                  f"FROM generate_series(1, {ROWS}) x")
        sql = "SELECT mode, count(*), sum(v), mode || '|' FROM sm GROUP BY mode ORDER BY mode"
        got = s.execute(sql)[-1].rows()
        want = sorted((m.ljust(10), sum(1 for x in range(1, ROWS + 1) if x % 5 + 1 == i + 1),
                       sum(x for x in range(1, ROWS + 1) if x % 5 + 1 == i + 1), m + "|")
                      for i, m in enumerate(modes))
        assert got == want and widths == [[10]]
        s.execute("INSERT INTO sm VALUES ('Bahía', 1), ('AIR', 2)")
        got = {r[0]: r[1] for r in s.execute("SELECT mode, count(*) FROM sm GROUP BY mode")[-1].rows()}
        assert got["Bahía     "] == 1 and got["AIR       "] == want[0][1] + 1
        assert widths[-1] == []  # 'Bahía' padded is 11 bytes: grouped as strings
    finally:
        s.close()
