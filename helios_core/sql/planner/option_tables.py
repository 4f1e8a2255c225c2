"""``pg_options_to_table(options text[])`` in FROM: a reloptions-style array as (option_name, option_value).

pg_dump reads every options column this way, correlated with the row it describes
(``ARRAY(SELECT ... FROM pg_options_to_table(attfdwoptions))``). It is planned as the
derived table it is equivalent to, so correlation works as for any subquery::

    pg_options_to_table(o) AS x
    -> (SELECT split_part(e, '=', 1) AS option_name,
               substr(e, strpos(e, '=') + 1) AS option_value FROM unnest(o) AS e) AS x
"""

from __future__ import annotations

from sqlglot import exp

NAME = "pg_options_to_table"


def is_options_call(node: exp.Expression) -> bool:
    return isinstance(node, exp.Anonymous) and str(node.this).lower() == NAME


def as_subquery(call: exp.Anonymous, alias: str | None, col_aliases: list[str]) -> exp.Subquery:
    """The derived table that ``call`` stands for, named like the call (or its alias)."""
    from helios_core.errors import UndefinedFunction
    from helios_core.frontends.postgres.dialect import DIALECT

    if len(call.expressions) != 1:
        raise UndefinedFunction(f"function {NAME} takes exactly one argument (text[])")
    name_col = col_aliases[0] if col_aliases else "option_name"
    value_col = col_aliases[1] if len(col_aliases) > 1 else "option_value"
    body = exp.maybe_parse(
        f"SELECT split_part(__opt, '=', 1) AS {name_col}, substr(__opt, strpos(__opt, '=') + 1) AS {value_col} "
        "FROM unnest(NULL) AS __opt",
        dialect=DIALECT,
    )
    unnest = next(body.find_all(exp.Unnest))
    unnest.set("expressions", [call.expressions[0].copy()])
    return exp.Subquery(this=body, alias=exp.TableAlias(this=exp.to_identifier(alias or NAME)))
