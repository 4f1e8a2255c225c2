"""Pattern matching: LIKE / ILIKE, SIMILAR TO and POSIX regex (~ ~* !~ !~*).

A constant pattern (the usual case) runs as one Arrow kernel over the column (match_like,
match_substring_regex with RE2). A pattern that varies per row is matched per distinct
pattern value.
"""

from __future__ import annotations

import re

import pyarrow as pa
import pyarrow.compute as pc

from helios_core.errors import HeliosError
from helios_core.sql import types as T
from helios_core.sql.functions import distinct_values, like_prefilter
from helios_core.sql.functions.vec import Vec


def like_to_regex(pattern: str, escape: str | None = "\\") -> str:
    """A LIKE pattern as an anchored regular expression."""
    out = []
    i = 0
    while i < len(pattern):
        c = pattern[i]
        if escape and c == escape:
            if i + 1 >= len(pattern):
                raise HeliosError("LIKE pattern must not end with escape character", sqlstate="22025")
            out.append(re.escape(pattern[i + 1]))
            i += 2
            continue
        if c == "%":
            out.append(".*")
        elif c == "_":
            out.append(".")
        else:
            out.append(re.escape(c))
        i += 1
    return "^" + "".join(out) + "$"


def similar_to_regex(pattern: str, escape: str | None = "\\") -> str:
    """PostgreSQL's SIMILAR TO pattern translated to an anchored regex. An escape character followed
    by a double quote separates up to three parts, as substring(s SIMILAR p ESCAPE e) uses them: the
    middle part is the one captured (group 1), the outer ones match as little as they can."""
    separators = pattern.count(escape + '"') if escape else 0
    if separators > 2:
        raise HeliosError("SQL regular expression may not contain more than two escape-double-quote separators",
                          sqlstate="2200C")
    out = []
    i = 0
    part = 0  # which of the parts split by the separators we are in
    in_bracket = False

    def quantifier(q: str) -> str:  # the outer parts are non-greedy
        lazy = separators and (part == 0 or (part == 2 and separators == 2))
        return q + "?" if lazy else q

    while i < len(pattern):
        c = pattern[i]
        if escape and c == escape and i + 1 < len(pattern):
            if pattern[i + 1] == '"' and not in_bracket:
                part += 1
                out.append("){1,1}?(" if part == 1 else "){1,1}(?:")
            else:
                out.append(re.escape(pattern[i + 1]))
            i += 2
            continue
        if in_bracket:
            out.append(c)
            if c == "]":
                in_bracket = False
        elif c == "[":
            in_bracket = True
            out.append(c)
        elif c == "%":
            out.append(".*" if not separators else quantifier(".*"))
        elif c == "_":
            out.append(".")
        elif c in "*+?":
            out.append(quantifier(c))
        elif c == "{":
            close = pattern.find("}", i)
            if close < 0:
                out.append("\\{")
            else:
                out.append(quantifier(pattern[i:close + 1]))
                i = close + 1
                continue
        elif c in "|()":
            out.append(c)
        else:
            out.append(re.escape(c))
        i += 1
    return "^(?:" + "".join(out) + ")$"


def _text(v: Vec) -> pa.Array:
    if v.type.name == "bpchar":
        return pc.utf8_rtrim(v.array, characters=" ")
    return v.array


# RE2's complaints as PostgreSQL's regex library words them (regerror)
_REGEX_ERRORS = [("missing )", "parentheses () not balanced"), ("unexpected )", "parentheses () not balanced"),
                 ("missing ]", "brackets [] not balanced"), ("bad repetition operator", "quantifier operand invalid"),
                 ("no argument for repetition operator", "quantifier operand invalid"),
                 ("invalid repetition size", "invalid repetition count(s)"),
                 ("trailing \\", "invalid escape \\ sequence"), ("invalid escape sequence", "invalid escape \\ sequence")]


def regex_array(s: pa.Array, regex: str, ignore_case: bool = False) -> pa.Array:
    """``match_substring_regex`` (per distinct value when the slice keeps codes); a pattern RE2
    refuses is 2201B with PostgreSQL's wording where it has one (not RE2's, nor the "(?s)" the
    caller put before the user's pattern)."""
    try:
        by_value = distinct_values.by_stored_codes(
            s, lambda values: pc.match_substring_regex(values, regex, ignore_case=ignore_case))
        return by_value if by_value is not None else pc.match_substring_regex(s, regex, ignore_case=ignore_case)
    except pa.ArrowInvalid as e:
        text = str(e).removeprefix("Invalid regular expression: ")
        reason = next((pg for re2, pg in _REGEX_ERRORS if text.startswith(re2)), text.replace("(?s)", ""))
        raise HeliosError(f"invalid regular expression: {reason}", sqlstate="2201B") from None


def match(kind: str, l: Vec, r: Vec, negate: bool = False, escape: str | None = "\\") -> Vec:
    """kind: 'like', 'ilike', 'similar', 'regex', 'iregex'."""
    s = _text(l)
    p = _text(r)
    ignore_case = kind in ("ilike", "iregex")

    def one(pattern: str, strings: pa.Array) -> pa.Array:
        if kind in ("like", "ilike"):
            if escape == "\\":
                return like_prefilter.match_like(strings, pattern, ignore_case=ignore_case)
            return regex_array(strings, "(?s)" + like_to_regex(pattern, escape), ignore_case)
        if kind == "similar":
            return regex_array(strings, "(?s)" + similar_to_regex(pattern, escape), False)
        # PostgreSQL's regexes are not newline-sensitive by default: "." matches a newline
        return regex_array(strings, "(?s)" + pattern, ignore_case)

    if r.scalar:
        pat = p[0].as_py()
        if pat is None:
            out = pa.nulls(len(s), pa.bool_())
        else:
            out = one(pat, s)
    else:
        # per distinct pattern (Python loop over distinct values, each a vectorized match)
        s_full = s if not l.scalar else pa.repeat(s[0], len(p))
        out_py: list = [None] * len(p)
        pats = p.to_pylist()
        by_pat: dict[str, list[int]] = {}
        for i, x in enumerate(pats):
            if x is not None:
                by_pat.setdefault(x, []).append(i)
        for pat, idx in by_pat.items():
            res = one(pat, pc.take(s_full, pa.array(idx))).to_pylist()
            for i, v in zip(idx, res, strict=True):
                out_py[i] = v
        out = pa.array(out_py, pa.bool_())
    if negate:
        out = pc.invert(out)
    return Vec(out, T.BOOL, l.scalar and r.scalar)
