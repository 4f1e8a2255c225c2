"""ClickHouse's query limits: the ones this server enforces, and the ones it refuses.

ClickHouse stops a query that reads, groups, sorts or returns more rows than a limit allows
(``max_rows_to_read``, ``max_rows_to_group_by``, ``max_rows_to_sort``, ``max_result_rows``);
its ``*_overflow_mode`` says whether it then throws (``'throw'``, the default) or gives what it
has (``'break'``; for GROUP BY also ``'any'``: keys past the limit are not added). It checks
after each block of ``max_block_size`` rows, so a limit that binds in ``'break'``/``'any'``
mode gives the rows of the first blocks. Enforced here:

* ``max_rows_to_read`` over ``numbers()`` and ``system.numbers`` (the rows a source gives:
  ``'break'`` cuts the series after the block that passes the limit, as ClickHouse's reads do;
  ``'throw'`` fails with 158 when the series is longer than the limit) and over tables (the
  rows of the tables read; a filtered read of more rows than the limit is refused, as
  ClickHouse counts only the index granules it reads);
* ``max_rows_to_group_by``, ``max_rows_to_sort`` and ``max_result_rows`` on the top-level query:
  ``'throw'`` fails with ClickHouse's code; ``'break'``/``'any'`` change nothing while every
  row fits one block, and are refused past it (which rows of the first blocks ClickHouse keeps
  depends on its block order), but for GROUP BY ``'any'`` over one source, whose admitted keys
  are those of the source's rows up to the end of the block that passed the limit
  (``statements``; rows of other keys go to the totals unless after_having_exclusive).

Limits this server cannot measure (bytes, set and join sizes, execution speed, temporary
columns) are refused with 48 when set to anything but 0; unknown overflow modes are 145.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sqlglot import exp

from helios_protocol_clickhouse.errors import ClickHouseError

TOO_MANY_ROWS = 158
TOO_MANY_ROWS_OR_BYTES = 396
UNKNOWN_OVERFLOW_MODE = 145
NOT_IMPLEMENTED = 48
DEFAULT_BLOCK_SIZE = 65409

_MODES = {"group_by_overflow_mode": ("OverflowModeGroupBy", ("any", "break", "throw"))}
for _name in ("read", "result", "sort", "set", "join", "distinct", "transfer", "timeout"):
    _MODES[f"{_name}_overflow_mode"] = ("OverflowMode", ("break", "throw"))

# limits without a measure here: refused unless 0 (ClickHouse's "no limit")
UNMEASURED = (
    "max_bytes_to_read", "max_rows_to_read_leaf", "max_bytes_to_read_leaf", "max_result_bytes",
    "max_bytes_to_sort", "max_rows_in_set", "max_bytes_in_set", "max_rows_in_join", "max_bytes_in_join",
    "max_rows_in_distinct", "max_bytes_in_distinct", "max_rows_to_transfer", "max_bytes_to_transfer",
    "max_columns_to_read", "max_temporary_columns", "max_temporary_non_const_columns",
    "max_execution_speed", "min_execution_speed", "max_execution_speed_bytes", "min_execution_speed_bytes",
)


def _int(settings: dict[str, str], name: str) -> int:
    raw = str(settings.get(name, "0") or "0").strip("'")
    try:
        return max(int(float(raw)), 0)
    except ValueError:
        raise ClickHouseError(27, f"Cannot parse {name} value {raw!r}") from None


def mode(settings: dict[str, str], name: str) -> str:
    """An overflow mode's value (``'throw'`` by default), checked."""
    value = str(settings.get(name, "throw") or "throw").strip("'").lower()
    kind, allowed = _MODES[name]
    if value not in allowed:
        raise ClickHouseError(UNKNOWN_OVERFLOW_MODE, f"Unexpected value of {kind}: '{value}'. Must be one of "
                                                     f"[{', '.join(repr(a) for a in allowed)}]")
    return value


def check(settings: dict[str, str]) -> None:
    """Refuse what cannot be honoured: an unknown overflow mode, a limit without a measure here."""
    for name in _MODES:
        if name in settings:
            mode(settings, name)
    for name in UNMEASURED:
        if name in settings and _int(settings, name):
            raise ClickHouseError(NOT_IMPLEMENTED, f"Setting {name} is not supported by this server: it has no "
                                                   "measure of it to enforce (set it to 0)")


def block_size(settings: dict[str, str]) -> int:
    return _int(settings, "max_block_size") or DEFAULT_BLOCK_SIZE


def readable(n: int) -> str:
    """ClickHouse's formatReadableQuantity, as its limit messages write counts."""
    value = float(n)
    for unit in ("", " thousand", " million", " billion", " trillion"):
        if abs(value) < 1000 or unit == " trillion":
            return f"{value:.2f}{unit}"
        value /= 1000
    return f"{value:.2f}"


# -- rows read ------------------------------------------------------------------------------


def read_limit(settings: dict[str, str]) -> tuple[int, str]:
    """(max_rows_to_read, read_overflow_mode); 0 is no limit."""
    return _int(settings, "max_rows_to_read"), mode(settings, "read_overflow_mode")


def too_many_read(limit: int, rows: int) -> ClickHouseError:
    return ClickHouseError(TOO_MANY_ROWS, f"Limit for rows (controlled by 'max_rows_to_read' setting) exceeded, "
                                          f"max rows: {readable(limit)}, current rows: {readable(rows)}")


def rows_read_by_source(settings: dict[str, str], rows: int | None) -> int | None:
    """The rows a numbers source of ``rows`` rows (None: endless) may give under max_rows_to_read:
    None when unbounded by it; in 'break' mode the blocks up to the one that passes the limit;
    in 'throw' mode a longer source fails."""
    limit, how = read_limit(settings)
    if not limit:
        return rows
    if how == "break":
        blocks = block_size(settings)
        cut = (limit // blocks + 1) * blocks
        return cut if rows is None else min(rows, cut)
    if rows is None or rows > limit:
        raise too_many_read(limit, rows if rows is not None else block_size(settings))
    return rows


def check_tables_read(settings: dict[str, str], tree: exp.Expression, count_rows: Callable[[exp.Table], int],
                      is_table: Callable[[exp.Table], bool]) -> None:
    """max_rows_to_read over the tables a query reads: their rows, which a filtered read may not
    all read in ClickHouse (it reads the index granules the filter selects)."""
    limit, how = read_limit(settings)
    if not limit:
        return
    tables = [t for t in tree.find_all(exp.Table) if is_table(t)]
    total = sum(count_rows(t) for t in tables)
    if total <= limit:
        return
    filtered = any(t.find_ancestor(exp.Select) is not None and
                   (t.find_ancestor(exp.Select).args.get("where") or t.find_ancestor(exp.Select).args.get("prewhere"))
                   for t in tables)
    if how == "throw" and not filtered:
        raise too_many_read(limit, total)
    raise ClickHouseError(NOT_IMPLEMENTED, f"max_rows_to_read = {limit} with read_overflow_mode = '{how}' over "
                                           f"tables of {total} rows{' read with a filter' if filtered else ''} is "
                                           "not supported by this server (ClickHouse reads whole blocks and index "
                                           "granules, which this server does not have)")


# -- rows grouped, sorted, returned --------------------------------------------------------------


def _binding(settings: dict[str, str], what: str, limit: int, rows: int, how: str, input_rows: int) -> None:
    if how != "throw" and input_rows <= block_size(settings):
        return  # one block: ClickHouse checks after it, with every row already in
    raise ClickHouseError(NOT_IMPLEMENTED, f"{what} = {limit} with '{how}' past the limit ({rows} rows over "
                                           f"{input_rows} input rows, more than one block) is not supported by "
                                           "this server: which rows ClickHouse keeps depends on its block order")


def check_groups(settings: dict[str, str], groups: Callable[[], tuple[int, int]]) -> None:
    """max_rows_to_group_by for a GROUP BY of ``groups()`` = (groups, input rows)."""
    limit = _int(settings, "max_rows_to_group_by")
    if not limit:
        return
    how = mode(settings, "group_by_overflow_mode")
    count, input_rows = groups()
    if count <= limit:
        return
    if how == "throw":
        raise ClickHouseError(TOO_MANY_ROWS, f"Limit for rows to GROUP BY exceeded: has {count} rows, "
                                             f"maximum: {limit}")
    _binding(settings, "max_rows_to_group_by", limit, count, how, input_rows)


def check_sorted(settings: dict[str, str], rows: int) -> None:
    """max_rows_to_sort for a top-level ORDER BY that gave ``rows`` rows."""
    _check_rows(settings, rows, "max_rows_to_sort", "sort_overflow_mode")


def check_result(settings: dict[str, str], rows: int) -> None:
    """max_result_rows for a result of ``rows`` rows."""
    _check_rows(settings, rows, "max_result_rows", "result_overflow_mode")


def _check_rows(settings: dict[str, str], rows: int, limit_key: str, mode_key: str) -> None:
    """A limit on a count of rows already produced: 396 in 'throw' mode, else as ``_binding`` says."""
    limit = _int(settings, limit_key)
    if not limit or rows <= limit:
        return
    how = mode(settings, mode_key)
    if how == "throw":
        raise ClickHouseError(TOO_MANY_ROWS_OR_BYTES, f"Limit for result exceeded, max rows: {readable(limit)}, "
                                                      f"current rows: {readable(rows)}")
    _binding(settings, limit_key, limit, rows, how, rows)


def needs_whole_result(settings: dict[str, str]) -> bool:
    """Whether a limit counts the result's rows (it cannot be streamed then)."""
    return bool(_int(settings, "max_result_rows") or _int(settings, "max_rows_to_sort"))


def any_set(settings: dict[str, Any]) -> bool:
    return any(_int(settings, n) for n in ("max_rows_to_read", "max_rows_to_group_by", "max_rows_to_sort",
                                           "max_result_rows"))
