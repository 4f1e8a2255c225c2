"""Which lambda parameters stand for arrays: the kernel's arrays have no fixed number of
dimensions (``bigint[]`` holds ``[[1, 2], [3]]``), so the element a lambda gets from an array of
arrays is typed as a number though it is an array. ``mark`` reads, before anything is rewritten,
how many array levels each lambda's arrays have and records on the lambda the parameters that
are arrays themselves (``ARRAY_PARAMS``); the lambda rewrites type those as arrays
(``ch_as_array``), so ``arrayMap(x -> arrayMap(y -> y + 1, x), [[1, 2], [3]])``,
``arrayFilter(x -> has(x, 1), arr_arr)`` and ``length(x)`` work on them.
"""

from __future__ import annotations

from sqlglot import exp

from helios_protocol_clickhouse.names import hint_type

ARRAY_PARAMS = "ch_array_params"

# functions whose result has as many array levels as their first array argument
_SAME_DEPTH = {"arraysort", "arrayreversesort", "arrayreverse", "arraydistinct", "arrayconcat", "arrayslice",
               "arraycompact", "arraypushback", "arraypushfront", "arrayresize", "arrayshuffle", "arrayfilter",
               "emptyarraytosingle", "arrayintersect", "arraypopback", "arraypopfront"}
# functions that give arrays of scalars
_FLAT = {"range", "splitbychar", "splitbystring", "splitbywhitespace", "alphatokens", "arrayenumerate",
         "arrayenumerateuniq", "arrayenumeratedense", "extractall", "extracturlparameters",
         "extracturlparameternames", "arraycumsum", "arraydifference", "bitmasktoarray"}


def _name(node: exp.Expression) -> str:
    if isinstance(node, exp.Anonymous | exp.AnonymousAggFunc):
        return str(node.this).lower()
    return {"Transform": "arraymap", "ArrayFilter": "arrayfilter", "Split": "splitbychar",
            "ArrayReverse": "arrayreverse", "ArrayConcat": "arrayconcat", "ArraySlice": "arrayslice",
            "ArrayDistinct": "arraydistinct", "Explode": "arrayjoin"}.get(type(node).__name__, "")


def _args(node: exp.Expression) -> list[exp.Expression]:
    """The arguments as written (a lambda first)."""
    if isinstance(node, exp.Anonymous | exp.AnonymousAggFunc):
        args = list(node.expressions)
    else:
        args = [v for k in ("this", "expression") if isinstance(v := node.args.get(k), exp.Expression)] + \
            list(node.args.get("expressions") or [])
    lambdas = [a for a in args if isinstance(a, exp.Lambda)]
    return lambdas + [a for a in args if not isinstance(a, exp.Lambda)] if lambdas else args


def _hint_depth(node: exp.Expression, select: exp.Select | None) -> int:
    hint = hint_type(node, select) or ""
    depth = 0
    while hint.startswith("Array("):
        depth += 1
        hint = hint[6:]
    return depth


def depth(node: exp.Expression, env: dict[str, int], select: exp.Select | None, seen: int = 0) -> int:
    """How many array levels ``node`` has (0: not an array, or not known)."""
    if seen > 20:
        return 0
    if isinstance(node, exp.Paren | exp.Alias):
        return depth(node.this, env, select, seen + 1)
    if isinstance(node, exp.Array):
        inner = [depth(e, env, select, seen + 1) for e in node.expressions]
        return 1 + max(inner, default=0)
    if isinstance(node, exp.Column) and not node.table:
        if node.name in env:
            return env[node.name]
        if select is not None:
            for item in select.expressions:
                if isinstance(item, exp.Alias) and item.alias == node.name and item.this is not node and \
                        not any(c.name == node.name and not c.table for c in item.this.find_all(exp.Column)):
                    return depth(item.this, env, select, seen + 1)
            source = select.args.get("from_")
            inner = source.this.this if source is not None and isinstance(source.this, exp.Subquery) else None
            if isinstance(inner, exp.Select):  # a column of the subquery read
                for item in inner.expressions:
                    if isinstance(item, exp.Alias) and item.alias == node.name:
                        return depth(item.this, {}, inner, seen + 1)
        return _hint_depth(node, select)
    name = _name(node)
    args = _args(node)
    if name in ("arraymap", "arrayfilter") and args and isinstance(args[0], exp.Lambda) and len(args) > 1:
        lam = args[0]
        inner_env = dict(env)
        for param, array in zip(lam.expressions, args[1:], strict=False):
            inner_env[param.name] = max(depth(array, env, select, seen + 1) - 1, 0)
        if name == "arrayfilter":
            return depth(args[1], env, select, seen + 1)
        return 1 + depth(lam.this, inner_env, select, seen + 1)
    if name in _FLAT:
        return 1
    if name in _SAME_DEPTH and args:
        first = args[1] if args and isinstance(args[0], exp.Lambda) and len(args) > 1 else args[0]
        return depth(first, env, select, seen + 1)
    if name in ("grouparray", "groupuniqarray", "arraywithconstant", "replicate") and args:
        return 1 + depth(args[-1] if name == "arraywithconstant" else args[0], env, select, seen + 1)
    if name == "arrayjoin" and args:
        return max(depth(args[0], env, select, seen + 1) - 1, 0)
    if isinstance(node, exp.Bracket) and node.this is not None:
        return max(depth(node.this, env, select, seen + 1) - 1, 0)
    if name.startswith("emptyarray"):
        return 1
    return _hint_depth(node, select)


def mark(tree: exp.Expression) -> None:
    """Record on each lambda over arrays of arrays which of its parameters are arrays."""
    def visit(node: exp.Expression, env: dict[str, int]) -> None:
        args = _args(node) if _name(node) else []
        if args and isinstance(args[0], exp.Lambda) and len(args) > 1:
            lam = args[0]
            select = node.find_ancestor(exp.Select)
            inner_env = dict(env)
            arrays = set()
            for param, array in zip(lam.expressions, args[1:], strict=False):
                d = max(depth(array, env, select) - 1, 0)
                inner_env[param.name] = d
                if d > 0:
                    arrays.add(param.name)
            if arrays:
                lam.meta[ARRAY_PARAMS] = arrays
            for array in args[1:]:
                visit(array, env)
            visit(lam.this, inner_env)
            return
        for child in node.iter_expressions():
            visit(child, env)

    visit(tree, {})


def typed(body: exp.Expression, lam: exp.Expression) -> exp.Expression:
    """``body`` with each reference to an array parameter of ``lam`` typed as an array."""
    names = lam.meta.get(ARRAY_PARAMS) or set()
    if not names:
        return body

    def wrap(node: exp.Expression) -> exp.Expression:
        if isinstance(node, exp.Identifier) and node.name in names and isinstance(node.parent, exp.Expression) \
                and not isinstance(node.parent, exp.Column | exp.TableAlias):  # a parameter as the lambda reads it
            node = exp.column(node.name)
        if isinstance(node, exp.Column) and not node.table and node.name in names and \
                not (isinstance(node.parent, exp.Anonymous) and str(node.parent.this) == "ch_as_array"):
            return exp.Anonymous(this="ch_as_array", expressions=[node.copy()])
        return node

    return body.transform(wrap)
