"""LIKE over a long text column: find the pattern's longest literal piece in the whole data buffer first.

Arrow's ``match_like`` visits every string (about 75 ns a row, whatever the row's length), so
``l_comment LIKE '%special%requests%'`` costs most of a query that reads a column of short
comments. Most rows do not contain the pattern's longest literal piece at all; finding that
piece's occurrences in the column's one data buffer with a few vectorized word comparisons, and
running ``match_like`` only over the rows that contain one (of those, only the rows that also
hold the pattern's other long pieces, searched for in those rows' bytes alone), gives the same
answer several times faster. Matching bytes of a UTF-8 piece against UTF-8 text never finds a false character
boundary, so a row without the piece's bytes cannot match.

How a piece of 7 bytes or more is found: any occurrence holds a 4-byte word aligned to 4 in the
buffer that equals one of the piece's four windows starting at bytes 0..3. One comparison per
window over the buffer viewed as aligned words (a cache-sized block of words at a time) gives the
candidate words; as a word equals one window at most, each gives one start, in order, which is
then checked against the whole piece. Shorter pieces (common in the text, and with no such
guarantee) stay with Arrow's kernel.
Written here because neither Arrow nor numpy offers a multi-occurrence substring search over a
buffer.
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from helios_core import bool_arrays
from helios_core.sql.functions import distinct_values

__all__ = ["match_like"]

MIN_ROWS = 4096  # below this Arrow's kernel alone is as quick
MIN_PIECE = 7  # bytes: every occurrence then holds a whole aligned 4-byte word
WORD = 4
BLOCK_WORDS = 1 << 17  # words compared at a time (512 KB of the buffer)
_OFFSET_TYPES = {pa.string(): np.int32, pa.large_string(): np.int64}


def match_like(strings: pa.Array, pattern: str, ignore_case: bool = False) -> pa.Array:
    """``pc.match_like`` (backslash escapes): over a stored slice's distinct values when it keeps
    codes for them, else narrowed first to the rows holding the longest literal piece."""
    by_value = distinct_values.by_stored_codes(strings, lambda values: match_like(values, pattern, ignore_case))
    if by_value is not None:
        return by_value
    offset_type = _OFFSET_TYPES.get(strings.type) if isinstance(strings, pa.Array) else None
    if ignore_case or offset_type is None or len(strings) < MIN_ROWS:
        return pc.match_like(strings, pattern, ignore_case=ignore_case)
    pieces, only_piece = _literal_pieces(pattern)
    if pieces is None or len(pieces[0]) < MIN_PIECE:
        return pc.match_like(strings, pattern)
    rows = _rows_containing(strings, offset_type, pieces[0])
    if len(rows) == len(strings):
        return pc.match_like(strings, pattern)
    matched = np.zeros(len(strings), dtype=bool)
    if only_piece:  # '%piece%': holding the piece is matching
        matched[rows] = True
    elif len(rows):
        candidates = strings.take(pa.array(rows))
        for other in dict.fromkeys(p for p in pieces[1:] if p != pieces[0]):  # the other long pieces, each once,
            # searched for in the candidates' bytes alone
            if len(other) < MIN_PIECE or not len(rows):
                break
            holding = _rows_containing(candidates, offset_type, other)
            if len(holding) < len(rows):
                rows = rows[holding]
                candidates = candidates.take(pa.array(holding))
        if len(rows):
            found = pc.match_like(candidates, pattern)
            matched[rows[pc.fill_null(found, False).to_numpy(zero_copy_only=False)]] = True
    if strings.null_count:
        return bool_arrays.from_numpy(matched, strings.is_valid().to_numpy(zero_copy_only=False))
    return bool_arrays.from_numpy(matched)


def _literal_pieces(pattern: str) -> tuple[list[bytes] | None, bool]:
    """The runs of literal characters between wildcards, longest first (None: a dangling escape,
    left to Arrow), and whether the pattern is just one piece between two '%'. A matching row
    holds every piece's bytes."""
    pieces: list[str] = []
    wildcards: list[str] = []
    current: list[str] = []
    i = 0
    while i < len(pattern):
        c = pattern[i]
        if c == "\\":
            if i + 1 >= len(pattern):
                return None, False
            current.append(pattern[i + 1])
            i += 2
            continue
        if c in "%_":
            pieces.append("".join(current))
            wildcards.append(c)
            current = []
        else:
            current.append(c)
        i += 1
    pieces.append("".join(current))
    by_length = sorted((p.encode() for p in pieces), key=len, reverse=True)
    return by_length, wildcards == ["%", "%"] and pieces[0] == "" and pieces[2] == ""


def _rows_containing(strings: pa.Array, offset_type: type, piece: bytes) -> np.ndarray:
    """Sorted indices of the rows whose bytes contain ``piece`` (null rows may be among them)."""
    n_rows = len(strings)
    offsets = np.frombuffer(strings.buffers()[1], dtype=offset_type)[strings.offset:strings.offset + n_rows + 1]
    data = strings.buffers()[2]
    if data is None or offsets[-1] == offsets[0]:
        return np.empty(0, dtype=np.int64)
    buf = np.frombuffer(data, dtype=np.uint8)
    starts = _occurrences(buf, int(offsets[0]), int(offsets[-1]), piece)
    rows = np.searchsorted(offsets, starts.astype(offsets.dtype, copy=False), side="right") - 1
    rows = rows[starts + len(piece) <= offsets[rows + 1]]  # not running on into the next row
    return _distinct_sorted(rows)


def _occurrences(buf: np.ndarray, lo: int, hi: int, piece: bytes) -> np.ndarray:
    """Sorted start positions of ``piece`` (7 bytes or more) within buf[lo:hi]."""
    n = len(piece)
    base = lo - lo % WORD
    end = base + (hi - base) // WORD * WORD
    words = buf[base:end].view(np.uint32)
    keys = [int(np.frombuffer(piece[k:k + WORD], dtype=np.uint32)[0]) for k in range(WORD)]
    where = _words_equal_to_any(words, keys)
    seen = words[where]
    found: list[np.ndarray] = []
    if len(set(keys)) == WORD:  # a word equals one window at most: one start per word, in order
        shift = np.zeros(len(where), dtype=np.int64)
        for k in range(1, WORD):
            shift[seen == keys[k]] = k
        starts = base + where * WORD - shift
        found.append(_verified(buf, starts[(starts >= lo) & (starts + n <= hi)], piece))
    else:
        for k in range(WORD):  # the aligned word holds piece[k:k+4]: the piece starts k bytes before it
            starts = base + where[seen == keys[k]] * WORD - k
            starts = starts[(starts >= lo) & (starts + n <= hi)]
            found.append(_verified(buf, starts, piece))
    # an occurrence whose aligned word would lie past `end` (the region's last partial word)
    tail_from = max(lo, end - n + 1)
    tail = bytes(buf[tail_from:hi])
    extra = [tail_from + i for i in range(len(tail)) if tail.startswith(piece, i)]
    if extra:
        found.append(np.array(extra, dtype=np.int64))
    if len(found) == 1:
        return found[0]
    out = np.concatenate(found).astype(np.int64, copy=False)
    out.sort()
    return _distinct_sorted(out)


def _words_equal_to_any(words: np.ndarray, keys: list[int]) -> np.ndarray:
    """Indices of the words equal to one of ``keys``, compared a block at a time: each block's
    comparisons and their union stay in the processor's cache (over a whole slice's buffer, each
    comparison's pass went out to memory: 4.5 against 2.9 ms a 524,288-row slice)."""
    hit = np.empty(min(BLOCK_WORDS, len(words)), dtype=bool)
    other = np.empty_like(hit)
    found = []
    for at in range(0, len(words), BLOCK_WORDS):
        block = words[at:at + BLOCK_WORDS]
        h, o = hit[:len(block)], other[:len(block)]
        np.equal(block, keys[0], out=h)
        for key in dict.fromkeys(keys[1:]):
            if key != keys[0]:
                np.logical_or(h, np.equal(block, key, out=o), out=h)
        where = np.flatnonzero(h)
        if len(where):
            found.append(where + at)
    return np.concatenate(found) if found else np.empty(0, dtype=np.int64)


def _verified(buf: np.ndarray, starts: np.ndarray, piece: bytes) -> np.ndarray:
    """The candidate ``starts`` at which ``piece`` really lies (each start + len(piece) within
    buf): 8 bytes at a time through a view of buf as little-endian words beginning at every byte
    (one gather per 8 bytes of the piece, not one per byte), the last word overlapping the one
    before; byte by byte for a piece under 8 bytes."""
    n = len(piece)
    if n < 8:
        needle = np.frombuffer(piece, dtype=np.uint8)
        for j in range(n):
            if not len(starts):
                break
            starts = starts[buf[starts + j] == needle[j]]
        return starts
    words = np.ndarray((len(buf) - 7,), dtype="<u8", buffer=buf, strides=(1,))
    at = list(range(0, n - 7, 8))
    if at[-1] != n - 8:
        at.append(n - 8)
    for c in at:
        if not len(starts):
            break
        starts = starts[words[starts + c] == int.from_bytes(piece[c:c + 8], "little")]
    return starts


def _distinct_sorted(values: np.ndarray) -> np.ndarray:
    """Drop repeats from a sorted array (numpy's unique hashes or sorts again)."""
    if len(values) < 2:
        return values
    keep = np.empty(len(values), dtype=bool)
    keep[0] = True
    np.not_equal(values[1:], values[:-1], out=keep[1:])
    return values[keep]
