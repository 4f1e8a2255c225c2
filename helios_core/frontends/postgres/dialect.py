"""The "helios" SQL dialect: PostgreSQL as sqlglot parses it, plus HeliosDB's own statements.

``parse(sql)`` splits a query string into statements and returns one
:class:`Statement` per statement: either a sqlglot expression tree or, for the
session-level commands sqlglot does not model (SAVEPOINT, SHOW, roles,
PREPARE/EXECUTE ...), a :class:`Utility` record parsed here. HeliosDB's branch
statements are sqlglot expressions of their own (helios_core.frontends.postgres.branch_syntax),
parsed by the dialect's parser like every other statement. Every
syntax error becomes ``HeliosError`` 42601 with PostgreSQL's 1-based character
position into the whole query string, and nothing of the string runs (as in
PostgreSQL, the whole string is parsed before the first statement executes).

Time travel: ``FROM t AS OF TIMESTAMP '2024-11-30 23:59:59' [AS] a`` parses to an
``exp.Table`` whose ``version`` arg is ``exp.Version(this="TIMESTAMP", kind="AS OF",
expression=<expr>)`` (the alias comes after the time-travel clause).
"""

from __future__ import annotations

import copy
import logging
import re
import threading
from collections import OrderedDict
from typing import Any, ClassVar

import attrs
from sqlglot import exp
from sqlglot.dialects.postgres import Postgres
from sqlglot.errors import ParseError, TokenError
from sqlglot.helper import seq_get
from sqlglot.tokens import Token, TokenType

from helios_core import plugin_extensions
from helios_core.errors import FeatureNotSupported, HeliosError, SyntaxError_
from helios_core.frontends.postgres import (
    branch_syntax,
    explain_options,
    foreign_data_syntax,
    foreign_table_syntax,
    view_options,
)
from helios_core.frontends.postgres.identifier_case import fold_identifiers
from helios_core.frontends.postgres.placeholders import tokenize_with_parameters
from helios_core.frontends.postgres.time_travel_targets import (
    refuse_time_travel_in_commands,
    refuse_time_travel_writes,
)

logging.getLogger("sqlglot").setLevel(logging.ERROR)


# operators of the geometric types that sqlglot has no token for
_GEOMETRIC_LITERAL_TYPES = frozenset({"lseg", "line", "box", "path", "polygon", "circle"})
# other built-in type names sqlglot does not read before a string (cidr '10/8', varbit '101')
_NAMED_LITERAL_TYPES = _GEOMETRIC_LITERAL_TYPES | {"cidr", "macaddr", "macaddr8", "varbit"}
GEOMETRIC_OPERATORS = ("?#", "?-|", "?||", "@-@", "##", "<<|", "|>>", "&<|", "|&>", "~=", "<^", ">^", "?-")
# inet/cidr's "is contained by or equals" and "contains or equals"
NETWORK_OPERATORS = ("<<=", ">>=")


class PrefixOperator(exp.Expression):
    """A prefix operator sqlglot has no node for (``!! query``): resolved by its operand's type."""

    arg_types: ClassVar[dict] = {"this": True, "operator": True}


def _prefix_operator_sql(gen: Any, e: exp.Expression) -> str:
    return f"{e.args['operator']}{gen.sql(e, 'this')}"


# plans print their terms in sqlglot's own postgres dialect (EXPLAIN, pushed filters): it must
# know this node too
Postgres.Generator.TRANSFORMS[PrefixOperator] = _prefix_operator_sql

_CURRENT_TIMESTAMP_SQL = Postgres.Generator.TRANSFORMS[exp.CurrentTimestamp]


def _spelled(node: exp.Expression, spelling: str) -> exp.Expression:
    """A node marked with how the statement spelled it (kept by copies, read by the generator)."""
    node.meta["spelled"] = spelling
    return node


def _bit_varying_as_varbit(tokens: list[Token]) -> list[Token]:
    """BIT VARYING is the type varbit (sqlglot reads BIT alone and stops at VARYING)."""
    out: list[Token] = []
    for tok in tokens:
        prev = out[-1] if out else None
        if prev is not None and prev.token_type == TokenType.BIT and tok.token_type == TokenType.VAR \
                and tok.text.upper() == "VARYING":
            out[-1] = Token(TokenType.VAR, "varbit", line=tok.line, col=tok.col, start=prev.start, end=tok.end,
                            comments=prev.comments)
            continue
        out.append(tok)
    return out


def _at_sign_numbers(tokens: list[Token]) -> list[Token]:
    """"@ 2.5": after the @ (a parameter marker to sqlglot) the number comes as 2 . 5; one number."""
    out: list[Token] = []
    i = 0
    while i < len(tokens):
        tok = tokens[i]
        if tok.token_type == TokenType.NUMBER and out and out[-1].token_type == TokenType.PARAMETER and \
                out[-1].text == "@" and i + 2 < len(tokens):
            dot, frac = tokens[i + 1], tokens[i + 2]
            if dot.token_type == TokenType.DOT and frac.token_type == TokenType.NUMBER and \
                    dot.start == tok.end + 1 and frac.start == dot.end + 1:
                out.append(Token(TokenType.NUMBER, f"{tok.text}.{frac.text}", line=tok.line, col=frac.col,
                                 start=tok.start, end=frac.end, comments=tok.comments))
                i += 3
                continue
        out.append(tok)
        i += 1
    return out


class Helios(Postgres):
    """PostgreSQL plus ``AS OF TIMESTAMP`` on table references."""

    ALIAS_POST_VERSION = True
    # A call keeps the name it was written with (substr, mod, power, ceiling ... become generic
    # nodes): PostgreSQL names an unaliased result column after it, and SQL printed back keeps it.
    ORIGINAL_NAME_META_KEY = "pg_name"
    # Subscripts stay as written (1-based): sqlglot's postgres reader shifts literal subscripts
    # to 0-based only where it guesses the base is an array, which it cannot know for a[2][1].
    # Parsed brackets are marked offset=1 so a postgres-dialect rendering prints them unchanged.
    INDEX_OFFSET = 0

    class Tokenizer(Postgres.Tokenizer):
        # operators of plugin types: @@@ (search by index), !! (prefix, tsquery negation); the
        # geometric types' operators (?#, @-@, |>>, ...) are read like @@: by their spelling
        KEYWORDS: ClassVar[dict] = {**Postgres.Tokenizer.KEYWORDS, "@@@": TokenType.DAT,
                                    "!!": TokenType.EXCLAMATION,
                                    **dict.fromkeys(GEOMETRIC_OPERATORS + NETWORK_OPERATORS, TokenType.DAT)}

        def tokenize(self, sql: str) -> list[Token]:
            # "$1,$2" is two parameters, not the start of a dollar-quoted string
            return _at_sign_numbers(_bit_varying_as_varbit(tokenize_with_parameters(sql, super().tokenize)))

    class Generator(Postgres.Generator):
        TRANSFORMS: ClassVar[dict] = {
            **Postgres.Generator.TRANSFORMS,
            PrefixOperator: _prefix_operator_sql,
            # now() keeps its spelling (sqlglot reads it as CURRENT_TIMESTAMP): column defaults and
            # views show what PostgreSQL shows
            exp.CurrentTimestamp: lambda self, e: "now()" if e.meta.get("spelled") == "now" else
            _CURRENT_TIMESTAMP_SQL(self, e),
        }

        def recursivewithsearch_sql(self, expression: exp.RecursiveWithSearch) -> str:
            """SEARCH/CYCLE over several columns: a bare list, as PostgreSQL writes it (not a row)."""
            cols = expression.this
            if isinstance(cols, exp.Tuple):
                expression = expression.copy()
                expression.set("this", exp.var(", ".join(self.sql(c) for c in cols.expressions)))
            return super().recursivewithsearch_sql(expression)

        def bracket_offset_expressions(self, expression, index_offset=None):  # type: ignore[override]
            return expression.expressions

    class Parser(Postgres.Parser):
        # sqlglot normalises a few PostgreSQL calls into generic nodes that lose what
        # PostgreSQL means: date_part() returns double precision (unlike EXTRACT's
        # numeric), and upper(to_hex(x)) would fold into one lowercase Hex node.
        FUNCTIONS: ClassVar[dict] = {
            **Postgres.Parser.FUNCTIONS,
            "TO_HEX": lambda args: exp.Anonymous(this="to_hex", expressions=args),
            "NOW": lambda args: _spelled(exp.CurrentTimestamp(), "now"),
            "UPPER": lambda args: exp.Upper(this=seq_get(args, 0)),
            "GEN_RANDOM_UUID": lambda args: exp.Anonymous(this="gen_random_uuid", expressions=args),
            "JSONB_EXISTS": lambda args: exp.Anonymous(this="jsonb_exists", expressions=args),
            "JSONB_CONTAINS": lambda args: exp.Anonymous(this="jsonb_contains", expressions=args),
            # json_extract_path(doc, VARIADIC text[]): PostgreSQL's function of any depth
            "JSON_EXTRACT_PATH": lambda args: exp.Anonymous(this="json_extract_path", expressions=args),
            "JSON_EXTRACT_PATH_TEXT": lambda args: exp.Anonymous(this="json_extract_path_text", expressions=args),
            # div(a, b) is PostgreSQL's function (labelled div), not an integer division cast to numeric
            "DIV": lambda args: exp.Anonymous(this="div", expressions=args),
            # sqlglot folds these into Variance/Stddev; PostgreSQL labels each by its own name
            "VAR_SAMP": lambda args: exp.Anonymous(this="var_samp", expressions=args),
            "STDDEV_SAMP": lambda args: exp.Anonymous(this="stddev_samp", expressions=args),
            # date_trunc(unit, ts) and date_bin(stride, ts, origin) take expressions: a column
            # named str or origin is that column, not a unit word (sqlglot reads it as one)
            "DATE_TRUNC": lambda args: exp.Anonymous(this="date_trunc", expressions=args),
            "DATE_BIN": lambda args: exp.Anonymous(this="date_bin", expressions=args),
            # the template of to_char/to_date/to_timestamp reaches the function as written (sqlglot's
            # round trip through strftime loses patterns such as a.d., IDDD or TH)
            "TO_CHAR": lambda args: exp.Anonymous(this="to_char", expressions=args),
            "TO_DATE": lambda args: exp.Anonymous(this="to_date", expressions=args),
            "TO_TIMESTAMP": lambda args: exp.Anonymous(this="to_timestamp", expressions=args),
            # regexp_replace(s, p, r [, start [, N]] [, flags]) and regexp_like(s, p [, flags]) as written
            "REGEXP_REPLACE": lambda args: exp.Anonymous(this="regexp_replace", expressions=args),
            "REGEXP_LIKE": lambda args: exp.Anonymous(this="regexp_like", expressions=args),
            # the step as written: sqlglot rewrites an interval step into a one-unit interval and
            # fails on a step of several units ('1 day 1 hour'); the planner reads it as PostgreSQL does
            "GENERATE_SERIES": lambda args: exp.ExplodingGenerateSeries.from_arg_list(args),
        }
        # delete(hstore, key) is the hstore extension's function: DELETE followed by "(" is a call
        FUNC_TOKENS: ClassVar[set] = {*Postgres.Parser.FUNC_TOKENS, TokenType.DELETE}
        # PostgreSQL has no lambdas: f(doc -> 'k') is a call on a json field, never x -> body
        # (=> stays: named arguments)
        LAMBDAS: ClassVar[dict] = {k: v for k, v in Postgres.Parser.LAMBDAS.items() if k != TokenType.ARROW}
        # jsonb_exists(doc, key) is PostgreSQL's function form of ?, not a JSON path test
        FUNCTION_PARSERS: ClassVar[dict] = {
            # json_object(keys, values) is PostgreSQL 15's function, not SQL's JSON_OBJECT(k: v)
            **{k: v for k, v in Postgres.Parser.FUNCTION_PARSERS.items() if k not in ("JSONB_EXISTS", "JSON_OBJECT")},
            "DATE_PART": lambda self: _date_part(self._parse_csv(self._parse_bitwise)),
            "SUBSTRING": lambda self: self._parse_substring_similar(),
        }
        # @@ and @@@ keep their spelling (sqlglot reads @@ as MySQL's MATCH ... AGAINST, the
        # operands swapped): the operator is resolved by its operand types, as PostgreSQL does
        RANGE_PARSERS: ClassVar[dict] = {
            **Postgres.Parser.RANGE_PARSERS,
            TokenType.DAT: lambda self, this: self.expression(
                exp.Operator(this=this, operator=self._prev.text, expression=self._parse_bitwise())),
            # <-> binds like PostgreSQL's other operators, looser than * and +: a <-> b * 2 is a <-> (b * 2)
            TokenType.LR_ARROW: lambda self, this: self.expression(
                exp.Distance(this=this, expression=self._parse_bitwise())),
        }
        FACTOR: ClassVar[dict] = {k: v for k, v in Postgres.Parser.FACTOR.items() if k != TokenType.LR_ARROW}
        UNARY_PARSERS: ClassVar[dict] = {
            **Postgres.Parser.UNARY_PARSERS,
            TokenType.EXCLAMATION: lambda self: self.expression(
                PrefixOperator(this=self._parse_unary(), operator="!!")),
            # prefix operators of the geometric types: @@ center, @-@ length, # number of points,
            # ?| vertical, ?- horizontal
            **dict.fromkeys((TokenType.DAT, TokenType.HASH, TokenType.QMARK_PIPE), lambda self: self.expression(
                PrefixOperator(operator=self._prev.text, this=self._parse_unary()))),
            # prefix @ is absolute value (@ -5, @ x); sqlglot tokenizes it as a parameter marker,
            # which read "@ 5" as the parameter $5. A "$n" parameter takes the usual way.
            TokenType.PARAMETER: lambda self: self._parse_at_sign_or_parameter(),
        }
        PROPERTY_PARSERS: ClassVar[dict] = {
            **Postgres.Parser.PROPERTY_PARSERS,
            # CREATE TABLE ... WITHOUT OIDS: what every table is (old dumps still write it)
            "WITHOUT": lambda self: self._parse_without_oids(),
        }
        TYPE_LITERAL_PARSERS: ClassVar[dict] = None  # set below: _TypedLiteralParsers
        # ALTER TABLE t ADD CHECK (...): an unnamed table constraint, as ADD UNIQUE (...) is
        ADD_CONSTRAINT_KEYWORDS: ClassVar[set] = {*Postgres.Parser.ADD_CONSTRAINT_KEYWORDS, "CHECK"}
        VERSION_PHRASES: ClassVar[dict] = {
            **Postgres.Parser.VERSION_PHRASES,
            ("AS", "OF", "TIMESTAMP"): "TIMESTAMP",
        }

        def _parse_drop(self, exists: bool = False, kind: str | None = None) -> exp.Expression:  # type: ignore[override]
            """DROP SEQUENCE / INDEX / SCHEMA a, b, ...: sqlglot reads a list of names for tables and
            views only."""
            node = super()._parse_drop(exists, kind)
            if not isinstance(node, exp.Drop) or node.args.get("kind") not in ("SEQUENCE", "INDEX", "SCHEMA") \
                    or not self._match(TokenType.COMMA, advance=False):
                return node
            names = list(node.args.get("tables") or [])
            while self._match(TokenType.COMMA):
                names.append(self._parse_table_parts(schema=True, is_db_reference=node.args["kind"] == "SCHEMA"))
            tail = self._match_texts(("CASCADE", "RESTRICT")) and self._prev.text.upper()
            node.set("tables", names)
            node.set("cascade", tail == "CASCADE")
            node.set("restrict", tail == "RESTRICT")
            return node

        def _parse_at_sign_or_parameter(self) -> exp.Expression | None:
            """Prefix @ binds looser than + and - (PostgreSQL's other operators do): @ -2 + 1 is 1."""
            if self._prev.text != "@":
                self._retreat(self._index - 1)
                return self._parse_type()
            return self.expression(exp.Abs(this=self._parse_term()))

        def _parse_ordered(self, parse_method: Any = None) -> exp.Ordered | None:  # type: ignore[override]
            """``ORDER BY x USING <`` (ascending) and ``USING >`` (descending): the ordering operators
            of the btree operator classes; NULLS FIRST/LAST may follow."""
            this = parse_method() if parse_method else self._parse_disjunction()
            if this is None:
                return None
            nxt = self._next
            if self._curr is not None and self._curr.token_type == TokenType.USING and nxt is not None \
                    and nxt.token_type in (TokenType.LT, TokenType.GT):
                self._advance(2)
                desc = nxt.token_type == TokenType.GT
                if self._match_text_seq("NULLS", "FIRST"):
                    nulls_first = True
                elif self._match_text_seq("NULLS", "LAST"):
                    nulls_first = False
                else:
                    nulls_first = desc
                return self.expression(exp.Ordered(this=this, desc=desc, nulls_first=nulls_first))
            return super()._parse_ordered(lambda: this)

        def _parse_join(self, *args: Any, **kwargs: Any) -> exp.Join | None:  # type: ignore[override]
            """``JOIN ... USING (cols) AS alias``: a name for the join's USING columns (PostgreSQL 14)."""
            join = super()._parse_join(*args, **kwargs)
            if join is not None and join.args.get("using") and self._curr is not None \
                    and self._curr.token_type == TokenType.ALIAS:
                self._advance()
                join.set("using_alias", self._parse_id_var(any_token=False))
            return join

        def _parse_substring_similar(self) -> exp.Expression | None:
            """SUBSTRING(s SIMILAR pattern ESCAPE e): substring(s, pattern, e), the SQL regular
            expression form; any other SUBSTRING(...) as sqlglot reads it."""
            start = self._index
            subject = self._parse_bitwise()
            if subject is None or not self._match_text_seq("SIMILAR"):
                self._retreat(start)
                return Postgres.Parser.FUNCTION_PARSERS["SUBSTRING"](self)
            pattern = self._parse_bitwise()
            if not self._match_text_seq("ESCAPE"):
                self.raise_error("Expected ESCAPE after SUBSTRING(... SIMILAR ...")
            return exp.Anonymous(this="substring", expressions=[subject, pattern, self._parse_bitwise()])

        def _parse_statement(self) -> exp.Expression | None:  # type: ignore[override]
            if branch_syntax.starts_branch_statement(self):  # CREATE/ALTER/DROP/MERGE BRANCH
                return branch_syntax.parse_branch_statement(self)
            return super()._parse_statement()

        def _parse_check_constraint(self) -> exp.Expression | None:  # type: ignore[override]
            """CHECK (expr) [NO INHERIT]: the constraint stays on its table (table inheritance)."""
            check = super()._parse_check_constraint()
            if check is not None and self._match_text_seq("NO", "INHERIT"):
                check.set("no_inherit", True)
            return check

        def _parse_select_query(self, *args: Any, **kwargs: Any) -> exp.Expression | None:  # type: ignore[override]
            """``WITH ... VALUES (...)``: PostgreSQL's VALUES takes a WITH like a SELECT does; it becomes
            ``WITH ... SELECT * FROM (VALUES ...)`` (sqlglot's VALUES node has no WITH)."""
            if not (self._curr is not None and self._curr.token_type == TokenType.WITH):
                return super()._parse_select_query(*args, **kwargs)
            cte = self._parse_with()
            if cte is None:
                return super()._parse_select_query(*args, **kwargs)
            this = self._parse_statement()
            if this is None:
                self.raise_error("Failed to parse any statement following CTE")
                return cte
            while isinstance(this, exp.Subquery) and this.is_wrapper:
                this = this.this
            if isinstance(this, exp.Values):
                this.set("alias", exp.TableAlias(this=exp.to_identifier("*VALUES*", quoted=True)))
                this = exp.select("*").from_(this)
            if "with_" not in this.arg_types:
                self.raise_error(f"{this.key} does not support CTE")
                return cte
            inner = this.args.get("with_")
            if inner:
                cte.set("expressions", cte.expressions + inner.expressions)
                if inner.args.get("recursive"):
                    cte.set("recursive", True)
            this.set("with_", cte)
            return this

        def _parse_key_constraint_options(self) -> list[str]:  # type: ignore[override]
            """PostgreSQL 15's ``ON DELETE SET NULL (col, ...)`` / ``SET DEFAULT (col, ...)``: the column
            list rides on the option text ("ON DELETE SET NULL (a, b)"); the rest as sqlglot reads it."""
            options: list[str] = []
            while self._curr:
                if not (self._curr.token_type == TokenType.ON and self._next is not None
                        and self._next.text.upper() in ("DELETE", "UPDATE")):
                    more = super()._parse_key_constraint_options()
                    if not more:
                        break
                    options.extend(more)
                    continue
                start = self._curr.start
                self._advance()
                on = self._curr.text.upper()
                self._advance()
                if self._match_text_seq("NO", "ACTION"):
                    action = "NO ACTION"
                elif self._match_text_seq("CASCADE"):
                    action = "CASCADE"
                elif self._match_text_seq("RESTRICT"):
                    action = "RESTRICT"
                elif self._match_pair(TokenType.SET, TokenType.NULL):
                    action = "SET NULL"
                elif self._match_pair(TokenType.SET, TokenType.DEFAULT):
                    action = "SET DEFAULT"
                else:
                    self.raise_error("Invalid key constraint")
                if action.startswith("SET") and self._match(TokenType.L_PAREN):
                    if on == "UPDATE":  # PostgreSQL's grammar refuses it, pointing at ON
                        raise FeatureNotSupported(f"a column list with {action} is only supported for ON DELETE "
                                                  "actions", position=start + 1)
                    cols = self._parse_csv(self._parse_id_var)
                    self._match_r_paren()
                    action += " (" + ", ".join(c.sql(dialect="postgres") for c in cols) + ")"
                options.append(f"ON {on} {action}")
            return options

        def _parse_recursive_with_search(self) -> exp.RecursiveWithSearch | None:
            """SEARCH {DEPTH|BREADTH} FIRST BY col, ... SET col / CYCLE col, ... SET col [TO v DEFAULT d]
            USING col: PostgreSQL takes a list of columns where sqlglot reads one (``this`` is then a Tuple)."""
            searching = self._match_text_seq("SEARCH")
            keyword = self._prev if searching else self._curr
            kind = self._match_texts(self.RECURSIVE_CTE_SEARCH_KIND) and self._prev.text.upper()
            if not kind:
                return None
            self._match_text_seq("FIRST", "BY")
            cols = self._parse_csv(self._parse_id_var)
            node = exp.RecursiveWithSearch(
                kind=kind,
                this=cols[0] if len(cols) == 1 else exp.Tuple(expressions=cols),
                expression=self._match_text_seq("SET") and self._parse_id_var(),
                to=self._match_text_seq("TO") and self._parse_bitwise(),
                default=self._match(TokenType.DEFAULT) and self._parse_bitwise(),
                using=self._match_text_seq("USING") and self._parse_id_var(),
            )
            if keyword is not None:  # where PostgreSQL points for the clause's errors
                node.meta["keyword_start"] = keyword.start
            return node

        def _parse_without_oids(self) -> exp.Expression | None:
            if not self._match_text_seq("OIDS"):
                self._retreat(self._index - 1)
                return None
            return exp.Property(this=exp.var("oids"), value=exp.false())

        def _parse_bracket(self, this=None):  # type: ignore[override]
            out = super()._parse_bracket(this)
            node = out
            while isinstance(node, exp.Bracket) and node.args.get("offset") is None:
                node.set("offset", 1)
                node = node.this
            return out

        def _parse_type(self, *args: Any, **kwargs: Any) -> exp.Expression | None:  # type: ignore[override]
            # box '(0,0,1,1)', circle '<(0,0),1>', cidr '10/8' ...: typed literals of types sqlglot
            # does not know as type names (it reads point '...' itself)
            if (self._curr and self._next and self._curr.token_type == TokenType.VAR
                    and self._next.token_type == TokenType.STRING
                    and self._curr.text.lower() in _NAMED_LITERAL_TYPES):
                name = self._curr.text.lower()
                self._advance()
                literal = self._parse_primary()
                return self._parse_column_ops(_typed_literal(self, literal, exp.DataType.build(name, udt=True)))
            return super()._parse_type(*args, **kwargs)

        def _parse_types(self, *args: Any, **kwargs: Any) -> exp.Expression | None:  # type: ignore[override]
            # sqlglot returns oid, regclass, regtype ... before looking for "[]": oid[] is their array
            this = super()._parse_types(*args, **kwargs)
            if isinstance(this, exp.ObjectIdentifier):
                while self._curr and self._curr.token_type == TokenType.L_BRACKET and self._next and (
                        self._next.token_type == TokenType.R_BRACKET):
                    self._advance(2)
                    this = exp.DataType(this=exp.DataType.Type.ARRAY, expressions=[this], nested=True)
            return this

        def _parse_type_size(self) -> exp.DataTypeParam | None:  # type: ignore[override]
            # numeric(3, -6): PostgreSQL 15 takes a negative scale (rounding left of the point)
            if self._curr and self._curr.token_type == TokenType.DASH and self._next and (
                    self._next.token_type == TokenType.NUMBER):
                self._advance(2)
                return self.expression(exp.DataTypeParam(this=exp.Literal.number("-" + self._prev.text)))
            return super()._parse_type_size()

        def _parse_interval(self, *args: Any, **kwargs: Any) -> exp.Expression | None:  # type: ignore[override]
            # sqlglot splits INTERVAL '2 hours' into '2' HOURS and drops what its pattern does not
            # know ('P0002-10-15T10:30:20' would lose its P): keep the text as written, because
            # PostgreSQL's interval input (not a unit keyword) reads a unit inside the string.
            token = None
            if (self._curr and self._curr.token_type == TokenType.INTERVAL and self._next
                    and self._next.token_type == TokenType.STRING):
                token = self._next
            node = super()._parse_interval(*args, **kwargs)
            if (token is not None and isinstance(node, exp.Interval) and isinstance(node.this, exp.Literal)
                    and node.this.name != token.text
                    and not isinstance(node.args.get("unit"), exp.IntervalSpan)):
                node.set("this", exp.Literal.string(token.text))
                node.set("unit", None)
                node.set("fraction_in_string", None)
            if token is not None and isinstance(node, exp.Interval) and isinstance(node.this, exp.Literal):
                # errors in the text point at the quoted literal, as PostgreSQL's do
                node.this.meta.update(line=token.line, col=token.col, start=token.start, end=token.end)
            return node

        def _parse_table_alias(self, alias_tokens=None):  # type: ignore[override]
            # "t AS OF TIMESTAMP ..." is time travel, not an alias named "of"
            if (self._curr and self._curr.token_type == TokenType.ALIAS and self._next
                    and self._next.text.upper() == "OF"):
                return None
            return super()._parse_table_alias(alias_tokens=alias_tokens)


class _TypedLiteralParsers(dict):
    """``type 'text'::other`` is ``('text'::type)::other`` in PostgreSQL; sqlglot applies the
    trailing casts to the string first. Every typed literal passes through here (the parser
    asks this mapping for each type), so the casts can be put back in PostgreSQL's order."""

    def get(self, key, default=None):  # type: ignore[override]
        return _typed_literal


def _typed_literal(parser: Any, this: exp.Expression, data_type: exp.DataType) -> exp.Expression:
    # a plain cast for every type: sqlglot's own json parser here (ParseJSON) names no
    # PostgreSQL function, while json 'text' is simply 'text'::json
    outer: list[exp.Cast] = []
    node = this
    while isinstance(node, exp.Cast) and not isinstance(node, exp.TryCast):
        outer.append(node)
        node = node.this
    typed = parser.expression(exp.Cast(this=node, to=data_type))
    for cast in reversed(outer):
        typed = exp.Cast(this=typed, to=cast.args["to"])
    return typed


Helios.Parser.TYPE_LITERAL_PARSERS = _TypedLiteralParsers()


def _date_part(args: list) -> exp.Expression:
    """date_part('field', source) as an Extract node marked to type its result double precision;
    a field given by any other expression (a column of unit names) stays a call."""
    field = args[0] if args else None
    if len(args) != 2 or not (isinstance(field, exp.Literal) and field.is_string):
        return exp.Anonymous(this="date_part", expressions=args)
    node = exp.Extract(this=exp.var(field.this), expression=args[1])
    node.meta["extract"] = False
    return node


class _PlainTokenizer(Helios.Tokenizer):
    """Tokenizes utility statements word by word (no COMMAND swallowing the rest)."""

    COMMANDS: ClassVar[set] = set()
    KEYWORDS: ClassVar[dict] = {k: v for k, v in Postgres.Tokenizer.KEYWORDS.items() if v != TokenType.COMMAND}


DIALECT = Helios()
_PLAIN = Helios()
_PLAIN.tokenizer_class = _PlainTokenizer  # type: ignore[misc]

def tokenize_plain(text: str) -> list[Token]:
    """PostgreSQL tokens of ``text`` without statement-level folding (routine bodies parse these)."""
    return _PLAIN.tokenize(text)


# first words of the statements parsed here rather than by sqlglot
_UTILITY_WORDS = {
    "SAVEPOINT", "RELEASE", "ROLLBACK", "ABORT", "BEGIN", "START", "COMMIT", "END",
    "SHOW", "RESET", "SET", "DISCARD", "PREPARE", "EXECUTE", "DEALLOCATE", "VACUUM",
    "ANALYZE", "ANALYSE", "CHECKPOINT", "GRANT", "REVOKE", "LISTEN", "UNLISTEN", "NOTIFY", "COPY", "LOCK", "REINDEX", "CLUSTER",
    "DECLARE", "FETCH", "MOVE", "CLOSE", "REASSIGN",
}
_BRANCHY = {"CREATE", "DROP", "ALTER", "MERGE"}
# PostgreSQL's table lock modes, longest spelling first (so SHARE ROW EXCLUSIVE is not read as SHARE)
_LOCK_MODES = ("SHARE UPDATE EXCLUSIVE", "SHARE ROW EXCLUSIVE", "ACCESS EXCLUSIVE", "ACCESS SHARE", "ROW SHARE",
               "ROW EXCLUSIVE", "EXCLUSIVE", "SHARE")
_ROLE_WORDS = {"ROLE", "USER", "GROUP"}
_OTHER_SECOND = {"EXTENSION", "SEQUENCE", "DEFAULT", "POLICY", "TYPE", "PUBLICATION", "SUBSCRIPTION", "OWNED"}  # DEFAULT: ALTER DEFAULT PRIVILEGES


@attrs.define(kw_only=True)
class Utility:
    """A session-level statement: ``kind`` names it, ``args`` holds its parts."""

    kind: str
    args: dict[str, Any] = attrs.Factory(dict)


@attrs.define(kw_only=True)
class Statement:
    """One statement of a query string: its tree (or Utility), its text and where it starts."""

    ast: Any  # exp.Expr | Utility
    text: str
    offset: int  # 0-based offset of ``text`` in the whole query string

    @property
    def is_utility(self) -> bool:
        return isinstance(self.ast, Utility)


def syntax_error(message: str, position: int | None) -> SyntaxError_:
    return SyntaxError_(message, position=position)


def _near(sql: str, start: int, end: int) -> str:
    text = sql[start:end + 1]
    return f'syntax error at or near "{text}"' if text else "syntax error at end of input"


def _split(sql: str) -> list[list[Token]]:
    try:
        toks = DIALECT.tokenize(sql)
    except TokenError as e:
        msg = str(e)
        if "Missing '" in msg or "unterminated" in msg.lower() or "Error tokenizing" in msg:
            from helios_core.frontends.postgres.unterminated import find_unterminated

            found = find_unterminated(sql)
            if found is not None:  # PostgreSQL names the construct and points at its start
                raise syntax_error(*found) from None
            raise syntax_error("unterminated quoted string or comment", len(sql)) from None
        raise syntax_error(f"syntax error: {msg}", None) from None
    chunks: list[list[Token]] = [[]]
    atomic = 0  # inside CREATE FUNCTION's BEGIN ATOMIC ... END: its statements' ';' do not end it
    for tok in toks:
        if tok.token_type == TokenType.SEMICOLON and not atomic:
            chunks.append([])
            continue
        chunk = chunks[-1]
        word = tok.text.upper() if tok.token_type != TokenType.STRING else ""
        if atomic:
            if word in ("CASE", "BEGIN"):
                atomic += 1
            elif word == "END":
                atomic -= 1
        elif word == "ATOMIC" and chunk and chunk[-1].text.upper() == "BEGIN" and chunk[0].text.upper() == "CREATE":
            atomic = 1
        chunk.append(tok)
    return [c for c in chunks if c]


_CACHE: OrderedDict[str, list[Statement]] = OrderedDict()
_CACHE_SIZE = 512
_CACHE_LOCK = threading.Lock()


def parse(sql: str, *, plugin_statements: bool = True) -> list[Statement]:
    """Parse every statement of ``sql``; raises SyntaxError_ (42601) with a position.

    Recently parsed strings are remembered (health checks, BEGIN/COMMIT, ORMs repeat them);
    callers get their own copy of each tree, so they may change it. ``plugin_statements=False``
    parses as if no plugin added statements (a plugin's own rewrite of one of its statements).
    """
    if not plugin_statements:
        return _parse_uncached(sql, plugin_statements=False)
    if len(sql) >= PARAMETER_ROWS_MIN:
        rows = _parameter_rows(sql)
        if rows is not None:
            return [rows]
    with _CACHE_LOCK:
        hit = _CACHE.get(sql)
        if hit is not None:
            _CACHE.move_to_end(sql)
    if hit is None:
        hit = _parse_uncached(sql)
        if len(sql) < 8192:
            with _CACHE_LOCK:
                _CACHE[sql] = hit
                if len(_CACHE) > _CACHE_SIZE:
                    _CACHE.popitem(last=False)
    return [Statement(ast=Utility(kind=st.ast.kind, args=copy.deepcopy(st.ast.args)) if isinstance(st.ast, Utility)
                      else st.ast.copy(), text=st.text, offset=st.offset)
            for st in hit]


# a batch load's rows of parameters: ($1, $2), ($3, $4), ... (the text's whole end)
_PARAMETER_ROW = r"\(\s*\$\d+(?:\s*,\s*\$\d+)*\s*\)"
_PARAMETER_ROWS = re.compile(rf"{_PARAMETER_ROW}(?:\s*,\s*{_PARAMETER_ROW})*")
_FIRST_PARAMETER_ROW = re.compile(r"\bvalues\s*(?=\(\s*\$1\s*[,)])", re.IGNORECASE)
_ROW_END = re.compile(r"\$(\d+)\s*\)")
_PARAMETER = re.compile(r"\$(\d+)")
_INSERT_WORD = re.compile(r"insert\s", re.IGNORECASE)
PARAMETER_ROWS_MIN = 1024  # characters: shorter texts parse quickly enough


def _parameter_rows(sql: str) -> Statement | None:
    """The tree of ``INSERT ... VALUES ($1, $2), ($3, $4), ...`` (rows of one width, parameters
    numbered in order, nothing after them) built from the parse of its first row: sqlglot takes
    a quarter of a second over a 1,000-row batch load's 4,000 placeholders, the same tree it
    gives (tests/sql/test_bulk_insert_paths.py). None when the text is not that: it is then
    parsed whole, and its errors are reported as usual."""
    if not sql.endswith(")") or _INSERT_WORD.match(sql) is None:
        return None
    head = _FIRST_PARAMETER_ROW.search(sql)
    if head is None or _PARAMETER_ROWS.fullmatch(sql, head.end()) is None:
        return None
    rows_text = sql[head.end():]
    ends = [int(n) for n in _ROW_END.findall(rows_text)]  # each row's last parameter
    width, count = ends[0], len(ends)
    if ends != list(range(width, width * count + 1, width)) or \
            _PARAMETER.findall(rows_text) != [str(i) for i in range(1, width * count + 1)]:
        return None  # rows of other widths, or parameters out of order
    try:
        one = parse(sql[:head.end()] + "(" + ", ".join(f"${i}" for i in range(1, width + 1)) + ")")
    except HeliosError:
        return None
    if len(one) != 1 or not isinstance(one[0].ast, exp.Insert) or one[0].offset != 0:
        return None
    values = one[0].ast.expression
    if not isinstance(values, exp.Values) or len(values.expressions) != 1:
        return None
    params = values.expressions[0].expressions
    if len(params) != width or any(not isinstance(p, exp.Parameter) or p.this != exp.Literal.number(i + 1)
                                   for i, p in enumerate(params)):
        return None
    literal, parameter, row = exp.Literal, exp.Parameter, exp.Tuple  # built directly: a fifth of the time
    cells = [parameter(this=literal(this=str(k), is_string=False)) for k in range(1, width * count + 1)]
    values.set("expressions", [row(expressions=cells[r * width:(r + 1) * width]) for r in range(count)])
    return Statement(ast=one[0].ast, text=sql, offset=0)


def _parse_uncached(sql: str, *, plugin_statements: bool = True) -> list[Statement]:
    out: list[Statement] = []
    for chunk in _split(sql):
        start, end = chunk[0].start, chunk[-1].end
        text = sql[start:end + 1]
        first = chunk[0].text.upper()
        second = chunk[1].text.upper() if len(chunk) > 1 else ""
        refuse_time_travel_in_commands(_words(sql, chunk))
        util = None
        third = chunk[2].text.upper() if len(chunk) > 2 else ""
        ext = None
        if plugin_statements:
            ext = plugin_extensions.statement_starting(
                [t.text.upper() if t.token_type != TokenType.STRING else "" for t in chunk[:6]]) or \
                plugin_extensions.statement_with_word([t.text.upper() for t in chunk if t.token_type == TokenType.VAR])
        if ext is not None:  # a plugin's own statement (helios_sql_statements)
            util = Utility(kind="plugin_statement", args={"statement": ext.name, "args": ext.parse(text)})
            out.append(Statement(ast=util, text=text, offset=start))
            continue
        if first == "CREATE":
            recursive_view = _recursive_view_text(sql, chunk)
            if recursive_view is not None:
                tree = _parse_uncached(recursive_view, plugin_statements=plugin_statements)[0].ast
                out.append(Statement(ast=tree, text=text, offset=start))
                continue
        if foreign_table_syntax.starts_statement([t.text.upper() for t in chunk[:4]]):
            out.append(_foreign_table_statement(sql, text, start, plugin_statements))
            continue
        if first in _UTILITY_WORDS or (first in _BRANCHY and second in _ROLE_WORDS | _OTHER_SECOND) or (
            first == "EXPLAIN"
        ) or (first == "COMMENT" and third in ("CONSTRAINT", "PUBLICATION")) or (first == "CREATE" and second == "DATABASE") or (
            first == "ALTER" and second == "TABLE" and any(
                t.text.upper() in _IDENTITY_WORDS | {"VALIDATE", "RESET", "LOGGED", "UNLOGGED", "CLUSTER"} for t in chunk)
        ) or (first == "CREATE" and second == "MATERIALIZED") or _is_routine_statement(chunk) or (
            first == "REFRESH" and second.split()[:1] == ["MATERIALIZED"]  # sqlglot keeps REFRESH's rest as text
        ) or (first == "ALTER" and second == "TABLE" and row_security_switch([t.text.upper() for t in chunk])) or (
            first == "ALTER" and second == "TABLE" and _replica_identity_words(chunk)
        ) or (first == "ALTER" and second == "TABLE" and column_attribute_statement(chunk)) or foreign_data_syntax.starts_statement([t.text.upper() for t in chunk[:4]]):
            util = _ended_at_semicolon(sql, text, start)
        if util is not None:
            out.append(Statement(ast=util, text=text, offset=start))
            continue
        if chunk[0].token_type in (TokenType.VAR, TokenType.NUMBER, TokenType.STRING, TokenType.IDENTIFIER):
            raise syntax_error(f'syntax error at or near "{chunk[0].text}"', start + 1)
        overriding = None
        on_commit_drop = False
        view_opts = None
        if first == "INSERT":
            chunk, overriding = _strip_overriding(chunk)
        elif first == "CREATE":
            chunk, on_commit_drop = _strip_on_commit_drop(chunk)
            chunk, view_opts = view_options.strip_view_options(chunk)
        elif first == "COMMENT":
            chunk = _comment_is_null(chunk)
        elif first == "DROP":
            chunk = _drop_database_with(chunk)
        tree = _parse_chunk(sql, chunk)
        refuse_time_travel_writes(tree, chunk)
        tree = select_into_as_create(tree)
        if overriding:
            tree.set("overriding", overriding)
        if on_commit_drop:
            tree.set("on_commit_drop", True)
        if view_opts is not None:
            tree.set("view_options", view_opts)
        out.append(Statement(ast=tree, text=text, offset=start))
    return out


def _recursive_view_text(sql: str, chunk: list[Token]) -> str | None:
    """CREATE [OR REPLACE] [TEMP] RECURSIVE VIEW v (c1, ...) AS q is, as PostgreSQL defines it,
    CREATE VIEW v AS WITH RECURSIVE v (c1, ...) AS (q) SELECT c1, ... FROM v: that statement's text."""
    words = [t.text.upper() if t.token_type != TokenType.STRING else "" for t in chunk]
    i = 1
    head = ["CREATE"]
    if words[i:i + 2] == ["OR", "REPLACE"]:
        head += ["OR", "REPLACE"]
        i += 2
    if i < len(words) and words[i] in ("TEMP", "TEMPORARY"):
        head.append("TEMPORARY")
        i += 1
    if words[i:i + 2] != ["RECURSIVE", "VIEW"]:
        return None
    i += 2
    name_start = i
    while i + 2 < len(chunk) and chunk[i + 1].text == ".":
        i += 2
    if i + 1 >= len(chunk) or chunk[i + 1].text != "(":
        raise syntax_error(f'syntax error at or near "{chunk[min(i + 1, len(chunk) - 1)].text}"',
                           chunk[min(i + 1, len(chunk) - 1)].start + 1)
    name = sql[chunk[name_start].start:chunk[i].end + 1]
    relation = sql[chunk[i].start:chunk[i].end + 1]
    close = next((k for k in range(i + 2, len(chunk)) if chunk[k].text == ")"), None)
    if close is None or close + 1 >= len(chunk) or words[close + 1] != "AS":
        return None
    cols = sql[chunk[i + 2].start:chunk[close - 1].end + 1]
    body = sql[chunk[close + 2].start:chunk[-1].end + 1].rstrip().rstrip(";")
    return f"{' '.join(head)} VIEW {name} AS WITH RECURSIVE {relation} ({cols}) AS ({body}) SELECT {cols} FROM {relation}"


_ROUTINE_WORDS = {"FUNCTION", "PROCEDURE"}


def _replica_identity_words(chunk: list[Token]) -> bool:
    words = [t.text.upper() for t in chunk]
    return any(words[i:i + 2] == ["REPLICA", "IDENTITY"] for i in range(3, len(words) - 1))


def row_security_switch(words: list[str]) -> bool:
    """ALTER TABLE t ... ROW LEVEL SECURITY (helios_core.sql.row_security.syntax)."""
    return len(words) > 5 and words[:2] == ["ALTER", "TABLE"] and words[-3:] == ["ROW", "LEVEL", "SECURITY"]


def trigger_enabling(words: list[str]) -> bool:
    """ALTER TABLE t ENABLE/DISABLE TRIGGER ... (helios_core.sql.triggers.syntax)."""
    return len(words) > 4 and "TRIGGER" in words and ("ENABLE" in words or "DISABLE" in words) and \
        words.index("TRIGGER") == max(words.index(w) for w in ("ENABLE", "DISABLE") if w in words) + 1 + (
            1 if any(w in words for w in ("ALWAYS", "REPLICA")) else 0)


def _is_routine_statement(chunk: list[Token]) -> bool:
    """CREATE [OR REPLACE] FUNCTION/PROCEDURE/TRIGGER, DROP FUNCTION/PROCEDURE/ROUTINE/TRIGGER, CALL, DO
    (helios_core.sql.routines.syntax parses them; sqlglot keeps CALL's and DO's rest as text)."""
    words = [t.text.upper() for t in chunk[:4]]
    first = words[0]
    if first in ("CALL", "DO"):
        return True
    if first == "COMMENT":
        return words[1:3] == ["ON", "AGGREGATE"]
    if first == "ALTER" and words[1:2] == ["TABLE"]:
        return trigger_enabling([t.text.upper() for t in chunk])
    if first == "CREATE":
        rest = words[3:4] if words[1:3] == ["OR", "REPLACE"] else words[1:2]
        return bool(rest) and rest[0] in (*_ROUTINE_WORDS, "TRIGGER", "CONSTRAINT", "AGGREGATE")
    return first in ("DROP", "ALTER") and len(words) > 1 and words[1] in (*_ROUTINE_WORDS, "ROUTINE", "TRIGGER",
                                                                           "AGGREGATE") \
        and not (first == "ALTER" and words[1] == "TRIGGER")


def _words(sql: str, chunk: list[Token]) -> list[tuple[str, int]]:
    """(text, start) of a statement's words; a command sqlglot swallows whole (LOCK, VACUUM) is split."""
    if len(chunk) == 2 and chunk[1].token_type == TokenType.STRING and chunk[0].token_type != TokenType.STRING:
        at = sql.find(chunk[1].text, chunk[0].end + 1)  # the swallowed text's own start/end are not kept
        if at < 0:
            return [(t.text, t.start) for t in chunk]
        try:
            inner = _PLAIN.tokenize(chunk[1].text)
        except TokenError:
            inner = []
        return [(chunk[0].text, chunk[0].start)] + [(t.text, at + t.start) for t in inner]
    return [(t.text, t.start) for t in chunk]


def select_into_as_create(tree: exp.Expr) -> exp.Expr:
    """``SELECT ... INTO [TEMP] t FROM ...`` is PostgreSQL's older spelling of CREATE TABLE t AS SELECT."""
    into = tree.args.get("into") if isinstance(tree, exp.Select) else None
    if into is None:
        return tree
    query = tree.copy()
    query.set("into", None)
    props = [exp.TemporaryProperty()] if into.args.get("temporary") else []
    if into.args.get("unlogged"):
        props.append(exp.UnloggedProperty())
    return exp.Create(this=into.this.copy(), kind="TABLE", expression=query,
                      properties=exp.Properties(expressions=props) if props else None)


# SHOW/RESET targets written as phrases rather than a setting's name
_SETTING_PHRASES = {
    "SHOW": {("ALL",): "all", ("TIME", "ZONE"): "timezone",
             ("TRANSACTION", "ISOLATION", "LEVEL"): "transaction_isolation"},
    "RESET": {("ALL",): "all", ("TIME", "ZONE"): "timezone", ("SESSION", "AUTHORIZATION"): "session_authorization"},
}


def _setting_name(c: Any, phrases: dict[tuple[str, ...], str]) -> str:
    """The setting SHOW or RESET names: one of its phrases, or a (dotted) setting name; then the end."""
    for words, name in phrases.items():
        if c.accept(*words):
            break
    else:
        name = c.dotted_name()
    c.end()
    return name


def _only_comments(rest: str) -> bool:
    """Nothing but blanks and comments is left of the text (so an error there is at end of input)."""
    rest = re.sub(r"/\*.*?\*/", " ", rest, flags=re.DOTALL)
    return not re.sub(r"--[^\n]*", " ", rest).strip()


def _strip_on_commit_drop(chunk: list[Token]) -> tuple[list[Token], bool]:
    """CREATE TEMP TABLE ... ON COMMIT DROP: sqlglot does not know it; take it out, remember it."""
    for i in range(len(chunk) - 2):
        if (chunk[i].text.upper() == "ON" and chunk[i + 1].text.upper() == "COMMIT"
                and chunk[i + 2].text.upper() == "DROP"):
            return chunk[:i] + chunk[i + 3:], True
    return chunk, False


def _drop_database_with(chunk: list[Token]) -> list[Token]:
    """DROP DATABASE name WITH (FORCE): the WITH is optional in PostgreSQL's grammar; sqlglot reads
    the option list only without it."""
    if len(chunk) > 3 and chunk[1].text.upper() == "DATABASE":
        for i in range(2, len(chunk) - 1):
            if chunk[i].text.upper() == "WITH" and chunk[i + 1].token_type == TokenType.L_PAREN:
                return chunk[:i] + chunk[i + 1:]
    return chunk


def _comment_is_null(chunk: list[Token]) -> list[Token]:
    """COMMENT ON ... IS NULL drops the comment, as IS '' does (sqlglot reads only a string there)."""
    if len(chunk) >= 2 and chunk[-1].token_type == TokenType.NULL and chunk[-2].text.upper() == "IS":
        last = chunk[-1]
        return [*chunk[:-1], Token(TokenType.STRING, "", last.line, last.col, last.start, last.end)]
    return chunk


def _strip_overriding(chunk: list[Token]) -> tuple[list[Token], str | None]:
    """INSERT ... OVERRIDING {SYSTEM|USER} VALUE: sqlglot does not know it; take it out, remember it."""
    for i in range(len(chunk) - 2):
        if (chunk[i].text.upper() == "OVERRIDING" and chunk[i + 1].text.upper() in ("SYSTEM", "USER")
                and chunk[i + 2].text.upper() == "VALUE"):
            return chunk[:i] + chunk[i + 3:], chunk[i + 1].text.lower()
    return chunk, None


def _foreign_table_statement(sql: str, text: str, start: int, plugin_statements: bool) -> Statement:
    """CREATE/ALTER/DROP/COMMENT ON FOREIGN TABLE: the table statement with SQL/MED's clauses
    blanked out (positions kept), parsed as usual, the clauses riding along as ``foreign_table``."""
    found = _ended_at_semicolon(sql, text, start, lambda: foreign_table_syntax.rewrite(_Cursor(text, start), Utility))
    if isinstance(found, Utility):
        return Statement(ast=found, text=text, offset=start)
    blanked, clauses = found
    inner = _parse_uncached(" " * start + blanked, plugin_statements=plugin_statements)[0]
    if isinstance(inner.ast, Utility):
        inner.ast.args["foreign_table"] = clauses
    else:
        inner.ast.set("foreign_table", clauses)
    return Statement(ast=inner.ast, text=blanked, offset=start)


def _ended_at_semicolon(sql: str, text: str, start: int, parse_it: Any = None) -> Any:
    """parse_utility; where the statement stopped too soon, PostgreSQL's parser sees the ';' that ends
    it and names it ("syntax error at or near \";\""), where a statement without one ends the input."""
    end = start + len(text)
    try:
        return parse_it() if parse_it is not None else parse_utility(text, start)
    except SyntaxError_ as e:
        rest = sql[end:]
        if str(e) == "syntax error at end of input" and e.position == end and rest.lstrip().startswith(";"):
            raise syntax_error('syntax error at or near ";"', end + len(rest) - len(rest.lstrip()) + 1) from None
        raise


def _parse_chunk(sql: str, chunk: list[Token]) -> exp.Expr:
    parser = DIALECT.parser(error_message_context=1 << 30)
    try:
        trees = parser.parse(chunk, sql)
    except ParseError as e:
        err = e.errors[0] if e.errors else {}
        ctx = err.get("start_context") or ""
        hl = err.get("highlight") or ""
        pos = len(ctx)
        desc = str(err.get("description") or "")
        # the parser wanted more after the highlighted token (not: the highlighted token is wrong)
        wanted_more = desc.startswith(("Required keyword", "Expecting")) or (
            desc.startswith("Expected") and "SENTINEL" in desc)
        rest = sql[pos + len(hl):]
        if hl and wanted_more and rest.lstrip().startswith(";"):  # the statement ended too soon
            raise syntax_error('syntax error at or near ";"', pos + len(hl) + len(rest) - len(rest.lstrip()) + 1
                               ) from None
        if hl and not (wanted_more and _only_comments(rest)):
            raise syntax_error(f'syntax error at or near "{hl}"', pos + 1) from None
        # the statement stopped where it needed more (select 1 +, ... WHERE): PostgreSQL's words
        raise syntax_error("syntax error at end of input", len(sql) + 1) from None
    tree = trees[0] if trees else None
    if tree is None:
        raise syntax_error("syntax error at end of input", len(sql))
    from helios_core.sql.planner import qualified_names  # pg_catalog.fn(), OPERATOR(), ::regclass ...

    fold_identifiers(tree)
    if qualified_names.needs_normalizing(sql):
        tree = qualified_names.normalize(tree)
    return tree


# ---------------------------------------------------------------------------
# utility statements: a tiny recursive-descent parser over plain tokens
# ---------------------------------------------------------------------------


class _Cursor:
    def __init__(self, text: str, offset: int) -> None:
        self.text = text
        self.offset = offset
        self.toks = _PLAIN.tokenize(text)
        self.i = 0

    @property
    def cur(self) -> Token | None:
        return self.toks[self.i] if self.i < len(self.toks) else None

    def word(self) -> str:
        t = self.cur
        if t is None or t.token_type in (TokenType.STRING, TokenType.IDENTIFIER):
            return ""
        return t.text.upper()

    def peek_word(self, n: int = 1) -> str:
        j = self.i + n
        if j >= len(self.toks):
            return ""
        t = self.toks[j]
        return "" if t.token_type in (TokenType.STRING, TokenType.IDENTIFIER) else t.text.upper()

    def accept(self, *words: str) -> bool:
        save = self.i
        for w in words:
            if self.word() != w:
                self.i = save
                return False
            self.i += 1
        return True

    def accept_token(self) -> bool:
        """Step over the current token (a symbol the caller has looked at)."""
        self.i += 1
        return True

    def expect(self, *words: str) -> None:
        if not self.accept(*words):
            self.fail()

    def at_end(self) -> bool:
        return self.i >= len(self.toks)

    def fail(self) -> None:
        t = self.cur
        if t is None:
            raise syntax_error("syntax error at end of input", self.offset + len(self.text))
        raise syntax_error(f'syntax error at or near "{t.text}"', self.offset + t.start + 1)

    def end(self) -> None:
        if not self.at_end():
            self.fail()

    def list_goes_on(self) -> bool:
        """After an item of a parenthesized list: past a comma, True (another item follows); past the
        closing parenthesis, False; anything else is a syntax error there."""
        if self.cur is not None and self.cur.token_type == TokenType.COMMA:
            self.i += 1
            return True
        if self.cur is None or self.cur.token_type != TokenType.R_PAREN:
            self.fail()
        self.i += 1
        return False

    def names(self) -> list[str]:
        """``a, b, c``: one identifier or more, separated by commas."""
        out = [self.name()]
        while self.cur is not None and self.cur.token_type == TokenType.COMMA:
            self.i += 1
            out.append(self.name())
        return out

    def paren_names(self) -> list[str]:
        """``(a, b, c)``: a parenthesized list of identifiers."""
        if self.cur is None or self.cur.token_type != TokenType.L_PAREN:
            self.fail()
        self.i += 1
        out = self.names()
        if self.cur is None or self.cur.token_type != TokenType.R_PAREN:
            self.fail()
        self.i += 1
        return out

    def name(self) -> str:
        """An identifier: unquoted folds to lower case, quoted keeps its case."""
        t = self.cur
        if t is None or t.token_type in (TokenType.STRING, TokenType.NUMBER) or not t.text:
            self.fail()
        assert t is not None
        self.i += 1
        if t.token_type == TokenType.IDENTIFIER:
            return t.text
        if not (t.text[0].isalpha() or t.text[0] == "_"):
            self.i -= 1
            self.fail()
        return t.text.lower()

    def dotted_name(self) -> str:
        return ".".join(self.name_parts())

    def parenthesized_text(self) -> str:
        """The source text between a ( and its matching ), the cursor left after the )."""
        if self.cur is None or self.cur.token_type != TokenType.L_PAREN:
            self.fail()
        start = self.cur.end + 1
        depth = 0
        while self.cur is not None:
            if self.cur.token_type == TokenType.L_PAREN:
                depth += 1
            elif self.cur.token_type == TokenType.R_PAREN:
                depth -= 1
                if depth == 0:
                    break
            self.i += 1
        if self.cur is None:
            self.fail()
        text = self.text[start:self.cur.start].strip()
        self.i += 1
        return text

    def drop_on_table(self, word: str, kind: str) -> Any:
        """``DROP <word> [IF EXISTS] name ON table [CASCADE | RESTRICT]`` (policies, triggers)."""
        self.expect("DROP", word)
        if_exists = self.accept("IF", "EXISTS")
        name = self.name()
        self.expect("ON")
        table = self.dotted_name()
        cascade = self.accept("CASCADE")
        self.accept("RESTRICT")
        self.end()
        return Utility(kind=kind, args={"name": name, "table": table, "if_exists": if_exists, "cascade": cascade})

    def name_parts(self) -> list[str]:
        """``a.b.c`` as its parts (a quoted part may itself hold a dot: "db"."fs.files")."""
        parts = [self.name()]
        while self.cur is not None and self.cur.token_type == TokenType.DOT:
            self.i += 1
            parts.append(self.name())
        return parts

    def value(self) -> str:
        """A SET/option value: a string, a number (maybe signed), a word or identifier."""
        t = self.cur
        if t is None:
            self.fail()
        assert t is not None
        if t.token_type in (TokenType.DASH, TokenType.PLUS):
            self.i += 1
            nxt = self.cur
            if nxt is None or nxt.token_type != TokenType.NUMBER:
                self.fail()
            assert nxt is not None
            self.i += 1
            return ("-" if t.token_type == TokenType.DASH else "") + nxt.text
        self.i += 1
        if t.token_type in (TokenType.STRING, TokenType.NUMBER, TokenType.IDENTIFIER,
                            TokenType.BYTE_STRING):
            return t.text
        if t.token_type in (TokenType.DEFAULT,):
            return "DEFAULT"
        if t.text and (t.text[0].isalpha() or t.text[0] == "_"):
            return t.text.lower() if t.token_type != TokenType.TRUE else "true"
        self.i -= 1
        self.fail()
        return ""

    def string(self) -> str:
        t = self.cur
        if t is None or t.token_type not in (TokenType.STRING, TokenType.BYTE_STRING):
            self.fail()
        assert t is not None
        self.i += 1
        return t.text

    def string_any(self) -> str:
        """A string constant in any quoting: '...', E'...', $$...$$, $tag$...$tag$."""
        t = self.cur
        if t is None or t.token_type not in (TokenType.STRING, TokenType.HEREDOC_STRING, TokenType.RAW_STRING,
                                             TokenType.NATIONAL_STRING, TokenType.BYTE_STRING):
            self.fail()
        assert t is not None
        self.i += 1
        return t.text

    def rest_text(self) -> str:
        t = self.cur
        return "" if t is None else self.text[t.start:]

    def rest_offset(self) -> int:
        t = self.cur
        return self.offset + len(self.text) if t is None else self.offset + t.start


_ISOLATION = {"READ UNCOMMITTED": "read uncommitted", "READ COMMITTED": "read committed",
              "REPEATABLE READ": "repeatable read", "SERIALIZABLE": "serializable"}


def _hours_east_zone(offset: str) -> str:
    """An offset east of UTC ('3', '+05:30', '-2.5' hours) as the POSIX zone PostgreSQL stores for
    SET TIME ZONE <number|interval>: '<+05:30>-05:30' (POSIX counts hours west)."""
    text = offset.strip()
    m = re.fullmatch(r"([+-]?)(\d{1,2})(?::(\d{2}))?", text)
    if m:
        secs = int(m.group(2)) * 3600 + int(m.group(3) or 0) * 60
        secs = -secs if m.group(1) == "-" else secs
    else:
        try:
            secs = round(float(text) * 3600)
        except ValueError:
            return text  # not an offset: the setting's check reports it
    east = ("-" if secs < 0 else "+") + f"{abs(secs) // 3600:02d}" + (
        f":{abs(secs) % 3600 // 60:02d}" if abs(secs) % 3600 else "")
    west = ("+" if secs < 0 else "-") + east[1:]
    return f"<{east}>{west}"


def _txn_modes(c: _Cursor) -> dict[str, Any]:
    modes: dict[str, Any] = {}
    while not c.at_end():
        if c.accept("ISOLATION", "LEVEL"):
            for phrase, level in _ISOLATION.items():
                if c.accept(*phrase.split()):
                    modes["isolation"] = level
                    break
            else:
                c.fail()
        elif c.accept("READ", "ONLY"):
            modes["read_only"] = True
        elif c.accept("READ", "WRITE"):
            modes["read_only"] = False
        elif c.accept("NOT", "DEFERRABLE"):
            modes["deferrable"] = False
        elif c.accept("DEFERRABLE"):
            modes["deferrable"] = True
        else:
            c.fail()
        if c.cur is not None and c.cur.token_type == TokenType.COMMA:
            c.i += 1
    return modes


def parse_utility(text: str, offset: int = 0) -> Utility | None:
    """Parse a session-level statement, or return None to let sqlglot have it."""
    try:
        c = _Cursor(text, offset)
    except TokenError:
        return None
    w = c.word()
    if w == "REASSIGN" or (w == "DROP" and c.peek_word() == "OWNED"):
        return _parse_reassign_owned(c) if w == "REASSIGN" else _parse_drop_owned(c)
    if w in ("BEGIN", "START"):
        c.i += 1
        if w == "START":
            c.expect("TRANSACTION")
        else:
            c.accept("WORK") or c.accept("TRANSACTION")
        return Utility(kind="begin", args=_txn_modes(c))
    if w in ("COMMIT", "END"):
        c.i += 1
        c.accept("WORK") or c.accept("TRANSACTION")
        chain = _chain(c)
        c.end()
        return Utility(kind="commit", args={"chain": chain})
    if w in ("ROLLBACK", "ABORT"):
        c.i += 1
        c.accept("WORK") or c.accept("TRANSACTION")
        if c.accept("TO"):
            c.accept("SAVEPOINT")
            name = c.name()
            c.end()
            return Utility(kind="rollback_to", args={"name": name})
        chain = _chain(c)
        c.end()
        return Utility(kind="rollback", args={"chain": chain})
    if w == "SAVEPOINT":
        c.i += 1
        name = c.name()
        c.end()
        return Utility(kind="savepoint", args={"name": name})
    if w == "RELEASE":
        c.i += 1
        c.accept("SAVEPOINT")
        name = c.name()
        c.end()
        return Utility(kind="release", args={"name": name})
    if w in ("SHOW", "RESET"):
        c.i += 1
        return Utility(kind=w.lower(), args={"name": _setting_name(c, _SETTING_PHRASES[w])})
    if w == "SET":
        return _parse_set(c)
    if w == "DISCARD":
        c.i += 1
        what = c.word()
        if what not in ("ALL", "PLANS", "SEQUENCES", "TEMP", "TEMPORARY"):
            c.fail()
        c.i += 1
        c.end()
        return Utility(kind="discard", args={"what": what.lower()})
    if w == "PREPARE":
        c.i += 1
        if c.accept("TRANSACTION"):
            return Utility(kind="unsupported", args={"what": "PREPARE TRANSACTION"})
        name = c.name()
        types: list[str] = []
        if c.cur is not None and c.cur.token_type == TokenType.L_PAREN:
            depth = 0
            start = c.cur.start + 1
            while c.cur is not None:
                tt = c.cur.token_type
                if tt == TokenType.L_PAREN:
                    depth += 1
                elif tt == TokenType.R_PAREN:
                    depth -= 1
                    if depth == 0:
                        inner = c.text[start:c.cur.start]
                        types = [x.strip() for x in inner.split(",") if x.strip()]
                        c.i += 1
                        break
                c.i += 1
        c.expect("AS")
        body_offset = c.rest_offset()
        body = c.rest_text()
        if not body:
            c.fail()
        return Utility(kind="prepare", args={"name": name, "types": types, "body": body,
                                             "body_offset": body_offset})
    if w == "EXECUTE":
        c.i += 1
        name = c.name()
        params_text = c.rest_text().strip()
        return Utility(kind="execute", args={"name": name, "params": params_text,
                                             "params_offset": c.rest_offset()})
    if w == "DEALLOCATE":
        c.i += 1
        c.accept("PREPARE")
        if c.accept("ALL"):
            c.end()
            return Utility(kind="deallocate", args={"name": None})
        name = c.name()
        c.end()
        return Utility(kind="deallocate", args={"name": name})
    if w in ("LISTEN", "UNLISTEN"):
        c.i += 1
        channel = None if (w == "UNLISTEN" and c.cur is not None and c.cur.token_type == TokenType.STAR
                           and c.accept_token()) else c.name()
        c.end()
        return Utility(kind=w.lower(), args={"channel": channel})
    if w == "NOTIFY":
        c.i += 1
        channel = c.name()
        payload = None
        if c.cur is not None and c.cur.token_type == TokenType.COMMA:
            c.i += 1
            payload = c.string()
        c.end()
        return Utility(kind="notify", args={"channel": channel, "payload": payload})
    if w == "CHECKPOINT":
        c.i += 1
        c.end()
        return Utility(kind="checkpoint", args={})
    if w in ("VACUUM", "ANALYZE", "ANALYSE"):
        return _parse_vacuum(c)
    if w == "REINDEX":
        return _parse_reindex(c)
    if w == "CLUSTER":
        return _parse_cluster(c)
    if w == "LOCK":
        # LOCK [TABLE] [ONLY] name [*] [, ...] [IN lockmode MODE] [NOWAIT]
        c.i += 1
        c.accept("TABLE")
        c.accept("ONLY")
        tables = [c.dotted_name()]
        while c.cur is not None and c.cur.token_type == TokenType.COMMA:
            c.i += 1
            tables.append(c.dotted_name())
        mode = "ACCESS EXCLUSIVE"
        if c.accept("IN"):
            for candidate in _LOCK_MODES:
                if c.accept(*candidate.split()):
                    mode = candidate
                    break
            else:
                c.fail()
            c.expect("MODE")
        nowait = c.accept("NOWAIT")
        c.end()
        return Utility(kind="lock", args={"tables": tables, "mode": mode, "nowait": nowait})
    if w in ("CREATE", "DROP") and c.peek_word() == "EXTENSION":
        c.i += 2
        flag = c.accept("IF", "NOT", "EXISTS") if w == "CREATE" else c.accept("IF", "EXISTS")
        name = c.name()
        args: dict[str, Any] = {"name": name, "if": flag}
        if w == "CREATE":
            c.accept("WITH")
            while not c.at_end():
                if c.accept("SCHEMA"):
                    args["schema"] = c.name()
                elif c.accept("VERSION"):
                    args["version"] = c.value()
                elif not c.accept("CASCADE"):
                    c.fail()
        else:
            if c.cur is not None and c.cur.token_type == TokenType.COMMA:
                return Utility(kind="unsupported", args={"what": "DROP EXTENSION of several extensions"})
            args["cascade"] = bool(c.accept("CASCADE")) or (c.accept("RESTRICT") and False)
            c.end()
        return Utility(kind="create_extension" if w == "CREATE" else "drop_extension", args=args)
    if w in ("CREATE", "DROP", "ALTER") and c.peek_word() == "TYPE":
        return _parse_type_statement(c, w)
    if w == "ALTER" and c.peek_word() == "SEQUENCE":
        c.i += 2
        if_exists = c.accept("IF", "EXISTS")
        name = c.dotted_name()
        opts: dict[str, Any] = {}
        while not c.at_end():
            if c.accept("RESTART"):
                with_value = c.accept("WITH") or (c.cur is not None and c.cur.token_type in (TokenType.NUMBER,
                                                                                            TokenType.DASH))
                opts["restart"] = int(c.value()) if with_value else None
            elif _sequence_option(c, opts):
                pass
            elif c.accept("OWNED", "BY"):
                opts["owned_by"] = c.dotted_name() if not c.accept("NONE") else None
            elif c.accept("OWNER", "TO") or c.accept("RENAME", "TO"):
                key = "rename" if c.toks[c.i - 2].text.upper() == "RENAME" else "owner"  # before name() moves on
                opts[key] = c.name()
            elif c.accept("AS"):
                opts["data_type"] = c.name()
            elif c.accept("SET", "SCHEMA"):
                opts["set_schema"] = c.name()
            else:
                c.fail()
        return Utility(kind="alter_sequence", args={"name": name, "if_exists": if_exists, "options": opts})
    if w in ("GRANT", "REVOKE"):
        return _parse_grant(c)
    if w == "EXPLAIN":
        c.i += 1
        if c.cur is not None and c.cur.token_type == TokenType.L_PAREN:
            opts = explain_options.parse_option_list(c)
        else:
            opts = explain_options.defaults()
            while c.word() in ("ANALYZE", "ANALYSE", "VERBOSE"):
                opts["verbose" if c.word() == "VERBOSE" else "analyze"] = True
                c.i += 1
        body_offset = c.rest_offset()
        body = c.rest_text()
        if not body:
            c.fail()
        return Utility(kind="explain", args={**opts, "options": opts, "body": body, "body_offset": body_offset})
    if w == "COPY":
        return _parse_copy(c)
    if w == "DECLARE":
        return _parse_declare(c)
    if w in ("FETCH", "MOVE"):
        return _parse_fetch(c)
    if w == "CLOSE":
        c.i += 1
        if c.accept("ALL"):
            c.end()
            return Utility(kind="close_cursor", args={"name": None})
        name = c.name()
        c.end()
        return Utility(kind="close_cursor", args={"name": name})
    if w == "COMMENT" and c.peek_word() == "ON" and c.peek_word(2) == "CONSTRAINT":
        c.i += 1
        c.expect("ON", "CONSTRAINT")
        constraint = c.name()
        c.expect("ON")
        table = c.dotted_name()
        c.expect("IS")
        text = None if c.accept("NULL") else c.string()
        c.end()
        return Utility(kind="comment_constraint", args={"constraint": constraint, "table": table, "text": text})
    if w in ("CREATE", "DROP", "ALTER", "CALL", "DO", "COMMENT") and _is_routine_statement(c.toks):
        from helios_core.sql.routines import syntax as routine_syntax
        from helios_core.sql.triggers import syntax as trigger_syntax

        kind = c.peek_word(3) if c.peek_word() == "OR" else c.peek_word()
        if w == "COMMENT":
            return routine_syntax.parse_comment(c)
        if kind == "TABLE":
            return trigger_syntax.parse_enable(c)
        if kind in ("TRIGGER", "CONSTRAINT"):
            return trigger_syntax.parse_create(c) if w == "CREATE" else trigger_syntax.parse_drop(c)
        if w == "CREATE":
            return routine_syntax.parse_create(c)
        if w == "DROP":
            return routine_syntax.parse_drop(c)
        if w == "ALTER":
            return routine_syntax.parse_alter(c)
        return routine_syntax.parse_call(c) if w == "CALL" else routine_syntax.parse_do(c)
    if (w in ("CREATE", "ALTER", "DROP") and c.peek_word() == "POLICY") or (
            w == "ALTER" and row_security_switch([t.text.upper() for t in c.toks])):
        from helios_core.sql.row_security import syntax as rls_syntax

        if c.peek_word() != "POLICY":
            return rls_syntax.parse_switch(c)
        return {"CREATE": rls_syntax.parse_create, "ALTER": rls_syntax.parse_alter,
                "DROP": rls_syntax.parse_drop}[w](c)
    if w in ("CREATE", "REFRESH") and c.peek_word() == "MATERIALIZED":
        from helios_core.sql import matviews

        return matviews.parse_create(c) if w == "CREATE" else matviews.parse_refresh(c)
    if w == "COMMENT" and c.peek_word() == "ON" and c.peek_word(2) == "PUBLICATION":
        c.i += 3
        name = c.name()
        c.expect("IS")
        text = None if c.accept("NULL") else c.string_any()
        c.end()
        return Utility(kind="publication", args={"verb": "comment", "name": name, "text": text})
    if w == "ALTER" and c.peek_word() == "TABLE" and _replica_identity_words(c.toks):
        c.i += 2
        if_exists = c.accept("IF", "EXISTS")
        c.accept("ONLY")
        table = c.dotted_name()
        c.expect("REPLICA", "IDENTITY")
        identity = {"table": table, "if_exists": if_exists, "index": None}
        if c.accept("USING", "INDEX"):
            identity["identity"], identity["index"] = "index", c.name()
        else:
            for word in ("DEFAULT", "FULL", "NOTHING"):
                if c.accept(word):
                    identity["identity"] = word.lower()
                    break
            else:
                c.fail()
        c.end()
        return Utility(kind="replica_identity", args=identity)
    if w in ("CREATE", "ALTER", "DROP") and c.peek_word() == "PUBLICATION":
        return _parse_publication(c)
    if w in ("CREATE", "ALTER", "DROP") and c.peek_word() == "SUBSCRIPTION":
        return Utility(kind="unsupported", args={"what": f"{w} SUBSCRIPTION (logical replication)"})
    if w == "CREATE" and c.peek_word() == "DATABASE":
        return _parse_create_database(c)
    if w == "ALTER" and c.peek_word() == "TABLE":
        # table-level forms parsed here; a statement none of them takes goes on to the checks below
        for parse_form in (_parse_validate_constraint, _parse_reset_table_options, _parse_table_physical):
            start = c.i
            parsed = parse_form(c)
            if parsed is not None:
                return parsed
            c.i = start
    if w == "ALTER" and c.peek_word() == "TABLE" and _IDENTITY_WORDS & {t.text.upper() for t in c.toks}:
        return _parse_identity(c)
    if w == "ALTER" and c.peek_word() == "TABLE" and column_attribute_statement(c.toks):
        parsed = _parse_column_attribute(c)
        if parsed is None:
            c.fail()
        return parsed
    if w == "ALTER" and c.peek_word() == "DEFAULT" and c.peek_word(2) == "PRIVILEGES":
        return _parse_default_privileges(c)
    if foreign_data_syntax.starts_statement([t.text.upper() for t in c.toks[:4]]):
        return foreign_data_syntax.parse(c, Utility)
    if w in ("CREATE", "ALTER", "DROP") and c.peek_word() in _ROLE_WORDS:
        return _parse_role(c)
    return None


def statement_cursor(text: str, offset: int, at: int) -> _Cursor:
    """A token cursor over a utility statement's text, at token ``at``: for executors that read
    the rest of a statement themselves (ALTER TYPE's list of actions)."""
    c = _Cursor(text, offset)
    c.i = at
    return c


def _parse_type_statement(c: _Cursor, verb: str) -> Utility | None:
    """DROP TYPE [IF EXISTS] a, b [CASCADE | RESTRICT]; ALTER TYPE (the cursor is kept for the
    statement's executor, which reads the rest); CREATE TYPE name (a shell type), CREATE TYPE
    name (INPUT = ...) (a base type, refused). CREATE TYPE ... AS is left to sqlglot."""
    c.i += 2
    if verb == "DROP":
        if_exists = c.accept("IF", "EXISTS")
        names = [c.name_parts()]
        while c.cur is not None and c.cur.token_type == TokenType.COMMA:
            c.i += 1
            names.append(c.name_parts())
        cascade = c.accept("CASCADE")
        if not cascade:
            c.accept("RESTRICT")
        c.end()
        return Utility(kind="drop_type", args={"names": names, "if_exists": if_exists, "cascade": cascade})
    if verb == "ALTER":
        return Utility(kind="alter_type", args={"text": c.text, "offset": c.offset, "at": c.i})
    parts = c.name_parts()
    if c.at_end():
        return Utility(kind="create_shell_type", args={"name": parts})
    if c.cur is not None and c.cur.token_type == TokenType.L_PAREN:
        return Utility(kind="unsupported", args={"what": "CREATE TYPE with input and output functions (a base type)"})
    if c.accept("AS", "RANGE"):
        return Utility(kind="create_range_type", args={"name": parts, "options": _range_options(c)})
    return None


def _range_options(c: _Cursor) -> list[tuple[str, str]]:
    """CREATE TYPE ... AS RANGE's ``(key = value, ...)``: each key, and its value as written (a type
    name, a function name or a collation, read by the statement's executor)."""
    if c.cur is None or c.cur.token_type != TokenType.L_PAREN:
        c.fail()
    c.i += 1
    out = []
    while True:
        key = c.name()
        if c.cur is None or c.cur.token_type != TokenType.EQ:
            c.fail()
        c.i += 1
        first, depth = c.cur, 0
        last = None
        while c.cur is not None and not (depth == 0 and c.cur.token_type in (TokenType.COMMA, TokenType.R_PAREN)):
            depth += {TokenType.L_PAREN: 1, TokenType.R_PAREN: -1}.get(c.cur.token_type, 0)
            last = c.cur
            c.i += 1
        if first is None or last is None:
            c.fail()
        assert first is not None and last is not None
        out.append((key, c.text[first.start:last.end + 1]))
        if not c.list_goes_on():
            break
    c.end()
    return out


def _parse_publication(c: _Cursor) -> Any:
    """CREATE/ALTER/DROP PUBLICATION (helios_core.sql.publications runs them), cursor on the verb."""
    verb = c.word()
    c.i += 2
    if verb == "DROP":
        if_exists = c.accept("IF", "EXISTS")
        names = c.names()
        cascade = c.accept("CASCADE")
        if not cascade:
            c.accept("RESTRICT")
        c.end()
        return Utility(kind="publication", args={"verb": "drop", "names": names, "if_exists": if_exists,
                                                  "cascade": cascade})
    name = c.name()
    if verb == "CREATE":
        args: dict[str, Any] = {"verb": "create", "name": name, "all_tables": False, "objects": [], "options": None}
        if c.accept("FOR"):
            if c.accept("ALL", "TABLES"):
                args["all_tables"] = True
            else:
                args["objects"] = _publication_objects(c)
        if c.accept("WITH"):
            args["options"] = _publication_options(c)
        c.end()
        return Utility(kind="publication", args=args)
    if c.accept("RENAME", "TO"):
        new = c.name()
        c.end()
        return Utility(kind="publication", args={"verb": "rename", "name": name, "new": new})
    if c.accept("OWNER", "TO"):
        owner = c.name()
        c.end()
        return Utility(kind="publication", args={"verb": "owner", "name": name, "owner": owner})
    for action in ("ADD", "SET", "DROP"):
        if c.accept(action):
            if action == "SET" and c.cur is not None and c.cur.token_type == TokenType.L_PAREN:
                opts = _publication_options(c)
                c.end()
                return Utility(kind="publication", args={"verb": "set_options", "name": name, "options": opts})
            objects = _publication_objects(c)
            c.end()
            return Utility(kind="publication", args={"verb": f"{action.lower()}_members", "name": name,
                                                      "objects": objects})
    c.fail()
    return None


def _publication_objects(c: _Cursor) -> list[dict]:
    """``TABLE [ONLY] t [*] [(cols)] [WHERE (expr)], ... | TABLES IN SCHEMA s, ...`` (a bare name
    continues the previous kind, as PostgreSQL's grammar does, with its errors and positions)."""
    out: list[dict] = []
    kind = None
    while True:
        keyword = True
        if c.accept("TABLES", "IN", "SCHEMA"):
            kind = "schema"
        elif c.accept("TABLE"):
            kind = "table"
        else:
            keyword = False
        at = c.rest_offset() + 1
        if kind is None:
            raise SyntaxError_("invalid publication object list", position=at,
                               detail="One of TABLE or TABLES IN SCHEMA must be specified before a standalone "
                                      "table or schema name.")
        current_schema = c.word() == "CURRENT_SCHEMA"
        if kind == "schema":
            parts = [c.name()] if keyword else c.name_parts()  # after the keywords, the grammar's own errors
            if len(parts) > 1:
                raise syntax_error("invalid schema name", at)
            if not keyword and c.word() == "WHERE":
                raise syntax_error("WHERE clause not allowed for schema", at)
            if not keyword and c.cur is not None and c.cur.token_type == TokenType.L_PAREN:
                raise syntax_error("column specification not allowed for schema", at)
            out.append({"kind": "schema", "name": "current_schema" if current_schema else parts[0]})
        else:
            if current_schema and c.peek_word() != ".":
                if keyword:
                    c.fail()
                raise syntax_error("invalid table name", at)
            only = c.accept("ONLY")
            name = c.dotted_name()
            if c.cur is not None and c.cur.token_type == TokenType.STAR:
                c.i += 1
            cols = c.paren_names() if c.cur is not None and c.cur.token_type == TokenType.L_PAREN else None
            where, where_at = None, None
            if c.accept("WHERE") and c.cur is not None:
                after = c.text[c.cur.end + 1:]
                where_at = c.offset + c.cur.end + 1 + len(after) - len(after.lstrip()) + 1  # 1-based, as errors
                where = c.parenthesized_text()
            out.append({"kind": "table", "name": name, "columns": cols, "where": where, "where_at": where_at,
                        "only": only})
        if c.cur is None or c.cur.token_type != TokenType.COMMA:
            return out
        c.i += 1


def _publication_options(c: _Cursor) -> list[tuple[str, str | None]]:
    """``(name [= value], ...)``; a name given twice is 42601 at its second place, as PostgreSQL."""
    if c.cur is None or c.cur.token_type != TokenType.L_PAREN:
        c.fail()
    c.i += 1
    out: list[tuple[str, str | None]] = []
    while True:
        at = c.rest_offset() + 1
        key = c.name()
        if any(k == key for k, _v in out):
            raise syntax_error("conflicting or redundant options", at)
        value = None
        if c.cur is not None and c.cur.token_type == TokenType.EQ:
            c.i += 1
            value = c.value()
        out.append((key, value))
        if not c.list_goes_on():
            return out


def _parse_create_database(c: _Cursor) -> Utility:
    """CREATE DATABASE name [WITH] [option [=] value] ... (helios_core.sql.databases decides)."""
    c.i += 2
    name = c.name()
    c.accept("WITH")
    options: dict[str, str] = {}
    while not c.at_end():
        key = "connection_limit" if c.accept("CONNECTION", "LIMIT") else c.name()
        c.accept("=")
        options[key] = c.value()
    return Utility(kind="create_database", args={"name": name, "options": options})


def column_attribute_statement(chunk: list[Token]) -> bool:
    """ALTER TABLE ... ALTER [COLUMN] c SET STORAGE / SET COMPRESSION / SET STATISTICS / SET ( / RESET (."""
    words = [t.text.upper() if t.token_type != TokenType.IDENTIFIER else "" for t in chunk]
    if words[:2] != ["ALTER", "TABLE"] or "ALTER" not in words[3:]:
        return False
    k = words.index("ALTER", 3) + 1
    k += words[k:k + 1] == ["COLUMN"]
    tail = words[k + 1:k + 3]
    return tail in (["SET", "STORAGE"], ["SET", "COMPRESSION"], ["SET", "STATISTICS"], ["SET", "("], ["RESET", "("])


def _parse_column_attribute(c: _Cursor) -> Utility | None:
    """ALTER TABLE [IF EXISTS] [ONLY] t ALTER [COLUMN] c SET STORAGE s | SET COMPRESSION m |
    SET STATISTICS n | SET (option = value, ...) | RESET (option, ...): a column's attributes, as
    pg_dump writes them one statement each (helios_core.sql.column_attributes); None (left to
    sqlglot) for any other ALTER TABLE."""
    c.i += 2
    if_exists = c.accept("IF", "EXISTS")
    only = c.accept("ONLY")
    table = c.dotted_name()
    if not c.accept("ALTER"):
        return None
    c.accept("COLUMN")
    if c.cur is None:
        return None
    column = c.name()
    args: dict[str, Any] = {"table": table, "column": column, "if_exists": if_exists, "only": only}
    if c.accept("SET", "STORAGE"):
        args["storage"] = c.value().lower()
    elif c.accept("SET", "COMPRESSION"):
        args["compression"] = c.value().lower()
    elif c.accept("SET", "STATISTICS"):
        args["statistics"] = c.value()
    elif c.word() in ("SET", "RESET") and c.i + 1 < len(c.toks) and c.toks[c.i + 1].token_type == TokenType.L_PAREN:
        reset = c.accept("RESET")
        if not reset:
            c.expect("SET")
        c.i += 1
        options: dict[str, str | None] = {}
        while True:
            key = c.name()
            options[key] = None
            if not reset:
                c.expect("=")
                options[key] = c.value()
            if not c.list_goes_on():
                break
        args["reset" if reset else "options"] = options
    else:
        return None
    c.end()
    return Utility(kind="column_attribute", args=args)


def _parse_table_physical(c: _Cursor) -> Utility | None:
    """ALTER TABLE [IF EXISTS] [ONLY] t SET LOGGED | SET UNLOGGED | CLUSTER ON index | SET WITHOUT
    CLUSTER (what pg_dump writes for such tables); None (left to sqlglot) otherwise."""
    c.i += 2
    if_exists = c.accept("IF", "EXISTS")
    c.accept("ONLY")
    table = c.dotted_name()
    args: dict[str, Any] = {"table": table, "if_exists": if_exists}
    if c.accept("SET", "LOGGED") or c.accept("SET", "UNLOGGED"):
        args["persistence"] = "p" if c.toks[c.i - 1].text.upper() == "LOGGED" else "u"
    elif c.accept("CLUSTER", "ON"):
        args["cluster_on"] = c.name()
    elif c.accept("SET", "WITHOUT", "CLUSTER"):
        args["cluster_on"] = None
    else:
        return None
    return Utility(kind="table_physical", args=args) if c.at_end() else None


def _parse_reset_table_options(c: _Cursor) -> Utility | None:
    """ALTER TABLE [IF EXISTS] [ONLY] t RESET (name [, ...]); None (left to sqlglot) otherwise."""
    c.i += 2
    if_exists = c.accept("IF", "EXISTS")
    c.accept("ONLY")
    table = c.dotted_name()
    if not c.accept("RESET") or c.cur is None or c.cur.token_type != TokenType.L_PAREN:
        return None
    c.i += 1
    names = [c.dotted_name().lower()]
    while c.list_goes_on():
        names.append(c.dotted_name().lower())
    if not c.at_end():
        return None
    return Utility(kind="reset_table_options", args={"table": table, "if_exists": if_exists, "names": names})


def _parse_validate_constraint(c: _Cursor) -> Utility | None:
    """ALTER TABLE [IF EXISTS] [ONLY] t VALIDATE CONSTRAINT name; None (left to sqlglot) otherwise."""
    c.i += 2
    if_exists = c.accept("IF", "EXISTS")
    c.accept("ONLY")
    table = c.dotted_name()
    if not c.accept("VALIDATE", "CONSTRAINT"):
        return None
    name = c.name()
    if not c.at_end():
        return None
    return Utility(kind="validate_constraint", args={"table": table, "if_exists": if_exists, "name": name})


_IDENTITY_WORDS = {"GENERATED", "IDENTITY", "RESTART", "INCREMENT", "MINVALUE", "MAXVALUE", "CYCLE", "CACHE",
                   "START"}


# REASSIGN OWNED BY / DROP OWNED BY (run by helios_core.sql.owned_objects)
def _parse_reassign_owned(c: _Cursor) -> Utility:
    c.expect("REASSIGN", "OWNED", "BY")
    olds = _owned_role_list(c)
    c.expect("TO")
    new = c.name()
    c.end()
    return Utility(kind="reassign_owned", args={"roles": olds, "to": new})


def _parse_drop_owned(c: _Cursor) -> Utility:
    c.expect("DROP", "OWNED", "BY")
    names = _owned_role_list(c)
    cascade = c.accept("CASCADE")
    if not cascade:
        c.accept("RESTRICT")
    c.end()
    return Utility(kind="drop_owned", args={"roles": names, "cascade": cascade})


def _owned_role_list(c: _Cursor) -> list[str]:
    names = [c.name()]
    while c.cur is not None and c.cur.text == ",":
        c.i += 1
        names.append(c.name())
    return names



def _parse_identity(c: _Cursor) -> Utility | None:
    """ALTER TABLE [IF EXISTS] [ONLY] t ALTER [COLUMN] c followed by one identity action:
    ADD GENERATED {ALWAYS | BY DEFAULT} AS IDENTITY [(sequence options)] (as pg_dump writes identity
    columns), DROP IDENTITY [IF EXISTS], or any of SET GENERATED {ALWAYS | BY DEFAULT}, SET <sequence
    option>, RESTART [[WITH] n]; None (left to sqlglot) for anything else, several actions included."""
    c.i += 2
    if_exists = c.accept("IF", "EXISTS")
    c.accept("ONLY")
    table = c.dotted_name()
    if not c.accept("ALTER"):
        return None
    c.accept("COLUMN")
    column = c.name()
    args: dict[str, Any] = {"table": table, "column": column, "if_exists": if_exists}
    if c.accept("DROP", "IDENTITY"):
        args["missing_ok"] = c.accept("IF", "EXISTS")
        return Utility(kind="drop_identity", args=args) if c.at_end() else None
    if c.accept("ADD", "GENERATED"):
        always = c.accept("ALWAYS")
        if not always:
            c.expect("BY", "DEFAULT")
        c.expect("AS", "IDENTITY")
        opts: dict[str, Any] = {}
        if c.cur is not None and c.cur.token_type == TokenType.L_PAREN:
            c.i += 1
            while c.cur is not None and c.cur.token_type != TokenType.R_PAREN:
                if c.accept("SEQUENCE", "NAME"):
                    opts["sequence_name"] = c.dotted_name()
                elif c.accept("AS"):
                    opts["data_type"] = c.name()
                elif not _sequence_option(c, opts):
                    c.fail()
            if c.cur is None:
                c.fail()
            c.i += 1
        if not c.at_end():
            return None
        return Utility(kind="add_identity", args={**args, "always": always, "options": opts})
    generated: str | None = None
    options: dict[str, Any] = {}
    while not c.at_end():
        if c.accept("SET", "GENERATED"):
            generated = "always" if c.accept("ALWAYS") else None
            if generated is None:
                c.expect("BY", "DEFAULT")
                generated = "by default"
        elif c.accept("RESTART"):
            with_value = c.accept("WITH") or (c.cur is not None and c.cur.token_type == TokenType.NUMBER)
            options["restart"] = int(c.value()) if with_value else None
        elif c.accept("SET"):
            if not _sequence_option(c, options):
                return None
        else:
            return None
    if generated is None and not options:
        return None
    return Utility(kind="alter_identity", args={**args, "generated": generated, "options": options})


def _sequence_option(c: _Cursor, opts: dict[str, Any]) -> bool:
    """One sequence option of an identity column into ``opts`` (NO MINVALUE/MAXVALUE give None: the
    type's bound); False when the next words are none."""
    if c.accept("START"):
        c.accept("WITH")
        opts["start"] = int(c.value())
    elif c.accept("INCREMENT"):
        c.accept("BY")
        opts["increment"] = int(c.value())
    elif c.accept("NO", "MINVALUE"):
        opts["minvalue"] = None
    elif c.accept("NO", "MAXVALUE"):
        opts["maxvalue"] = None
    elif c.accept("NO", "CYCLE"):
        opts["cycle"] = False
    elif c.accept("MINVALUE"):
        opts["minvalue"] = int(c.value())
    elif c.accept("MAXVALUE"):
        opts["maxvalue"] = int(c.value())
    elif c.accept("CACHE"):
        opts["cache"] = int(c.value())
    elif c.accept("CYCLE"):
        opts["cycle"] = True
    else:
        return False
    return True


def _parse_copy(c: _Cursor) -> Utility:
    """COPY table [(cols)] | (query)  FROM STDIN|'file' / TO STDOUT|'file'  [[WITH] options]."""
    c.expect("COPY")
    args: dict[str, Any] = {"table": None, "columns": [], "query": None, "options": {}}
    t = c.cur
    if t is not None and t.token_type == TokenType.L_PAREN:
        depth, start = 0, t.start + 1
        while c.cur is not None:
            tt = c.cur.token_type
            if tt == TokenType.L_PAREN:
                depth += 1
            elif tt == TokenType.R_PAREN:
                depth -= 1
                if depth == 0:
                    args["query"] = c.text[start:c.cur.start]
                    args["query_offset"] = c.offset + start
                    c.i += 1
                    break
            c.i += 1
        else:
            c.fail()
    else:
        args["table_parts"] = c.name_parts()
        args["table"] = ".".join(args["table_parts"])
        if c.cur is not None and c.cur.token_type == TokenType.L_PAREN:
            args["columns"] = c.paren_names()
    if c.accept("FROM"):
        args["direction"] = "in"
    elif c.accept("TO"):
        args["direction"] = "out"
    else:
        c.fail()
    if c.accept("STDIN") or c.accept("STDOUT"):
        args["target"] = None
    elif c.accept("PROGRAM"):
        args["program"] = c.string()
        args["target"] = None
    else:
        args["target"] = c.string()
    opts = args["options"]
    c.accept("WITH")
    if c.cur is not None and c.cur.token_type == TokenType.L_PAREN:
        c.i += 1
        while c.cur is not None and c.cur.token_type != TokenType.R_PAREN:
            key = c.word().lower() or c.name()
            c.i += 1
            if key == "force_not_null" or key == "force_null" or key == "force_quote":
                opts[key] = _copy_force_columns(c)
            elif c.cur is not None and c.cur.token_type not in (TokenType.COMMA, TokenType.R_PAREN):
                opts[key] = c.value()
            else:
                opts[key] = "true"
            if c.cur is not None and c.cur.token_type == TokenType.COMMA:
                c.i += 1
        c.i += 1
    else:
        while not c.at_end():
            w = c.word()
            c.i += 1
            if w == "BINARY":
                opts["format"] = "binary"
            elif w == "CSV":
                opts["format"] = "csv"
            elif w == "HEADER":
                opts["header"] = "true"
            elif w in ("DELIMITER", "NULL", "QUOTE", "ESCAPE", "ENCODING"):
                c.accept("AS")
                opts[w.lower()] = c.string()
            elif w == "FREEZE":
                opts["freeze"] = "true"
            elif w == "FORCE":
                if c.accept("QUOTE"):
                    key = "force_quote"
                else:
                    c.expect("NOT")
                    c.expect("NULL")
                    key = "force_not_null"
                if c.cur is not None and c.cur.token_type == TokenType.STAR:
                    c.i += 1
                    opts[key] = ["*"]
                else:
                    opts[key] = c.names()
            elif w == "WHERE":
                c.i -= 1
                break
            else:
                c.i -= 1
                c.fail()
    if c.accept("WHERE"):  # COPY FROM ... WHERE condition: the rest of the statement
        if c.cur is None:
            c.fail()
        args["where"] = c.text[c.cur.start:].strip().rstrip(";").strip()
        args["where_offset"] = c.offset + c.cur.start
        c.i = len(c.toks)
    c.end()
    return Utility(kind="copy", args=args)


def _copy_force_columns(c: _Cursor) -> list[str]:
    """FORCE_QUOTE / FORCE_NOT_NULL / FORCE_NULL's argument: ``(col, ...)`` or ``*``."""
    if c.cur is not None and c.cur.token_type == TokenType.STAR:
        c.i += 1
        return ["*"]
    return c.paren_names()


def _parse_declare(c: _Cursor) -> Utility:
    """DECLARE name [BINARY] [ASENSITIVE|INSENSITIVE] [[NO] SCROLL] CURSOR [WITH[OUT] HOLD] FOR query."""
    c.expect("DECLARE")
    name = c.name()
    hold = False
    binary = False
    no_scroll = False
    while not c.accept("CURSOR"):
        w = c.word()
        if w in ("BINARY",):
            binary = True
        elif w == "NO" and c.i + 1 < len(c.toks) and c.toks[c.i + 1].text.upper() == "SCROLL":
            no_scroll = True
        elif w not in ("ASENSITIVE", "INSENSITIVE", "SCROLL", "NO"):
            c.fail()
        c.i += 1
    if c.accept("WITH", "HOLD"):
        hold = True
    else:
        c.accept("WITHOUT", "HOLD")
    c.expect("FOR")
    body_offset = c.rest_offset()
    body = c.rest_text()
    if not body:
        c.fail()
    return Utility(kind="declare_cursor", args={"name": name, "hold": hold, "binary": binary, "body": body,
                                                "body_offset": body_offset, "no_scroll": no_scroll})


def _parse_fetch(c: _Cursor) -> Utility:
    """FETCH/MOVE [NEXT | FORWARD [n|ALL] | n | ALL | ABSOLUTE n | RELATIVE n ...] [FROM|IN] name."""
    move = c.word() == "MOVE"
    c.i += 1
    count: int | None = 1  # None = ALL
    direction = "forward"
    if c.accept("NEXT"):
        count = 1
    elif c.accept("PRIOR"):
        direction, count = "backward", 1
    elif c.accept("FIRST"):
        direction, count = "absolute", 1
    elif c.accept("LAST"):
        direction, count = "absolute", -1
    elif c.accept("ABSOLUTE"):
        direction, count = "absolute", int(c.value())
    elif c.accept("RELATIVE"):
        direction, count = "relative", int(c.value())
    elif c.accept("FORWARD") or c.accept("BACKWARD"):
        if c.toks[c.i - 1].text.upper() == "BACKWARD":
            direction = "backward"
        if c.accept("ALL"):
            count = None
        elif c.cur is not None and c.cur.token_type in (TokenType.NUMBER, TokenType.DASH):
            count = int(c.value())
    elif c.accept("ALL"):
        count = None
    elif c.cur is not None and c.cur.token_type in (TokenType.NUMBER, TokenType.DASH):
        count = int(c.value())
    c.accept("FROM") or c.accept("IN")
    name = c.name()
    c.end()
    return Utility(kind="fetch", args={"name": name, "count": count, "direction": direction, "move": move})


def _maintenance_options(c: _Cursor) -> dict[str, str]:
    """``( name [value] [, ...] )`` of VACUUM / ANALYZE / REINDEX: lower-case name -> value text."""
    out: dict[str, str] = {}
    if c.cur is None or c.cur.token_type != TokenType.L_PAREN:
        return out
    c.i += 1
    while True:
        name = c.name()
        value = "true"
        if c.cur is not None and c.cur.token_type not in (TokenType.COMMA, TokenType.R_PAREN):
            value = c.value().lower()
        out[name] = value
        if not c.list_goes_on():
            return out


def _parse_vacuum(c: _Cursor) -> Utility:
    """VACUUM [(options)] [FULL] [FREEZE] [VERBOSE] [ANALYZE] [table [(columns)], ...];
    ANALYZE [(options)] [VERBOSE] [table [(columns)], ...]."""
    command = "analyze" if c.word() in ("ANALYZE", "ANALYSE") else "vacuum"
    c.i += 1
    options = _maintenance_options(c)
    words = ("FULL", "FREEZE", "VERBOSE", "ANALYZE", "ANALYSE") if command == "vacuum" else ("VERBOSE",)
    while c.word() in words:
        options["analyze" if c.word() == "ANALYSE" else c.word().lower()] = "true"
        c.i += 1
    targets: list[tuple[str, list[str]]] = []
    while not c.at_end():
        name = c.dotted_name()
        cols: list[str] = []
        if c.cur is not None and c.cur.token_type == TokenType.L_PAREN:
            cols = c.paren_names()
        targets.append((name, cols))
        if c.cur is not None and c.cur.token_type == TokenType.COMMA:
            c.i += 1
            continue
        c.end()
    return Utility(kind=command, args={"options": options, "targets": targets})


def _parse_cluster(c: _Cursor) -> Utility:
    """CLUSTER [(options) | VERBOSE] [table [USING index]], and the old CLUSTER index ON table."""
    c.expect("CLUSTER")
    options = _maintenance_options(c)
    if c.accept("VERBOSE"):
        options["verbose"] = "true"
    table = index = None
    if not c.at_end():
        first = c.dotted_name()
        if c.accept("ON"):  # CLUSTER index ON table (before PostgreSQL 8.3)
            index, table = first, c.dotted_name()
        else:
            table = first
            if c.accept("USING"):
                index = c.name()
    c.end()
    return Utility(kind="cluster", args={"table": table, "index": index, "options": options})


def _parse_reindex(c: _Cursor) -> Utility:
    """REINDEX [(options)] {INDEX | TABLE | SCHEMA | DATABASE | SYSTEM} [CONCURRENTLY] [name]."""
    c.expect("REINDEX")
    options = _maintenance_options(c)
    what = c.word()
    if what not in ("INDEX", "TABLE", "SCHEMA", "DATABASE", "SYSTEM"):
        c.fail()
    c.i += 1
    concurrently = c.accept("CONCURRENTLY")
    name = None
    if what in ("INDEX", "TABLE", "SCHEMA") or not c.at_end():
        name = c.dotted_name()
    c.end()
    return Utility(kind="reindex", args={"what": what.lower(), "name": name, "concurrently": concurrently,
                                         "options": options})


def _chain(c: _Cursor) -> bool:
    if c.accept("AND", "NO", "CHAIN"):
        return False
    return c.accept("AND", "CHAIN")


def _parse_set(c: _Cursor) -> Utility:
    c.expect("SET")
    local = False
    if c.accept("SESSION", "CHARACTERISTICS", "AS", "TRANSACTION"):
        return Utility(kind="set_session_characteristics", args=_txn_modes(c))
    if c.accept("LOCAL"):
        local = True
    else:
        c.accept("SESSION")
    if c.accept("TRANSACTION"):
        if c.accept("SNAPSHOT"):
            return Utility(kind="unsupported", args={"what": "SET TRANSACTION SNAPSHOT"})
        return Utility(kind="set_transaction", args=_txn_modes(c))
    if c.accept("TIME", "ZONE"):
        if c.accept("LOCAL") or c.accept("DEFAULT"):
            c.end()
            return Utility(kind="set", args={"name": "timezone", "value": None, "local": local})
        if c.accept("INTERVAL"):
            value = _hours_east_zone(c.string())
        else:
            is_number = c.cur is not None and c.cur.token_type == TokenType.NUMBER
            value = c.value()
            if is_number:  # SET TIME ZONE 3: hours east of UTC, as PostgreSQL stores it: <+03>-03
                value = _hours_east_zone(value)
        c.end()
        return Utility(kind="set", args={"name": "timezone", "value": value, "local": local})
    if c.accept("NAMES"):
        value = c.value()
        c.end()
        return Utility(kind="set", args={"name": "client_encoding", "value": value, "local": local})
    if c.accept("CONSTRAINTS"):
        # SET CONSTRAINTS { ALL | name [, ...] } { DEFERRED | IMMEDIATE }
        names: list[str] | None = None
        if not c.accept("ALL"):
            names = [c.dotted_name()]
            while c.cur is not None and c.cur.token_type == TokenType.COMMA:
                c.i += 1
                names.append(c.dotted_name())
        if c.accept("DEFERRED"):
            mode = "deferred"
        else:
            c.expect("IMMEDIATE")
            mode = "immediate"
        c.end()
        return Utility(kind="set_constraints", args={"names": names, "mode": mode})
    if c.accept("ROLE") or c.accept("AUTHORIZATION") or c.accept("SESSION", "AUTHORIZATION"):
        what = "role" if c.toks[c.i - 1].text.upper() == "ROLE" else "session_authorization"
        value = None if c.accept("DEFAULT") else c.value()
        c.end()
        return Utility(kind="set_role", args={"what": what, "value": value, "local": local})
    name = c.dotted_name()
    if not (c.accept("TO") or (c.cur is not None and c.cur.token_type == TokenType.EQ and c.accept("="))):
        if c.cur is not None and c.cur.token_type == TokenType.EQ:
            c.i += 1
        else:
            c.fail()
    if c.accept("DEFAULT"):
        c.end()
        return Utility(kind="set", args={"name": name, "value": None, "local": local})
    values = [c.value()]
    while c.cur is not None and c.cur.token_type == TokenType.COMMA:
        c.i += 1
        values.append(c.value())
    c.end()
    # a list of names (search_path) keeps each name's spelling: quoted where it needs it, as
    # PostgreSQL shows and re-reads it ('' is "", "My Schema" stays one name)
    shown = [_quoted_name(v) for v in values] if name == "search_path" else values
    return Utility(kind="set", args={"name": name, "value": ", ".join(shown), "local": local,
                                     "values": values})


def _quoted_name(name: str) -> str:
    return name if re.fullmatch(r"[a-z_][a-z0-9_$]*", name) else '"' + name.replace('"', '""') + '"'



def _parse_role(c: _Cursor) -> Utility:
    w = c.word()
    c.i += 1
    c.i += 1  # ROLE / USER / GROUP
    if w == "DROP":
        if_exists = c.accept("IF", "EXISTS")
        names = [c.name()]
        while c.cur is not None and c.cur.token_type == TokenType.COMMA:
            c.i += 1
            names.append(c.name())
        c.end()
        return Utility(kind="drop_role", args={"names": names, "if_exists": if_exists})
    name = c.name()
    if w == "ALTER" and (c.word() in ("ADD", "DROP")) and c.peek_word() == "USER":
        # ALTER GROUP g ADD|DROP USER u, ...: role membership, as GRANT/REVOKE g TO/FROM u
        from helios_core.frontends.postgres.grant_syntax import GrantSpec

        adding = c.word() == "ADD"
        c.i += 2
        users = [c.name()]
        while c.cur is not None and c.cur.token_type == TokenType.COMMA:
            c.i += 1
            users.append(c.name())
        c.end()
        spec = GrantSpec(is_grant=adding, privileges=[], object_kind=None, granted_roles=[name], grantees=users)
        return Utility(kind="grant" if adding else "revoke",
                       args={"privileges": [], "on": None, "objects": [], "roles": users, "spec": spec})
    if w == "ALTER" and c.accept("RENAME", "TO"):
        new = c.name()
        c.end()
        return Utility(kind="rename_role", args={"name": name, "new": new})
    c.accept("WITH")
    opts: dict[str, Any] = {}
    while not c.at_end():
        word = c.word()
        c.i += 1
        if word == "PASSWORD":
            if c.accept("NULL"):
                opts["password"] = None
            else:
                opts["password"] = c.string()
        elif word in ("ENCRYPTED", "UNENCRYPTED"):
            continue
        elif word in ("SUPERUSER", "NOSUPERUSER", "LOGIN", "NOLOGIN", "CREATEDB", "NOCREATEDB",
                      "CREATEROLE", "NOCREATEROLE", "INHERIT", "NOINHERIT", "REPLICATION",
                      "NOREPLICATION", "BYPASSRLS", "NOBYPASSRLS"):
            key = word.removeprefix("NO")
            opts[key.lower()] = not word.startswith("NO")
        elif word == "CONNECTION":
            c.expect("LIMIT")
            opts["connection_limit"] = int(c.value())
        elif word == "VALID":
            c.expect("UNTIL")
            opts["valid_until"] = c.string()
        elif word in ("IN", "ROLE", "ADMIN", "USER"):
            if word == "IN":
                c.accept("ROLE") or c.accept("GROUP")
            names = [c.name()]
            while c.cur is not None and c.cur.token_type == TokenType.COMMA:
                c.i += 1
                names.append(c.name())
            opts.setdefault({"IN": "member_of", "ADMIN": "admins"}.get(word, "members"), []).extend(names)
        elif word == "SYSID":
            c.value()  # accepted and ignored by PostgreSQL too
        else:
            c.i -= 1
            c.fail()
    kind = "create_role" if w == "CREATE" else "alter_role"
    # CREATE USER implies LOGIN
    if kind == "create_role" and c.toks[1].text.upper() == "USER":
        opts.setdefault("login", True)
    return Utility(kind=kind, args={"name": name, "options": opts})


def _parse_grant(c: _Cursor) -> Utility:
    """GRANT/REVOKE (helios_core.frontends.postgres.grant_syntax); the flat keys serve GRANT ... ON BRANCH."""
    from helios_core.frontends.postgres import grant_syntax

    spec = grant_syntax.parse(c)
    return Utility(kind="grant" if spec.is_grant else "revoke",
                   args={"privileges": [w for p, _ in spec.privileges for w in p.split()],
                         "on": spec.object_kind, "objects": spec.objects, "roles": spec.grantees,
                         "spec": spec})


def _parse_default_privileges(c: _Cursor) -> Utility:
    from helios_core.frontends.postgres import grant_syntax

    spec = grant_syntax.parse_default_privileges(c)
    return Utility(kind="alter_default_privileges", args={"spec": spec})


def to_sql(tree: exp.Expr) -> str:
    """Render a tree back to SQL in our dialect (used to store view definitions)."""
    return DIALECT.generate(tree)


# sqlglot spells these as syntax; PostgreSQL's deparser keeps them upper case
_UPPER_CALLS = ("COALESCE", "GREATEST", "LEAST", "NULLIF")


def expression_text(tree: exp.Expr) -> str:
    """An expression as PostgreSQL's catalogs show it, near enough (pg_get_expr of a default or
    an index key): function names in lower case, now() as written."""
    text = DIALECT.generate(tree, normalize_functions="lower")
    for word in _UPPER_CALLS:
        text = text.replace(f"{word.lower()}(", f"{word}(")
    return text
