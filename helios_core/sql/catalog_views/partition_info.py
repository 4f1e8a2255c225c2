"""PostgreSQL's partition information functions over the catalog model.

pg_partition_tree(regclass), pg_partition_ancestors(regclass) (set-returning),
pg_partition_root(regclass) and pg_get_partkeydef(oid), computed from the partitioned
tables' and partitions' options (``partition_by``, ``partition_of``; sql/partitions.py).
A relation that is not part of a partition tree gives what PostgreSQL gives: no rows or
NULL for the tree functions, itself as its own root only when it is a table.
"""

from __future__ import annotations

from typing import Any

import pyarrow as pa

from helios_core.errors import UndefinedTable
from helios_core.sql import types as T
from helios_core.sql.catalog_views.model import CatalogModel

TREE_COLUMNS = [("relid", T.REGCLASS), ("parentrelid", T.REGCLASS), ("isleaf", T.BOOL), ("level", T.INT4)]


class _Tree:
    """Parent links between the relations of one catalog snapshot."""

    def __init__(self, model: CatalogModel, search_path: list[str]) -> None:
        rels = [r for r in model.relations if r.kind in ("r", "p", "f")]
        self.search_path = search_path
        self.all = model.relations
        by_name = {(r.schema, r.name): r for r in rels}
        self.by_oid = {r.oid: r for r in rels}
        self.parent: dict[int, int] = {}
        self.kids: dict[int, list[int]] = {}
        for r in rels:
            of = r.options.get("partition_of")
            p = by_name.get((of["schema"], of["name"])) if of else None
            if p is not None:
                self.parent[r.oid] = p.oid
                self.kids.setdefault(p.oid, []).append(r.oid)

    def oid_of(self, value: Any) -> int | None:
        """An oid, or a relation name as 'name'::regclass reads it (search_path, schema.name)."""
        if value is None or isinstance(value, int):
            return value
        text = str(value).strip()
        if text.isdigit():  # '16385': an oid given as text, as pg_dump passes it
            return int(text)
        schema, _, name = text.rpartition(".")
        name = name.strip('"') if name.startswith('"') else name.lower()
        for s in [schema.strip('"')] if schema else self.search_path:
            for r in self.all:
                if r.schema == s and r.name == name:
                    return r.oid
        raise UndefinedTable(f'relation "{text}" does not exist')

    def in_tree(self, oid: int) -> bool:
        return oid in self.parent or oid in self.kids or (
            oid in self.by_oid and self.by_oid[oid].kind == "p")

    def ancestors(self, oid: int) -> list[int]:
        out = [oid]
        while out[-1] in self.parent:
            out.append(self.parent[out[-1]])
        return out


def _tree(session: Any) -> _Tree:
    return _Tree(CatalogModel(session), list(session.search_path()))


def partition_tree(session: Any, rel: Any) -> list[pa.Array]:
    tree = _tree(session)
    oid = tree.oid_of(rel)
    rows: list[tuple] = []
    if oid is not None and tree.in_tree(oid):
        queue = [(oid, 0)]  # breadth first, as PostgreSQL lists the tree
        while queue:
            rel, level = queue.pop(0)
            rows.append((rel, tree.parent.get(rel), tree.by_oid[rel].kind != "p", level))
            queue.extend((k, level + 1) for k in tree.kids.get(rel, []))
    return [pa.array([r[i] for r in rows], t.arrow_type) for i, (_, t) in enumerate(TREE_COLUMNS)]


def partition_ancestors(session: Any, rel: Any) -> list[pa.Array]:
    tree = _tree(session)
    oid = tree.oid_of(rel)
    rel = [] if oid is None or not tree.in_tree(oid) else tree.ancestors(oid)
    return [pa.array(rel, T.REGCLASS.arrow_type)]


def partition_root(session: Any, rel: Any) -> int | None:
    tree = _tree(session)
    oid = tree.oid_of(rel)
    if oid is None or not tree.in_tree(oid):
        return None
    return tree.ancestors(oid)[-1]


def partkeydef(session: Any, oid: Any) -> str | None:
    """pg_get_partkeydef: 'RANGE (a, abs(b))' for a partitioned table, else NULL."""
    tree = _tree(session)
    oid = tree.oid_of(oid)
    rel = tree.by_oid.get(oid) if oid is not None else None
    sp = rel.options.get("partition_by") if rel is not None else None
    if not sp:
        return None
    return f"{sp['strategy'].upper()} ({', '.join(_key_text(k, sp) for k in sp['columns'])})"


def _key_text(key: str, sp: dict) -> str:
    if key in (sp.get("exprs") or {}):
        return f"({key})"
    return key if key.islower() and key.replace("_", "").isalnum() else '"' + key.replace('"', '""') + '"'
