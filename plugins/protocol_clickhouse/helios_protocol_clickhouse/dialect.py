"""The ``clickhouse`` SQL dialect: ClickHouse's SQL, parsed by sqlglot, run by the shared kernel.

``translate(tree)`` rewrites a statement parsed by sqlglot's clickhouse dialect into the tree
the kernel runs (PostgreSQL's shapes over the shared function library); it is registered as
the dialect's statement rewrite, so ``session.execute(sql, dialect="clickhouse")`` runs
ClickHouse SQL from any caller. The rewrites, one concern each, live in ``rewrites/``:
table functions and system tables (``system.numbers``, ``numbers(N)``, ``system.one``),
functions onto the shared library, ARRAY JOIN, LIMIT BY.
"""

from __future__ import annotations

from typing import Any, ClassVar

from sqlglot import exp
from sqlglot.dialects.clickhouse import ClickHouse
from sqlglot.helper import seq_get
from sqlglot.tokens import TokenType

from helios_core.hookspecs import SqlDialect
from helios_protocol_clickhouse.rewrites import apply_all
from helios_protocol_clickhouse.rewrites.limit_by import LIMIT_AFTER_BY

# ClickHouse functions kept as plain calls (named as written) for ``rewrites/functions.py``: sqlglot's
# own classes for them take fewer arguments than ClickHouse (lambdas, rounding digits) or other rules
_PLAIN_CALLS = {"ARRAYMIN", "ARRAYMAX", "ARRAYSUM", "ARRAYSLICE", "ARRAYCONCAT", "ARRAYDISTINCT", "ISNAN",
                "ISINFINITE", "ROUND", "TRUNC", "SUBSTRING", "SUBSTR", "STARTSWITH", "ENDSWITH", "FORMAT", "FLOOR",
                "CEIL", "CEILING", "CBRT", "HEX", "UNHEX", "TOISOWEEK", "TOISOYEAR", "TRUNCATE", "UNIQ"}

# aggregates taking parameters that sqlglot's ClickHouse dialect does not know by name
_MORE_AGGREGATES = {"quantileExactWeightedInterpolated", "quantilesExactWeightedInterpolated",
                    "quantilesExactWeighted", "quantilesInterpolatedWeighted", "groupArraySorted",
                    "sequenceMatchEvents"}


class HeliosClickHouse(ClickHouse):
    """sqlglot's ClickHouse dialect; the name under which HeliosDB parses ClickHouse SQL."""

    class Parser(ClickHouse.Parser):
        FUNCTIONS: ClassVar[dict] = {k: v for k, v in ClickHouse.Parser.FUNCTIONS.items() if k not in _PLAIN_CALLS}
        FUNCTION_PARSERS: ClassVar[dict] = {k: v for k, v in ClickHouse.Parser.FUNCTION_PARSERS.items() if k not in _PLAIN_CALLS}
        # WITH TOTALS without GROUP BY: the whole input is the one group
        QUERY_MODIFIER_PARSERS: ClassVar[dict] = {**ClickHouse.Parser.QUERY_MODIFIER_PARSERS,
                                                  TokenType.WITH: lambda self: ("group", self._parse_bare_totals())}
        QUERY_MODIFIER_TOKENS: ClassVar[set] = set(QUERY_MODIFIER_PARSERS)

        @classmethod
        def _resolve_clickhouse_agg(cls, name: str) -> Any:
            """Aggregates sqlglot does not list, read as aggregates (with parameters) all the same."""
            found = super()._resolve_clickhouse_agg(name)
            if found is None and name in _MORE_AGGREGATES:
                return name, ()
            return found

        def _parse_limit(self, *args: Any, **kwargs: Any) -> Any:
            """``LIMIT n BY x LIMIT m``: the second LIMIT (of the whole result) kept beside the first."""
            limit = super()._parse_limit(*args, **kwargs)
            if isinstance(limit, exp.Limit) and limit.args.get("expressions") and self._curr is not None and \
                    self._curr.token_type == TokenType.LIMIT:
                limit.meta[LIMIT_AFTER_BY] = super()._parse_limit()
            return limit

        # ClickHouse's keywords name tables and columns too (a table called prewhere or insert)
        ID_VAR_TOKENS: ClassVar[set] = {*ClickHouse.Parser.ID_VAR_TOKENS, TokenType.PREWHERE, TokenType.INSERT}
        # database(): currentDatabase() under its other name (DATABASE is a keyword to the tokenizer)
        FUNC_TOKENS: ClassVar[set] = {*ClickHouse.Parser.FUNC_TOKENS, TokenType.DATABASE}
        # a lambda's body is a whole expression, the ternary operator too (x -> c ? x : 0)
        LAMBDAS: ClassVar[dict] = {**ClickHouse.Parser.LAMBDAS, TokenType.ARROW: lambda self, expressions: self.expression(
            exp.Lambda(this=self._replace_lambda(self._parse_assignment(), expressions), expressions=expressions))}

        # in an expression, range(...), tuple(...), map(...), array(...) are calls, never types
        # (sqlglot would read ``tuple(NULL) < tuple(1)`` as a generic type and ``range(number)`` as a
        # RANGE of DECIMAL); CAST targets are read without check_func and stay types
        _CALLS_NAMED_AS_TYPES: ClassVar[set] = {TokenType.RANGE, TokenType.STRUCT, TokenType.MAP, TokenType.ARRAY}

        def _parse_types(self, check_func: bool = False, schema: bool = False, allow_identifiers: bool = True,
                         with_collation: bool = False) -> Any:
            if check_func and self._curr is not None and self._next is not None and \
                    self._curr.token_type in self._CALLS_NAMED_AS_TYPES and self._next.token_type == TokenType.L_PAREN:
                return None
            return super()._parse_types(check_func=check_func, schema=schema, allow_identifiers=allow_identifiers,
                                        with_collation=with_collation)

        def _parse_table_sample(self, as_modifier: bool = False) -> exp.TableSample | None:
            """``SAMPLE k OFFSET m``: the OFFSET is the sample's (its ``offset``), not the query's."""
            sample = super()._parse_table_sample(as_modifier=as_modifier)
            if sample is not None and self._match(TokenType.OFFSET):
                sample.set("offset", self._parse_factor())
            return sample

        def _parse_position(self, haystack_first: bool = False) -> exp.StrPosition:
            """``position(h AS x, n)`` and ``position(n IN h)``: arguments may be named."""
            args = self._parse_csv(lambda: self._parse_alias(self._parse_bitwise(), explicit=True))
            if self._match(TokenType.IN):
                return self.expression(exp.StrPosition(this=self._parse_bitwise(), substr=seq_get(args, 0)))
            return self.expression(exp.StrPosition(this=seq_get(args, 0), substr=seq_get(args, 1),
                                                   position=seq_get(args, 2)))

        def _parse_function_args(self, alias: bool = False) -> list[exp.Expression]:
            """``abs(x - 10 AS d)``: ClickHouse names an expression anywhere, known functions' arguments too."""
            return super()._parse_function_args(True)

        def _parse_bare_totals(self) -> exp.Group | None:
            if self._next is None or self._next.text.upper() != "TOTALS":
                return None
            self._advance(2)
            return exp.Group(totals=True)


def translate(tree: exp.Expression) -> exp.Expression:
    """A ClickHouse statement tree -> the tree the kernel runs."""
    return apply_all(tree)


def _translate_any(tree: Any) -> Any:
    return translate(tree)


CLICKHOUSE = SqlDialect(
    name="clickhouse",
    sqlglot_dialect=HeliosClickHouse,
    statements={exp.Expression: _translate_any},
)
