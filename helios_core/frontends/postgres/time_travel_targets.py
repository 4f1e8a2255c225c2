"""Time travel is read-only: a write may read the past but never target it.

``t AS OF TIMESTAMP x`` is our extension of PostgreSQL's table reference, and the
grammar only takes it where a table is read. PostgreSQL's own grammar reads
``UPDATE t AS OF TIMESTAMP ...`` as the alias ``of`` followed by a stray
``TIMESTAMP`` and reports a syntax error there (42601); so do we, for every
statement that writes (UPDATE, DELETE, INSERT, MERGE, also inside a WITH), so the
past can never be changed through a clause that was accepted and ignored. Reading
the past inside a write stays allowed (``INSERT INTO t SELECT * FROM t AS OF ...``
restores rows). Row locks need the current row, so ``FOR UPDATE``/``FOR SHARE`` on a
time-travel reference is refused with 0A000.
"""

from __future__ import annotations

from sqlglot import exp
from sqlglot.tokens import Token

from helios_core.errors import FeatureNotSupported, SyntaxError_

_WRITES = (exp.Update, exp.Delete, exp.Insert, exp.Merge)
# statements that name a table only to change or lock it: a time-travel clause there is not grammar
_TABLE_COMMANDS = {"TRUNCATE", "LOCK", "COMMENT", "ALTER", "DROP", "VACUUM", "ANALYZE", "REINDEX", "CLUSTER",
                   "GRANT", "REVOKE"}


def refuse_time_travel_in_commands(words: list[tuple[str, int]]) -> None:
    """42601 at ``AS`` for ``t AS OF TIMESTAMP`` in TRUNCATE, LOCK, ALTER, CREATE INDEX and the like.

    ``words``: the statement's tokens as (text, 0-based start in the query string).
    """
    if not words:
        return
    first = words[0][0].upper()
    second = words[1][0].upper() if len(words) > 1 else ""
    third = words[2][0].upper() if len(words) > 2 else ""
    if first not in _TABLE_COMMANDS and not (first == "CREATE" and "INDEX" in (second, third)):
        return
    for i in range(len(words) - 2):
        if (words[i][0].upper() == "AS" and words[i + 1][0].upper() == "OF"
                and words[i + 2][0].upper() == "TIMESTAMP"):
            raise SyntaxError_(f'syntax error at or near "{words[i][0]}"', position=words[i][1] + 1)


def refuse_time_travel_writes(tree: exp.Expression, tokens: list[Token]) -> None:
    """Raise 42601 at ``TIMESTAMP`` when a write targets ``t AS OF TIMESTAMP``; 0A000 for row locks."""
    for node in tree.find_all(*_WRITES):
        target = node.this
        if isinstance(target, exp.Schema):
            target = target.this
        if isinstance(target, exp.Table) and target.args.get("version") is not None:
            word, position = _timestamp_token(target, tokens)
            raise SyntaxError_(f'syntax error at or near "{word}"', position=position)
    for select in tree.find_all(exp.Select):
        locks = select.args.get("locks")
        if locks:
            _refuse_locked_past(select, locks)


def _timestamp_token(table: exp.Table, tokens: list[Token]) -> tuple[str, int | None]:
    """The TIMESTAMP word of the table's ``AS OF TIMESTAMP`` as written, and its 1-based position."""
    ident = table.this
    start = ident.meta.get("start") if isinstance(ident, exp.Identifier) and ident.meta else None
    if not isinstance(start, int):
        return "TIMESTAMP", None
    for i in range(len(tokens) - 2):
        if (tokens[i].start > start and tokens[i].text.upper() == "AS" and tokens[i + 1].text.upper() == "OF"
                and tokens[i + 2].text.upper() == "TIMESTAMP"):
            return tokens[i + 2].text, tokens[i + 2].start + 1
    return "TIMESTAMP", start + 1


def _refuse_locked_past(select: exp.Select, locks: list[exp.Expression]) -> None:
    tables = [select.args["from_"].this] if select.args.get("from_") is not None else []
    tables += [j.this for j in select.args.get("joins") or []]
    past = {t.alias_or_name for t in tables if isinstance(t, exp.Table) and t.args.get("version") is not None}
    if not past:
        return
    for lock in locks:
        named = {t.name for t in lock.expressions}
        if not named or named & past:
            strength = "FOR UPDATE" if lock.args.get("update") else "FOR SHARE"
            raise FeatureNotSupported(f"{strength} is not supported on a time-travel table reference (AS OF)",
                                      hint="Rows of the past cannot be locked; lock the current rows instead.")
