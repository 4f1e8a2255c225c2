"""Variables inside the SQL of a PL/pgSQL body: each reference becomes a ``$n`` parameter.

``x`` (a variable), ``rec.field`` (a field of a record such as NEW or OLD), ``$1`` (the
routine's first argument) are replaced in the parsed statement; the values and their types
are passed along with it. A name that is both a variable and a column of a table the
statement reads is taken as the column (the statement can qualify it). A whole record
given to to_json / to_jsonb / row_to_json becomes the object of its fields (the audit-log
trigger's ``to_jsonb(NEW)``).
"""

from __future__ import annotations

from typing import Any

from sqlglot import exp

from helios_core.sql import embedded_sql

_RECORD_TO_JSON = {"to_jsonb": "jsonb_build_object", "to_json": "json_build_object",
                   "row_to_json": "json_build_object"}


def bind(session: Any, tree: exp.Expression, frame: Any) -> tuple[exp.Expression, list[Any], list[Any]]:
    """``tree`` with the frame's variables as parameters; (tree, values, types)."""
    values: list[Any] = []
    types: list[Any] = []
    slots: dict[str, int] = {}
    columns_of = embedded_sql.table_columns(session)
    shadowed = columns_of(tree) if tree.find(exp.Table) else set()
    source = tree.args.get("expression") if isinstance(tree, exp.Insert) else None
    # INSERT's VALUES (or query) does not see the target's columns: a variable named like one is
    # the variable there (RETURNING and ON CONFLICT do see them)
    source_shadowed = (columns_of(source) if source is not None and source.find(exp.Table) else set())

    def slot(key: str, value: Any, sql_type: Any) -> exp.Expression:
        if key not in slots:
            values.append(value)
            types.append(sql_type)
            slots[key] = len(values)
        return exp.Placeholder(this=str(slots[key]))  # not an exp.Parameter: those are the routine's $n

    def swap(node: exp.Expression, shadowed: set = shadowed) -> exp.Expression:
        if isinstance(node, exp.Anonymous) and str(node.this).lower() in _RECORD_TO_JSON and \
                len(node.expressions) == 1 and isinstance(node.expressions[0], exp.Column) and \
                not node.expressions[0].table:
            rec = frame.record(node.expressions[0].name)
            if rec is not None:
                items: list[exp.Expression] = []
                for field, (value, t) in rec.items():
                    items.append(exp.Literal.string(field))
                    items.append(slot(f"{node.expressions[0].name}.{field}", value, t))
                return exp.Anonymous(this=_RECORD_TO_JSON[str(node.this).lower()], expressions=items)
        if isinstance(node, exp.Parameter) and node.name.isdigit():
            found = frame.positional(int(node.name))
            if found is not None:
                return slot(f"${node.name}", *found)
            return node
        if isinstance(node, exp.Column) and node.args.get("db") and not node.args.get("catalog"):
            rec = frame.labelled(node.text("db"), node.table)  # label.record.field
            if rec is not None and rec.type is None and rec.fields and node.name in rec.fields:
                value, t = rec.fields[node.name]
                return slot(f"{node.text('db')}.{node.table}.{node.name}", None if rec.null_row else value, t)
            return node
        if isinstance(node, exp.Column) and not node.args.get("db"):
            table, name = node.table, node.name
            if table:
                var = frame.labelled(table, name)  # label.variable
                if var is not None and var.type is not None:
                    return slot(f"{table}.{name}", var.value, var.type)
                found = frame.field(table, name)
                if found is not None:
                    return slot(f"{table}.{name}", *found)
                return node
            if name in shadowed:
                return node
            found = frame.lookup(name)
            if found is not None:
                return slot(name, *found)
            whole = frame.get(name)
            if whole is not None and whole.type is None:  # a record as a value: NULL or its fields
                if whole.null_row or whole.fields is None:
                    return exp.Null()
                return exp.Tuple(expressions=[slot(f"{name}.{f}", v, t) for f, (v, t) in whole.fields.items()])
        return node

    if source is not None:
        tree.set("expression", source.transform(lambda n: swap(n, source_shadowed)))
        rest = tree.transform(lambda n: n if n is tree.args.get("expression") else swap(n))
        return rest, values, types
    return tree.transform(swap), values, types
