"""The fast reading of stored tsvectors (their output form) gives what the full parser gives."""

from __future__ import annotations

import random

from helios_search import tsvector as V


def _full(text: str) -> V.TsVector:
    """The full parser alone (the fast path only ever sees text starting with a quote)."""
    return V.parse.__wrapped__(" " + text)


def test_fast_reading_agrees_with_the_parser() -> None:
    rnd = random.Random(11)
    alphabet = ["a", "b", "z", "é", "ж", "'", "\\", "x y", ":", ","]
    for _ in range(500):
        entries = {}
        for _ in range(rnd.randint(0, 6)):
            lexeme = "".join(rnd.choice(alphabet) for _ in range(rnd.randint(1, 4)))
            entries[lexeme] = {(rnd.randint(1, 20000), rnd.randint(0, 3)) for _ in range(rnd.randint(0, 4))}
        text = V.format(V.normalize(entries))
        assert V.parse(text) == _full(text), text
        assert not text or V._parse_canonical(text) == _full(text)  # output form: always the fast path
    for text in ["'b' 'a'", "'a':2,1", "'a':0", "'a':1D", "'a'  'b'", "'a' ", "'a':3 'a':4", "'' 'b'"]:
        assert V._parse_canonical(text) is None, text
