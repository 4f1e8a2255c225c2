"""A wrapper around every statement (``helios_run_statement``): statements that mention
``example_denied`` are refused with 42501, the others are counted by kind and logged with
their duration, whichever protocol or dialect they came through."""

from __future__ import annotations

import collections
import logging
import time

from helios_core.errors import HeliosError
from helios_core.hookspecs import hookimpl

DENY_MARK = "example_denied"
log = logging.getLogger("helios.example")
COUNTS: collections.Counter[str] = collections.Counter()


@hookimpl(wrapper=True)
def helios_run_statement(session, statement, run):
    if DENY_MARK in statement:
        raise HeliosError("statement denied by helios_example_plugin", sqlstate="42501")
    started = time.perf_counter()
    result = yield
    COUNTS[result.kind] += 1
    log.info("example statement kind=%s ms=%.3f", result.kind, (time.perf_counter() - started) * 1000)
    return result
