"""Numeric constants of a simple-query statement lifted out as ``$n`` parameters.

``SELECT abalance FROM pgbench_accounts WHERE aid = 4711`` and ``... WHERE aid = 12`` are
one statement with different values: lifting the numbers out gives both the same text,
``... WHERE aid = $1``, which keys the session's statement cache
(helios_core.sql.statement_cache), and the numbers become the parameters of its prepared
plan.

One lexical pass with PostgreSQL's rules (strings, quoted identifiers, line comments,
operators), and deliberately narrow: only a number that is a value compared or assigned
in a WHERE or SET clause, or an item of a VALUES row, is lifted, because elsewhere a
number can be part of the statement's shape (``ORDER BY 1``, ``LIMIT 10``, a type's
``numeric(15,2)``, an array subscript). A number keeps the type PostgreSQL gives the
literal (integer, bigint or numeric, a leading minus folded in). A quoted string is lifted
only when it is a whole cell of an INSERT's VALUES row (``('2024-01-01 10:00+00', 'ok')``):
there PostgreSQL gives the literal the target column's type, as it gives an untyped
parameter, so its parameter's type is left to inference (a batch of 1,000-row INSERTs
then shares one text). Anything the pass does
not fully understand (dollar quotes, ``$n`` already there, block comments, escape strings,
operators it does not know) makes the statement not liftable: it then runs as before.

A batch load's ``INSERT INTO t [(cols)] VALUES (...), (...)`` of plain quoted strings and
numbers is lifted by one regular expression over its rows instead (``_lift_plain_rows``): the
token loop costs tens of milliseconds for a 1,000-row batch, the expression a few. It gives
exactly what the token loop gives and declines anything else (NULL, DEFAULT, expressions,
comments, exponents, ON CONFLICT, RETURNING ...), which then takes the token loop.
When its rows are also uniform (each column all strings or all numbers, no ``''`` inside a
string), the cells are cut out with string splits instead (``_lift_uniform_rows``), and the
text is the canonical ``($1, $2), ($3, $4), ...`` of that many rows, whatever the spacing.
"""

from __future__ import annotations

import functools
import itertools
import re

import attrs

_TOKEN = re.compile(
    r"""(?P<ws>\s+)
    |(?P<str>'(?:[^']|'')*')
    |(?P<qid>"(?:[^"]|"")*")
    |(?P<comment>--[^\n]*)
    |(?P<num>(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?)
    |(?P<word>[A-Za-z_\x80-\uffff][A-Za-z0-9_$\x80-\uffff]*)
    |(?P<op>[-+*/<>=~!@#%^&|`?:]+)
    |(?P<punct>[(),;\[\].])
    """,
    re.VERBOSE,
)

# operators whose right-hand number is a value (a comparison, or arithmetic on a value)
_VALUE_OPS = frozenset({"=", "<>", "!=", "<", ">", "<=", ">=", "+", "-"})
_KNOWN_OPS = _VALUE_OPS | frozenset({"*", "/", "%", "||", "::", "~", "!~", "~*", "!~*", "^", "&", "|", "#",
                                     "@>", "<@", "->", "->>", "#>", "#>>", "&&", "<<", ">>", ":"})
# a word that starts a clause; lifting happens only in WHERE, SET and VALUES
_CLAUSES = frozenset({"select", "from", "where", "set", "values", "group", "order", "having", "limit", "offset",
                      "fetch", "returning", "on", "using", "window", "union", "intersect", "except", "join",
                      "into", "conflict", "do", "for", "with"})
_LIFT_IN = frozenset({"where", "set"})
_HEADS = frozenset({"select", "insert", "update", "delete"})
_INT4 = (-(2**31), 2**31 - 1)
_INT8 = (-(2**63), 2**63 - 1)


@attrs.frozen
class Lifted:
    """The statement with its numbers as ``$1..$n``, their texts, and their SQL types."""

    text: str
    values: LiteralTexts  # given as any sequence of the texts; kept as LiteralTexts of them
    types: tuple[str | None, ...]  # None: inferred from where the parameter stands
    plain_rows: bool = attrs.field(default=False, eq=False)  # a plain multi-row INSERT ... VALUES

    def __attrs_post_init__(self) -> None:
        values = LiteralTexts(self.values)  # the texts, knowing which are numbers (bind_columns)
        values.kinds = self.types
        object.__setattr__(self, "values", values)

    @property
    def key(self) -> tuple[str, tuple[str, ...]]:
        return self.text, self.types


class LiteralTexts(tuple):
    """Parameter texts cut out of SQL literals, with ``kinds``, their literal types (None: a quoted
    string). The numbers are the lexer's number tokens (digits, a point, an exponent; a leading
    minus), never a client's free text, so binding may parse them without the checks a text
    parameter needs (prepared.bind_columns)."""

    kinds: tuple[str | None, ...]


_INTEGER = "integer"


def _literal_type(text: str) -> str:
    """The type PostgreSQL gives a numeric literal."""
    if text.lstrip("-").isdigit():
        n = int(text)
        if _INT4[0] <= n <= _INT4[1]:
            return "integer"
        if _INT8[0] <= n <= _INT8[1]:
            return "bigint"
    return "numeric"


def _next_token(sql: str, pos: int) -> str:
    """The next significant token's text from ``pos`` ("" at the end or where the lexer stops)."""
    while True:
        m = _TOKEN.match(sql, pos)
        if m is None:
            return ""
        if m.lastgroup not in ("ws", "comment"):
            return m.group()
        pos = m.end()


# INSERT INTO name[.name] [(col, ...)] VALUES: the head of a batch load (identifiers are plain or quoted)
_IDENT = r'(?:[A-Za-z_\x80-\uffff][A-Za-z0-9_\x80-\uffff]*|"(?:[^"]|"")+")'
_PLAIN_HEAD = re.compile(rf"\s*insert\s+into\s+{_IDENT}(?:\s*\.\s*{_IDENT})?"
                         rf"(?:\s*\(\s*{_IDENT}(?:\s*,\s*{_IDENT})*\s*\))?\s*values\s*(?=\()", re.IGNORECASE)
# one cell: a quoted string, or a number with its minus sign written right before it
_PLAIN_CELL = r"(?:'[^']*(?:''[^']*)*'|-?(?:\d+(?:\.\d*)?|\.\d+))"
_PLAIN_ROW = rf"\(\s*{_PLAIN_CELL}(?:\s*,\s*{_PLAIN_CELL})*\s*\)"
_PLAIN_ROWS = re.compile(rf"{_PLAIN_ROW}(?:\s*,\s*{_PLAIN_ROW})*\s*;?\s*")
_PLAIN_CELLS = re.compile(f"({_PLAIN_CELL})")  # in rows _PLAIN_ROWS matched, every match is a whole cell
_HEAD_WORDS = re.compile(r'"(?:[^"]|"")+"|[^\s().,"]+')
_CLAUSE_WORDS = _CLAUSES | _HEADS
_PARAMETER_NAMES: list[str] = []  # $1, $2, ...
PLAIN_ROWS_MIN = 512  # characters: below this the token loop is as quick


def _lift_plain_rows(sql: str) -> Lifted | None:
    """A plain multi-row INSERT ... VALUES lifted in one pass; None when the statement is not one."""
    head = _PLAIN_HEAD.match(sql)
    if head is None or any(w.lower() in _CLAUSE_WORDS for w in _HEAD_WORDS.findall(head.group())[2:-1]):
        return None  # not a batch load, or a table or column spelled like a clause word: the token loop decides
    uniform = _lift_uniform_rows(sql, head)
    if uniform is not None:
        return uniform
    if _PLAIN_ROWS.fullmatch(sql, head.end()) is None:
        return None
    body = sql[head.end():]
    pieces = _PLAIN_CELLS.split(body)  # text between cells, cell, text between cells, ...
    cells = pieces[1::2]
    if "''" in body:
        values = [c[1:-1].replace("''", "'") if c[0] == "'" else c for c in cells]
    else:
        values = [c[1:-1] if c[0] == "'" else c for c in cells]
    types = tuple([None if c[0] == "'" else "integer" if len(c) < 10 and "." not in c else _literal_type(c)
                   for c in cells])  # fewer than 10 characters, no point: an integer of int4's range
    while len(_PARAMETER_NAMES) < len(cells):
        _PARAMETER_NAMES.append(f"${len(_PARAMETER_NAMES) + 1}")
    text = "".join(itertools.chain.from_iterable(zip(pieces[0::2], _PARAMETER_NAMES[:len(cells)])))
    text = head.group() + text + pieces[-1]
    return Lifted(text, values, types, plain_rows=True)


# the text of plain rows outside their strings, each string replaced by \x01 (_lift_uniform_rows)
_OUTSIDE_CELL = r"(?:\x01|-?(?:\d+(?:\.\d*)?|\.\d+))"


@functools.lru_cache(maxsize=16)
def _outside_rows(width: int) -> re.Pattern[str]:
    """Rows of ``width`` cells (a string's place or a number) as ``_PLAIN_ROWS`` allows them."""
    row = rf"\(\s*{_OUTSIDE_CELL}" + rf"\s*,\s*{_OUTSIDE_CELL}" * (width - 1) + r"\s*\)"
    return re.compile(rf"{row}(?:\s*,\s*{row})*\s*;?\s*")


_NUMBER_CHARS_GONE = str.maketrans("", "", "0123456789.-")
_DIGITS_GONE = str.maketrans("", "", "0123456789")
_NO_NUMBERS = frozenset(("", ".", "-", "-."))  # what a number is once its digits are gone, and never alone


def _written_plainly(outside: str, width: int) -> list[str] | None:
    """The cells of rows written the usual way (no space but after a comma; ``_outside_rows``
    takes any spacing), row after row, once the rows are seen to have ``width`` cells each;
    None for other text. A number cell is not checked here (``_numbers_as_written``)."""
    text = outside.replace(", ", ",")
    text = text.removesuffix(";")
    inner = text[1:-1]
    if text[:1] != "(" or text[-1:] != ")" or "\x02" in text or len(text.split(None, 1)) != 1:
        return None
    rows = inner.count("),(") + 1
    if inner.count("(") != rows - 1 or inner.count(")") != rows - 1:
        return None
    cells = inner.replace("),(", ",\x02,").split(",")  # \x02: between rows
    if len(cells) != rows * (width + 1) - 1 or cells.count("\x02") != rows - 1 \
            or cells[width::width + 1].count("\x02") != rows - 1:
        return None
    del cells[width::width + 1]
    return cells


def _numbers_as_written(column: list[str]) -> bool:
    """Every cell a number as ``_OUTSIDE_CELL`` has it: -?(\\d+(\\.\\d*)?|\\.\\d+), checked with string
    methods over the whole column (a third of the regular expression's time)."""
    joined = ",".join(column)
    return (joined.translate(_NUMBER_CHARS_GONE) == "," * (len(column) - 1)  # digits, points, minus signs
            and ("," + joined).count(",-") == joined.count("-")  # a minus only first
            and set(joined.translate(_DIGITS_GONE).split(",")) <= _NO_NUMBERS  # one point, after the minus
            and _NO_NUMBERS.isdisjoint(column))  # and some digits


@functools.lru_cache(maxsize=64)
def parameter_rows_text(width: int, count: int) -> str:
    """``($1, $2), ($3, $4), ...``: ``count`` rows of ``width`` parameters numbered in order."""
    names = [f"${i}" for i in range(1, width * count + 1)]
    return ", ".join("(" + ", ".join(names[r * width:(r + 1) * width]) + ")" for r in range(count))


def _number_types(cells: list[str]) -> str | list[str]:
    """The literal types of a column of number cells: one type when all share it, else each cell's."""
    joined = "".join(cells)
    dots = joined.count(".")
    if dots == len(cells):
        return "numeric"
    if not dots and max(map(len, cells)) < 10:
        return "integer"  # fewer than 10 characters, no point: an integer of int4's range
    return ["integer" if len(c) < 10 and "." not in c else _literal_type(c) for c in cells]


def _lift_uniform_rows(sql: str, head: re.Match[str]) -> Lifted | None:
    """Plain rows whose columns are each all strings or all numbers, cut out by splitting: at the
    quotes (no ``''`` inside a string, so every other piece is a string's content), then the
    text outside the strings at its commas once it is checked to be rows of one width. The
    values and types are those ``_lift_plain_rows`` gives; the text is canonical. None when
    the rows are not of that kind."""
    body = sql[head.end():]
    if "''" in body or "\x01" in body:
        return None
    pieces = body.split("'")
    if len(pieces) % 2 == 0:
        return None  # a quote left open
    outside = "\x01".join(pieces[0::2])
    width = outside.count(",", 0, outside.find(")")) + 1
    cells = _written_plainly(outside, width)
    by_expression = cells is None  # spaced otherwise: the regular expression checks the rows whole
    if by_expression:
        if _outside_rows(width).fullmatch(outside) is None:
            return None
        cells = "".join(outside.split()).rstrip(";")[1:-1].replace("),(", ",").split(",")
    count = len(cells) // width
    strings = pieces[1::2]
    string_columns = cells[:width].count("\x01")
    columns: list[list[str]] = []
    column_types: list[str | None | list[str]] = []
    for j in range(width):
        column = cells[j::width]
        places = column.count("\x01")
        if places == count:  # the k-th string column's values are every string_columns-th string from k
            columns.append(strings[column_types.count(None)::string_columns])
            column_types.append(None)
        elif places or not (by_expression or _numbers_as_written(column)):
            return None  # strings and numbers in one column (the per-cell pass decides), or not numbers
        else:
            columns.append(column)
            column_types.append(_number_types(column))
    values = itertools.chain.from_iterable(zip(*columns))
    if any(isinstance(t, list) for t in column_types):
        per_column = [t if isinstance(t, list) else [t] * count for t in column_types]
        types = tuple(itertools.chain.from_iterable(zip(*per_column)))
    else:
        types = tuple(column_types) * count
    text = head.group().lstrip() + parameter_rows_text(width, count)
    return Lifted(text, values, types, plain_rows=True)


# Short statements already lifted, by their text with its digit runs cut out: for each digit run,
# the lifted value's place (None) or the digits it must be. The next statement of that shape (the
# same query with other keys) is lifted by one split at its digits instead of the token loop.
_DIGIT_RUNS = re.compile(r"([0-9]+)")
SHAPES = 1024  # remembered shapes (the memo starts afresh when full)
_shapes: dict[tuple[str, ...], tuple[str, tuple[str | None, ...]]] = {}


def lift_constants(sql: str) -> Lifted | None:
    """``sql`` with its value numbers lifted out, or None when it cannot (or need not) be."""
    if len(sql) < PLAIN_ROWS_MIN:
        pieces = _DIGIT_RUNS.split(sql)
        shape = _shapes.get(tuple(pieces[0::2]))
        if shape is not None:
            by_shape = _lift_by_shape(shape, pieces[1::2])
            if by_shape is not None:
                return by_shape
        lifted, starts = _lift_by_tokens(sql)
        if lifted is not None and starts is not None:
            _remember_shape(pieces, lifted, starts)
        return lifted
    if "$" in sql or "/*" in sql or "\\" in sql:
        return None
    plain = _lift_plain_rows(sql)
    if plain is not None:
        return plain
    return _lift_by_tokens(sql)[0]


def _lift_by_shape(shape: tuple[str, tuple[str | None, ...]], runs: list[str]) -> Lifted | None:
    """The remembered shape's lifting for a text of that shape whose digit runs are ``runs``: the
    text between digit runs is the same, so the token loop would see the same tokens, and only
    the values of the lifted integers (each a whole digit run) differ. None when a digit run
    that was not lifted (in a name, a string, ``LIMIT 10``) differs."""
    text, wanted = shape
    values = []
    for got, want in zip(runs, wanted, strict=True):
        if want is None:
            values.append(got)
        elif got != want:
            return None
    # a digit run of nine digits or fewer is an integer (below 2^31): no parse needed
    return Lifted(text, values, tuple([_INTEGER if len(v) < 10 else _literal_type(v) for v in values]))


def _remember_shape(pieces: list[str], lifted: Lifted, starts: list[int]) -> None:
    """Keep ``sql``'s shape when every lifted value is an unsigned integer that is a whole digit run."""
    if not lifted.values or any(t is None for t in lifted.types):
        return
    lifted_at = dict(zip(starts, lifted.values, strict=True))
    wanted: list[str | None] = []
    at = len(pieces[0])  # where each digit run starts, from the split's pieces
    for k in range(1, len(pieces), 2):
        run = pieces[k]
        value = lifted_at.pop(at, None)
        if value is not None and value != run:
            return  # a signed or fractional number: the digit runs do not show it
        wanted.append(None if value is not None else run)
        at += len(run) + len(pieces[k + 1])
    if lifted_at:
        return
    if len(_shapes) >= SHAPES:
        _shapes.clear()
    _shapes[tuple(pieces[0::2])] = (lifted.text, tuple(wanted))


def _lift_by_tokens(sql: str) -> tuple[Lifted | None, list[int] | None]:
    """The token loop's lifting of ``sql``, with where each lifted value starts in it."""
    if "$" in sql or "/*" in sql or "\\" in sql:
        return None, None
    pos, n = 0, len(sql)
    parts: list[str] = []
    values: list[str] = []
    types: list[str] = []
    starts: list[int] = []
    clause = ""
    depth = 0
    values_depth = -1  # paren depth of the VALUES keyword (its rows are one deeper)
    prev = ""  # previous significant token (lower-cased words, operators, punctuation)
    prev2 = ""
    head = ""
    copied = 0
    ended = False
    while pos < n:
        m = _TOKEN.match(sql, pos)
        if m is None:
            return None, None
        kind = m.lastgroup
        tok = m.group()
        start, pos = pos, m.end()
        if kind == "ws" or kind == "comment":
            continue
        if ended:
            return None, None  # something after the terminating ";": several statements
        if kind == "str":
            if start > 0 and sql[start - 1] in "eEbBxXuUnN" and (start < 2 or not sql[start - 2].isalnum()):
                return None, None  # E'...' and other prefixed strings: leave them to the full lexer
            if head == "insert" and clause == "values" and depth == values_depth + 1 and prev in ("(", ",") \
                    and _next_token(sql, pos) in (",", ")"):
                parts.append(sql[copied:start])
                values.append(tok[1:-1].replace("''", "'"))
                types.append(None)
                starts.append(start)
                parts.append(f"${len(values)}")
                copied = pos
            tok = "'"
        elif kind == "word":
            tok = tok.lower()
            if not head:
                head = tok
                if head not in _HEADS:
                    return None, None
            if tok in _CLAUSES:
                clause = tok
                if tok == "values":
                    values_depth = depth
                if head == "select" and tok == "into" and depth == 0:
                    return None, None  # SELECT ... INTO creates a table
        elif kind == "op":
            if tok not in _KNOWN_OPS:
                return None, None
        elif kind == "punct":
            if tok == "(":
                depth += 1
            elif tok == ")":
                depth -= 1
                if depth < values_depth:
                    values_depth = -1
            elif tok == ";":
                ended = True
                continue
        elif kind == "num":
            if pos < n and (sql[pos].isalnum() or sql[pos] in "_.$"):
                return None, None  # 123abc, 1.2.3: PostgreSQL's lexer reads these differently
            sign_start = None
            if prev == "-" and (prev2 in _VALUE_OPS or prev2 in ("(", ",", "where", "set", "values")):
                sign_start = sql.rfind("-", 0, start)  # a unary minus: folded into the literal
                if sql[sign_start + 1:start].strip():
                    sign_start = None
            lift = "e" not in tok.lower() and ((clause in _LIFT_IN and (prev in _VALUE_OPS or sign_start is not None))
                                               or (clause == "values" and depth == values_depth + 1
                and (prev in ("(", ",") or (sign_start is not None and prev2 in ("(", ",")))))
            if lift:
                begin = sign_start if sign_start is not None else start
                text = "-" + tok if sign_start is not None else tok
                parts.append(sql[copied:begin])
                values.append(text)
                types.append(_literal_type(text))
                starts.append(begin)
                parts.append(f"${len(values)}")
                copied = pos
        if not head:
            return None, None
        prev2, prev = prev, tok
    if not values and head != "select":
        return None, None  # a query without numbers is cached as it is; other statements gain nothing
    parts.append(sql[copied:])
    return Lifted("".join(parts), values, tuple(types)), starts

