"""Deeply nested statements: parsed and planned on a thread with a large stack, or refused with
PostgreSQL's 54001.

The parser (sqlglot) and the planner recurse once per nesting level, about twenty Python
frames per parenthesis, so Python's default limit of 1,000 frames stops at some fifty
levels where PostgreSQL takes thousands. A statement whose text could nest deeply runs on
a dedicated thread with a 512 MB stack (address space: only the pages it touches are
used) while the interpreter's recursion limit is raised to ``DEEP_RECURSION_LIMIT``; the
limit goes back down when the last such statement ends. Anything deeper, and any
RecursionError anywhere in a statement, is ``stack depth limit exceeded`` (54001) with
PostgreSQL's hint, never an internal error.
"""

from __future__ import annotations

import contextvars
import sys
import threading
from collections.abc import Callable
from typing import Any, TypeVar

from helios_core.errors import HeliosError

DEEP_STACK_BYTES = 512 * 1024 * 1024
DEEP_RECURSION_LIMIT = 200_000
# a statement whose tree is deeper than this is planned and run on the deep stack
DEEP_TREE_DEPTH = 48
# deeper than this is refused up front (54001): about what the deep stack's recursion limit allows
MAX_TREE_DEPTH = 10_000

_lock = threading.Lock()
_active = 0
_saved_limit = 0

T = TypeVar("T")


def stack_depth_error() -> HeliosError:
    """PostgreSQL's error for a statement nested deeper than the server can take."""
    return HeliosError("stack depth limit exceeded", sqlstate="54001",
                       hint='Increase the configuration parameter "max_stack_depth" (currently 2048kB), after '
                            "ensuring the platform's stack depth limit is adequate.")


def is_deep(tree: Any) -> bool:
    """Whether a parsed statement nests deeper than DEEP_TREE_DEPTH (walked without recursion)."""
    return _deeper_than(tree, DEEP_TREE_DEPTH)


def check_depth(tree: Any) -> None:
    """54001 for a statement nested deeper than even the deep stack takes (MAX_TREE_DEPTH)."""
    if _deeper_than(tree, MAX_TREE_DEPTH):
        raise stack_depth_error()


def _deeper_than(tree: Any, limit: int) -> bool:
    from sqlglot import exp

    stack = [(tree, 1)]
    while stack:
        node, depth = stack.pop()
        if depth > limit:
            return True
        for v in node.args.values() if isinstance(node, exp.Expression) else ():
            if isinstance(v, exp.Expression):
                stack.append((v, depth + 1))
            elif isinstance(v, list):
                stack.extend((x, depth + 1) for x in v if isinstance(x, exp.Expression))
    return False


def retry_deep(fn: Callable[..., T], *args: Any) -> T:
    """``fn(*args)``, once more on the deep stack if it ran out of recursion (fn must be side-effect free
    until it recursed that deep: parsing, planning)."""
    try:
        return fn(*args)
    except RecursionError:
        pass
    return run_deep(fn, *args)


def run_deep(fn: Callable[..., T], *args: Any) -> T:
    """``fn(*args)`` on a large-stack thread with a raised recursion limit; RecursionError -> 54001.

    The caller's context variables (session, time zone, clock) are visible to ``fn``.
    """
    global _active, _saved_limit
    ctx = contextvars.copy_context()
    outcome: dict[str, Any] = {}

    def body() -> None:
        try:
            outcome["value"] = ctx.run(fn, *args)
        except RecursionError:
            outcome["error"] = stack_depth_error()
        except BaseException as e:  # noqa: BLE001 - handed back to the calling thread as is
            outcome["error"] = e

    with _lock:
        if _active == 0:
            _saved_limit = sys.getrecursionlimit()
            sys.setrecursionlimit(max(_saved_limit, DEEP_RECURSION_LIMIT))
        _active += 1
    try:
        with _lock:  # stack_size() applies to threads started after it: set it just for this one
            previous = threading.stack_size(DEEP_STACK_BYTES)
            try:
                worker = threading.Thread(target=body, name="helios-deep-statement", daemon=True)
                worker.start()
            finally:
                threading.stack_size(previous)
        worker.join()
    finally:
        with _lock:
            _active -= 1
            if _active == 0:
                sys.setrecursionlimit(_saved_limit)
    if "error" in outcome:
        raise outcome["error"]
    return outcome["value"]
