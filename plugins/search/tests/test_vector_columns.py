"""ts_rank, ts_rank_cd and ``@@`` over a column read each row's evidence with one regular
expression per query lexeme, or row by row with ``str.find`` for a few rows (vector_columns);
both must give what parsing every vector gives, for every operator, weights, normalization
flags, stripped lexemes and escaped lexemes."""

from __future__ import annotations

import random

import pyarrow as pa
import pytest
from helios_search import ranking, sql_functions, vector_columns
from helios_search import tsquery as Q
from helios_search import tsvector as V

WORDS = ["ab", "cd", "ef", "gh", "ij", "a-b", "x.y", "über", "q'q", "b\\s", "a b", "ab'", "'ab", "x 'ab' y", "ab cd"]
QUERIES = ["ab", "ab & cd", "ab | cd", "!ab", "ab <-> cd", "ab <2> ef", "ab:A", "ab:AB & !cd", "(ab | ef) & gh",
           "'a-b' & 'x.y'", "über", "ab:*", "ab & 'q''q'", "nomatch", "nomatch & ab", "ab & ab", "ab <-> (cd | ef)",
           "!(ab & cd)", "'a b' | ab"]


def _vectors(n: int) -> list[str]:
    rng = random.Random(5)
    out = []
    for _ in range(n):
        entries: dict[str, set] = {}
        for _ in range(rng.randint(0, 8)):
            slot = entries.setdefault(rng.choice(WORDS), set())
            if rng.random() > 0.15:
                slot.add((rng.randint(1, 40), rng.randint(0, 3)))
        out.append(V.format(V.normalize(entries)))
    return out


@pytest.fixture(scope="module")
def vectors() -> pa.Array:
    return pa.array(_vectors(150) + [""])


@pytest.fixture(params=["few", "many"])
def reading(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    """Both ways of reading a column: row by row in Python (up to FEW_ROWS rows) and with Arrow's kernels."""
    if request.param == "many":
        monkeypatch.setattr(vector_columns, "FEW_ROWS", -1)
    else:
        monkeypatch.setattr(vector_columns, "FEW_ROWS", 10**9)
    return request.param


@pytest.mark.parametrize("text", QUERIES)
def test_column_reading_agrees_with_parsing(vectors: pa.Array, text: str, reading: str) -> None:
    query = Q.format(Q.parse(text))
    n = len(vectors)
    queries = pa.array([query] * n)
    readable = vector_columns.readable(Q.parse(text)) is not None
    assert readable == (":*" not in text and "''" not in text)
    for rank in (ranking.ts_rank, ranking.ts_rank_cd):
        by_row = sql_functions._map(sql_functions._rank(rank), pa.float32())
        column = sql_functions._rank_column(rank)
        for method in (0, 4, 32, 1 | 32, 8):
            methods = pa.array([method] * n, pa.int32())
            assert column([vectors, queries, methods]).equals(by_row([vectors, queries, methods])), (rank, method)
        weights = pa.array([[0.3, 0.5, 0.7, 0.9]] * n, pa.list_(pa.float32()))
        assert column([weights, vectors, queries]).equals(by_row([weights, vectors, queries]))
        literal = pa.array(["{0.05, 0.5, 0.25, 1}"] * n)
        assert column([literal, vectors, queries]).equals(by_row([literal, vectors, queries]))
    by_row = sql_functions._map(sql_functions._match, pa.bool_())
    assert sql_functions._match_column(0)([vectors, queries]).equals(by_row([vectors, queries]))
    assert sql_functions._match_column(1)([queries, vectors]).equals(by_row([vectors, queries]))


def test_the_column_reading_is_taken_for_plain_lexemes(vectors: pa.Array, reading: str) -> None:
    with_null = pa.concat_arrays([vectors, pa.array([None], pa.string())])
    seen = vector_columns.per_row(with_null, Q.parse("ab & cd"), lambda small, nonempty: repr((small, nonempty)),
                                  pa.string())
    assert seen is not None
    assert seen.to_pylist()[-1] is None  # a null vector: a null result
    for text, got in zip(vectors.to_pylist(), seen.to_pylist()[:-1], strict=True):
        whole = V.parse(text)
        assert got == repr((tuple(e for e in whole if e[0] in ("ab", "cd")), bool(whole)))


@pytest.mark.parametrize("positions_matter", [True, False])
def test_both_readings_give_the_same_evidence(vectors: pa.Array, positions_matter: bool,
                                              monkeypatch: pytest.MonkeyPatch) -> None:
    with_null = pa.concat_arrays([vectors, pa.array([None], pa.string())])
    for text in ("ab", "ab & cd", "'a b' | 'ab cd' | ef", "gh <-> ij"):
        def read(few_rows: int, text: str = text) -> pa.Array:
            monkeypatch.setattr(vector_columns, "FEW_ROWS", few_rows)
            return vector_columns.per_row(with_null, Q.parse(text), lambda small, nonempty: repr((small, nonempty)),
                                          pa.string(), positions_matter)
        assert read(10**9).equals(read(-1)), text


@pytest.mark.parametrize("text", ["run", "fox & !run", "run <-> fox", "run:*", "bold", "'x.y' | über", "the"])
def test_text_match_over_a_column_agrees_with_rows(text: str) -> None:
    rng = random.Random(2)
    words = ["the", "run", "running", "ran", "fox", "foxes", "<b>bold</b>", "a-b", "x.y", "über"]
    texts = pa.array([" ".join(rng.choice(words) for _ in range(rng.randint(0, 8))) for _ in range(200)])
    query = Q.format(Q.parse(text)) if Q.parse(text) is not None else ""
    queries = pa.array([query] * len(texts))
    by_row = sql_functions._map(sql_functions._match_text, pa.bool_())
    assert sql_functions._match_text_column([texts, queries]).equals(by_row([texts, queries]))
