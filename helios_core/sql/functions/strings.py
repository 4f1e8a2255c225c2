"""String functions (lower, substring, trim, split_part, lpad, regexp_*, format, md5, ...).

Each runs as Arrow kernels when its pattern/length arguments are constants (the usual SQL);
when such an argument varies per row, or no kernel exists (format, initcap, md5, to_hex,
regexp_match), a per-row Python fallback is used and marked.
"""

from __future__ import annotations

import hashlib
import re
import string

import pyarrow as pa
import pyarrow.compute as pc

from helios_core.errors import HeliosError, InvalidParameterValue
from helios_core.sql import types as T
from helios_core.sql.functions.cast import cast
from helios_core.sql.functions.ranges import RANGE_FUNCTIONS
from helios_core.sql.functions.registry import define, no_function, scalar
from helios_core.sql.functions.vec import Vec, full, length_of

_INTS = ("int2", "int4", "int8")


def text_arg(v: Vec, fname: str, args: list[Vec]) -> Vec:
    """A string-typed argument as text (char(n) loses its padding); other types: 42883."""
    if v.type.name == "bpchar":
        return Vec(pc.utf8_rtrim(v.array, characters=" "), T.TEXT, v.scalar)
    if v.type.name in ("text", "varchar", "name", "char", "citext"):
        return v if v.type.name == "text" else Vec(v.array, T.TEXT, v.scalar)
    if v.type.name == "unknown":
        return Vec(v.array, T.TEXT, v.scalar)
    raise no_function(fname, args)


def int_arg(v: Vec, fname: str, args: list[Vec]) -> Vec:
    if v.type.name in _INTS:
        return v if v.type.name != "int2" else cast(v, T.INT4)
    if v.type.name == "unknown":
        return cast(v, T.INT4)
    raise no_function(fname, args)


def _out(arr, t: T.SqlType, args: list[Vec]) -> Vec:
    scalar = all(a.scalar for a in args)
    if isinstance(arr, pa.Scalar):
        arr = pa.array([arr.as_py()], t.arrow_type)
    return Vec(arr, t, scalar)


def _per_row(fn, arrays: list[pa.Array], out_type: pa.DataType) -> pa.Array:
    """Per-row Python over full-length arrays; NULL in any argument gives NULL (strict)."""
    cols = [a.to_pylist() for a in arrays]
    res = []
    for row in zip(*cols, strict=True):
        res.append(None if any(x is None for x in row) else fn(*row))
    return pa.array(res, out_type)


def _unary_text(name: str, kernel, out_t: T.SqlType = T.TEXT):
    @scalar(name)
    def impl(args: list[Vec]) -> Vec:
        if name in RANGE_FUNCTIONS and (args[0].type.is_range or args[0].type.is_multirange):
            return RANGE_FUNCTIONS[name](args)  # lower(anyrange), upper(anyrange)
        s = text_arg(args[0], name, args)
        return Vec(kernel(s.array), out_t, s.scalar)

    return impl


_unary_text("lower", pc.utf8_lower)
def _upper(a: pa.Array) -> pa.Array:
    out = pc.utf8_upper(a)
    if not pc.all(pc.string_is_ascii(a)).as_py() and pc.any(pc.match_substring(out, "\u1e9e")).as_py():
        out = pc.replace_substring(out, "\u1e9e", "\u00df")  # PostgreSQL keeps ß in upper()
    return out


_unary_text("upper", _upper)
_unary_text("reverse", pc.utf8_reverse)


@scalar("length", "char_length", "character_length")
def _length(args: list[Vec]) -> Vec:
    v = args[0]
    if v.type.name == "bytea":
        return Vec(pc.binary_length(v.array).cast(pa.int32()), T.INT4, v.scalar)
    s = text_arg(v, "length", args)
    return Vec(pc.utf8_length(s.array).cast(pa.int32()), T.INT4, s.scalar)


@scalar("octet_length")
def _octet_length(args: list[Vec]) -> Vec:
    v = args[0]
    if v.type.name != "bytea":
        v = text_arg(v, "octet_length", args) if v.type.name != "bpchar" else v
    return Vec(pc.binary_length(v.array).cast(pa.int32()), T.INT4, v.scalar)


@scalar("bit_length")
def _bit_length(args: list[Vec]) -> Vec:
    v = _octet_length(args)
    return Vec(pc.multiply(v.array, 8), T.INT4, v.scalar)


@scalar("initcap")
def _initcap(args: list[Vec]) -> Vec:
    s = text_arg(args[0], "initcap", args)

    # Per-row Python: PostgreSQL's word rule (letters/digits form words) has no Arrow kernel
    def one(x: str) -> str:
        out = []
        prev_alnum = False
        for ch in x:
            out.append(ch.lower() if prev_alnum else ch.upper())
            prev_alnum = ch.isalnum()
        return "".join(out)

    return Vec(_per_row(one, [s.array], pa.string()), T.TEXT, s.scalar)


_NORMAL_FORMS = ("NFC", "NFD", "NFKC", "NFKD")


def _normal_form(v: Vec) -> str:
    form = v.array[0].as_py() if v.scalar else None
    if form not in _NORMAL_FORMS:
        raise HeliosError(f"invalid normalization form: {form}", sqlstate="22023")
    return form


@scalar("normalize", nargs=2)
def _normalize(args: list[Vec]) -> Vec:
    """normalize(text, form): Unicode normalization (the form comes from the keyword, see c_Normalize)."""
    s = text_arg(args[0], "normalize", args)
    form = _normal_form(args[1])
    return Vec(pc.utf8_normalize(s.array, form=form), T.TEXT, s.scalar)


@scalar("is_normalized", nargs=1)
def _is_normalized(args: list[Vec]) -> Vec:
    """x IS NORMALIZED: already in NFC."""
    s = text_arg(args[0], "is_normalized", args)
    return Vec(pc.equal(pc.utf8_normalize(s.array, form="NFC"), s.array), T.BOOL, s.scalar)


_ESCAPE_HINT = "Unicode escapes must be \\XXXX, \\+XXXXXX, \\uXXXX, or \\UXXXXXXXX."


def _unistr_one(text: str) -> str:
    """PostgreSQL's unistr(): \\XXXX, \\+XXXXXX, \\uXXXX, \\UXXXXXXXX (a UTF-16 surrogate pair as two
    escapes) and \\\\ for a backslash."""
    out: list[str] = []
    pending_high: int | None = None
    i = 0
    while i < len(text):
        ch = text[i]
        if ch != "\\":
            if pending_high is not None:
                raise HeliosError("invalid Unicode surrogate pair", sqlstate="42601")
            out.append(ch)
            i += 1
            continue
        if text[i + 1:i + 2] == "\\":
            if pending_high is not None:
                raise HeliosError("invalid Unicode surrogate pair", sqlstate="42601")
            out.append("\\")
            i += 2
            continue
        for lead, width in (("", 4), ("+", 6), ("u", 4), ("U", 8)):
            digits = text[i + 1 + len(lead):i + 1 + len(lead) + width]
            if text[i + 1:i + 1 + len(lead)] == lead and len(digits) == width and \
                    all(c in string.hexdigits for c in digits):
                i += 1 + len(lead) + width
                break
        else:
            raise HeliosError("invalid Unicode escape", sqlstate="42601", hint=_ESCAPE_HINT)
        cp = int(digits, 16)
        if pending_high is not None:
            if not 0xDC00 <= cp <= 0xDFFF:
                raise HeliosError("invalid Unicode surrogate pair", sqlstate="42601")
            out.append(chr(0x10000 + ((pending_high - 0xD800) << 10) + (cp - 0xDC00)))
            pending_high = None
        elif 0xD800 <= cp <= 0xDBFF:
            pending_high = cp
        elif 0xDC00 <= cp <= 0xDFFF:
            raise HeliosError("invalid Unicode surrogate pair", sqlstate="42601")
        elif cp == 0 or cp > 0x10FFFF:
            raise HeliosError(f"invalid Unicode code point: {cp:04X}", sqlstate="22023")
        else:
            out.append(chr(cp))
    if pending_high is not None:
        raise HeliosError("invalid Unicode surrogate pair", sqlstate="42601")
    return "".join(out)


@scalar("unistr", nargs=1)
def _unistr(args: list[Vec]) -> Vec:
    s = text_arg(args[0], "unistr", args)
    return Vec(_per_row(_unistr_one, [s.array], pa.string()), T.TEXT, s.scalar)


# ---------------------------------------------------------------------------------- substring

def _substr_py(s: str, start: int, count: int | None) -> str:
    if count is not None and count < 0:
        raise HeliosError("negative substring length not allowed", sqlstate="22011")
    begin = start - 1
    end = None if count is None else begin + count
    b = max(begin, 0)
    if end is not None:
        if end <= 0:
            return ""
        return s[b:end]
    return s[b:]


@scalar("substring", "substr", nargs=(2, 3))
def _substring(args: list[Vec]) -> Vec:
    if args[0].type.name == "bytea":
        return _bytea_substring(args)
    s = text_arg(args[0], "substring", args)
    if args[1].type.is_string_family and args[1].type.name != "unknown" or (
            args[1].type.name == "unknown" and not _looks_int(args[1]) and (
                len(args) == 2 or args[2].type.is_string_family and not _looks_int(args[2]))):
        return _substring_regex(s, args)
    start = int_arg(args[1], "substring", args)
    count = int_arg(args[2], "substring", args) if len(args) == 3 else None
    if start.scalar and (count is None or count.scalar):
        st = start.value()
        cnt = count.value() if count is not None else None
        if st is None or (count is not None and cnt is None):
            return Vec(pa.nulls(len(s.array), pa.string()), T.TEXT, s.scalar)
        if cnt is not None and cnt < 0:
            raise HeliosError("negative substring length not allowed", sqlstate="22011")
        begin = st - 1
        if cnt is None:
            out = pc.utf8_slice_codeunits(s.array, max(begin, 0))
        else:
            end = begin + cnt
            out = pc.utf8_slice_codeunits(s.array, max(begin, 0), max(end, 0)) if end > 0 else \
                pc.if_else(pc.is_valid(s.array), "", pa.scalar(None, pa.string()))
        return Vec(out, T.TEXT, s.scalar)
    vs = [s, start] + ([count] if count is not None else [])
    arrays, all_scalar = full(vs)
    return Vec(_per_row(lambda x, a, b=None: _substr_py(x, a, b), arrays, pa.string()), T.TEXT, all_scalar)


def _looks_int(v: Vec) -> bool:
    x = v.value() if v.scalar else None
    return isinstance(x, str) and x.strip().lstrip("+-").isdigit()


def _substring_regex(s: Vec, args: list[Vec]) -> Vec:
    pat = text_arg(args[1], "substring", args)
    if len(args) == 3:  # SQL-standard substring(s similar pattern escape e)
        from helios_core.sql.functions.patterns import similar_to_regex

        esc = text_arg(args[2], "substring", args)
        arrays, all_scalar = full([s, pat, esc])

        def sim(x, p, e):
            if len(e) > 1:
                raise _invalid_escape()
            m = re.match(similar_to_regex(p, e or None), x, re.DOTALL)
            if m is None:
                return None
            return m.group(1) if m.re.groups and e and e + '"' in p else m.group(0)

        return Vec(_per_row(sim, arrays, pa.string()), T.TEXT, all_scalar)
    arrays, all_scalar = full([s, pat])

    # Per-row Python: the result is the first parenthesized group (or the whole match)
    def one(x: str, p: str):
        m = _compile(p, "").search(x)
        if not m:
            return None
        return m.group(1) if m.re.groups else m.group(0)

    return Vec(_per_row(one, arrays, pa.string()), T.TEXT, all_scalar)


def _invalid_escape() -> HeliosError:
    return HeliosError("invalid escape string", sqlstate="22025", hint="Escape string must be empty or one character.")


def _bytea_substring(args: list[Vec]) -> Vec:
    start = int_arg(args[1], "substring", args)
    count = int_arg(args[2], "substring", args) if len(args) == 3 else None
    vs = [args[0], start] + ([count] if count is not None else [])
    arrays, all_scalar = full(vs)
    return Vec(_per_row(lambda x, a, b=None: _substr_py(x, a, b), arrays, pa.binary()), T.BYTEA, all_scalar)


@scalar("overlay", nargs=(3, 4))
def _overlay(args: list[Vec]) -> Vec:
    s = text_arg(args[0], "overlay", args)
    r = text_arg(args[1], "overlay", args)
    start = int_arg(args[2], "overlay", args)
    vs = [s, r, start]
    if len(args) == 4:
        vs.append(int_arg(args[3], "overlay", args))
    arrays, all_scalar = full(vs)

    def one(x, y, st, n=None):
        n = len(y) if n is None else n
        return x[: max(st - 1, 0)] + y + x[st - 1 + n:]

    return Vec(_per_row(one, arrays, pa.string()), T.TEXT, all_scalar)


def _make_left_right(name: str):
    @scalar(name, nargs=2)
    def impl(args: list[Vec]) -> Vec:
        s = text_arg(args[0], name, args)
        n = int_arg(args[1], name, args)
        if n.scalar:
            k = n.value()
            if k is None:
                return Vec(pa.nulls(len(s.array), pa.string()), T.TEXT, s.scalar)
            if name == "left":
                out = pc.utf8_slice_codeunits(s.array, 0, k)  # negative k: all but the last |k|
            else:
                if k == 0:
                    out = pc.if_else(pc.is_valid(s.array), "", pa.scalar(None, pa.string()))
                elif k > 0:
                    out = pc.utf8_slice_codeunits(s.array, -k)
                else:
                    out = pc.utf8_slice_codeunits(s.array, -k, 2**31 - 1)
            return Vec(out, T.TEXT, s.scalar)
        arrays, all_scalar = full([s, n])

        def one(x, k):
            if name == "left":
                return x[:k]
            if k == 0:
                return ""
            return x[-k:]

        return Vec(_per_row(one, arrays, pa.string()), T.TEXT, all_scalar)

    return impl


_make_left_right("left")
_make_left_right("right")


# ------------------------------------------------------------------------------ search/replace

def _citext_call(args: list[Vec]) -> bool:
    """Does the citext extension's overload take this call (a citext argument, the rest citext or
    untyped literals)? It matches without regard to case."""
    types = [a.type.name for a in args]
    return "citext" in types and all(t in ("citext", "unknown") for t in types)


@scalar("strpos", nargs=2)
def _strpos(args: list[Vec]) -> Vec:
    if _citext_call(args):
        args = [Vec(pc.utf8_lower(a.array), T.TEXT, a.scalar) for a in args]
    return _find(args)


def _find(args: list[Vec]) -> Vec:
    s = text_arg(args[0], "strpos", args)
    sub = text_arg(args[1], "strpos", args)
    if sub.scalar and sub.value() is not None and pc.all(pc.string_is_ascii(s.array)).as_py() is not False:
        idx = pc.find_substring(s.array, sub.value())
        return Vec(pc.add(idx, 1).cast(pa.int32()), T.INT4, s.scalar)
    arrays, all_scalar = full([s, sub])
    return Vec(_per_row(lambda x, y: x.find(y) + 1, arrays, pa.int32()), T.INT4, all_scalar)


@scalar("position", nargs=2)
def _position(args: list[Vec]) -> Vec:
    # position(sub IN s) arrives as (sub, s) from sqlglot's StrPosition? callers pass (s, sub)
    return _find(args)


@scalar("replace", nargs=3)
def _replace(args: list[Vec]) -> Vec:
    s, a, b = (text_arg(x, "replace", args) for x in args)
    if _citext_call(args) and a.scalar and b.scalar and a.value():  # citext: the pattern matches any case
        if b.value() is None:
            return Vec(pa.nulls(len(s.array), pa.string()), T.TEXT, s.scalar)
        pattern = "(?i)" + re.escape(a.value())
        return Vec(pc.replace_substring_regex(s.array, pattern, b.value().replace("\\", "\\\\")), T.TEXT, s.scalar)
    if a.scalar and b.scalar:
        av, bv = a.value(), b.value()
        if av is None or bv is None:
            return Vec(pa.nulls(len(s.array), pa.string()), T.TEXT, s.scalar)
        if av == "":
            return s
        return Vec(pc.replace_substring(s.array, av, bv), T.TEXT, s.scalar)
    arrays, all_scalar = full([s, a, b])
    return Vec(_per_row(lambda x, y, z: x.replace(y, z) if y else x, arrays, pa.string()), T.TEXT, all_scalar)


@scalar("starts_with", nargs=2)
def _starts_with(args: list[Vec]) -> Vec:
    s, p = (text_arg(x, "starts_with", args) for x in args)
    if p.scalar:
        if p.value() is None:
            return Vec(pa.nulls(len(s.array), pa.bool_()), T.BOOL, s.scalar)
        return Vec(pc.starts_with(s.array, p.value()), T.BOOL, s.scalar)
    arrays, all_scalar = full([s, p])
    return Vec(_per_row(lambda x, y: x.startswith(y), arrays, pa.bool_()), T.BOOL, all_scalar)


def _trim(name: str, kernel_name: str, pyfn):
    @scalar(name, nargs=(1, 2))
    def impl(args: list[Vec]) -> Vec:
        s = text_arg(args[0], name, args)
        chars = text_arg(args[1], name, args) if len(args) == 2 else Vec.const(" ", T.TEXT)
        if chars.scalar:
            c = chars.value()
            if c is None:
                return Vec(pa.nulls(len(s.array), pa.string()), T.TEXT, s.scalar)
            if c == "":
                return s
            return Vec(getattr(pc, kernel_name)(s.array, characters=c), T.TEXT, s.scalar)
        arrays, all_scalar = full([s, chars])
        return Vec(_per_row(pyfn, arrays, pa.string()), T.TEXT, all_scalar)

    return impl


_trim("btrim", "utf8_trim", lambda x, c: x.strip(c))
_trim("trim", "utf8_trim", lambda x, c: x.strip(c))
_trim("ltrim", "utf8_ltrim", lambda x, c: x.lstrip(c))
_trim("rtrim", "utf8_rtrim", lambda x, c: x.rstrip(c))


@scalar("split_part", nargs=3)
def _split_part(args: list[Vec]) -> Vec:
    s = text_arg(args[0], "split_part", args)
    d = text_arg(args[1], "split_part", args)
    n = int_arg(args[2], "split_part", args)
    if n.scalar and n.value() == 0:
        raise InvalidParameterValue("field position must not be zero")
    if d.scalar and n.scalar and d.value() and n.value() is not None and n.value() > 0:
        k = n.value()
        parts = pc.split_pattern(pc.fill_null(s.array, ""), d.value())
        sl = pc.list_slice(parts, k - 1, k, return_fixed_size_list=True)
        el = pc.list_flatten(sl)
        out = pc.if_else(pc.is_valid(s.array), pc.fill_null(el, ""), pa.scalar(None, pa.string()))
        return Vec(out, T.TEXT, s.scalar)
    arrays, all_scalar = full([s, d, n])

    def one(x, sep, k):
        if k == 0:
            raise InvalidParameterValue("field position must not be zero")
        parts = x.split(sep) if sep else [x]
        if x == "":
            return ""
        idx = k - 1 if k > 0 else len(parts) + k
        return parts[idx] if 0 <= idx < len(parts) else ""

    return Vec(_per_row(one, arrays, pa.string()), T.TEXT, all_scalar)


# ------------------------------------------------------------------------------------- padding

def _pad(name: str):
    @scalar(name, nargs=(2, 3))
    def impl(args: list[Vec]) -> Vec:
        s = text_arg(args[0], name, args)
        n = int_arg(args[1], name, args)
        fill = text_arg(args[2], name, args) if len(args) == 3 else Vec.const(" ", T.TEXT)
        if n.scalar and fill.scalar and fill.value() is not None and len(fill.value()) == 1 \
                and n.value() is not None:
            k = max(n.value(), 0)
            kern = pc.utf8_lpad if name == "lpad" else pc.utf8_rpad
            padded = kern(s.array, width=k, padding=fill.value())
            return Vec(pc.utf8_slice_codeunits(padded, 0, k), T.TEXT, s.scalar)
        arrays, all_scalar = full([s, n, fill])

        def one(x, k, f):
            if k <= len(x) or not f:
                return x[: max(k, 0)]
            need = k - len(x)
            pad = (f * (need // len(f) + 1))[:need]
            return pad + x if name == "lpad" else x + pad

        return Vec(_per_row(one, arrays, pa.string()), T.TEXT, all_scalar)

    return impl


_pad("lpad")
_pad("rpad")


@scalar("repeat", nargs=2)
def _repeat(args: list[Vec]) -> Vec:
    s = text_arg(args[0], "repeat", args)
    n = int_arg(args[1], "repeat", args)
    (a, b), all_scalar = full([s, n])
    b = pc.max_element_wise(b, 0)
    return Vec(pc.binary_repeat(a, b), T.TEXT, all_scalar)


# ------------------------------------------------------------------------------------- concat

def output_text(v: Vec) -> Vec:
    """A value as its type's output function spells it (concat/format use this, not casts)."""
    from helios_core.sql.functions.text_out import to_text

    return Vec(to_text(v.array, v.type), T.TEXT, v.scalar)


@scalar("concat", nargs=(1, None))
def _concat(args: list[Vec]) -> Vec:
    texts = [output_text(a) for a in args]
    arrays, all_scalar = full(texts)
    out = pc.binary_join_element_wise(*arrays, "", null_handling="replace", null_replacement="")
    return Vec(out, T.TEXT, all_scalar)


@scalar("concat_ws", nargs=(2, None))
def _concat_ws(args: list[Vec]) -> Vec:
    sep = text_arg(args[0], "concat_ws", args)
    texts = [output_text(a) for a in args[1:]]
    arrays, all_scalar = full([sep, *texts])
    # Arrow drops rows whose arguments are all NULL under "skip" (PostgreSQL gives ''), so
    # make the first argument '' on those rows
    all_null = pc.is_null(arrays[1])
    for a in arrays[2:]:
        all_null = pc.and_(all_null, pc.is_null(a))
    arrays[1] = pc.if_else(all_null, "", arrays[1])
    out = pc.binary_join_element_wise(*arrays[1:], arrays[0], null_handling="skip")
    out = pc.if_else(pc.is_valid(arrays[0]), out, pa.scalar(None, pa.string()))
    return Vec(out, T.TEXT, all_scalar)


# -------------------------------------------------------------------------------------- regex

# PostgreSQL's regex option letters; later letters override earlier ones (a pattern is by default
# not newline-sensitive: '.' matches a newline and ^ $ anchor only at the ends)
_FLAG_LETTERS = set("bceimnpqstwxg")
_RE_CACHE: dict[tuple[str, str], re.Pattern] = {}


def _python_flags(flags: str) -> tuple[int, bool]:
    """(Python re flags, whether the pattern is literal text) of PostgreSQL regex options."""
    ignore_case = verbose = literal = False
    dot_all, multi_line = True, False
    for ch in flags:
        if ch not in _FLAG_LETTERS:
            raise InvalidParameterValue(f"invalid regular expression option: \"{ch}\"")
        if ch == "i":
            ignore_case = True
        elif ch == "c":
            ignore_case = False
        elif ch in "nm":  # newline-sensitive
            dot_all, multi_line = False, True
        elif ch == "s":
            dot_all, multi_line = True, False
        elif ch == "p":  # partial: '.' stops at newlines, ^ $ still only at the ends
            dot_all, multi_line = False, False
        elif ch == "w":  # inverse partial
            dot_all, multi_line = True, True
        elif ch == "x":
            verbose = True
        elif ch == "t":
            verbose = False
        elif ch == "q":
            literal = True
    f = (re.IGNORECASE if ignore_case else 0) | (re.DOTALL if dot_all else 0) | (re.MULTILINE if multi_line else 0)
    return f | (re.VERBOSE if verbose else 0), literal


def _compile(pattern: str, flags: str) -> re.Pattern:
    key = (pattern, flags)
    rx = _RE_CACHE.get(key)
    if rx is None:
        f, literal = _python_flags(flags)
        try:
            rx = re.compile(re.escape(pattern) if literal else _pg_regex_to_python(pattern), f)
        except re.error as e:
            raise HeliosError(f"invalid regular expression: {_regex_error_text(e)}", sqlstate="2201B") from None
        _RE_CACHE[key] = rx
    return rx


def _regex_error_text(e: re.error) -> str:
    """PostgreSQL's words for the commonest pattern errors (Spencer's regerror texts)."""
    msg = e.msg
    if "missing )" in msg or "unbalanced parenthesis" in msg:
        return "parentheses () not balanced"
    if "min repeat greater than max repeat" in msg:
        return "invalid repetition count(s)"
    if "unterminated character set" in msg:
        return "brackets [] not balanced"
    if "nothing to repeat" in msg or "multiple repeat" in msg:
        return "quantifier operand invalid"
    return msg


def _pg_regex_to_python(p: str) -> str:
    # PostgreSQL ARE shorthands that Python spells differently
    return p.replace("[[:alpha:]]", "[^\\W\\d_]").replace("[[:digit:]]", "\\d").replace(
        "[[:space:]]", "\\s").replace("[[:alnum:]]", "[^\\W_]").replace("\\y", "\\b").replace(
        "[[:upper:]]", "[A-Z]").replace("[[:lower:]]", "[a-z]").replace("[[:punct:]]", "[!-/:-@\\[-`{-~]")


def _expand_replacement(m: re.Match, r: str) -> str:
    """PostgreSQL's replacement text: \\1..\\9 groups (empty when absent), \\& the match, \\\\ a backslash."""
    out = []
    i = 0
    while i < len(r):
        c = r[i]
        if c == "\\" and i + 1 < len(r):
            nxt = r[i + 1]
            if nxt in "123456789":
                k = int(nxt)
                out.append((m.group(k) or "") if k <= (m.re.groups or 0) else "")
            elif nxt == "&":
                out.append(m.group(0))
            elif nxt == "\\":
                out.append("\\")
            else:  # any other backslash stays, and the next character is read as usual
                out.append("\\")
                i += 1
                continue
            i += 2
            continue
        out.append(c)
        i += 1
    return "".join(out)


def _pg_replacement(r: str) -> str:
    # PostgreSQL: \1..\9 groups, \& whole match; Python: \g<1>, \g<0>
    out = []
    i = 0
    while i < len(r):
        c = r[i]
        if c == "\\" and i + 1 < len(r):
            nxt = r[i + 1]
            if nxt.isdigit():
                out.append(f"\\g<{nxt}>")
            elif nxt == "&":
                out.append("\\g<0>")
            elif nxt == "\\":
                out.append("\\\\")
            else:
                out.append(re.escape(nxt) if nxt != "\\" else "\\\\")
            i += 2
            continue
        out.append("\\\\" if c == "\\" else c)
        i += 1
    return "".join(out)


@scalar("regexp_replace", nargs=(3, 6))
def _regexp_replace(args: list[Vec]) -> Vec:
    """regexp_replace(source, pattern, replacement [, start [, N]] [, flags]): the first match
    replaced ('g': every match), or only the Nth from the start-th character (N 0: every one)."""
    fname = "regexp_replace"
    s, p, r = (text_arg(x, fname, args) for x in args[:3])
    rest = args[3:]
    flags_given = len(rest) == 3 or (len(rest) == 1 and not rest[0].type.is_numeric_family)
    flags = text_arg(rest[-1], fname, args) if flags_given else Vec.const("", T.TEXT)
    positions = rest[:-1] if flags_given else rest
    start = int_arg(positions[0], fname, args) if positions else Vec.const(1, T.INT4)
    nth_given = len(positions) > 1
    nth = int_arg(positions[1], fname, args) if nth_given else Vec.const(-1, T.INT4)  # -1: from the flags
    arrays, all_scalar = full([s, p, r, start, nth, flags])

    # Per-row Python (compiled patterns cached): PostgreSQL ARE semantics are closer to Python's
    # re than to RE2 for backreferences and flags
    def one(x, pat, rep, first, n, fl):
        if first <= 0:
            raise InvalidParameterValue(f'invalid value for parameter "start": {first}')
        if nth_given and n < 0:
            raise InvalidParameterValue(f'invalid value for parameter "n": {n}')
        try:
            rx = _compile(pat, fl)
        except HeliosError as e:
            if len(rest) == 1 and flags_given and fl and fl.lstrip("-").isdigit():
                e.hint = ("If you meant to use regexp_replace() with a start parameter, cast the fourth "
                          "argument to integer explicitly.")
            raise
        if not nth_given:
            n = 0 if "g" in fl else 1
        head, out, pos, count = x[:first - 1], [], first - 1, 0
        for m in rx.finditer(x, first - 1):
            count += 1
            if n and count < n:
                continue
            out.append(x[pos:m.start()])
            out.append(_expand_replacement(m, rep))
            pos = m.end()
            if n:
                break
        return head + "".join(out) + x[pos:]

    return Vec(_per_row(one, arrays, pa.string()), T.TEXT, all_scalar)


@scalar("regexp_match", nargs=(2, 3))
def _regexp_match(args: list[Vec]) -> Vec:
    s, p = (text_arg(x, "regexp_match", args) for x in args[:2])
    flags = text_arg(args[2], "regexp_match", args) if len(args) == 3 else Vec.const("", T.TEXT)
    arrays, all_scalar = full([s, p, flags])

    # Per-row Python: capture groups into text[]
    def one(x, pat, fl):
        if "g" in fl:
            raise InvalidParameterValue("regexp_match() does not support the \"global\" option")
        m = _compile(pat, fl).search(x)
        if not m:
            return None
        return list(m.groups()) if m.re.groups else [m.group(0)]

    return Vec(_per_row(one, arrays, pa.list_(pa.string())), T.array_of(T.TEXT), all_scalar)


@scalar("regexp_matches", nargs=(2, 3))
def _regexp_matches_first(args: list[Vec]) -> Vec:
    """Scalar form used when the planner has no set-returning context: the first match."""
    return _regexp_match(args)


@scalar("regexp_like", nargs=(2, 3))
def _regexp_like(args: list[Vec]) -> Vec:
    s, p = (text_arg(x, "regexp_like", args) for x in args[:2])
    flags = text_arg(args[2], "regexp_like", args) if len(args) == 3 else Vec.const("", T.TEXT)
    arrays, all_scalar = full([s, p, flags])

    def one(x, pat, fl):
        if "g" in fl:
            raise InvalidParameterValue('regexp_like() does not support the "global" option')
        return _compile(pat, fl).search(x) is not None

    return Vec(_per_row(one, arrays, pa.bool_()), T.BOOL, all_scalar)


@scalar("regexp_split_to_array", nargs=(2, 3))
def _regexp_split_to_array(args: list[Vec]) -> Vec:
    s, p = (text_arg(x, "regexp_split_to_array", args) for x in args[:2])
    flags = text_arg(args[2], "regexp_split_to_array", args) if len(args) == 3 else Vec.const("", T.TEXT)
    arrays, all_scalar = full([s, p, flags])

    return Vec(_per_row(lambda x, pat, fl: regexp_split(x, pat, fl, "regexp_split_to_array"), arrays,
                        pa.list_(pa.string())), T.array_of(T.TEXT), all_scalar)


def regexp_split(x: str, pattern: str, flags: str, fname: str) -> list[str]:
    """The pieces of x between the matches of pattern, as regexp_split_to_array/_table cut them: a
    zero-length match at either end or right after the previous match does not cut."""
    if "g" in flags:
        raise InvalidParameterValue(f'{fname}() does not support the "global" option')
    rx = _compile(pattern, flags)
    parts = []
    pos = 0
    for m in rx.finditer(x):
        if m.end() == m.start() and (m.start() == pos or m.start() >= len(x)):
            continue
        parts.append(x[pos:m.start()])
        pos = m.end()
    parts.append(x[pos:])
    return parts


def _regexp_search_args(fname: str, args: list[Vec], ints: dict[str, int], flags_at: int) -> tuple[list, bool]:
    """(arrays, all_scalar) of (string, pattern, *ints, flags): each int parameter from its
    argument position, else PostgreSQL's default."""
    s, p = (text_arg(x, fname, args) for x in args[:2])
    defaults = {"start": 1, "n": 1, "endoption": 0, "subexpr": 0}
    vals = [s, p]
    for name, k in ints.items():
        vals.append(int_arg(args[k], fname, args) if k < len(args) else Vec.const(defaults[name], T.INT4))
    flags = text_arg(args[flags_at], fname, args) if len(args) > flags_at else Vec.const("", T.TEXT)
    return full([*vals, flags])


def _check_regexp_params(fname: str, fl: str, **params: int) -> None:
    if "g" in fl:
        raise InvalidParameterValue(f'{fname}() does not support the "global" option')
    for name, v in params.items():
        if v is None:
            continue
        if (name in ("start", "n") and v <= 0) or (name == "endoption" and v not in (0, 1)) or (
                name == "subexpr" and v < 0):
            raise InvalidParameterValue(f'invalid value for parameter "{name}": {v}')


def _nth_match(x: str, pat: str, fl: str, start: int, n: int) -> re.Match | None:
    for i, m in enumerate(_compile(pat, fl).finditer(x, start - 1), 1):
        if i == n:
            return m
    return None


@scalar("regexp_count", nargs=(2, 4))
def _regexp_count(args: list[Vec]) -> Vec:
    """regexp_count(string, pattern [, start [, flags]])."""
    arrays, all_scalar = _regexp_search_args("regexp_count", args, {"start": 2}, 3)

    def one(x, pat, start, fl):
        _check_regexp_params("regexp_count", fl, start=start)
        return sum(1 for _ in _compile(pat, fl).finditer(x, start - 1))

    return Vec(_per_row(one, arrays, pa.int32()), T.INT4, all_scalar)


@scalar("regexp_substr", nargs=(2, 6))
def _regexp_substr(args: list[Vec]) -> Vec:
    """regexp_substr(string, pattern [, start [, N [, flags [, subexpr]]]]): NULL without a match."""
    arrays, all_scalar = _regexp_search_args("regexp_substr", args, {"start": 2, "n": 3, "subexpr": 5}, 4)

    def one(x, pat, start, n, sub, fl):
        _check_regexp_params("regexp_substr", fl, start=start, n=n, subexpr=sub)
        m = _nth_match(x, pat, fl, start, n)
        if m is None or sub > (m.re.groups or 0):
            return None
        return m.group(sub)

    return Vec(_per_row(one, arrays, pa.string()), T.TEXT, all_scalar)


@scalar("regexp_instr", nargs=(2, 7))
def _regexp_instr(args: list[Vec]) -> Vec:
    """regexp_instr(string, pattern [, start [, N [, endoption [, flags [, subexpr]]]]]): 0 without a match."""
    arrays, all_scalar = _regexp_search_args("regexp_instr", args,
                                             {"start": 2, "n": 3, "endoption": 4, "subexpr": 6}, 5)

    def one(x, pat, start, n, endopt, sub, fl):
        _check_regexp_params("regexp_instr", fl, start=start, n=n, endoption=endopt, subexpr=sub)
        m = _nth_match(x, pat, fl, start, n)
        if m is None or sub > (m.re.groups or 0) or m.start(sub) < 0:
            return 0
        return (m.end(sub) if endopt else m.start(sub)) + 1

    return Vec(_per_row(one, arrays, pa.int32()), T.INT4, all_scalar)


# ------------------------------------------------------------------------------------- format

def quote_ident(s: str) -> str:
    if re.fullmatch(r"[a-z_][a-z0-9_$]*", s) and s not in _RESERVED:
        return s
    return '"' + s.replace('"', '""') + '"'


_RESERVED = {"select", "from", "where", "table", "user", "order", "group", "by", "and", "or", "not", "null",
             "true", "false", "limit", "offset", "join", "on", "as", "in", "is", "case", "when", "then",
             "else", "end", "union", "all", "distinct", "having", "into", "create", "insert", "update",
             "delete", "default", "check", "primary", "references", "unique", "column", "constraint",
             "grant", "to", "with", "desc", "asc", "array", "both", "leading", "trailing", "cast", "do",
             "for", "only", "some", "any", "analyse", "analyze", "current_date", "current_user"}


def quote_literal(s: str) -> str:
    if "\\" in s:
        return "E'" + s.replace("\\", "\\\\").replace("'", "''") + "'"
    return "'" + s.replace("'", "''") + "'"


@scalar("quote_ident")
def _quote_ident(args: list[Vec]) -> Vec:
    s = text_arg(args[0], "quote_ident", args)
    return Vec(_per_row(quote_ident, [s.array], pa.string()), T.TEXT, s.scalar)


@scalar("quote_literal")
def _quote_literal(args: list[Vec]) -> Vec:
    s = cast(args[0], T.TEXT, context="explicit")
    return Vec(_per_row(quote_literal, [s.array], pa.string()), T.TEXT, s.scalar)


@scalar("quote_nullable")
def _quote_nullable(args: list[Vec]) -> Vec:
    s = cast(args[0], T.TEXT, context="explicit")
    vals = [("NULL" if x is None else quote_literal(x)) for x in s.array.to_pylist()]
    return Vec(pa.array(vals, pa.string()), T.TEXT, s.scalar)


_FORMAT_HINT = 'For a single "%" use "%%".'


def _format_error(message: str, hint: str | None = _FORMAT_HINT) -> HeliosError:
    return HeliosError(message, sqlstate="22023", hint=hint)


def _format_digits(f: str, i: int) -> tuple[int | None, int]:
    """A run of digits at ``i`` (PostgreSQL's int overflow check) and the position after it."""
    j = i
    while j < len(f) and f[j].isdigit():
        j += 1
    if j == i:
        return None, i
    n = int(f[i:j])
    if n > 2_147_483_647:
        raise HeliosError("number is out of range", sqlstate="22003")
    return n, j


def _format_spec(f: str, i: int) -> tuple[int, int, int, bool, int]:
    """PostgreSQL's text_format_parse_format from just after '%': (argument position or 0, width
    argument position (-1 none, 0 next), width, left-align, position of the type letter)."""
    def more(k: int) -> int:
        if k >= len(f):
            raise _format_error("unterminated format() type specifier")
        return k

    argpos, widthpos, width, left = 0, -1, 0, False
    n, k = _format_digits(f, i)
    if n is not None:
        more(k)
        if f[k] == "$":
            if n == 0:
                raise _format_error("format specifies argument 0, but arguments are numbered from 1", None)
            argpos = n
            i = more(k + 1)
        else:
            return argpos, widthpos, n, left, k  # digits without '$' are the width: nothing may follow
    while f[i] == "-":
        left = True
        i = more(i + 1)
    if f[i] == "*":
        i = more(i + 1)
        n, k = _format_digits(f, i)
        if n is not None:
            if more(k) and f[k] != "$":
                raise _format_error('width argument position must be ended by "$"', None)
            if n == 0:
                raise _format_error("format specifies argument 0, but arguments are numbered from 1", None)
            widthpos, i = n, more(k + 1)
        else:
            widthpos = 0
    else:
        n, k = _format_digits(f, i)
        if n is not None:
            width, i = n, more(k)
    return argpos, widthpos, width, left, i


@scalar("format", nargs=(1, None))
def _format(args: list[Vec]) -> Vec:
    fmt = text_arg(args[0], "format", args)
    rest = [output_text(a) for a in args[1:]]
    arrays, all_scalar = full([fmt, *rest])
    cols = [a.to_pylist() for a in arrays]

    # Per-row Python: format() is a small template language, read as PostgreSQL's text_format does
    def one(f: str, vals: list) -> str:
        out: list[str] = []
        i, nxt = 0, 1  # arguments are numbered from 1 (0 is the format string)
        while i < len(f):
            if f[i] != "%":
                out.append(f[i])
                i += 1
                continue
            i += 1
            if i >= len(f):
                raise _format_error("unterminated format() type specifier")
            if f[i] == "%":
                out.append("%")
                i += 1
                continue
            argpos, widthpos, width, left, i = _format_spec(f, i)
            kind = f[i]
            if kind not in "sIL":
                raise _format_error(f'unrecognized format() type specifier "{kind}"')
            i += 1
            if widthpos >= 0:
                nxt = widthpos if widthpos > 0 else nxt
                if nxt > len(vals):
                    raise _format_error("too few arguments for format()", None)
                w = vals[nxt - 1]
                nxt += 1
                width = 0 if w is None else int(float(w))
                if width < 0:
                    left, width = True, -width
            if argpos > 0:
                nxt = argpos
            if nxt > len(vals):
                raise _format_error("too few arguments for format()", None)
            v = vals[nxt - 1]
            nxt += 1
            if kind == "s":
                txt = "" if v is None else v
            elif kind == "I":
                if v is None:
                    raise HeliosError("null values cannot be formatted as an SQL identifier", sqlstate="22004")
                txt = quote_ident(v)
            else:
                txt = "NULL" if v is None else quote_literal(v)
            if width:
                txt = txt.ljust(width) if left else txt.rjust(width)
            out.append(txt)
        return "".join(out)

    res = []
    for i in range(len(cols[0])):
        f = cols[0][i]
        res.append(None if f is None else one(f, [c[i] for c in cols[1:]]))
    return Vec(pa.array(res, pa.string()), T.TEXT, all_scalar)


# ------------------------------------------------------------------------------- misc strings

@scalar("md5")
def _md5(args: list[Vec]) -> Vec:
    v = args[0]
    # Per-row Python: hashlib
    if v.type.name == "bytea":
        return Vec(_per_row(lambda b: hashlib.md5(b).hexdigest(), [v.array], pa.string()), T.TEXT, v.scalar)
    s = text_arg(v, "md5", args)
    return Vec(_per_row(lambda x: hashlib.md5(x.encode()).hexdigest(), [s.array], pa.string()), T.TEXT,
               s.scalar)


@scalar("to_hex", "hex", "lower_hex")  # sqlglot parses lower(to_hex(x)) as LowerHex; to_hex is lower case
def _to_hex(args: list[Vec]) -> Vec:
    v = args[0]
    if v.type.name not in _INTS:
        raise no_function("to_hex", args)
    bits = 64 if v.type.name == "int8" else 32
    return Vec(_per_row(lambda x: format(x & ((1 << bits) - 1), "x"), [v.array], pa.string()), T.TEXT,
               v.scalar)


@scalar("ascii")
def _ascii(args: list[Vec]) -> Vec:
    s = text_arg(args[0], "ascii", args)
    return Vec(_per_row(lambda x: ord(x[0]) if x else 0, [s.array], pa.int32()), T.INT4, s.scalar)


@scalar("chr")
def _chr(args: list[Vec]) -> Vec:
    n = int_arg(args[0], "chr", args)

    def one(k):
        if k == 0:
            raise HeliosError("null character not permitted", sqlstate="54000")
        if k < 0 or k > 0x10FFFF:
            raise HeliosError("requested character too large for encoding", sqlstate="54000")
        return chr(k)

    return Vec(_per_row(one, [n.array], pa.string()), T.TEXT, n.scalar)


@scalar("translate", nargs=3)
def _translate(args: list[Vec]) -> Vec:
    s, a, b = (text_arg(x, "translate", args) for x in args)
    arrays, all_scalar = full([s, a, b])

    def one(x, frm, to):
        table = {}
        for i, ch in enumerate(frm):
            if ch not in table:
                table[ch] = to[i] if i < len(to) else None
        return "".join(table.get(ch, ch) or "" if ch in table else ch for ch in x)

    return Vec(_per_row(one, arrays, pa.string()), T.TEXT, all_scalar)


@scalar("string_to_array", nargs=(2, 3))
def _string_to_array(args: list[Vec]) -> Vec:
    s = text_arg(args[0], "string_to_array", args)
    d = text_arg(args[1], "string_to_array", args) if args[1].type.name != "unknown" or args[1].value() \
        is not None else Vec.null(T.TEXT)
    null_str = text_arg(args[2], "string_to_array", args) if len(args) == 3 else Vec.null(T.TEXT)
    n = length_of([s, d, null_str])
    sl, dl, nl = (x.broadcast(n).array.to_pylist() for x in (s, d, null_str))
    out = []
    for x, sep, ns in zip(sl, dl, nl, strict=True):
        if x is None:
            out.append(None)
            continue
        if x == "":
            out.append([])
            continue
        parts = list(x) if sep is None else ([x] if sep == "" else x.split(sep))
        out.append([None if ns is not None and p == ns else p for p in parts])
    return Vec(pa.array(out, pa.list_(pa.string())), T.array_of(T.TEXT), all(v.scalar for v in (s, d)))



def _make_sha(alg: str):
    def impl(args: list[Vec]) -> Vec:
        v = args[0]
        if v.type.name not in ("bytea", "unknown"):
            raise no_function(alg, args)
        b = cast(v, T.BYTEA)
        # Per-row Python: hashlib
        return Vec(_per_row(lambda x: hashlib.new(alg, x).digest(), [b.array], pa.binary()), T.BYTEA, v.scalar)

    return impl


for _alg in ("sha224", "sha256", "sha384", "sha512"):
    define(_alg, _make_sha(_alg))
