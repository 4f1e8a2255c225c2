"""to_tsvector over a column (pieces learnt once, numbered, sorted and joined as arrays) gives
what tokenizing each text whole gives: every token kind of the default parser, stop words,
non-ASCII letters, more than 256 positions of one lexeme, texts past the last position, markup."""

from __future__ import annotations

import random

import pytest
from helios_search import configurations as C
from helios_search import query_builders as B
from helios_search import tsvector as V

PIECES = ["The", "running", "runner's", "foo-bar", "x-1", "a.b.c", "http://x.org/a/b", "me@ex.com", "1.2.3", "-12",
          "+3", "1e5", "3.14", "über", "straße", "İstanbul", "naïve", "don't", "a_b", "~/f.txt", "/usr/bin", "&amp;",
          "²", "٣", "ABC123", "123abc", "..", "--", "'quoted'", "back\\slash", "end.", "Hello,", "(paren)", "x" * 3000,
          "and", "the", "Müller-Lüdenscheidt", "co-operate", "x:y", "www.example.com:80/path", "tab\there",
          "nbsp\u00a0x", "<b>bold</b>", "<a href='x y'>"]


def _whole(config_name: str, text: str) -> str:
    entries: dict[str, set] = {}
    for lexeme, pos in C._parse_words_whole(C.configuration(config_name), text):
        entries.setdefault(lexeme, set()).add((pos, 0))
    return V.format(V.normalize(entries))


@pytest.mark.parametrize("config_name", ["english", "simple", "german"])
def test_column_path_agrees_with_whole_texts(config_name: str) -> None:
    rng = random.Random(3)
    texts: list[str | None] = [" ".join(rng.choice(PIECES) for _ in range(rng.randint(0, 15))) for _ in range(300)]
    texts += [None, "", "run " * 300, "word " * 16390, "   "]
    got = B.to_tsvector_texts(config_name, texts)
    for text, vector in zip(texts, got, strict=True):
        assert vector == (None if text is None else _whole(config_name, text)), text[:80]


def test_long_columns_go_in_batches(monkeypatch: pytest.MonkeyPatch) -> None:
    """A column longer than a batch gives each text its own vector, in order."""
    from helios_search import vector_batches

    monkeypatch.setattr(vector_batches, "BATCH_TEXTS", 7)
    texts = [f"run number {i} runs" if i % 5 else None for i in range(40)]
    got = B.to_tsvector_texts("english", texts)
    assert got == [None if t is None else _whole("english", t) for t in texts]
