"""pg_depend and pg_rewrite: which object needs which, so pg_dump orders its output to restore.

PostgreSQL records, and pg_dump sorts by, these dependencies; the ones HeliosDB has:

- a view's ``_RETURN`` rule (a pg_rewrite row) depends on the relations its query reads
  (``n``) and belongs to the view (``i``): the view is dumped after its tables;
- a sequence owned by a column (SERIAL, ``OWNED BY``) depends on that column (``a``), and a
  default calling ``nextval('seq')`` on the sequence (``n``): pg_dump creates the sequence
  first and writes ``ALTER SEQUENCE ... OWNED BY``; an identity column's sequence is internal
  to it (``i``), and pg_dump writes ``ADD GENERATED ... AS IDENTITY``.

A view's names are resolved as when it was created: its own schema, then ``public``.
"""

from __future__ import annotations

import re

from sqlglot import exp

from helios_core.sql.catalog_views.model import CatalogModel, Relation, stable_oid
from helios_core.sql.catalog_views.registry import catalog_table

PG = "pg_catalog"
PG_CLASS, PG_ATTRDEF, PG_REWRITE = 1259, 2604, 2618
NEXTVAL = re.compile(r"nextval\('((?:[^']|'')+)'(?:::regclass)?\)", re.IGNORECASE)


def rule_oid(view: Relation) -> int:
    return stable_oid("rule", str(view.oid))


def _by_name(model: CatalogModel) -> dict[tuple[str, str], Relation]:
    return {(r.schema, r.name): r for r in model.relations if r.kind in ("r", "p", "v", "m", "S")}


def resolve(by_name: dict[tuple[str, str], Relation], table: exp.Table, home: str) -> Relation | None:
    """The relation a view's table reference means (qualified, or in the view's schema, or public)."""
    if table.db:
        return by_name.get((table.db, table.name))
    return by_name.get((home, table.name)) or by_name.get(("public", table.name))


def view_references(model: CatalogModel, view: Relation, by_name: dict | None = None) -> list[Relation]:
    """The relations ``view``'s query reads (CTE names excluded); empty when it does not parse."""
    from helios_core.frontends.postgres.dialect import DIALECT

    if not view.view_sql:
        return []
    try:
        tree = exp.maybe_parse(view.view_sql, dialect=DIALECT)
    except Exception:  # noqa: BLE001 - a view our parser cannot re-read has no recorded dependencies
        return []
    by_name = by_name or _by_name(model)
    ctes = {c.alias_or_name for c in tree.find_all(exp.CTE)}
    found: dict[int, Relation] = {}
    for t in tree.find_all(exp.Table):
        if not t.name or (not t.db and t.name in ctes):
            continue
        rel = resolve(by_name, t, view.schema)
        if rel is not None and rel.oid != view.oid:
            found[rel.oid] = rel
    return list(found.values())


def owned_sequence_column(model: CatalogModel, seq: Relation, by_name: dict) -> tuple[Relation, int] | None:
    """(table, column number) that owns ``seq`` (``owned_by`` "schema.table.column"), or None."""
    owned = str(seq.options.get("owned_by") or "")
    parts = owned.split(".")
    if len(parts) != 3:
        return None
    table = by_name.get((parts[0], parts[1]))
    if table is None:
        return None
    number = next((c.number for c in table.columns if c.name == parts[2]), None)
    return (table, number) if number is not None else None


@catalog_table(
    PG,
    "pg_rewrite",
    """oid oid, rulename name, ev_class oid, ev_type "char", ev_enabled "char",
    is_instead bool, ev_qual text, ev_action text""",
)
def pg_rewrite(model: CatalogModel) -> list[tuple]:
    return [
        (rule_oid(v), "_RETURN", v.oid, "1", "O", True, None, None) for v in model.relations if v.kind in "vm"
    ]


@catalog_table(
    PG,
    "pg_depend",
    """classid oid, objid oid, objsubid int4, refclassid oid, refobjid oid,
    refobjsubid int4, deptype "char\"""",
)
def pg_depend(model: CatalogModel) -> list[tuple]:
    by_name = _by_name(model)
    rows: list[tuple] = []
    for rel in model.relations:
        if rel.kind in ("v", "m"):
            rule = rule_oid(rel)
            rows.append((PG_REWRITE, rule, 0, PG_CLASS, rel.oid, 0, "i"))
            rows.extend(
                (PG_REWRITE, rule, 0, PG_CLASS, ref.oid, 0, "n")
                for ref in view_references(model, rel, by_name)
            )
        elif rel.kind == "S":
            owner = owned_sequence_column(model, rel, by_name)
            if owner is not None:
                # an identity column's sequence is internal to it ("i"), a SERIAL's is owned ("a")
                column = next(c for c in owner[0].columns if c.number == owner[1])
                kind = "i" if column.identity else "a"
                rows.append((PG_CLASS, rel.oid, 0, PG_CLASS, owner[0].oid, owner[1], kind))
        elif rel.kind in ("r", "p", "f"):
            for c in rel.columns:
                for name in NEXTVAL.findall("" if c.identity else c.default or ""):
                    seq = _sequence(by_name, name.replace("''", "'"), rel.schema)
                    if seq is not None:
                        attrdef = stable_oid("attrdef", f"{rel.oid}.{c.number}")
                        rows.append((PG_ATTRDEF, attrdef, 0, PG_CLASS, seq.oid, 0, "n"))
    return rows


def _sequence(by_name: dict, text: str, home: str) -> Relation | None:
    parts = [p.strip('"') for p in text.split(".")]
    if len(parts) == 2:
        return by_name.get((parts[0], parts[1]))
    return by_name.get((home, parts[0])) or by_name.get(("public", parts[0]))


def qualified_view_sql(model: CatalogModel, view: Relation, visible: list[str]) -> str | None:
    """The view's query with the relations outside ``visible`` schemas qualified, as
    pg_get_viewdef prints it (pg_dump empties search_path, so its output must say where)."""
    from helios_core.frontends.postgres.dialect import DIALECT

    text = view.view_sql
    if not text:
        return text
    try:
        tree = exp.maybe_parse(text, dialect=DIALECT)
    except Exception:  # noqa: BLE001 - shown as stored
        return text
    by_name = _by_name(model)
    ctes = {c.alias_or_name for c in tree.find_all(exp.CTE)}
    changed = False
    for t in tree.find_all(exp.Table):
        if t.db or not t.name or t.name in ctes:
            continue
        rel = resolve(by_name, t, view.schema)
        if rel is not None and rel.schema not in visible:
            t.set("db", exp.to_identifier(rel.schema))
            changed = True
    return tree.sql(dialect=DIALECT) if changed else text


def qualified_nextval(default: str, home: str, visible: list[str]) -> str:
    """``nextval('seq'::regclass)`` with the sequence qualified when its schema is not visible."""

    def one(m: re.Match) -> str:
        name = m.group(1)
        if "." in name or home in visible:
            return m.group(0)
        return m.group(0).replace(f"'{name}'", f"'{home}.{name}'", 1)

    return NEXTVAL.sub(one, default)
