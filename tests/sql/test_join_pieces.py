"""A join's output is assembled in pieces with a check for cancel between them.

A row holding an array of many elements, joined with each of its unnested elements, repeats
that array on every output row; built in one go the copy takes minutes and gigabytes with no
chance for statement_timeout to act. In pieces the rows and their order are the same."""
from __future__ import annotations

import pyarrow as pa
import pytest

from helios_core.engine import Engine
from helios_core.errors import HeliosError
from helios_core.sql.operators import join


class _Checks:
    def __init__(self, fail_after: int | None = None) -> None:
        self.count = 0
        self.fail_after = fail_after

    def check_cancel(self) -> None:
        self.count += 1
        if self.fail_after is not None and self.count > self.fail_after:
            raise RuntimeError("cancelled")


def _sides() -> tuple[pa.Table, pa.Table, pa.Array, pa.Array]:
    lt = pa.table({"a": pa.array([list(range(1_000)), [1]]), "k": [1, 2]})
    rt = pa.table({"v": pa.array(range(1_000), pa.int64())})
    lids = pa.array([0] * 1_000, pa.int64())
    rids = pa.array(range(1_000), pa.int64())
    return lt, rt, lids, rids


@pytest.mark.parametrize("kind", ["inner", "left", "full"])
def test_pieces_give_the_rows_of_one_assembly(kind: str, monkeypatch: pytest.MonkeyPatch) -> None:
    lt, rt, lids, rids = _sides()
    whole = join.assemble(kind, lt, rt, lids, rids)
    monkeypatch.setattr(join, "ASSEMBLE_PIECE_BYTES", 1 << 16)
    checks = _Checks()
    pieces = list(join.assemble_batches(kind, lt, rt, lids, rids, checks))
    assert len(pieces) > 5 and checks.count >= len(pieces) - 1
    assert pa.Table.from_batches(pieces).to_pylist() == whole.rename_columns(pieces[0].schema.names).to_pylist()


def test_a_cancel_stops_between_pieces(monkeypatch: pytest.MonkeyPatch) -> None:
    lt, rt, lids, rids = _sides()
    monkeypatch.setattr(join, "ASSEMBLE_PIECE_BYTES", 1 << 16)
    pieces = join.assemble_batches("inner", lt, rt, lids, rids, _Checks(fail_after=2))
    assert next(pieces).num_rows and next(pieces).num_rows
    with pytest.raises(RuntimeError):
        next(pieces)


def test_statement_timeout_stops_an_unnest_beside_a_wide_row() -> None:
    engine = Engine.open(None)
    s = engine.connect(user="helios", database="helios", branch="main", options={})
    s.execute("CREATE TABLE wide (a int[])")
    s.execute("INSERT INTO wide SELECT array_agg(g) FROM generate_series(1, 300000) g")
    s.execute("SET statement_timeout = 2000")
    with pytest.raises(HeliosError) as err:
        s.execute("SELECT count(*) FROM wide CROSS JOIN unnest(a) AS u(v)")
    assert err.value.sqlstate == "57014"
