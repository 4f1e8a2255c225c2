"""The LIKE prefilter (helios_core.sql.functions.like_prefilter) gives Arrow's match_like answer exactly:
random columns of words that form a pattern's pieces across row boundaries, repeat them, overlap
them, hold multi-byte characters and NULLs, as string and large_string, whole and sliced; patterns
of several pieces anchored at either end or not; the buffer's words compared in one block or many."""

from __future__ import annotations

import random

import pyarrow as pa
import pyarrow.compute as pc
import pytest

from helios_core.sql.functions import like_prefilter
from helios_core.sql.functions.like_prefilter import match_like

WORDS = ["special", "requests", "ab", "abc", "é", "日本語", "xyz", "%", "_", "\\", "spe", "cial", "aaaa", "a", "", " "]
PATTERNS = ["%special%requests%", "special%", "%requests", "%abc%", "%aaaaaaa%", "%日本語%", "%é%xyz%", "%spe_ial%",
            "%\\%%", "%\\_ab%", "abc", "%cialreq%", "%requestsspecial%", "_%special", "%xyzab%", "%specialspecial%",
            "%special", "requests", "%ial requ%", "%", "%requestsspecialab%", "%aspecialrequestsa%", "%l requests%",
            # pieces in order between '%' (matched by searches over each piece's occurrences)
            "special%requests", "%spe%cial%req%", "ab%special%", "%special%ab", "%special%%requests%",
            "%requests%special%", "spe%requests", "%special%a%", "%é%special%日本語%", "\\%%special%",
            "%special%\\_", "requests%requests", "%requests%requests%", "a%specialspecial%a", "%special%requests"]


@pytest.mark.parametrize("block_words", [None, 37])  # 37: the buffer's words compared in many small blocks
@pytest.mark.parametrize("seed", range(8))
def test_same_rows_as_arrows_kernel(seed: int, block_words: int | None, monkeypatch) -> None:
    if block_words is not None:
        monkeypatch.setattr(like_prefilter, "BLOCK_WORDS", block_words)
    rng = random.Random(seed)
    n = rng.choice([4096, 5003, 9000])
    values = [None if rng.random() < 0.05 else "".join(rng.choice(WORDS) for _ in range(rng.randint(0, 8)))
              for _ in range(n)]
    column = pa.array(values, rng.choice([pa.string(), pa.large_string()]))
    if seed % 2:
        column = column.slice(3, n - 7)
    for pattern in PATTERNS:
        assert match_like(column, pattern).equals(pc.match_like(column, pattern)), pattern


def test_a_piece_at_the_very_end_of_the_buffer() -> None:
    column = pa.array(["x" * (i % 13) for i in range(5000)] + ["tail of it: requests"])
    got = match_like(column, "%requests")
    assert got.equals(pc.match_like(column, "%requests"))
    assert pc.sum(got).as_py() == 1


def test_chunked_and_other_inputs_take_arrows_kernel() -> None:
    chunked = pa.chunked_array([["special requests"] * 3000, ["nothing"] * 3000])
    assert match_like(chunked, "%special%").equals(pc.match_like(chunked, "%special%"))
    big = pa.array(["special requests", None] * 3000, pa.large_string()).slice(1)
    assert match_like(big, "%requests%").equals(pc.match_like(big, "%requests%"))
