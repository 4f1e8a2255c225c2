"""Batch-load INSERTs: the one-pass lifting of plain VALUES rows, the bulk INSERT shapes shared
between sessions, and the same answers and errors whichever path a batch takes.

A 1,000-row ``INSERT ... VALUES`` runs the ordinary way (parsed and planned from its text) the
first time its shape is seen on the server, and prepared (values bound as parameters) after
that, in any session of the same role. Each test here runs the same statements both ways, in
separate in-process engines, and compares what they leave and what they raise."""

from __future__ import annotations

import random

import pytest

import helios_core
from helios_core.errors import HeliosError
from helios_core.frontends.postgres import dialect
from helios_core.sql import constant_lifting
from helios_core.sql.constant_lifting import _lift_plain_rows, lift_constants

ROWS = 40
DDL = ("create table m (t timestamptz not null, id int primary key, k int, d float8, s varchar(5), "
       "n numeric(5,2))")


def _token_loop(sql: str):
    """lift_constants without the one-pass path."""
    saved = constant_lifting.PLAIN_ROWS_MIN
    constant_lifting.PLAIN_ROWS_MIN = 1 << 60
    try:
        return lift_constants(sql)
    finally:
        constant_lifting.PLAIN_ROWS_MIN = saved


def _cell(rng: random.Random, messy: bool) -> str:
    kind = rng.randrange(9) if messy and rng.random() < 0.05 else rng.choice([0, 1, 2, 4])
    if kind == 0:
        return "'" + rng.choice(["", "a,b", "x)(y", "o''k", "2024-01-01 10:00+00", "--no", "'';", "é\n,"]) + "'"
    if kind == 1:
        return rng.choice(["0", "-7", "2147483647", "2147483648", "-2147483648", "9223372036854775808", "007"])
    if kind == 2:
        return rng.choice(["1.5", "-0.25", "1.", ".5", "123456789.0", "-123456789"])
    if kind == 3:  # cells the one pass does not take: the token loop decides
        return rng.choice(["NULL", "DEFAULT", "1e5", "- 5", "'a' || 'b'", "now()", "E'x'", "true", "-.5e-3"])
    return rng.choice(["'ok'", "42", "-1.25", "'2024-03-01T10:00:00+00:00'"])


def _statement(rng: random.Random) -> str:
    width = rng.randrange(1, 5)
    messy = rng.random() < 0.3
    sep = rng.choice([",", ", ", " ,\n  "])
    rows = sep.join("(" + rng.choice([",", ", ", " , "]).join(_cell(rng, messy) for _ in range(width)) + ")"
                    for _ in range(rng.randrange(30, 80)))
    head = rng.choice(["INSERT INTO t VALUES ", "insert into s.t (a, \"B c\") values", "  Insert  Into \"T\"\n VALUES\n",
                       "INSERT INTO t(a,b) VALUES", "INSERT INTO \"select\" VALUES ", "INSERT INTO t (on, x) VALUES "])
    tail = rng.choice(["", ";", " ;  ", "\n"] * 3 + [" ON CONFLICT DO NOTHING", " RETURNING a", " -- done",
                                                     "; select 1"])
    return head + rows + tail


def _same_lift(fast, slow) -> bool:
    """The same values and types, and texts that parse to the same tree (the one pass may
    write the parameter rows in a canonical spacing)."""
    if fast is None or slow is None:
        return fast is slow
    if (fast.values, fast.types) != (slow.values, slow.types):
        return False
    return fast.text == slow.text or [st.ast for st in dialect._parse_uncached(fast.text)] == [
        st.ast for st in dialect._parse_uncached(slow.text)]


def _lifted_as_the_token_loop(sql: str):
    """The one pass's lifting of ``sql`` (None: the token loop decides), checked against the token loop."""
    fast = _lift_plain_rows(sql)
    assert fast is None or _same_lift(fast, _token_loop(sql)), sql
    return fast


def test_one_pass_lifts_exactly_as_the_token_loop():
    rng = random.Random(18)
    taken = 0
    for _ in range(200):
        sql = _statement(rng)
        assert _same_lift(lift_constants(sql), _token_loop(sql)), sql
        taken += _lifted_as_the_token_loop(sql) is not None
    assert taken > 20  # the generator makes plain batches often enough to check them


_UNIFORM_STRINGS = ["a,b", "x)(y", "),(", "--no", "é\n,", "2024-01-01 10:00+00", " ", "(1, 2)", ";", "\t"]
_UNIFORM_NUMBERS = ["0", "-7", "2147483647", "2147483648", "-2147483648", "9223372036854775808", "007", "1.5",
                    "-0.25", "1.", ".5", "123456789", "-123456789.0"]


def _uniform_statement(rng: random.Random) -> str:
    """A batch whose columns are each all strings or all numbers, sometimes spoiled by one cell."""
    width = rng.randrange(1, 6)
    kinds = [rng.random() < 0.5 for _ in range(width)]
    narrow = rng.random() < 0.3  # every number of a column short and whole, or all with a point
    pools = [rng.choice([["1", "-22", "333"], ["1.5", "-0.25", "3."]]) if narrow else _UNIFORM_NUMBERS
             for _ in range(width)]
    rows = [[f"'{rng.choice(_UNIFORM_STRINGS)}'" if kinds[j] else rng.choice(pools[j]) for j in range(width)]
            for _ in range(rng.randrange(20, 60))]
    if rng.random() < 0.25:  # a string among numbers, a number among strings, '' or a doubled quote
        rows[rng.randrange(len(rows))][rng.randrange(width)] = rng.choice(["'x'", "5", "''", "'o''k'", "-.5e3"])
    sep = rng.choice([",", ", ", " ,\n  ", ",\t"])
    inner = rng.choice([",", ", ", " , ", ",\n"])
    body = sep.join("(" + rng.choice(["", " "]) + inner.join(r) + rng.choice(["", "\n"]) + ")" for r in rows)
    head = rng.choice(["INSERT INTO t VALUES ", "insert into s.t (a, \"B c\") values", "  Insert  Into \"T\"\n VALUES\n"])
    return head + body + rng.choice(["", ";", " ;  ", "\n"])


def test_uniform_rows_lift_as_the_token_loop():
    rng = random.Random(20)
    uniform = 0
    for _ in range(300):
        sql = _uniform_statement(rng)
        fast = _lifted_as_the_token_loop(sql)
        head = constant_lifting._PLAIN_HEAD.match(sql)
        if constant_lifting._lift_uniform_rows(sql, head) is not None:
            uniform += 1
            assert fast.text.endswith(")") and dialect._parameter_rows(fast.text) is not None, fast.text[:200]
    assert uniform > 150  # most of them take the split path; the spoiled ones the per-cell pass


@pytest.mark.parametrize("spoiler", ["1.2.3", "--5", "5-", "-", ".", "-.", "+5", "1 2", "1e5", "- 5", "5 .5", "0x1F",
                                     "(5)", "5)", "(5", "5),(6", "", " ", "'x'", "\x02", "1,2"])
@pytest.mark.parametrize("sep", [",", ", "])
def test_rows_written_plainly_lift_only_numbers(spoiler, sep):
    """Rows spaced the usual way have their number cells checked by string methods instead of the
    regular expression: a cell that is not a number, or rows that are not of one width, leave
    the batch to the other passes, which lift it as the token loop does (or not at all)."""
    rows = [["'a'", str(i), f"{i}.5"] for i in range(40)]
    head = "INSERT INTO t VALUES "
    plain = head + sep.join("(" + sep.join(r) + ")" for r in rows)
    assert constant_lifting._lift_uniform_rows(plain, constant_lifting._PLAIN_HEAD.match(plain)) is not None
    for column in (1, 2):
        rows[17][column] = spoiler
        sql = head + sep.join("(" + sep.join(r) + ")" for r in rows)
        rows[17][column] = str(17) if column == 1 else "17.5"
        if spoiler not in ("'x'",):
            assert constant_lifting._lift_uniform_rows(sql, constant_lifting._PLAIN_HEAD.match(sql)) is None, sql
        _lifted_as_the_token_loop(sql)


def test_rows_written_plainly_are_of_one_width():
    """Rows of other widths that add up to the same number of cells are not one width's rows."""
    rows = [[str(i), str(i + 1), str(i + 2)] for i in range(0, 120, 3)]
    rows[10].append("7")  # four cells here, two in the next row
    rows[11].pop()
    for sep in (",", ", "):
        sql = "INSERT INTO t VALUES " + sep.join("(" + sep.join(r) + ")" for r in rows)
        assert constant_lifting._lift_uniform_rows(sql, constant_lifting._PLAIN_HEAD.match(sql)) is None
        _lifted_as_the_token_loop(sql)  # the per-cell pass takes them; running them is 42601


def test_the_tree_built_from_one_row_is_the_parse_of_all_rows():
    """A batch of parameter rows (a lifted batch load, or a client's Parse of one) gets a tree
    built from its first row's parse (dialect._parameter_rows): it must be the very tree
    sqlglot gives for the whole text."""
    rng = random.Random(19)
    built = 0
    for _ in range(300):
        lifted = _lift_plain_rows(_statement(rng))
        if lifted is None:
            continue
        fast = dialect._parameter_rows(lifted.text)
        if fast is None:
            continue
        slow = dialect._parse_uncached(lifted.text)
        assert len(slow) == 1, lifted.text
        assert (fast.ast, fast.text, fast.offset) == (slow[0].ast, slow[0].text, slow[0].offset), lifted.text
        built += 1
    assert built > 20


def test_other_parameter_texts_are_parsed_whole():
    row = ", ".join(f"(${2 * i + 1}, ${2 * i + 2})" for i in range(200))
    assert dialect._parameter_rows(f"INSERT INTO t VALUES {row}") is not None
    assert dialect._parameter_rows(f"insert into s.\"T\" (a, b)VALUES{row}") is not None
    for text in (f"INSERT INTO t VALUES {row}, ($401)", f"INSERT INTO t VALUES ($1), {row.replace('$1,', '$0,')}",
                 f"INSERT INTO t VALUES {row}, ($401, $402, $403)", f"INSERT INTO t VALUES {row};",
                 f" INSERT INTO t VALUES {row}", f"INSERT INTO t VALUES {row} RETURNING a",
                 f"INSERT INTO t VALUES {row.replace('$7', '$9')}", f"INSERT INTO t VALUES {row}, ($401, 5)",
                 f"INSERT INTO t SELECT * FROM (VALUES {row}) v", f"INSERT INTO t VALUES {row} ON CONFLICT DO NOTHING",
                 f"INSERT INTO t VALUES {row}, ($401, $402)".replace("VALUES ($1, $2), ", "VALUES ($1, $2) -- x\n, ")):
        assert dialect._parameter_rows(text) is None, text[:80]
    s = helios_core.connect()
    s.execute("create table t (a int, b text)")
    ragged = ", ".join(f"({i}, 'v{i}')" for i in range(200)) + ", (1)"
    with pytest.raises(HeliosError) as err:
        s.execute(f"INSERT INTO t VALUES {ragged}")
    assert err.value.sqlstate == "42601"  # VALUES lists must all be the same length, as PostgreSQL says


def test_a_new_batch_shape_is_not_parsed_row_by_row(monkeypatch):
    s = helios_core.connect()
    s.execute(DDL)
    parsed: list[str] = []
    whole = dialect._parse_uncached

    def recording(sql, **kw):
        parsed.append(sql)
        return whole(sql, **kw)

    monkeypatch.setattr(dialect, "_parse_uncached", recording)
    s.execute(_batch(0, rows=200))
    s.execute(_batch(1000, rows=200))
    assert s.execute("select count(*) from m")[0].rows() == [(400,)]
    assert parsed and max(len(p) for p in parsed) < 200  # one row's text, never the 200 rows'


def test_one_pass_declines_what_it_cannot_vouch_for():
    rows = ", ".join(f"({i}, 'v{i}')" for i in range(100))
    assert _lift_plain_rows(f"INSERT INTO t VALUES {rows}") is not None
    for sql in (f"INSERT INTO t VALUES {rows} RETURNING *", f"INSERT INTO t VALUES {rows}, (DEFAULT, 'x')",
                f"INSERT INTO t VALUES {rows}, (NULL, 'x')", f"INSERT INTO t VALUES {rows} ON CONFLICT DO NOTHING",
                f"INSERT INTO t SELECT * FROM (VALUES {rows}) v", f"INSERT INTO t VALUES {rows}, (1e3, 'x')",
                f"INSERT INTO t VALUES {rows}, (-(1), 'x')", f"WITH x AS (SELECT 1) INSERT INTO t VALUES {rows}"):
        assert _lift_plain_rows(sql) is None, sql


def _batch(first_id: int, rows: int = ROWS, **change) -> str:
    """``rows`` rows of m; ``change`` replaces one cell of the middle row: column name -> literal."""
    out = []
    for i in range(rows):
        cells = {"t": f"'2024-01-01 00:{i % 60:02d}:00+00'", "id": str(first_id + i), "k": f"'{i}'",
                 "d": f"{i}.5", "s": f"'s{i % 100}'", "n": f"{i % 900}.25"}
        if i == ROWS // 2:
            cells.update(change)
        out.append("(" + ", ".join(cells.values()) + ")")
    return "insert into m values " + ", ".join(out)


def _run(bad: str, warm: bool) -> tuple[list, tuple | None, int]:
    """``bad`` on a fresh engine that already holds one batch: without ``warm`` the ordinary way;
    with it, after its shape was prepared in another session and run prepared once in this one
    (so it runs prepared, its values bound a column at a time): table contents, error, cache hits."""
    s = helios_core.connect()
    try:
        s.execute(DDL)
        s.execute(_batch(10_000, ROWS - 1))  # rows already there (a batch of another shape)
        if not warm:  # a session with a temporary table keeps to its own cache: the ordinary run
            s.execute("create temp table keep_to_the_ordinary_path (a int)")
        else:
            other = s.engine.connect(user="helios", database="helios", branch="main")
            other.execute(_batch(20_000))
            other.execute("delete from m where id >= 20000")
            other.close()
            s.execute(_batch(30_000))  # this session's first prepared run learns the rows' layout:
            s.execute("delete from m where id >= 30000")  # the next binds a column at a time
        hits = s.statement_cache.hits
        error = None
        try:
            s.execute(bad)
        except HeliosError as e:
            error = (e.sqlstate, str(e))
        rows = s.execute("select * from m order by id")[0].rows()
        return rows, error, s.statement_cache.hits - hits
    finally:
        s.close()


@pytest.mark.parametrize("change,sqlstate", [
    ({}, None),
    ({"k": "'abc'"}, "22P02"),  # not an integer
    ({"t": "'2024-02-31 10:00+00'"}, "22008"),  # no such date
    ({"t": "'yesterday noon'"}, "22007"),
    ({"id": "10003"}, "23505"),  # the primary key of a row already there
    ({"s": "'toolong'"}, "22001"),  # longer than varchar(5)
    ({"n": "12345.25"}, "22003"),  # past numeric(5,2)
    ({"t": "NULL"}, "23502"),  # not a plain cell: both runs take the ordinary path
    ({"d": "'NaN'"}, None),  # a string into float8: another shape (typed by its column), prepared at once
    ({"d": "0.05123456789012345678"}, None),  # more decimals than a numeric's storage scale: float8 gets them all
    ({"n": "1.23456789012345678901"}, None),  # rounded by the column's own scale
    ({"k": "2.50000000000000000001"}, None),  # rounded into an integer from all its digits
])
def test_same_rows_and_errors_ordinary_and_prepared(change, sqlstate):
    bad = _batch(1, **change)
    cold_rows, cold_error, cold_hits = _run(bad, warm=False)
    warm_rows, warm_error, warm_hits = _run(bad, warm=True)
    assert cold_hits == 0
    plain = set(change.values()) != {"NULL"}  # plain literal rows: prepared, even a shape seen first here
    assert warm_hits == (1 if plain else 0)  # the prepared path did run it
    assert (cold_error or (None,))[0] == sqlstate
    assert warm_error == cold_error
    assert repr(warm_rows) == repr(cold_rows)  # NaN is not equal to itself
    assert len(cold_rows) == ROWS - 1 + (0 if sqlstate else ROWS)


def test_numbers_past_the_storage_scale_are_bound_a_column_at_a_time():
    """Numeric literals with more decimals than a numeric's storage scale (a float's repr: 17
    significant digits) keep all of them when bound a column at a time, and are not sent back to
    the one-by-one binding."""
    from decimal import Decimal

    from helios_core.sql import prepared
    from helios_core.sql import types as T

    texts = ["0.05123456789012345678", "847.4337369372327", "0.000123456789012345678", "12", "-3.5"] * 60
    numeric = T.type_from_name("numeric")
    bound = prepared.bind_columns([numeric] * len(texts), texts, prepared.strided_layout(1, len(texts)))
    assert bound is not None
    assert bound[0].type == numeric
    assert bound[0].array.to_pylist() == [Decimal(x) for x in texts]


def _number_cell(rng: random.Random) -> tuple[str, str, str]:
    """(float8 cell, int4 cell, int8 cell): number literals as clients write them, each column's
    of one literal type (numeric: each with a point; integer; bigint)."""
    x = rng.choice([rng.uniform(-1e6, 1e6), rng.random() * 10.0 ** rng.randint(-300, 300), rng.gauss(0, 1)])
    f = rng.choice([f"{x:.3f}", f"{x:.25f}", f"{x:.6f}", "-0.0", "0.000", "0." + "0" * 310 + "1", "-.5", "7.",
                    f"{rng.randint(-10**20, 10**20)}.5"])
    i4 = rng.choice([str(rng.randint(-2**31, 2**31 - 1)), "2147483647", "-2147483648", "007", "-0"])
    i8 = rng.choice([str(rng.choice([-1, 1]) * rng.randint(2**31, 2**63 - 1)), "9223372036854775807",
                     "-9223372036854775808", "-2147483649"])  # bigint literals, all of one type
    return f, i4, i8


def _numbers_table(rounds: list[list[tuple[str, str, str]]], ordinary: bool) -> tuple[list, tuple | None]:
    """Load the batches of ``rounds`` (after the first, they run prepared, their literals bound a
    column at a time, unless ``ordinary``: a comment keeps the statement cache out): the table's
    rows, bit for bit (floats as their hex), and the error of the first failing batch."""
    s = helios_core.connect()
    try:
        s.execute("create table nums (k int, f float8, i int4, b int8)")
        error = None
        for round_, rows in enumerate(rounds):
            sql = "insert into nums values " + ", ".join(f"({round_}, {f}, {i}, {b})" for f, i, b in rows)
            if ordinary:
                sql += " /* a comment: the statement cache leaves it to the ordinary path */"
            try:
                s.execute(sql)
            except HeliosError as e:
                error = (e.sqlstate, str(e))
                break
        got = s.execute("select k, f, i, b from nums")[0].rows()
        return [(k, f.hex() if f is not None else None, i, b) for k, f, i, b in got], error
    finally:
        s.close()


@pytest.mark.parametrize("seed,odd", [(0, None), (1, None), (2, None), (3, "1" + "0" * 320 + ".0"),
                                      (4, "0." + "0" * 330 + "1"), (5, "-" + "9" * 400 + ".5")])
def test_number_literals_bound_by_one_cast_as_the_ordinary_way(seed, odd):
    """Number literals of a cached batch are cast a column at a time (integers to their type,
    numerics into a float8 column straight to float8); the rows, and the error of a value past
    float8's range (overflow, underflow) in a later batch, are those the ordinary path gives."""
    rng = random.Random(seed)
    rounds = [[_number_cell(rng) for _ in range(300)] for _ in range(3)]
    if odd is not None:
        rounds[2][150] = (odd, "1", "1")
    fast, fast_error = _numbers_table(rounds, ordinary=False)
    slow, slow_error = _numbers_table(rounds, ordinary=True)
    assert fast_error == slow_error
    assert fast == slow
    assert (fast_error is None) == (odd is None)
    assert len(fast) == (900 if odd is None else 600)


def _rows_with(cells: dict[str, str]) -> str:
    """100 rows of (id, v float8, n numeric(5,2)); ``cells`` replaces row 50's v or n."""
    rows = []
    for i in range(100):
        row = {"id": str(i), "v": f"{i}.25", "n": f"{i % 900}.5"}
        if i == 50:
            row.update(cells)
        rows.append("(" + ", ".join(row.values()) + ")")
    return "insert into w values " + ", ".join(rows)


@pytest.mark.parametrize("column,big", [("v", "1" + "0" * 400 + ".5"), ("n", "1" + "0" * 100 + ".5")])
def test_a_number_past_arrows_decimals_is_not_cut_short(column, big):
    """A numeric literal of more than 76 digits among short ones in a cached batch: into float8 it
    is out of range (22003), into numeric(5,2) too, as on the ordinary path; Arrow's cast of such a
    value to a decimal once kept only its last digits (stored 0.5)."""
    for comment in ("", " /* the ordinary path */"):
        s = helios_core.connect()
        try:
            s.execute("create table w (id int, v float8, n numeric(5,2))")
            s.execute(_rows_with({}))
            s.execute(_rows_with({}))
            with pytest.raises(HeliosError) as err:
                s.execute(_rows_with({column: big}) + comment)
            assert err.value.sqlstate == "22003"
            assert s.execute("select count(*) from w")[0].rows() == [(200,)]
        finally:
            s.close()


def test_an_integer_literal_past_76_digits_is_out_of_float8s_range():
    """10^400 written out into a float8 column: 22003 as PostgreSQL says, not an internal error
    from building a decimal of 401 digits."""
    s = helios_core.connect()
    try:
        s.execute("create table f (v float8)")
        for comment in ("", " /* the ordinary path */"):
            with pytest.raises(HeliosError) as err:
                s.execute("insert into f values (1" + "0" * 400 + ")" + comment)
            assert err.value.sqlstate == "22003"
        s.execute("insert into f values (1" + "0" * 100 + ")")
        assert s.execute("select v from f")[0].rows() == [(1e100,)]
    finally:
        s.close()


def test_sessions_sharing_a_batch_shape_cast_its_number_literals(monkeypatch):
    """A bulk INSERT's shape prepared in one session and taken by others keeps its columns' types,
    so every session casts the float8 column's numeric literals straight to float8."""
    from helios_core.sql import prepared

    casts: list[str | None] = []
    quick = prepared._literal_numbers

    def recording(texts, t, target):
        out = quick(texts, t, target)
        if t.name == "numeric":
            casts.append(None if out is None else out.type.name)
        return out

    monkeypatch.setattr(prepared, "_literal_numbers", recording)
    first = helios_core.connect()
    sessions = [first] + [first.engine.connect(user="helios", database="helios", branch="main") for _ in range(3)]
    try:
        first.execute("create table m2 (k int, d float8)")
        for n in range(8):
            sessions[n % 4].execute("insert into m2 values " + ", ".join(f"({i}, {i}.{n}5)" for i in range(1, 200)))
        assert casts and set(casts) == {"float8"}  # never the general parse
        assert first.execute("select count(*), sum(d) from m2")[0].rows()[0][0] == 8 * 199
    finally:
        for s in sessions[1:]:
            s.close()
        first.close()


def _tree(session):
    """The parsed tree of the bulk INSERT ``session`` has cached (shared trees are one object)."""
    return next(e.statement for e in session.statement_cache.entries.values() if e.statement).plan.statement


def test_shapes_are_shared_within_a_role_only():
    s = helios_core.connect()
    try:
        s.execute(DDL)
        s.execute("create role loader login")
        s.execute("grant select, insert on m to loader")
        s.execute("create role outsider login")
        s.execute(_batch(0))
        same = s.engine.connect(user="helios", database="helios", branch="main")
        loader = s.engine.connect(user="loader", database="helios", branch="main")
        outsider = s.engine.connect(user="outsider", database="helios", branch="main")
        same.execute(_batch(1000))
        assert _tree(same) is _tree(s)  # prepared by the first session
        loader.execute(_batch(2000))
        assert _tree(loader) is not _tree(s)  # another role: prepared for it
        loader.execute(_batch(3000))
        with pytest.raises(HeliosError) as err:
            outsider.execute(_batch(4000))
        assert err.value.sqlstate == "42501"
        same.execute("create temp table scratch (a int)")
        hits = same.statement_cache.hits
        same.execute(_batch(5000))  # a session with temporary tables keeps to its own cache
        assert same.statement_cache.hits == hits
        s.execute("alter table m add column extra int")  # DDL: the shape is prepared again
        same2 = s.engine.connect(user="helios", database="helios", branch="main")
        same2.execute(_batch(6000))
        assert _tree(same2) is not _tree(s)
        assert s.execute("select count(*), count(extra) from m")[0].rows() == [(ROWS * 6, 0)]
        for session in (same, same2, loader, outsider):
            session.close()
    finally:
        s.close()


def test_a_failed_first_batch_leaves_the_shape_to_the_next_session():
    s = helios_core.connect()
    try:
        s.execute(DDL)
        with pytest.raises(HeliosError):
            s.execute(_batch(0, k="'abc'"))
        other = s.engine.connect(user="helios", database="helios", branch="main")
        other.execute(_batch(0))  # claims the shape itself (nobody is left holding it): no wait
        third = s.engine.connect(user="helios", database="helios", branch="main")
        third.execute(_batch(1000))
        assert third.statement_cache.hits == 1
        assert s.execute("select count(*) from m")[0].rows() == [(ROWS * 2,)]
        other.close()
        third.close()
    finally:
        s.close()


def test_a_bulk_insert_with_placeholders_is_prepared_once_for_the_server():
    s = helios_core.connect()
    try:
        s.execute(DDL)
        sql = "insert into m values " + ", ".join(
            f"(${6 * i + 1}, ${6 * i + 2}, ${6 * i + 3}, ${6 * i + 4}, ${6 * i + 5}, ${6 * i + 6})" for i in range(ROWS))
        first = s.prepare(sql)
        other = s.engine.connect(user="helios", database="helios", branch="main")
        second = other.prepare(sql)
        assert second.plan.statement is first.plan.statement  # one parse for both sessions
        assert second.param_types == first.param_types == ["timestamp with time zone", "integer", "integer",
                                                           "double precision", "character varying", "numeric"] * ROWS
        values = []
        for i in range(ROWS):
            values += [f"2024-01-01 00:{i % 60:02d}:00+00", str(i), str(i), f"{i}.5", f"s{i}", "1.25"]
        s.execute_prepared(first, values)
        other.execute_prepared(second, [str(int(v) + ROWS) if k % 6 == 1 else v for k, v in enumerate(values)])
        with pytest.raises(HeliosError) as err:
            other.execute_prepared(second, [("toolong" if k == 4 else v) for k, v in enumerate(values)])
        assert err.value.sqlstate == "22001"
        assert s.execute("select count(*), count(DISTINCT id), sum(n) from m")[0].rows() == [
            (2 * ROWS, 2 * ROWS, __import__("decimal").Decimal("1.25") * 2 * ROWS)]
        other.close()
    finally:
        s.close()


def test_columns_bound_the_same_through_a_strided_or_any_layout():
    """bind_columns reads parameters numbered row by row ($1, $2 | $3, $4 ...) with slices; any other
    numbering (a client's own ``($2, $1), ($4, $3)``) the long way: the same values either way."""
    from helios_core.sql import prepared
    from helios_core.sql import types as T

    rows = [(f"2024-01-0{1 + i % 9} 10:00+00", str(i), f"{i}.5") for i in range(40)]
    types = [T.type_from_name("timestamptz"), T.type_from_name("int4"), T.type_from_name("float8")]
    width, n = 3, 3 * len(rows)
    strided = prepared.bind_columns(types * len(rows), [v for r in rows for v in r], prepared.strided_layout(width, n))
    # the same rows with each row's parameters numbered backwards: column j of row k is 3k + (2 - j)
    backwards = [[3 * k + 2 - j for k in range(len(rows))]
                 for j in range(width)]
    params = [None] * n
    for k, r in enumerate(rows):
        for j in range(width):
            params[3 * k + 2 - j] = r[j]
    other = prepared.bind_columns([types[2 - (i % 3)] for i in range(n)], params, backwards)
    assert strided is not None and other is not None
    assert [v.array.to_pylist() for v in strided] == [v.array.to_pylist() for v in other]
    assert [v.type for v in strided] == [v.type for v in other] == types


def test_remembered_column_types_belong_to_their_own_statement():
    """bind_columns remembers each VALUES column's type in the prepared statement's cache, for
    the very type and layout lists it checked: another statement's lists (a column of mixed
    types there) are checked afresh, and a memo from a statement of other types is not used."""
    from helios_core.sql import prepared
    from helios_core.sql import types as T

    int4, text = T.type_from_name("int4"), T.type_from_name("text")
    n = 2 * 40
    layout = prepared.strided_layout(2, n)
    params = [str(i) for i in range(n)]
    memo: dict = {}
    uniform = [int4, text] * 40
    first = prepared.bind_columns(uniform, params, layout, None, memo)
    assert first is not None and [v.type for v in first] == [int4, text]
    again = prepared.bind_columns(uniform, params, layout, None, memo)
    assert [v.array.to_pylist() for v in again] == [v.array.to_pylist() for v in first]
    mixed = [int4, text] * 39 + [text, int4]  # the last row's columns swapped: no column has one type
    assert prepared.bind_columns(mixed, params, layout, None, memo) is None
    swapped = [text, int4] * 40
    other = prepared.bind_columns(swapped, params, layout, None, memo)
    assert other is not None and [v.type for v in other] == [text, int4]
    assert other[1].array.to_pylist() == list(range(1, n, 2))


def test_binary_parameter_columns_bound_at_once_as_one_by_one():
    """A binary Bind's Python values (ints, floats, aware datetimes for timestamptz, naive ones for
    timestamp, NULLs) are bound a column at a time and give the rows the one-row INSERTs give;
    naive datetimes for timestamptz (the session's TimeZone decides) and bools for integers are
    left to the ordinary binding."""
    import datetime as dt

    from helios_core.sql import prepared
    from helios_core.sql import types as T

    names = ["timestamptz", "int4", "float8", "text", "timestamp", "int8"]
    types = [T.type_from_name(n) for n in names]
    zones = [dt.UTC, dt.timezone(dt.timedelta(hours=5, minutes=30)), dt.timezone(-dt.timedelta(hours=8))]
    rows = [(dt.datetime(2024, 2, 29, 23, 59, 59, 999_999, tzinfo=zones[i % 3]) + dt.timedelta(hours=i),
             None if i % 7 == 3 else i - 50, i / 8 if i % 5 else None, f"r{i}",
             dt.datetime(1999, 12, 31, 23, 0) + dt.timedelta(minutes=i), 2**40 + i) for i in range(100)]
    flat = [v for r in rows for v in r]
    layout = prepared.strided_layout(6, len(flat))
    assert prepared.bind_columns(types * len(rows), flat, layout) is not None
    naive = [v.replace(tzinfo=None) if isinstance(v, dt.datetime) else v for v in flat]
    assert prepared.bind_columns(types * len(rows), naive, layout) is None
    flags = [True if i % 6 == 1 else v for i, v in enumerate(flat)]
    assert prepared.bind_columns(types * len(rows), flags, layout) is None

    s = helios_core.connect()
    try:
        for name in ("bulk", "single"):
            s.execute(f"create table {name} (t timestamptz, i int, f float8, x text, n timestamp, b bigint)")
        oids = [1184, 23, 701, 25, 1114, 20]
        values = ", ".join("(" + ", ".join(f"${6 * k + j + 1}" for j in range(6)) + ")" for k in range(len(rows)))
        s.execute_prepared(s.prepare(f"insert into bulk values {values}", oids * len(rows)), flat)
        one = s.prepare("insert into single values ($1, $2, $3, $4, $5, $6)", oids)
        for r in rows:
            s.execute_prepared(one, list(r))
        query = "select t, i, f, x, n, b from {} order by x"
        assert s.execute(query.format("bulk"))[0].rows() == s.execute(query.format("single"))[0].rows()
    finally:
        s.close()
