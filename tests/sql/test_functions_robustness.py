"""Every registered function and operator, given empty or all-NULL columns of any type,
returns a Vec of the right length or raises a HeliosError (a SQLSTATE), never a crash.
The installed plugins' functions are registered first, so they are held to the same rule
whatever ran before.

The planner probes result types with zero-row inputs, and NULL-only columns are common.
"""

from __future__ import annotations

import itertools

import pyarrow as pa
import pytest

import helios_core
from helios_core.errors import HeliosError
from helios_core.sql import types as T
from helios_core.sql.functions import Vec, binary_op, call_function, registry, unary_op

TYPES = [T.INT4, T.INT8, T.NUMERIC, T.FLOAT8, T.TEXT, T.BOOL, T.DATE, T.TIMESTAMP, T.TIMESTAMPTZ, T.INTERVAL,
         T.JSONB, T.array_of(T.INT4), T.UNKNOWN, T.BYTEA, T.UUID]


def column(t: T.SqlType, n: int) -> Vec:
    arrow = pa.decimal128(10, 2) if t.name == "numeric" else t.arrow_type
    return Vec(pa.nulls(n, arrow), t, False)


def _names() -> list[str]:
    registry._load_builtins()
    helios_core.connect().close()  # an engine registers the installed plugins' SQL functions
    return sorted(registry._REGISTRY)


@pytest.mark.parametrize("n", [0, 3])
def test_functions_never_crash(n):
    crashes = []
    for name in _names():
        d = registry._REGISTRY[name][0]
        hi = min(d.max_args if d.max_args is not None else 3, 3)
        for k in range(d.min_args, hi + 1):
            combos = itertools.product(TYPES, repeat=k) if k <= 2 else [(t,) * k for t in TYPES]
            for combo in combos:
                try:
                    out = call_function(name, [column(t, n) for t in combo])
                except HeliosError:
                    continue
                except Exception as e:  # noqa: BLE001 - the property under test
                    crashes.append(f"{name}({', '.join(map(str, combo))}): {type(e).__name__}: {e}")
                    continue
                if not out.scalar and len(out.array) != n:
                    crashes.append(f"{name}({', '.join(map(str, combo))}): {len(out.array)} rows, want {n}")
    assert not crashes, "\n".join(crashes[:20])


@pytest.mark.parametrize("n", [0, 3])
def test_operators_never_crash(n):
    crashes = []
    ops = ["+", "-", "*", "/", "%", "^", "=", "<>", "<", ">=", "||", "like", "ilike", "~", "->", "->>", "#>",
           "@>", "<@", "?", "&&", "and", "or", "is distinct from", "&", "<<"]
    for op in ops:
        for a, b in itertools.product(TYPES, repeat=2):
            try:
                out = binary_op(op, column(a, n), column(b, n))
            except HeliosError:
                continue
            except Exception as e:  # noqa: BLE001 - the property under test
                crashes.append(f"{a} {op} {b}: {type(e).__name__}: {e}")
                continue
            if len(out.array) != n:
                crashes.append(f"{a} {op} {b}: {len(out.array)} rows, want {n}")
    for op in ("-", "+", "not", "~", "@", "is null", "is not true"):
        for a in TYPES:
            try:
                unary_op(op, column(a, n))
            except HeliosError:
                continue
            except Exception as e:  # noqa: BLE001
                crashes.append(f"{op} {a}: {type(e).__name__}: {e}")
    assert not crashes, "\n".join(crashes[:20])


def test_untyped_plugin_function_rejects_arguments_it_cannot_take():
    """A plugin function without arg_types whose code fails on the argument types it got is
    42883 (no such function for those types), not an internal crash."""
    from helios_core.hookspecs import SqlFunction
    from helios_core.sql.functions import register_function

    register_function(SqlFunction(name="helios_test_as_oid", impl=lambda a: a[0].cast(pa.int64()),
                                  return_type="bigint"))
    assert call_function("helios_test_as_oid", [Vec(pa.array([7], pa.int32()), T.INT4, False)]).array.to_pylist() == [7]
    for args in ([], [Vec(pa.array([1], pa.date32()), T.DATE, False)]):
        with pytest.raises(HeliosError) as ei:
            call_function("helios_test_as_oid", args)
        assert ei.value.sqlstate == "42883"
