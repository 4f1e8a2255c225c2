"""The display scale of an unconstrained numeric column that one query filled.

PostgreSQL keeps a display scale with every numeric value; HeliosDB stores an unconstrained
numeric column at 16 fractional digits and prints a batch at the fewest digits that show its
values (see ``types``). That loses the trailing zeros of values written with them: a materialized
view of ``sum(total)`` over a numeric(10,2) column holds 40.00 and 1.00, which would print as
40.0 and 1.0. When one query fills such a column (CREATE TABLE AS, SELECT INTO, a materialized
view and its refresh) and every value it wrote had the same display scale, the column records
that scale (``ColumnDef.metadata[KEY]``); scans read the column at that scale whenever its values
fit it, and text output never prints fewer digits. Rows written later with more digits simply
print with more, as before.
"""

from __future__ import annotations

from typing import Any

import pyarrow as pa

from helios_core.sql import types as T
from helios_core.sql.functions import decimals as D

KEY = "display_scale"


class ScaleWatch:
    """The display scales the arrays written into a new table's unconstrained numeric columns had."""

    def __init__(self, columns: list[Any]) -> None:
        self.columns = columns
        self.seen: dict[int, set[int | None]] = {
            i: set() for i, c in enumerate(columns)
            if c.type == T.NUMERIC_STORAGE_ARROW and (c.metadata or {}).get("sql_type") == "numeric"}

    def see(self, arrays: list[Any]) -> None:
        for i, scales in self.seen.items():
            arr = arrays[i]
            if arr.null_count == len(arr):
                continue
            t = arr.type
            # a computed numeric carries its display scale in its decimal type; a stored one (scale 16)
            # or NaN/Infinity/wide values do not say one scale for all
            scales.add(t.scale if pa.types.is_decimal(t) and t != T.NUMERIC_STORAGE_ARROW else None)

    def record(self, txn: Any, schema: str, name: str) -> None:
        """Write each column's one scale (or forget an earlier one) into the table's definition."""
        tdef = txn.get_table(schema, name)
        for i, scales in self.seen.items():
            col = tdef.columns[i]
            scale = next(iter(scales)) if len(scales) == 1 else None
            scale = scale if scale is not None and 0 <= scale <= T.NUMERIC_STORAGE_ARROW.scale else None
            old = (col.metadata or {}).get(KEY)
            if old == (None if scale is None else str(scale)):
                continue
            md = {k: v for k, v in (col.metadata or {}).items() if k != KEY}
            if scale is not None:
                md[KEY] = str(scale)
            txn.replace_column(schema, name, type(col)(col.name, col.type, col.nullable, md, col.col_id))


def at_display_scale(arr: pa.Array, scale: int) -> pa.Array:
    """Stored values (decimal256(76, 16)) at the column's recorded scale when they all fit it."""
    if arr.type != T.NUMERIC_STORAGE_ARROW or len(arr) == 0:
        return arr
    if D.fewest_scale(arr) > scale:
        return arr
    return arr.cast(D.dec_type(D.int_digits_needed(arr) + scale, scale))
