"""normalize(text [, NFC | NFD | NFKC | NFKD]), x IS [NOT] NORMALIZED and unistr() beside a live
PostgreSQL 15 (all three were missing: the form keyword was read as a column, unistr was 42883):
the forms, NULLs, every escape form of unistr with a surrogate pair, and its errors (42601 for a bad
escape or pair, 22023 for a code point out of range)."""

from __future__ import annotations

STEPS = [
    "SELECT unistr('\\0041\\+01F600x\\\\y'), unistr('\\u00e9\\U0001F600'), unistr('\\d83d\\de00'), unistr('a\\\\b'), unistr(NULL)",
    "SELECT unistr('\\zz')",
    "SELECT unistr('\\0000')",
    "SELECT unistr('\\d800')",
    "SELECT unistr('\\dc00')",
    "SELECT unistr('\\d800x')",
    "SELECT unistr('\\+110000')",
    "SELECT unistr('\\00e')",
    "SELECT normalize('x', nfd), normalize(NULL), length(normalize('e' || chr(769))), length(normalize('é', NFKD)), normalize('ﬁ', NFKC), normalize(U&'\\0065\\0301', NFC) = 'é'",
    "SELECT 'é' IS NORMALIZED, ('e' || chr(769)) IS NORMALIZED, ('e' || chr(769)) IS NOT NORMALIZED, NULL::text IS NORMALIZED",
    "SELECT x, x IS NORMALIZED FROM (VALUES ('a'), ('e' || chr(769))) t(x) ORDER BY 1",
]


def test_unicode_normalization_and_unistr_as_postgres(systems, assert_steps_agree):
    assert_steps_agree(*systems, STEPS)
