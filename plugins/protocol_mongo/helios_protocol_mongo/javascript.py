"""``$where``: a JavaScript predicate per document, run by QuickJS (the ``quickjs`` package).

As in mongod, the code is a function (``function() { return this.x < 3 }``) or an expression
(``this.x < 3``), called with the document as ``this`` (and as ``obj``); a truthy result
matches. The document reaches JavaScript as relaxed Extended JSON with dates made ``Date``
objects and ObjectIds objects whose ``str`` (and ``toString()``) is the hex string; other BSON
types keep their Extended JSON form. ``sleep(ms)`` is there too, as in mongod (it spins: QuickJS
cannot leave JavaScript to wait while a time limit is set, so it costs CPU while it waits). Each thread has
its own interpreter per predicate (QuickJS contexts are not shared between threads), limited
to 64 MiB. The command's ``maxTimeMS`` bounds the evaluation (error 50, MaxTimeMSExpired);
without one, one document's evaluation may take at most ``PER_DOCUMENT_SECONDS``. Code with
scope (CodeWScope) is refused as by MongoDB 4.4 and later, and so is ``$where`` inside an
aggregation's ``$match`` (both error 2).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Any

from bson import Code
from bson.json_util import RELAXED_JSON_OPTIONS, dumps

from helios_protocol_mongo import time_limits
from helios_protocol_mongo.errors import MongoError

try:
    import quickjs
except ImportError:  # pragma: no cover - the package is a dependency; a broken install says so
    quickjs = None

MEMORY_LIMIT = 64 * 1024 * 1024
PER_DOCUMENT_SECONDS = 60.0

# JSON.parse's reviver: Extended JSON dates and ObjectIds as the values mongod's JavaScript sees
_PRELUDE = """
function __revive(key, value) {
    if (value !== null && typeof value === "object" && !Array.isArray(value)) {
        var keys = Object.keys(value);
        if (keys.length === 1 && keys[0] === "$date") {
            var d = value.$date;
            return new Date(typeof d === "object" ? Number(d.$numberLong) : d);
        }
        if (keys.length === 1 && keys[0] === "$oid") {
            var hex = value.$oid;
            return {str: hex, toString: function () { return hex; }, valueOf: function () { return hex; }};
        }
    }
    return value;
}
function sleep(ms) {  // spins: QuickJS cannot call out to wait while a time limit is set
    var until = Date.now() + Number(ms);
    while (Date.now() < until) {}
}
"""


def _function_source(code: Any) -> str:
    if isinstance(code, Code) and code.scope is not None:
        raise MongoError(2, "$where no longer supports deprecated BSON type CodeWScope")
    if not isinstance(code, str):
        raise MongoError(2, "$where got bad type")
    return str(code).strip()


def compile_where(code: Any) -> Callable[[dict[str, Any]], bool]:
    """A predicate over documents that runs ``code`` with the document as ``this``."""
    source = _function_source(code)
    if quickjs is None:
        raise MongoError(2, "$where needs server-side JavaScript: the quickjs package is not installed")
    if source.startswith("function"):
        candidates = [f"({source})"]
    else:  # an expression, or statements with their own return
        candidates = [f"(function() {{ return ({source}); }})", f"(function() {{ {source} }})"]
    local = threading.local()

    def function() -> Any:
        found = getattr(local, "function", None)
        if found is not None:
            return found
        context = quickjs.Context()
        context.set_memory_limit(MEMORY_LIMIT)
        context.eval(_PRELUDE)
        error: Exception | None = None
        for candidate in candidates:
            try:
                local.function = context.eval(
                    f"(function (text) {{ var obj = JSON.parse(text, __revive); return !!{candidate}.call(obj); }})")
                local.context = context
                return local.function
            except quickjs.JSException as exc:
                error = exc
        raise MongoError(139, f"SyntaxError in $where: {error}")

    function()  # a syntax error is the command's error even when no document is read

    def matches(doc: dict[str, Any]) -> bool:
        run = function()
        deadline = time_limits.deadline()
        budget = PER_DOCUMENT_SECONDS if deadline is None else deadline - time.monotonic()
        if budget <= 0:
            raise MongoError(50, "operation exceeded time limit")
        local.context.set_time_limit(budget)
        try:
            return bool(run(dumps(doc, json_options=RELAXED_JSON_OPTIONS)))
        except quickjs.JSException as exc:
            if "interrupted" in str(exc):
                if deadline is not None:
                    raise MongoError(50, "operation exceeded time limit") from None
                raise MongoError(2, f"$where ran longer than {PER_DOCUMENT_SECONDS:.0f} s on one document") from None
            raise MongoError(139, f"$where: {str(exc).splitlines()[0]}") from None
    return matches
