"""to_char(number, template): PostgreSQL's numeric template patterns, laid out as it lays them out.

The template is read into patterns (``9 0 . D , G S MI PL SG PR L RN rn TH th V EEEE FM``, and
``B C SP``, which PostgreSQL accepts and ignores) and literal text (any other character, and
double-quoted strings, copied as they are). The number is first written as plain digits, rounded to
the template's fractional places (times 10^n for ``V``; ``#`` in every place when its integer part
has more digits than the template); the patterns then take those characters left to right: digit
places before the number's first digit print blanks (zeros from the first ``0`` on), the sign goes
in the place just before the first printed digit unless a sign pattern puts it elsewhere, ``FM``
drops the blanks and the fraction's trailing zeros, and so on. Written here because neither
Python's formatting nor Arrow's knows these templates; the layout rules follow what PostgreSQL 15
prints (checked against it case by case).
"""

from __future__ import annotations

import decimal
import math

import numpy as np

from helios_core.errors import HeliosError

__all__ = ["format_number"]

# Patterns, longest first where one is the start of another ("SG" before "S").
_PATTERNS = ("EEEE", "eeee", "FM", "fm", "MI", "mi", "PL", "pl", "PR", "pr", "RN", "rn", "SG", "sg",
             "SP", "sp", "TH", "th", "B", "b", "C", "c", "D", "d", "G", "g", "L", "l", "S", "s", "V", "v",
             "9", "0", ".", ",")
_DIGIT_PLACES = ("9", "0", ".", "D")
_FLOAT_DIGITS = {"float4": 6, "float8": 15}  # FLT_DIG, DBL_DIG: the digits a float is trusted with
_ROMAN = ((1000, "M"), (900, "CM"), (500, "D"), (400, "CD"), (100, "C"), (90, "XC"), (50, "L"), (40, "XL"),
          (10, "X"), (9, "IX"), (5, "V"), (4, "IV"), (1, "I"))


def _syntax(message: str) -> HeliosError:
    return HeliosError(message, sqlstate="42601")


class _Template:
    """The template read once: its items (pattern names, or ("text", s)) and what they add up to."""

    def __init__(self, fmt: str) -> None:
        self.items: list[str | tuple[str, str]] = []
        self.pre = self.post = self.multi = 0
        self.zero_start = self.zero_end = 0  # 1-based place of the first '0'; place of the last one
        self.decimal = self.zero = self.fill = self.roman = self.eeee = self.blank = False
        self.bracket = self.minus = self.plus = False
        self._after_v = False  # 9s after V scale the number (times 10 each) and print as integer places
        self.lsign = ""  # "", "pre" or "post": where an S pattern puts the sign
        self.lsign_at = 0  # integer places before a leading S
        i = 0
        while i < len(fmt):
            name = next((p for p in _PATTERNS if fmt.startswith(p, i)), None)
            if name is None:
                if fmt[i] == '"':
                    end = fmt.find('"', i + 1)
                    end = len(fmt) if end == -1 else end
                    self.items.append(("text", fmt[i + 1:end].replace("\\\"", '"')))
                    i = end + 1
                else:
                    self.items.append(("text", fmt[i]))
                    i += 1
                continue
            i += len(name)
            self._take(name.upper() if name not in ("rn", "th") else name)

    def _take(self, name: str) -> None:
        """Add one pattern, refusing the combinations PostgreSQL refuses."""
        if self.eeee and name != "EEEE":
            raise _syntax('"EEEE" must be the last pattern used')
        if name in ("9", "0"):
            if self.bracket:
                raise _syntax(f'"{name}" must be ahead of "PR"')
            if name == "9" and self._after_v:
                self.multi += 1
                self.items.append("9")
                return
            if name == "0" and not self.zero:
                self.zero, self.zero_start = True, self.pre + 1
            if self.decimal:
                self.post += 1
            else:
                self.pre += 1
            if name == "0":
                self.zero_end = self.pre + self.post
        elif name in (".", "D"):
            if self.decimal:
                raise _syntax("multiple decimal points")
            if self._after_v:
                raise _syntax('cannot use "V" and decimal point together')
            self.decimal = True
        elif name == "S":
            if self.lsign:
                raise _syntax('cannot use "S" twice')
            if self.plus or self.minus or self.bracket:
                raise _syntax('cannot use "S" and "PL"/"MI"/"SG"/"PR" together')
            if not self.decimal:
                self.lsign, self.lsign_at = "pre", self.pre
            else:
                self.lsign = "post"
        elif name in ("MI", "PL", "SG"):
            if self.lsign:
                raise _syntax(f'cannot use "S" and "{name}" together')
            self.minus = self.minus or name in ("MI", "SG")
            self.plus = self.plus or name in ("PL", "SG")
        elif name == "PR":
            if self.lsign or self.plus or self.minus:
                raise _syntax('cannot use "PR" and "S"/"PL"/"MI"/"SG" together')
            self.bracket = True
        elif name in ("RN", "rn"):
            self.roman = True
        elif name == "B":
            self.blank = self.blank or (self.pre == 0 and self.post == 0 and not self.zero)
        elif name == "V":
            if self.decimal:
                raise _syntax('cannot use "V" and decimal point together')
            self._after_v = True
        elif name == "EEEE":
            if self.eeee:
                raise _syntax('cannot use "EEEE" twice')
            if self.blank or self.fill or self.lsign or self.bracket or self.minus or self.plus or self.roman or self._after_v:
                raise _syntax('"EEEE" is incompatible with other formats')
            self.eeee = True
        elif name == "FM":
            self.fill = True
        self.items.append(name)


def format_number(value: float | decimal.Decimal, fmt: str, kind: str = "numeric") -> str:
    """``to_char(value, fmt)`` for a non-NULL value; ``kind``: numeric, int4 (int2 too), int8 or
    float4/float8 (how the digits are made, as PostgreSQL makes them for each type)."""
    t = _Template(fmt)
    if t.roman:
        return _roman_layout(t, _roman(value, kind))
    if t.eeee:
        return _scientific(value, t, kind)
    digits, negative = _plain_digits(value, t, kind)
    return _layout(t, digits, negative)


def _plain_digits(value: float | decimal.Decimal, t: _Template, kind: str) -> tuple[str, bool]:
    """The number as unsigned digits with ``t.post`` fractional places ('#' when it overflows
    the template's integer places), and whether it is negative. Adds V's places to ``t.pre``."""
    post = t.post
    if kind in _FLOAT_DIGITS:
        x = float(value) * 10.0 ** t.multi
        if kind == "float4" and t.multi:  # scaled in single precision, as a float4 is
            x = float(np.float32(value) * np.float32(10.0 ** t.multi))
        # PostgreSQL's printf writes NaN and Infinity as words, which then take places like digits
        special = "NaN" if math.isnan(x) else "Infinity" if math.isinf(x) else None
        whole = len(special or f"{abs(x):.0f}")
        trusted = _FLOAT_DIGITS[kind]
        post = t.post = 0 if whole >= trusted else min(post, trusted - whole)  # the layout follows
        text = f"{x:.{post}f}" if special is None else ("-" if x < 0 else "") + special
    elif kind in ("int4", "int8"):
        text = str(int(value) * 10 ** t.multi)
        if post:
            text += "." + "0" * post
    else:
        d = decimal.Decimal(value)
        if d.is_nan():
            text = "NaN"
        elif d.is_infinite():
            text = "Infinity" if d > 0 else "-Infinity"
        else:
            d = d.scaleb(t.multi)
            d = d.quantize(decimal.Decimal(1).scaleb(-post), rounding=decimal.ROUND_HALF_UP,
                           context=decimal.Context(prec=max(1000, d.adjusted() + post + 2)))
            text = f"{d:f}"
            if d == 0:
                text = text.lstrip("-")
    negative = text.startswith("-")
    text = text.lstrip("-")
    t.pre += t.multi
    whole = text.find(".") if "." in text else len(text)
    if whole > t.pre:
        text = "#" * t.pre + "." + "#" * post
    return text, negative


def _layout(t: _Template, number: str, negative: bool) -> str:
    """Walk the template's items over the number's characters (see the module's docstring)."""
    sign = "-" if negative else "+"
    lsign = t.lsign
    if lsign == "pre" and t.pre == t.lsign_at:  # S after every integer place (V's counted)
        lsign = "post"
    whole = number.find(".") if "." in number else len(number)
    pre_spaces = max(t.pre - whole, 0)
    bracket = t.bracket
    if t.plus or t.minus:
        sign_done = not (t.plus and not t.minus)
    else:
        bracket = bracket and not (t.fill and not negative)  # FM: no blanks around a positive number
        sign_done = sign == "+" and t.fill and not lsign
    last_relevant = -1  # FM: index in number past which fraction digits are not printed
    if t.fill and t.decimal and "." in number:
        point = number.index(".")
        nonzero = [k for k in range(point + 1, len(number)) if number[k] != "0"]
        last_relevant = nonzero[-1] if nonzero else point
        if t.zero_end > pre_spaces:
            last_relevant = max(last_relevant, min(len(number) - 1, t.zero_end - pre_spaces))
    count = t.post + t.pre - 1 + (1 if not sign_done and pre_spaces == 0 else 0)
    zero_start = t.zero_start - 1 if t.zero_start else 0
    out: list[str] = []
    at = 0  # next character of number
    place = 0  # digit places (9 0 . D) passed
    printed = False  # a digit (or a fill zero) printed at the last digit place
    for item in t.items:
        if isinstance(item, tuple):
            out.append(item[1])
            continue
        if item in _DIGIT_PLACES:
            printed = False
            # the integer part's lone 0 prints blank unless a 0 place stands among the integer places
            predec = ((not t.zero or t.zero_start > t.pre) and at == 0 and number[:1] == "0" and t.post != 0)
            if not sign_done and (place >= pre_spaces or (t.zero and zero_start == place)) and \
                    (not predec or (last_relevant >= 0 and number[last_relevant] == ".")):
                if lsign:
                    if lsign == "pre":
                        out.append(sign)
                        sign_done = True
                elif bracket:
                    out.append(" " if sign == "+" else "<")
                    sign_done = True
                else:
                    if sign == "-" or not t.fill:
                        out.append(" " if sign == "+" else "-")
                    sign_done = True
            if place < pre_spaces and (zero_start > place or not t.zero):
                if not t.fill:
                    out.append(" ")
            elif t.zero and place < pre_spaces and zero_start <= place:
                out.append("0")
                printed = True
            else:
                ch = number[at] if at < len(number) else ""
                if ch == ".":
                    out.append(".")
                elif last_relevant >= 0 and at > last_relevant and item != "0":
                    pass  # FM: a trailing zero of the fraction
                elif predec:
                    if not t.fill:
                        out.append(" ")
                    elif last_relevant >= 0 and number[last_relevant] == ".":
                        out.append("0")
                elif not ch:
                    return "".join(out)  # a place past the number's last character: PostgreSQL's output ends
                else:
                    out.append(ch)
                    printed = True
                at += 1 if at < len(number) else 0
            end = count + (1 if pre_spaces else 0) + (1 if t.decimal else 0)
            if last_relevant >= 0 and last_relevant == at:
                end = place
            if place + 1 == end:
                if sign_done and bracket:
                    out.append(" " if sign == "+" else ">")
                elif lsign == "post":
                    out.append(sign)
            place += 1
        elif item in (",", "G"):
            if printed:
                out.append(",")
            elif not t.fill:
                out.append(" ")
        elif item == "L":
            out.append(" ")  # the C locale's currency symbol is empty, printed as a blank
        elif item in ("TH", "th"):
            if number[:1] == "#" or negative or t.decimal:
                continue
            out.append(_ordinal(number, item == "TH"))
        elif item == "MI":
            if negative:
                out.append("-")
            elif not t.fill:
                out.append(" ")
        elif item == "PL":
            if not negative:
                out.append("+")
            elif not t.fill:
                out.append(" ")
        elif item == "SG":
            out.append(sign)
    return "".join(out)


def _ordinal(number: str, upper: bool) -> str:
    """English ordinal suffix of an integer's digits."""
    last = number[-1]
    if not last.isdigit():
        raise HeliosError(f'"{number}" is not a number', sqlstate="22P02")
    if len(number) > 1 and number[-2] == "1":
        suffix = "th"
    else:
        suffix = {"1": "st", "2": "nd", "3": "rd"}.get(last, "th")
    return suffix.upper() if upper else suffix


def _roman(value: float | decimal.Decimal, kind: str) -> str:
    """Roman numerals of the value rounded to an integer; 15 '#' outside 1..3999."""
    if kind in _FLOAT_DIGITS:
        x = float(value)
        n = round(x) if math.isfinite(x) else 0  # rint: halves to even, as C rounds
    elif kind in ("int4", "int8"):
        n = int(value)
    else:
        d = decimal.Decimal(value)
        if not d.is_finite():
            raise HeliosError(f"cannot convert {'NaN' if d.is_nan() else 'infinity'} to integer", sqlstate="0A000")
        n = int(d.to_integral_value(rounding=decimal.ROUND_HALF_UP))
    if not 1 <= n <= 3999:
        return "#" * 15
    out = []
    for size, letters in _ROMAN:
        count, n = divmod(n, size)
        out.append(letters * count)
    return "".join(out)


def _roman_layout(t: _Template, numeral: str) -> str:
    """A template with RN: the numeral where RN stands (15 wide, or as long as it is with FM),
    literal text kept, digit places and TH empty; the number has no sign here, so MI and PL print
    their blank, group separators and L theirs, and SG ends the output (as PostgreSQL's does)."""
    out = []
    for item in t.items:
        if isinstance(item, tuple):
            out.append(item[1])
        elif item in ("RN", "rn"):
            text = numeral if item == "RN" else numeral.lower()
            out.append(text if t.fill else text.rjust(15))
        elif item in (",", "G", "MI", "PL"):
            if not t.fill:
                out.append(" ")
        elif item == "L":
            out.append(" ")
        elif item == "SG":
            break
    return "".join(out)


def _scientific(value: float | decimal.Decimal, t: _Template, kind: str) -> str:
    """A template with EEEE: the number in scientific notation with the template's fractional
    places (the rest of the template only says how many), a blank where a positive sign would be."""
    post = t.post
    if kind in _FLOAT_DIGITS or kind == "int4":  # int4 through a double, int8 through numeric
        x = float(value)
        if not math.isfinite(x):
            return _scientific_overflow(t)
        text = f"{x:+.{post}e}"
        return (" " + text[1:]) if text[0] == "+" else text
    d = decimal.Decimal(value)
    if not d.is_finite():
        return _scientific_overflow(t)
    if d == 0:
        mantissa, exponent = decimal.Decimal(0), 0
    else:
        exponent = d.adjusted()
        # a carry of the rounding into another digit is not renormalized: 9.999 is 10.00e+00
        mantissa = d.scaleb(-exponent).quantize(decimal.Decimal(1).scaleb(-post), rounding=decimal.ROUND_HALF_UP)
    body = f"{abs(mantissa):.{post}f}e{'-' if exponent < 0 else '+'}{abs(exponent):02d}"
    return ("-" if d < 0 else " ") + body


def _scientific_overflow(t: _Template) -> str:
    """NaN and infinities under EEEE: '#' in each place, as wide as a number would be."""
    width = t.pre + t.post + 6
    chars = ["#"] * width
    chars[0] = " "
    if t.pre + 1 < width:
        chars[t.pre + 1] = "."
    return "".join(chars)
