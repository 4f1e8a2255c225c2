"""The scalar function registry: call_function(name, args) and register_function(plugin fn).

Built-in functions register themselves with ``@scalar("name", ...)`` in the modules that
implement them (strings, math_funcs, datetime_funcs, jsonb, arrays, misc); plugins add
theirs through ``register_function(hookspecs.SqlFunction)``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import attrs
import pyarrow as pa
import pyarrow.compute as pc

from helios_core.errors import FeatureNotSupported, HeliosError, UndefinedFunction
from helios_core.sql import types as T
from helios_core.sql.functions import numeric_special as NS
from helios_core.sql.functions import numeric_wide as NW
from helios_core.sql.functions.vec import Vec, full, length_of

Impl = Callable[[list[Vec]], Vec]


@attrs.frozen
class FunctionDef:
    name: str
    impl: Impl
    min_args: int
    max_args: int | None  # None = variadic
    volatile: bool = False


_REGISTRY: dict[str, list[FunctionDef]] = {}
_OVERLOADED: dict[str, list[FunctionDef]] = {}  # built-ins a plugin function overloads, by name
_LOADED = False


def scalar(*names: str, nargs: int | tuple[int, int | None] = 1, volatile: bool = False):
    """Decorator registering ``impl(args: list[Vec]) -> Vec`` under each name."""
    lo, hi = (nargs, nargs) if isinstance(nargs, int) else nargs

    def deco(fn: Impl) -> Impl:
        for n in names:
            _REGISTRY.setdefault(n, []).append(FunctionDef(n, fn, lo, hi, volatile))
        return fn

    return deco


def define(name: str, impl: Impl, nargs: int | tuple[int, int | None] = 1, volatile: bool = False) -> None:
    """Register ``impl`` under ``name`` (for implementations built by factories)."""
    scalar(name, nargs=nargs, volatile=volatile)(impl)


def overload(name: str, impl: Callable[[list[Vec]], Vec | None]) -> None:
    """Let ``impl`` answer the calls of ``name`` whose argument types are its own (it returns None
    for others, which the other definitions of the name answer): ``length(lseg)`` beside
    ``length(text)``, whatever the order the definitions are registered in. Several types may
    overload one name (``length(lseg)``, ``length(bit)``): each is asked in turn."""
    _TYPED_OVERLOADS.setdefault(name, []).append(impl)


# name -> functions answering the calls of their own argument types first (see overload)
_TYPED_OVERLOADS: dict[str, list[Callable[[list[Vec]], Vec | None]]] = {}


def _load_builtins() -> None:
    global _LOADED
    if _LOADED:
        return
    _LOADED = True
    from helios_core.sql import advisory_locks  # noqa: F401
    from helios_core.sql.functions import (  # noqa: F401  (modules register on import)
        arrays,
        bitstring_ops,
        datetime_funcs,
        enums,
        hash_funcs,
        json_records,
        jsonb,
        jsonb_function_forms,
        jsonpath_funcs,
        macaddr_ops,
        math_funcs,
        misc,
        network_ops,
        numeric_format,
        ranges,
        strings,
        trig,
    )


def function_names() -> list[str]:
    """Every name a statement can call a scalar function by (built in, overloaded or registered)."""
    _load_builtins()
    return [*_REGISTRY, *_TYPED_OVERLOADS]


def no_function(name: str, args: list[Vec]) -> UndefinedFunction:
    sig = ", ".join(str(a.type) for a in args)
    return UndefinedFunction(f"function {name}({sig}) does not exist",
                             hint="No function matches the given name and argument types. You might need to "
                                  "add explicit type casts.")


def has_function(name: str) -> bool:
    _load_builtins()
    return _canon(name) in _REGISTRY or _canon(name) in _TYPED_OVERLOADS


def is_volatile(name: str) -> bool:
    _load_builtins()
    defs = _REGISTRY.get(_canon(name), [])
    return any(d.volatile for d in defs)


def _canon(name: str) -> str:
    n = name.lower()
    n = n.removeprefix("pg_catalog.")
    return n


# functions that handle numeric NaN/Infinity themselves
_SPECIALS_AWARE = frozenset({"width_bucket", "to_char"})
# numeric functions that compute on the values (others, such as pg_typeof, take any array)
_VALUE_FUNCTIONS = frozenset({"cbrt", "degrees", "radians", "width_bucket", "gcd", "lcm", "factorial",
                              "numeric_inc", "sin", "cos", "tan", "atan", "atan2", "asin", "acos", "greatest",
                              "least", "random", "to_number", "generate_series"})


def _wide_arguments(name: str, args: list[Vec]) -> Vec | list[Vec]:
    """A function over wide numerics (numeric_wide): its result, or the arguments as decimals
    where every value fits them; 0A000 otherwise."""

    done = NW.call(name, args)
    if done is not None:
        return done
    out = []
    for a in args:
        if NW.is_wide(a.array):
            narrowed = NS.from_python(NW.to_decimals(a.array))
            if NW.is_wide(narrowed) and name in _VALUE_FUNCTIONS:
                raise FeatureNotSupported(f"{name}() of numeric values over 76 digits is not supported by HeliosDB")
            a = Vec(narrowed, a.type, a.scalar)
        out.append(a)
    return out


def call_function(name: str, args: list[Vec]) -> Vec:
    """Evaluate scalar function ``name`` over argument Vecs (42883 when no such function)."""
    _load_builtins()
    for typed in _TYPED_OVERLOADS.get(_canon(name), ()):
        out = typed(list(args))
        if out is not None:
            return out
    defs = _REGISTRY.get(_canon(name))
    if not defs:
        raise no_function(name, args)
    n = len(args)
    if any(isinstance(a.array.type, pa.ExtensionType) and a.type.name == "numeric" for a in args):
        args = _wide_arguments(_canon(name), args)
        if isinstance(args, Vec):
            return args
    if _canon(name) not in _SPECIALS_AWARE and any(pa.types.is_struct(a.array.type) and a.type.name == "numeric"
                                                   for a in args):
    
        return NS.call(_canon(name), args, lambda a: call_function(name, a))
    for d in defs:
        if n >= d.min_args and (d.max_args is None or n <= d.max_args):
            return d.impl(list(args))
    raise no_function(name, args)


# what a plugin function's code raises when given argument types it was not written for
_PLUGIN_TYPE_ERRORS = (TypeError, IndexError, AttributeError, ValueError, KeyError, pa.ArrowNotImplementedError,
                       pa.ArrowTypeError)


def _may_hold_nulls(arrays: list[Any]) -> bool:
    """Whether a strict function's arguments need their rows checked for NULL: an array's null
    count is kept with it (no pass over the rows); unions and run-end encoded arrays keep their
    nulls in their children, so they are always checked."""
    return any(a.null_count or pa.types.is_union(a.type) or pa.types.is_run_end_encoded(a.type) for a in arrays)


def register_function(fn) -> None:
    """Add a plugin's ``helios_core.hookspecs.SqlFunction`` (replaces a plugin function of that name)."""
    from helios_core.sql.functions.cast import cast

    fixed_ret = None if callable(fn.return_type) else T.type_from_name(fn.return_type)
    arg_types = [T.type_from_name(a) for a in fn.arg_types] if fn.arg_types is not None else None

    def return_type(args: list[Vec]) -> T.SqlType:
        """The fixed return type, or the one a polymorphic function derives from its arguments' types."""
        if fixed_ret is not None:
            return fixed_ret
        try:
            return T.type_from_name(fn.return_type([a.type.sql_name() for a in args]))
        except _PLUGIN_TYPE_ERRORS as e:  # the plugin's rule does not cover these arguments
            raise no_function(fn.name, args) from e

    def call_impl(arrays: list[pa.Array], args: list[Vec]) -> pa.Array:
        # a plugin without arg_types takes any arguments; when its code cannot handle the
        # types it got, the client sees "function does not exist" (42883), not a crash
        try:
            if fn.with_session:
                if arrays and not len(arrays[0]):  # the planner probing the type: nothing to run
                    return pa.array([], return_type(args).arrow_type)
                return _as_array(fn.impl(arrays, _calling_session(fn.name)), return_type(args))
            return _as_array(fn.impl(arrays), return_type(args))
        except HeliosError:
            raise
        except _PLUGIN_TYPE_ERRORS as e:
            if arg_types is not None:
                raise HeliosError(f"function {fn.name} failed: {type(e).__name__}: {e}", sqlstate="XX000") from e
            raise no_function(fn.name, args) from e

    def impl(args: list[Vec]) -> Vec:
        if arg_types is not None:
            if len(args) != len(arg_types):
                raise no_function(fn.name, args)
            args = [cast(a, t, context="implicit") for a, t in zip(args, arg_types, strict=True)]
        ret = return_type(args)
        if getattr(fn, "scalar_constants", False) and args and not all(a.scalar for a in args):
            if fn.strict and any(a.scalar and a.array.null_count for a in args):
                return Vec(pa.nulls(length_of(args), ret.arrow_type), ret, False)
            if not (fn.strict and _may_hold_nulls([a.array for a in args if not a.scalar])):
                return Vec(call_impl([a.array for a in args], args), ret, False)  # constants one element long
        arrays, scalar_only = full(args)
        n = len(arrays[0]) if arrays else 1
        if fn.strict and arrays and _may_hold_nulls(arrays):
            valid = arrays[0].is_valid()
            for a in arrays[1:]:
                valid = pc.and_(valid, a.is_valid())
            if not pc.all(valid).as_py():
                idx = pc.indices_nonzero(valid)
                sub = [pc.take(a, idx) for a in arrays]
                res = call_impl(sub, args)
                out = pa.nulls(n, ret.arrow_type)
                # scatter results back into the full-length array
                py = [None] * n
                for i, v in zip(idx.to_pylist(), res.to_pylist(), strict=True):
                    py[i] = v
                out = pa.array(py, res.type)
                return Vec(out, ret, scalar_only)
        res = call_impl(arrays, args)
        return Vec(res, ret, scalar_only)

    name = fn.name.lower()
    volatile = bool(fn.volatile or fn.with_session)
    _load_builtins()
    previous = _OVERLOADED.setdefault(
        name, [d for d in _REGISTRY.get(name, []) if not getattr(d.impl, "plugin_function", False)])
    if arg_types is not None and previous:
        # an overload of a built-in (length(tsvector) beside length(text)): the plugin's when the
        # arguments are of exactly its types, the built-in otherwise
        def overload(args: list[Vec]) -> Vec:
            if len(args) == len(arg_types) and all(
                    a.type.name == t.name for a, t in zip(args, arg_types, strict=True)):
                return impl(args)
            for d in previous:
                if len(args) >= d.min_args and (d.max_args is None or len(args) <= d.max_args):
                    return d.impl(args)
            raise no_function(fn.name, args)

        overload.plugin_function = True  # type: ignore[attr-defined]
        _REGISTRY[name] = [FunctionDef(name, overload, 0, None, volatile)]
        return
    impl.plugin_function = True  # type: ignore[attr-defined]
    impl.fixed_return_type = fixed_ret  # type: ignore[attr-defined]
    impl.declared_arg_types = arg_types  # type: ignore[attr-defined]
    _REGISTRY[name] = [FunctionDef(name, impl, 0, None, volatile)]


# () -> the running statement's session as a function that runs statements inside it sees it
# (helios_core.sql.in_statement provides it when it is imported; it imports this module)
_SESSION_VIEW: list[Callable[[], Any]] = []


def provide_session_view(view: Callable[[], Any]) -> None:
    _SESSION_VIEW[:] = [view]


def _calling_session(name: str) -> Any:
    session = _SESSION_VIEW[0]() if _SESSION_VIEW else None
    if session is None:
        raise HeliosError(f"{name}() needs a session", sqlstate="55000")
    return session


def declared_return_type(name: str) -> T.SqlType | None:
    """A plugin function's fixed return type, known without calling it (None: not one)."""
    defs = _REGISTRY.get(name.lower()) or []
    return getattr(defs[0].impl, "fixed_return_type", None) if len(defs) == 1 else None


def declared_arg_types(name: str) -> list[T.SqlType] | None:
    """A plugin function's declared argument types (None: it takes any): what an untyped parameter
    passed to it becomes, as PostgreSQL infers ``pg_terminate_backend($1)``'s $1 as integer."""
    defs = _REGISTRY.get(name.lower()) or []
    return getattr(defs[0].impl, "declared_arg_types", None) if len(defs) == 1 else None


def _as_array(x, ret: T.SqlType) -> pa.Array:
    if isinstance(x, pa.ChunkedArray):
        return x.combine_chunks()
    if isinstance(x, pa.Array):
        return x
    return pa.array(list(x), ret.arrow_type)
