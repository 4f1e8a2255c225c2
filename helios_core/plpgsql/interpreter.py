"""Running a PL/pgSQL block: variables in nested scopes, control flow, SQL through the engine.

Every expression is evaluated as ``SELECT expr`` and every statement run by the SQL engine
in the caller's transaction (helios_core.sql.embedded_sql) with the variables bound as
parameters. A block with EXCEPTION handlers runs under a savepoint, rolled back when a
handler takes the error, as in PostgreSQL.
"""

from __future__ import annotations

import decimal
import functools
from typing import Any

import attrs
import pyarrow as pa
from sqlglot import exp

from helios_core.errors import FeatureNotSupported, HeliosError
from helios_core.frontends.postgres import dialect
from helios_core.plpgsql import conditions, cursors
from helios_core.plpgsql import nodes as N
from helios_core.plpgsql.sql_binding import bind
from helios_core.sql import embedded_sql
from helios_core.sql import functions as F
from helios_core.sql import types as T
from helios_core.sql.context import table_sql_columns
from helios_core.sql.functions import numeric_wide as NW
from helios_core.sql.routines import notices
from helios_core.sql.routines import statements as routine_statements
from helios_core.sql.routines.definition import resolve_type
from helios_core.sql.routines.invoke import convert_values

RECORD = T.TEXT  # the placeholder type of a record variable itself (its fields carry their own types)


@attrs.define
class Var:
    value: Any
    type: T.SqlType | None  # None: a record
    constant: bool = False
    not_null: bool = False
    fields: dict[str, tuple[Any, T.SqlType]] | None = None  # a record's fields; None while unassigned
    null_row: bool = False  # a record that is NULL (OLD in an INSERT trigger): its fields read as NULL
    cursor: Any = None  # a bound cursor variable's declaration (helios_core.plpgsql.cursors)


class _Return(Exception):
    def __init__(self, value: Any, is_record: bool = False) -> None:
        self.value = value
        self.is_record = is_record


class _Exit(Exception):
    def __init__(self, label: str | None, continue_: bool) -> None:
        self.label = label
        self.continue_ = continue_


class Frame:
    """The variables in scope: innermost block last."""

    def __init__(self) -> None:
        self.scopes: list[dict[str, Var]] = [{}]
        self.args: list[str] = []  # variable names of $1, $2 ...
        self.labels: dict[str, int] = {}  # block label -> its scope (label.variable)

    def declare(self, name: str, var: Var) -> None:
        self.scopes[-1][name.lower()] = var

    def get(self, name: str) -> Var | None:
        key = name.lower()
        for scope in reversed(self.scopes):
            if key in scope:
                return scope[key]
        return None

    def labelled(self, label: str, name: str) -> Var | None:
        """``label.name``: the variable of that block (None when there is no such label)."""
        k = self.labels.get(label.lower())
        if k is None or k >= len(self.scopes):
            return None
        return self.scopes[k].get(name.lower())

    def lookup(self, name: str) -> tuple[Any, T.SqlType] | None:
        v = self.get(name)
        if v is None or v.type is None:
            return None
        return v.value, v.type

    def record(self, name: str) -> dict[str, tuple[Any, T.SqlType]] | None:
        v = self.get(name)
        return v.fields if v is not None and v.type is None else None

    def field(self, rec: str, name: str) -> tuple[Any, T.SqlType] | None:
        v = self.get(rec)
        if v is None or v.type is not None:
            return None
        if v.null_row and v.fields is not None and name in v.fields:
            return None, v.fields[name][1]
        if v.fields is None:
            raise HeliosError(f'record "{rec}" is not assigned yet', sqlstate="55000",
                              detail="The tuple structure of a not-yet-assigned record is indeterminate.")
        if name not in v.fields:
            raise HeliosError(f'record "{rec}" has no field "{name}"', sqlstate="42703")
        return v.fields[name]

    def positional(self, n: int) -> tuple[Any, T.SqlType] | None:
        if 0 < n <= len(self.args):
            return self.lookup(self.args[n - 1])
        return None


@functools.lru_cache(maxsize=1024)
def _expression_tree(text: str) -> exp.Expression:
    stmts = dialect.parse(f"SELECT {text}")
    if len(stmts) != 1:
        raise HeliosError(f'syntax error at or near "{text}"', sqlstate="42601")
    return stmts[0].ast


@functools.lru_cache(maxsize=1024)
def _statement_tree(text: str) -> Any:
    stmts = dialect.parse(text)
    if len(stmts) != 1:
        raise HeliosError("a PL/pgSQL statement must be one SQL statement", sqlstate="42601")
    return stmts[0].ast


def text_of(value: Any, t: T.SqlType) -> str:
    """A value as PostgreSQL prints it (RAISE's %)."""
    if value is None:
        return "<NULL>"
    if t is None:
        return str(value)
    if isinstance(value, decimal.Decimal) and t.name == "numeric" and t.element is None:
        return NW.text_of(value)  # at the value's own scale (1.50), as PostgreSQL's numeric_out
    try:
        arr = pa.array([value], type=t.arrow_type)
        return str(F.to_text(arr, t).to_pylist()[0])
    except Exception:  # noqa: BLE001 - fall back to Python's rendering
        return str(value)


class Interpreter:
    def __init__(self, session: Any, frame: Frame, routine: Any = None) -> None:
        self.session = session
        self.frame = frame
        self.routine = routine
        self.rows: list[tuple] = []  # RETURN NEXT / RETURN QUERY
        self.row_count = 0
        self.errors: list[HeliosError] = []  # errors being handled (innermost last): bare RAISE, GET STACKED
        self.protected = 0  # blocks with EXCEPTION handlers (savepoints) the running statement is inside

    # -- values ---------------------------------------------------------------------------
    def eval(self, text: str) -> tuple[Any, T.SqlType]:
        record = self.frame.get(text.strip()) if _is_name(text) else None
        if record is not None and record.type is None:
            return record.fields, None  # type: ignore[return-value]
        tree, values, types = bind(self.session, _expression_tree(text).copy(), self.frame)
        out = embedded_sql.run(self.session, tree, values, types)
        if len(out.columns) != 1:
            raise HeliosError(f'query "SELECT {text}" returned {len(out.columns)} columns', sqlstate="42601")
        return (out.rows[0][0] if out.rows else None), out.columns[0][1]

    def truth(self, text: str) -> bool:
        value, t = self.eval(text)
        if t is not None and t.name not in ("bool", "unknown"):
            value = convert_values([value], t, T.BOOL)[0]
        return bool(value)

    def assign(self, target: str, value: Any, have: T.SqlType | None) -> None:
        if "." in target:
            rec, field = target.split(".", 1)
            var = self.frame.get(rec)
            if var is not None and var.type is None:
                current = self.frame.field(rec, field)
                assert current is not None and var.fields is not None
                want = current[1]
                var.fields[field] = (self._convert(value, have, want), want)
                return
            target = field if var is None else target
        var = self.frame.get(target)
        if var is None:
            raise HeliosError(f'"{target}" is not a known variable', sqlstate="42601")
        if var.constant:
            raise HeliosError(f'variable "{target}" is declared CONSTANT', sqlstate="22005")
        if var.type is None:
            if value is not None and not isinstance(value, dict):
                raise HeliosError(f'cannot assign a non-composite value to a record variable "{target}"',
                                  sqlstate="42804")
            var.fields = dict(value) if value is not None else None
            return
        value = self._convert(value, have, var.type)
        if value is None and var.not_null:
            raise HeliosError(f'null value cannot be assigned to variable "{target}" declared NOT NULL',
                              sqlstate="22004")
        var.value = value

    def assign_element(self, target: str, subscripts: list[tuple[Any, T.SqlType]], value: Any,
                       have: T.SqlType | None) -> None:
        """``x[i] := v`` (``x[i][j]`` for nested arrays): the element set, the array grown with
        NULLs up to it; a NULL array becomes one. Subscripts below 1 would need other lower
        bounds, which HeliosDB's arrays do not keep (0A000)."""
        var = self.frame.get(target)
        array_type = T.without_domain(var.type) if var is not None and var.type is not None else None
        if array_type is None or array_type.element is None:
            raise HeliosError(f'cannot subscript type {var.type if var is not None and var.type else "record"} '
                              "because it does not support subscripting", sqlstate="42804")
        positions = []
        for index, index_type in subscripts:
            if index is None:
                raise HeliosError("array subscript in assignment must not be null", sqlstate="22004")
            position = int(convert_values([index], index_type, T.INT4)[0]) if index_type is not None else int(index)
            if position < 1:
                raise FeatureNotSupported("assigning to an array element below subscript 1 is not supported "
                                          "(HeliosDB arrays start at 1)")
            positions.append(position)
        element = self._convert(value, have, array_type.element)
        whole = _with_element(var.value, positions, element)
        self.assign(target, whole, array_type)

    @staticmethod
    def _convert(value: Any, have: T.SqlType | None, want: T.SqlType) -> Any:
        if value is None or have is None or have == want:
            return value
        if isinstance(value, dict):
            raise HeliosError("cannot assign a record to a scalar variable", sqlstate="42804")
        return convert_values([value], have, want)[0]

    # -- SQL ------------------------------------------------------------------------------
    def run_sql(self, text: str, extra_values: list | None = None) -> embedded_sql.Outcome:
        tree = _statement_tree(text)
        if isinstance(tree, dialect.Utility) and tree.kind == "call":
            return self.run_call(tree.args)
        if isinstance(tree, dialect.Utility):  # a utility statement takes no variables (as in PL/pgSQL)
            return embedded_sql.run(self.session, tree, [], [])
        tree, values, types = bind(self.session, tree.copy(), self.frame)
        return embedded_sql.run(self.session, tree, values, types)

    def run_call(self, args: dict) -> embedded_sql.Outcome:
        """CALL inside a routine: the arguments are expressions over its variables, and a variable
        given for an OUT/INOUT parameter takes the procedure's value for it, as in PL/pgSQL."""
        positional, named = routine_statements.call_arguments(args["args"])
        evaluated = [self.eval(t) for t in positional + [t for _, t in named]]
        routine, row = routine_statements.run_procedure(
            self.session, args["name"], [v for v, _ in evaluated], [t or T.TEXT for _, t in evaluated],
            len(positional), [n for n, _ in named])
        if row is not None:
            given = dict(named)
            outs = iter(zip(row, routine.out_columns, strict=True))
            for k, param in enumerate(routine.in_args):
                if param["mode"] not in ("o", "b"):
                    continue
                value, (_, t) = next(outs)
                text = positional[k] if k < len(positional) else given.get(param.get("name") or "")
                if text is None:
                    continue
                if not _is_name(text) or self.frame.get(text.strip()) is None:
                    raise HeliosError(f"procedure parameter \"{param.get('name') or k + 1}\" is an output parameter "
                                      "but corresponding argument is not writable", sqlstate="42601")
                self.assign(text.strip(), value, t)
        return embedded_sql.Outcome(columns=[], rows=[], row_count=0, command="CALL")

    def run_dynamic(self, command: str, using: list[str]) -> embedded_sql.Outcome:
        text, _ = self.eval(command)
        if text is None:
            raise HeliosError("query string argument of EXECUTE is null", sqlstate="22004")
        values, types = [], []
        for u in using:
            v, t = self.eval(u)
            values.append(v)
            types.append(t)
        stmts = dialect.parse(str(text))
        if len(stmts) != 1:
            raise FeatureNotSupported("EXECUTE of more than one statement is not supported")
        return embedded_sql.run(self.session, stmts[0].ast, values, types)

    def fill(self, targets: list[str], outcome: embedded_sql.Outcome, strict: bool) -> None:
        """SELECT/RETURNING ... INTO targets: the first row (STRICT: exactly one)."""
        if strict and len(outcome.rows) != 1:
            if not outcome.rows:
                raise HeliosError("query returned no rows", sqlstate="P0002")
            raise HeliosError("query returned more than one row", sqlstate="P0003",
                              hint="Make sure the query returns a single row, or use LIMIT 1.")
        row = outcome.rows[0] if outcome.rows else None
        self.set_found(bool(outcome.rows))
        self.store_row(targets, row, outcome.columns)

    def store_row(self, targets: list[str], row: tuple | None, columns: list[tuple[str, T.SqlType]]) -> None:
        if len(targets) == 1:
            var = self.frame.get(targets[0])
            if var is not None and var.type is None:
                var.fields = None if row is None and var.fields is None else {
                    n: (row[k] if row is not None else None, t) for k, (n, t) in enumerate(columns)}
                return
        for k, target in enumerate(targets):
            value = row[k] if row is not None and k < len(row) else None
            self.assign(target, value, columns[k][1] if k < len(columns) else None)

    def set_found(self, found: bool) -> None:
        var = self.frame.get("found")
        if var is not None:
            var.value = found

    # -- statements -----------------------------------------------------------------------
    def block(self, block: N.Block) -> None:
        self.frame.scopes.append({})
        if block.label:
            self.frame.labels[block.label.lower()] = len(self.frame.scopes) - 1
        try:
            for d in block.declarations:
                self.declare(d)
            if not block.handlers:
                self.statements(block.body, block.label)
                return
            txn = self.session.tx.current()
            token = txn.savepoint()
            try:
                self.protected += 1
                try:
                    self.statements(block.body, block.label)
                finally:
                    self.protected -= 1
            except HeliosError as e:
                handler = next((h for h in block.handlers if any(conditions.matches(c, e.sqlstate)
                                                                  for c in h.conditions)), None)
                if handler is None:
                    raise
                txn.rollback_to(token)
                self.frame.scopes.append({"sqlstate": Var(e.sqlstate, T.TEXT), "sqlerrm": Var(e.message, T.TEXT)})
                self.errors.append(e)
                try:
                    self.statements(handler.body, None)
                finally:
                    self.errors.pop()
                    self.frame.scopes.pop()
            else:
                if hasattr(txn, "release_savepoint"):
                    txn.release_savepoint(token)
        except _Exit as ex:
            if ex.label is None or ex.label != block.label or ex.continue_:
                raise
        finally:
            self.frame.scopes.pop()

    def declare(self, d: N.Declaration) -> None:
        if d.alias_of is not None:
            source = d.alias_of
            if source.startswith("$") and source[1:].isdigit():
                source = self.frame.args[int(source[1:]) - 1]
            var = self.frame.get(source)
            if var is None:
                raise HeliosError(f'variable "{d.alias_of}" does not exist', sqlstate="42704")
            self.frame.declare(d.name, var)
            return
        t, fields = self.resolve_declared_type(d.type_text)
        var = Var(None, t, d.constant, d.not_null, fields)
        self.frame.declare(d.name, var)
        if d.cursor_query is not None:
            cursors.declare(self, d, var)
            return
        if d.default is not None:
            value, have = self.eval(d.default)
            var.constant = False
            self.assign(d.name, value, have)
            var.constant = d.constant
        elif d.not_null:
            raise HeliosError(f'variable "{d.name}" must have a default value, since it\'s declared NOT NULL',
                              sqlstate="22004")

    def resolve_declared_type(self, text: str) -> tuple[T.SqlType | None, dict | None]:
        low = text.strip().lower()
        if low == "record":
            return None, None
        if low.endswith("%rowtype") or (low.endswith("%type") and low.count(".") == 0 and self.frame.get(
                low[:-5]) is None and self._table(low[:-5]) is not None):
            tdef = self._table(low.rsplit("%", 1)[0])
            if tdef is None:
                raise HeliosError(f'relation "{low.rsplit("%", 1)[0]}" does not exist', sqlstate="42P01")
            return None, {n: (None, t) for n, t in table_sql_columns(tdef)}
        if low.endswith("%type"):
            ref = low[:-5]
            var = self.frame.get(ref)
            if var is not None:
                return var.type, (dict(var.fields) if var.fields else None)
            if "." in ref:
                table, column = ref.rsplit(".", 1)
                tdef = self._table(table)
                if tdef is not None:
                    types = dict(table_sql_columns(tdef))
                    if column in types:
                        return types[column], None
            raise HeliosError(f"invalid type name \"{text}\"", sqlstate="42704")
        return resolve_type(text.strip()), None

    def _table(self, dotted: str) -> Any:
        from helios_core.sql import ddl

        parts = dotted.split(".")
        node = exp.Table(this=exp.to_identifier(parts[-1]), db=exp.to_identifier(parts[0]) if len(parts) > 1
                         else None)
        txn = self.session.tx.current()
        schema, name = ddl.table_name(self.session, node, txn)
        return txn.get_table(schema, name)

    def statements(self, stmts: list[Any], label: str | None) -> None:
        for st in stmts:
            self.session.check_cancel()
            self.statement(st)

    def statement(self, st: Any) -> None:
        if isinstance(st, N.Assign):
            value, t = self.eval(st.expr)
            if st.subscripts:
                self.assign_element(st.target, [self.eval(x) for x in st.subscripts], value, t)
            else:
                self.assign(st.target, value, t)
        elif isinstance(st, N.Sql):
            out = self.run_sql(st.text)
            self.row_count = out.row_count
            if st.into:
                self.fill(st.into, out, st.strict)
            else:
                self.set_found(out.row_count > 0)
        elif isinstance(st, N.Perform):
            out = self.run_sql(st.query)
            self.row_count = out.row_count
            self.set_found(out.row_count > 0)
        elif isinstance(st, N.If):
            for cond, body in st.branches:
                if self.truth(cond):
                    self.statements(body, None)
                    return
            if st.otherwise is not None:
                self.statements(st.otherwise, None)
        elif isinstance(st, N.Case):
            self.case(st)
        elif isinstance(st, N.Block):
            self.block(st)
        elif isinstance(st, N.Loop):
            self.loop(st.label, lambda: True, st.body)
        elif isinstance(st, N.While):
            self.loop(st.label, lambda: self.truth(st.condition), st.body)
        elif isinstance(st, N.ForRange):
            self.for_range(st)
        elif isinstance(st, N.ForQuery):
            out = self.run_dynamic(st.query, st.using) if st.dynamic else self.run_sql(st.query)
            self.for_rows(st.targets, out, st.body, st.label)
        elif isinstance(st, N.ForEach):
            value, t = self.eval(st.array)
            items = list(value or [])
            element = t.element if t is not None and t.element is not None else T.TEXT
            self.frame.scopes.append({})
            try:
                for item in items:
                    self.assign(st.var, item, element)
                    if not self.iteration(st.body, st.label):
                        break
            finally:
                self.frame.scopes.pop()
        elif isinstance(st, N.Exit):
            if st.condition is None or self.truth(st.condition):
                raise _Exit(st.label, st.continue_)
        elif isinstance(st, N.Return):
            self.do_return(st)
        elif isinstance(st, N.ReturnNext):
            self.return_next(st)
        elif isinstance(st, N.ReturnQuery):
            out = self.run_dynamic(st.query, st.using) if st.dynamic else self.run_sql(st.query)
            self.rows.extend(out.rows)
            self.row_count = out.row_count
            self.set_found(out.row_count > 0)
        elif isinstance(st, N.Raise):
            self.do_raise(st)
        elif isinstance(st, N.Assert):
            if not self.truth(st.condition):
                msg = self.eval(st.message)[0] if st.message else "assertion failed"
                raise HeliosError(str(msg), sqlstate="P0004")
        elif isinstance(st, N.Execute):
            out = self.run_dynamic(st.command, st.using)
            self.row_count = out.row_count
            if st.into:
                self.fill(st.into, out, st.strict)
        elif isinstance(st, N.GetDiagnostics):
            self.diagnostics(st)
        elif isinstance(st, N.Open):
            cursors.open_cursor(self, st)
        elif isinstance(st, N.Fetch):
            cursors.fetch(self, st)
        elif isinstance(st, N.Close):
            cursors.close(self, st)
        elif isinstance(st, N.ForCursor):
            cursors.for_cursor(self, st)
        elif isinstance(st, N.Null):
            pass
        elif isinstance(st, N.TransactionControl):
            self.end_transaction(st)
        else:  # pragma: no cover - the parser builds nothing else
            raise FeatureNotSupported(f"PL/pgSQL statement {type(st).__name__} is not supported")

    def end_transaction(self, st: N.TransactionControl) -> None:
        """COMMIT / ROLLBACK inside a procedure a top-level CALL runs, or a DO block, outside a
        transaction block: the transaction ends and the rest runs in a new one, as in PostgreSQL.
        Anywhere else (a function, a CALL inside BEGIN ... COMMIT) it is 2D000."""
        if not getattr(self.session, "transaction_control", False):
            raise HeliosError("invalid transaction termination", sqlstate="2D000")
        if self.protected:
            verb = "commit" if st.commit else "roll back"
            raise HeliosError(f"cannot {verb} while a subtransaction is active", sqlstate="2D000")
        if st.commit:
            self.session.tx.commit()
        else:
            self.session.tx.rollback()

    def case(self, st: N.Case) -> None:
        for cond, body in st.branches:
            if st.subject is not None:
                hit = self.truth(f"({st.subject}) IN ({cond})")
            else:
                hit = self.truth(cond)
            if hit:
                self.statements(body, None)
                return
        if st.otherwise is None:
            raise HeliosError("case not found", sqlstate="20000",
                              hint="CASE statement is missing ELSE part.")
        self.statements(st.otherwise, None)

    def iteration(self, body: list[Any], label: str | None) -> bool:
        """One pass of a loop body; False when EXIT leaves the loop."""
        try:
            self.statements(body, None)
        except _Exit as ex:
            if ex.label is not None and ex.label != label:
                raise
            return ex.continue_
        return True

    def loop(self, label: str | None, condition: Any, body: list[Any]) -> None:
        while condition():
            if not self.iteration(body, label):
                break

    def for_range(self, st: N.ForRange) -> None:
        low, lt = self.eval(st.low)
        high, ht = self.eval(st.high)
        step = self.eval(st.step)[0] if st.step else 1
        low = int(convert_values([low], lt, T.INT4)[0]) if low is not None else None
        high = int(convert_values([high], ht, T.INT4)[0]) if high is not None else None
        if low is None or high is None:
            raise HeliosError("lower bound of FOR loop cannot be null" if low is None else
                              "upper bound of FOR loop cannot be null", sqlstate="22004")
        step = int(step)
        if step <= 0:
            raise HeliosError("BY value of FOR loop must be greater than zero", sqlstate="22023")
        self.frame.scopes.append({st.var.lower(): Var(None, T.INT4)})
        found = False
        try:
            i = low
            while (i >= high) if st.reverse else (i <= high):
                found = True
                self.frame.get(st.var).value = i  # type: ignore[union-attr]
                if not self.iteration(st.body, st.label):
                    break
                i = i - step if st.reverse else i + step
        finally:
            self.frame.scopes.pop()
        self.set_found(found)

    def for_rows(self, targets: list[str], out: embedded_sql.Outcome, body: list[Any], label: str | None) -> None:
        scope: dict[str, Var] = {}
        if len(targets) == 1 and self.frame.get(targets[0]) is None:
            scope[targets[0].lower()] = Var(None, None)  # an undeclared loop variable: a record
        self.frame.scopes.append(scope)
        try:
            for row in out.rows:
                self.store_row(targets, row, out.columns)
                if not self.iteration(body, label):
                    break
        finally:
            self.frame.scopes.pop()
        self.set_found(bool(out.rows))

    def do_return(self, st: N.Return) -> None:
        if st.expr is None:
            raise _Return(None)
        if _is_name(st.expr):
            var = self.frame.get(st.expr.strip())
            if var is not None and var.type is None:
                raise _Return(None if var.null_row else var.fields, is_record=not var.null_row)
        value, t = self.eval(st.expr)
        raise _Return((value, t))

    def return_next(self, st: N.ReturnNext) -> None:
        routine = self.routine
        if routine is None or not routine.returns_set:
            raise HeliosError("cannot use RETURN NEXT in a non-SETOF function", sqlstate="42804")
        if st.expr is None:
            self.rows.append(tuple(self.frame.lookup(n)[0] if self.frame.lookup(n) else None
                                   for n, _ in routine.out_columns))
            return
        if _is_name(st.expr):
            var = self.frame.get(st.expr.strip())
            if var is not None and var.type is None:
                fields = var.fields or {}
                self.rows.append(tuple(fields.get(n, (None, None))[0] for n, _ in routine.out_columns))
                return
        value, t = self.eval(st.expr)
        ret = routine.return_type or T.TEXT
        self.rows.append((convert_values([value], t, ret)[0] if value is not None else None,))

    def do_raise(self, st: N.Raise) -> None:
        if st.level == "" and st.message is None and st.condition is None:
            if not self.errors:
                raise HeliosError("RAISE without parameters cannot be used outside an exception handler",
                                  sqlstate="0Z002")
            raise self.errors[-1]
        sqlstate = "P0001"
        message = st.message
        if st.condition is not None:
            code = conditions.sqlstate_of(st.condition)
            if code is None:
                raise HeliosError(f'unrecognized exception condition "{st.condition}"', sqlstate="42704")
            sqlstate = code
            if message is None:
                message = st.condition.split(":", 1)[1] if st.condition.startswith("sqlstate:") else st.condition
        if message is not None and st.message is not None:
            message = self.format(message, st.args)
        extra: dict[str, str] = {}
        for opt, expr_text in st.options:
            value, t = self.eval(expr_text)
            text = text_of(value, t) if value is not None else None
            if opt == "MESSAGE":
                message = text
            elif opt == "ERRCODE":
                code = conditions.sqlstate_of(str(text)) or str(text).upper()
                if len(code) != 5:
                    raise HeliosError(f'unrecognized exception condition "{text}"', sqlstate="42704")
                sqlstate = code
            elif opt in ("DETAIL", "HINT", "COLUMN", "CONSTRAINT", "DATATYPE", "TABLE", "SCHEMA"):
                extra[opt.lower()] = text or ""
            else:
                raise HeliosError(f'unrecognized RAISE statement option "{opt}"', sqlstate="42601")
        # PostgreSQL's CONTEXT line and source routine of a RAISE (clients show both; asyncpg's
        # log messages carry them)
        err = HeliosError(message or "", sqlstate=sqlstate, detail=extra.get("detail"), hint=extra.get("hint"),
                          context=f"PL/pgSQL function {self.signature()} line {st.line} at RAISE",
                          routine="exec_stmt_raise")
        for key, attr in (("column", "column_name"), ("constraint", "constraint_name"), ("table", "table_name"),
                          ("schema", "schema_name"), ("datatype", "datatype_name")):
            if key in extra:
                setattr(err, attr, extra[key])
        if st.level == "EXCEPTION":
            raise err
        if st.condition is None and not any(o == "ERRCODE" for o, _ in st.options):
            err.sqlstate = "00000" if st.level not in ("WARNING",) else "01000"
        err.severity = st.level
        notices.emit(self.session, err)

    def signature(self) -> str:
        """The routine as PostgreSQL's error context names it: ``f(integer,text)``; a DO block's
        is ``inline_code_block``."""
        if self.routine is None:
            return "inline_code_block"
        types = [a["type"] for a in self.routine.record["args"] if a["mode"] in ("i", "b", "v")]
        return f"{self.routine.name}({','.join(types)})"

    def format(self, fmt: str, args: list[str]) -> str:
        out = []
        values = [self.eval(a) for a in args]
        k = 0
        i = 0
        while i < len(fmt):
            ch = fmt[i]
            if ch == "%":
                if fmt[i + 1:i + 2] == "%":
                    out.append("%")
                    i += 2
                    continue
                if k >= len(values):
                    raise HeliosError("too few parameters specified for RAISE", sqlstate="42601")
                v, t = values[k]
                out.append(text_of(v, t) if not isinstance(v, dict) else _record_text(v))
                k += 1
            else:
                out.append(ch)
            i += 1
        if k < len(values):
            raise HeliosError("too many parameters specified for RAISE", sqlstate="42601")
        return "".join(out)

    def diagnostics(self, st: N.GetDiagnostics) -> None:
        for var, item in st.items:
            if not st.stacked:
                if item != "ROW_COUNT":
                    raise FeatureNotSupported(f"GET DIAGNOSTICS {item} is not supported")
                self.assign(var, self.row_count, T.INT8)
                continue
            if not self.errors:
                raise HeliosError("GET STACKED DIAGNOSTICS cannot be used outside an exception handler",
                                  sqlstate="0Z002")
            e = self.errors[-1]
            value = {"MESSAGE_TEXT": e.message, "RETURNED_SQLSTATE": e.sqlstate,
                     "PG_EXCEPTION_DETAIL": getattr(e, "detail", None) or "",
                     "PG_EXCEPTION_HINT": getattr(e, "hint", None) or "", "PG_EXCEPTION_CONTEXT": "",
                     "COLUMN_NAME": getattr(e, "column_name", None) or "",
                     "CONSTRAINT_NAME": getattr(e, "constraint_name", None) or "",
                     "TABLE_NAME": getattr(e, "table_name", None) or "",
                     "SCHEMA_NAME": getattr(e, "schema_name", None) or "",
                     "PG_DATATYPE_NAME": getattr(e, "datatype_name", None) or ""}.get(item)
            if value is None:
                raise HeliosError(f'unrecognized GET STACKED DIAGNOSTICS item "{item}"', sqlstate="42601")
            self.assign(var, value, T.TEXT)


def _record_text(fields: dict) -> str:
    parts = []
    for value, t in fields.values():
        parts.append("" if value is None else text_of(value, t))
    return "(" + ",".join(parts) + ")"


def _is_name(text: str) -> bool:
    t = text.strip()
    return bool(t) and (t.replace("_", "a").isalnum()) and not t[0].isdigit()


def _with_element(array: list | None, positions: list[int], element: Any) -> list:
    """A copy of ``array`` with the element at the 1-based ``positions`` (one per dimension) set,
    lists grown with NULLs (None) to reach it."""
    out = list(array) if array is not None else []
    head = positions[0] - 1
    out.extend([None] * (head + 1 - len(out)))
    out[head] = element if len(positions) == 1 else _with_element(out[head], positions[1:], element)
    return out
