"""to_number(text, format): a number read through a to_char-style template, as PostgreSQL does.

The template is walked left to right against the input: digit positions (9, 0) take a digit
when one is there, the decimal point (., D) takes '.', group separators (',', G) take ',' when
it is there and are skipped otherwise, sign positions (S, MI, PL, SG) and a '-' met where a
digit is expected make the number negative, PR reads angle brackets, L takes '$' (lc_monetary
C), TH/th take an ordinal suffix, FM and V-less modifiers are ignored, and any other template
character consumes one input character. The result keeps as many fractional digits as were read.
"""

from __future__ import annotations

import decimal

import pyarrow as pa

from helios_core.errors import HeliosError
from helios_core.sql import types as T
from helios_core.sql.functions import numeric_wide as NW
from helios_core.sql.functions.registry import scalar
from helios_core.sql.functions.vec import Vec, full

_TOKENS = ("FM", "PR", "MI", "PL", "SG", "TH", "th", "9", "0", ".", "D", ",", "G", "S", "L", "V")


def _tokens(fmt: str) -> list[str]:
    out, i = [], 0
    while i < len(fmt):
        for t in _TOKENS:
            if fmt.startswith(t, i):
                out.append(t)
                i += len(t)
                break
        else:
            if fmt[i] == '"':  # quoted literal text: each character consumes one input character
                j = fmt.find('"', i + 1)
                j = len(fmt) if j == -1 else j
                out.extend(" " for _ in fmt[i + 1:j])
                i = j + 1
            else:
                out.append(fmt[i])
                i += 1
    return out


def parse(text: str, fmt: str) -> decimal.Decimal:
    toks = _tokens(fmt)
    if "V" in toks:
        raise HeliosError('cannot use "V" and decimal point together', sqlstate="42601") if "." in toks else \
            HeliosError("to_number() with the V template pattern is not supported by HeliosDB", sqlstate="0A000")
    s = text
    negative = False
    if "PR" in toks and s.lstrip().startswith("<"):
        negative = True
        s = s.lstrip()[1:].replace(">", "", 1)
    intd, fracd = [], []
    in_frac = False
    i = 0
    for t in toks:
        if t in ("9", "0"):
            while i < len(s) and s[i] == "-" and not intd and not fracd:
                negative = True
                i += 1
            if i < len(s) and s[i] == "-":
                negative = True
                i += 1
            while i < len(s) and s[i] == " ":  # spaced-out digits: the digit position skips blanks
                i += 1
            if i < len(s) and s[i].isdigit():
                (fracd if in_frac else intd).append(s[i])
                i += 1
        elif t in (".", "D"):
            in_frac = True
            if i < len(s) and s[i] == "-":
                negative = True
                i += 1
            if i < len(s) and s[i] == ".":
                i += 1
        elif t in (",", "G"):
            if i < len(s) and s[i] == ",":
                i += 1
        elif t in ("S", "MI", "PL", "SG"):
            if i < len(s) and s[i] in "+-":
                negative = negative or s[i] == "-"
                i += 1
        elif t == "L":
            if i < len(s) and s[i] == "$":
                i += 1
        elif t in ("TH", "th"):
            if i + 1 < len(s) and s[i:i + 2].isalpha():
                i += 2
        elif t in ("FM", "PR"):
            continue
        elif i < len(s) and (s[i] == t or s[i] not in "0123456789.,+-"):
            i += 1  # any other template character stands for one input character (not a number's)
    digits = "".join(intd) or "0"
    value = decimal.Decimal(digits + ("." + "".join(fracd) if fracd else ""))
    return -value if negative and value != 0 else value


@scalar("to_number", nargs=2)
def _to_number(args: list[Vec]) -> Vec:
    (a, b), all_scalar = full(args)
    out = [None if x is None or f is None else parse(x, f) for x, f in zip(a.to_pylist(), b.to_pylist(),
                                                                            strict=True)]
    return NW.result(out, all_scalar) if out else Vec(pa.nulls(0, T.NUMERIC.arrow_type), T.NUMERIC, all_scalar)
