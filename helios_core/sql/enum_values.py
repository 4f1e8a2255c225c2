"""ALTER TYPE enum ADD VALUE / RENAME VALUE.

An enum's catalog record keeps its labels in sort order ("labels") with PostgreSQL's float4
sort positions beside them ("sortorders"): a label added BEFORE/AFTER another takes the
midpoint of its neighbours, and when float4 can no longer split them every label is renumbered
1..n first, as pg_enum does. Comparisons and ORDER BY read the order of "labels".

A label added by ADD VALUE may not be used before its transaction commits (the labels CREATE
TYPE made are always safe): the record notes the adding transaction of each ("new_labels"), and
``user_types.enum_type`` turns those of the running transaction into the SqlType's
``unsafe_labels`` (checked by ``enum_labels.check_safe``).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pyarrow as pa
from sqlglot.tokens import TokenType

from helios_core.errors import DuplicateObject, InvalidParameterValue
from helios_core.session import Result
from helios_core.sql.constraints import column_metadata, rebuild_table
from helios_core.sql.enum_labels import check_label, sort_orders
from helios_core.storage import ColumnDef


def alter(session: Any, c: Any, key: str, rec: dict) -> Result:
    """ADD VALUE [IF NOT EXISTS] 'label' [BEFORE | AFTER 'label'] | RENAME VALUE 'old' TO 'new'
    (``c``: the statement's cursor after the type's name)."""
    txn = session.tx.current()
    if c.accept("ADD", "VALUE"):
        if_not_exists = c.accept("IF", "NOT", "EXISTS")
        label = _string(c)
        neighbour, after = None, False
        if c.accept("BEFORE"):
            neighbour = _string(c)
        elif c.accept("AFTER"):
            neighbour, after = _string(c), True
        c.end()
        check_label(label)
        if label in rec["labels"]:
            if if_not_exists:
                return Result(command_tag="ALTER TYPE", notices=[f'enum label "{label}" already exists, skipping'])
            raise DuplicateObject(f'enum label "{label}" already exists')
        labels, orders = _placed(list(rec["labels"]), sort_orders(rec), label, neighbour, after)
        pending = {k: v for k, v in (rec.get("new_labels") or {}).items() if v == txn.txid}  # older ones committed
        new = dict(rec, labels=labels, sortorders=orders, new_labels={**pending, label: txn.txid})
        txn.catalog_put("type", key, new)
        _refresh_checks(session, txn, key, new, None)
        return Result(command_tag="ALTER TYPE")
    if c.accept("RENAME", "VALUE"):
        old = _string(c)
        c.expect("TO")
        label = _string(c)
        c.end()
        if old not in rec["labels"]:
            raise InvalidParameterValue(f'"{old}" is not an existing enum label')
        if label in rec["labels"]:
            raise DuplicateObject(f'enum label "{label}" already exists')
        check_label(label)
        labels = [label if x == old else x for x in rec["labels"]]
        pending = {(label if k == old else k): v for k, v in (rec.get("new_labels") or {}).items()}
        new = dict(rec, labels=labels, new_labels=pending)
        txn.catalog_put("type", key, new)
        _refresh_checks(session, txn, key, new, (old, label))
        return Result(command_tag="ALTER TYPE")
    c.fail()
    raise AssertionError("unreachable")


def _string(c: Any) -> str:
    t = c.cur
    if t is None or t.token_type != TokenType.STRING:
        c.fail()
    c.accept_token()
    return t.text


def _placed(labels: list[str], orders: list[float], label: str, neighbour: str | None,
            after: bool) -> tuple[list[str], list[float]]:
    """The labels and sort positions with ``label`` added: last, or beside ``neighbour``."""
    if neighbour is None:
        return [*labels, label], [*orders, float(np.float32((max(orders) if orders else 0.0) + 1))]
    if neighbour not in labels:
        raise InvalidParameterValue(f'"{neighbour}" is not an existing enum label')
    for _ in range(2):
        i = labels.index(neighbour)
        j = i + 1 if after else i - 1
        if not 0 <= j < len(labels):
            pos = float(np.float32(orders[i] + (1 if after else -1)))
        else:
            pos = float(np.float32((np.float32(orders[i]) + np.float32(orders[j])) / np.float32(2)))
            if pos in (orders[i], orders[j]):  # float4 cannot split them: renumber 1..n and try again
                orders = [float(k + 1) for k in range(len(labels))]
                continue
        at = i + 1 if after else i
        return labels[:at] + [label] + labels[at:], orders[:at] + [pos] + orders[at:]
    raise AssertionError("renumbered positions always split")


def _refresh_checks(session: Any, txn: Any, key: str, rec: dict, renamed: tuple[str, str] | None) -> None:
    """Columns of the enum: their label check takes the new labels; a renamed label's stored values
    are rewritten (PostgreSQL stores the label's OID, so they follow the rename)."""
    listed = ", ".join("'" + lab.replace("'", "''") + "'" for lab in rec["labels"])
    for tdef in txn.list_tables():
        cols = [c.name for c in tdef.columns if (c.metadata or {}).get("enum") == key]
        if not cols:
            continue
        checks = [dict(ck, expr=f'"{ck["expr"].split(chr(34))[1]}" IN ({listed})')
                  if ck.get("enum") and ck["expr"].split('"')[1] in cols else ck
                  for ck in tdef.options.get("checks", [])]
        txn.alter_table(tdef.schema, tdef.name, options={"checks": checks})
        if renamed is None:
            continue
        tdef = txn.get_table(tdef.schema, tdef.name)
        defs = [ColumnDef(c.name, c.type, c.nullable, dict(column_metadata(tdef, c.name))) for c in tdef.columns]
        rebuild_table(session, txn, tdef, defs, list(tdef.primary_key), reshape=_renaming(tdef, cols, *renamed))


def _renaming(tdef: Any, cols: list[str], old: str, new: str) -> Any:
    """A batch of ``tdef`` with label ``old`` read as ``new`` in columns ``cols``."""
    def reshape(batch: pa.RecordBatch) -> list[pa.Array]:
        return [pa.array([new if v == old else v for v in batch.column(c.name).to_pylist()], pa.string())
                if c.name in cols else batch.column(c.name) for c in tdef.columns]
    return reshape
