"""Named arguments of built-in functions (``f(a, b, silent => true)``) put in their positions.

PostgreSQL matches ``name => value`` against the function's declared parameter names and
fills the parameters left out with their defaults; built-ins that take named arguments list
their parameters and defaults here.
"""

from __future__ import annotations

import sqlglot
from sqlglot import exp

from helios_core.errors import HeliosError
from helios_core.sql.functions.jsonpath_funcs import NAMED_PARAMETERS, PARAMETER_DEFAULTS

# the date/time constructors' parameter names (make_interval's all default to 0)
_MAKE_INTERVAL = ("years", "months", "weeks", "days", "hours", "mins", "secs")
_OWN_PARAMETERS = {
    "make_interval": (_MAKE_INTERVAL, dict.fromkeys(_MAKE_INTERVAL, "0")),
    "make_date": (("year", "month", "day"), {}),
    "make_time": (("hour", "min", "sec"), {}),
    "make_timestamp": (("year", "month", "mday", "hour", "min", "sec"), {}),
    "make_timestamptz": (("year", "month", "mday", "hour", "min", "sec", "timezone"), {}),
}


def to_positional(name: str, args: list[exp.Expression]) -> list[exp.Expression]:
    """``args`` with every named argument moved to its parameter's position (42883 when the
    function has no parameter of that name)."""
    if not any(isinstance(a, (exp.Kwarg, exp.PropertyEQ)) for a in args):
        return args
    params = NAMED_PARAMETERS.get(name)
    defaults = PARAMETER_DEFAULTS
    if name in _OWN_PARAMETERS:
        params, defaults = _OWN_PARAMETERS[name]
    positional = [a for a in args if not isinstance(a, (exp.Kwarg, exp.PropertyEQ))]
    named = {a.this.name.lower(): a.expression for a in args if isinstance(a, (exp.Kwarg, exp.PropertyEQ))}
    if params is None or any(k not in params for k in named):
        shown = ", ".join([*("?" for _ in positional), *(f"{k} => ?" for k in named)])
        raise HeliosError(f"function {name}({shown}) does not exist", sqlstate="42883",
                          hint="No function matches the given name and argument types. You might need to add "
                               "explicit type casts.")
    out = list(positional)
    last = max(params.index(k) for k in named)
    for i in range(len(positional), last + 1):
        p = params[i]
        if p in named:
            out.append(named[p])
        elif p in defaults:
            out.append(sqlglot.parse_one(defaults[p], read="postgres"))
        else:
            raise HeliosError(f"function {name} has no default for parameter {p}", sqlstate="42883")
    return out
