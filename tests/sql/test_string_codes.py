"""GROUP BY string keys through the codes storage keeps for a stored chunk's slices
(storage.string_codes, sql.operators.byte_keys): the groups and their aggregates are those of
grouping the strings themselves, for text and blank-padded char(n), slices with other values
than their neighbours, more than 256 distinct values (two-byte codes), too many to code, keys
changed by UPDATE and a table dropped and made again; the codes were used where they apply."""

from __future__ import annotations

import pytest

from helios_core.storage import narrowed, string_codes


def _coded_slices() -> int:
    return sum(1 for slices, key in ((s, k) for (_, k), (s, _c) in narrowed._kept.items())
               if isinstance(slices.get(key), tuple) and slices[key][0] == "codes" and slices[key][1] is not None)


@pytest.fixture
def session(kept_slices_session):
    return kept_slices_session


def _groups(s, sql: str) -> list[tuple]:
    return sorted(s.execute(sql)[-1].rows())


def _without_codes(s, sql: str, monkeypatch) -> list[tuple]:
    with monkeypatch.context() as m:
        m.setattr(string_codes, "codes_of", lambda arr, **kwargs: None)
        return _groups(s, sql)


QUERIES = [
    "SELECT mode, count(*), sum(q), avg(q) FROM t GROUP BY mode",
    "SELECT flag, status, count(*), sum(q) FROM t GROUP BY flag, status",
    "SELECT mode, flag, min(q), max(q) FROM t WHERE q > 10 GROUP BY mode, flag",
    "SELECT name, count(*) FROM t GROUP BY name",
    "SELECT mode, count(*) FROM t GROUP BY mode HAVING count(*) > 100",
]


def _load(s, statements: int, rows: int) -> None:
    s.execute("CREATE TABLE t (k int, mode char(10), flag char(1), status text, name text, q int)")
    for part in range(statements):  # one stored chunk each, some with values the others lack
        s.execute(f"""INSERT INTO t SELECT i,
              (ARRAY['REG AIR','AIR','RAIL','SHIP','TRUCK','MAIL','FOB'])[1 + (i + {part}) % (4 + {part} % 4)],
              CASE WHEN i % 3 = 0 THEN 'A' WHEN i % 3 = 1 THEN 'N' ELSE 'R' END,
              CASE WHEN (i + {part}) % 2 = 0 THEN 'F' ELSE 'O' END,
              'n' || (i % ({300 + part * 50})), i % 50
            FROM generate_series({part * rows}, {part * rows + rows - 1}) i""")


def test_groups_by_codes_are_the_groups_of_the_strings(session, monkeypatch):
    _load(session, 4, 6000)
    for sql in QUERIES:
        want = _without_codes(session, sql, monkeypatch)
        assert _groups(session, sql) == want, sql  # the first run codes the slices
        assert _groups(session, sql) == want, sql  # the second reads the kept codes
    assert _coded_slices() >= 4 * 4  # mode, flag, status and name (300+ values: two-byte codes) of each chunk
    modes = {r[0] for r in _groups(session, "SELECT mode FROM t GROUP BY mode")}
    assert modes == {"REG AIR   ", "AIR       ", "RAIL      ", "SHIP      ", "TRUCK     ", "MAIL      ", "FOB       "}


def test_a_key_with_too_many_values_is_grouped_as_strings(session, monkeypatch):
    session.execute("CREATE TABLE t (u text, q int)")
    session.execute("INSERT INTO t SELECT 'u' || i, i FROM generate_series(1, 20000) i")
    sql = "SELECT u, sum(q) FROM t GROUP BY u"
    want = _without_codes(session, sql, monkeypatch)
    assert len(want) == 20_000
    assert _groups(session, sql) == want
    assert _coded_slices() == 0


def test_updated_keys_and_a_table_made_again(session, monkeypatch):
    _load(session, 2, 6000)
    sql = "SELECT mode, status, count(*), sum(q) FROM t GROUP BY mode, status"
    assert _groups(session, sql) == _without_codes(session, sql, monkeypatch)
    session.execute("UPDATE t SET mode = 'BARGE' WHERE k % 5 = 0")
    after = _groups(session, sql)
    assert any(r[0] == "BARGE     " for r in after)
    assert after == _without_codes(session, sql, monkeypatch)
    session.execute("DROP TABLE t")
    _load(session, 3, 5000)
    assert _groups(session, sql) == _without_codes(session, sql, monkeypatch)
