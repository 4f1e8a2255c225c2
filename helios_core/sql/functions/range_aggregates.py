"""range_agg and range_intersect_agg: the union (as a multirange) and the intersection of a
group's ranges or multiranges; NULL inputs are skipped and a group of none gives NULL."""

from __future__ import annotations

import numpy as np
import pyarrow as pa

from helios_core.errors import UndefinedFunction
from helios_core.sql import types as T
from helios_core.sql.functions import range_algebra
from helios_core.sql.functions.range_io import (
    EMPTY_RANGE,
    PyRange,
    from_arrow,
    from_arrow_multi,
    normalize,
    subtype_of,
    to_arrow,
    to_arrow_multi,
)


def result_type(name: str, a: T.SqlType | None) -> T.SqlType:
    """range_agg(anyrange | anymultirange) -> anymultirange; range_intersect_agg keeps its
    argument's type."""
    if a is None or not (a.is_range or a.is_multirange):
        shown = a.sql_name() if a is not None else ""
        raise UndefinedFunction(f"function {name}({shown}) does not exist",
                                hint="No function matches the given name and argument types. "
                                     "You might need to add explicit type casts.")
    if name == "range_agg" and a.is_range:
        return T.multirange_of_range(a)
    return a


def finish(name: str, parents: np.ndarray, vals: pa.Array, arg: T.SqlType, out: T.SqlType,
           ngroups: int) -> pa.Array:
    """One value per group from the group's (non-NULL) values, ``parents`` their group numbers."""
    rows: list[list[PyRange]] = (from_arrow_multi(vals) if arg.is_multirange else  # type: ignore[assignment]
                                 [range_algebra.as_list(r) for r in from_arrow(vals)])  # type: ignore[arg-type]
    sub = subtype_of(arg)
    acc: list[list[PyRange] | None] = [None] * ngroups
    for p, rs in zip(parents.tolist(), rows, strict=True):
        cur = acc[p]
        if cur is None:
            acc[p] = list(rs)
        elif name == "range_agg":
            cur.extend(rs)
        else:
            acc[p] = range_algebra.multi_intersect(sub, cur, rs)
    if name == "range_agg":
        return to_arrow_multi([None if rs is None else normalize(rs) for rs in acc], out)
    if out.is_multirange:
        return to_arrow_multi([None if rs is None else normalize(rs) for rs in acc], out)
    return to_arrow([None if rs is None else _single(rs) for rs in acc], out)


def _single(rs: list[PyRange]) -> PyRange:
    """The intersection of ranges is one range (or empty)."""
    return rs[0] if rs else EMPTY_RANGE
