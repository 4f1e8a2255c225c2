"""sequenceMatch, sequenceCount and sequenceMatchEvents: a pattern over a group's events in time order.

    sequenceMatch('(?1).*(?t<=3600)(?2)')(time, c1, c2, ...)

Each row is an event at ``time`` holding the conditions ``c1 .. cN`` true on it; a row holding
none is no event. The events are read in time order (rows of one time in the order read). The
pattern's parts: ``(?N)`` one event where condition N holds; ``.`` any one event; ``.*`` any
number of events; ``(?t op s)`` (op one of < <= > >= == !=) the time from the event matched last
to the next matched one, with any events between. sequenceMatch says whether the pattern matches
starting at some event; sequenceCount counts the matches that do not overlap, each search starting
after the last event of the one before; sequenceMatchEvents gives the times of the events the
``(?N)`` parts matched (of the longest partial match when there is no whole one).
"""

from __future__ import annotations

import operator
import re
from collections.abc import Callable
from typing import Any

import pyarrow as pa

from helios_core.errors import HeliosError
from helios_core.hookspecs import SqlFunction

_TOKEN = re.compile(r"\(\?(?P<cond>\d+)\)|\(\?t\s*(?P<op><=|>=|==|!=|<|>|=)\s*(?P<secs>\d+)\)|(?P<star>\.\*)|(?P<any>\.)")
_OPS: dict[str, Callable[[Any, Any], bool]] = {"<": operator.lt, "<=": operator.le, ">": operator.gt,
                                               ">=": operator.ge, "==": operator.eq, "=": operator.eq,
                                               "!=": operator.ne}
MAX_STEPS = 1_000_000  # as ClickHouse's sequence_match_max_iterations


def parse_pattern(pattern: str, conditions: int) -> list[tuple[str, Any]]:
    tokens: list[tuple[str, Any]] = []
    pos = 0
    while pos < len(pattern):
        m = _TOKEN.match(pattern, pos)
        if m is None:
            raise HeliosError(f"Syntax error in pattern {pattern!r} at position {pos}", sqlstate="22023")
        if m.group("cond") is not None:
            n = int(m.group("cond"))
            if not 1 <= n <= conditions:
                raise HeliosError(f"Event number {n} is out of range in pattern {pattern!r}", sqlstate="22023")
            tokens.append(("cond", n - 1))
        elif m.group("op") is not None:
            tokens.append(("time", (_OPS[m.group("op")], int(m.group("secs")))))
        elif m.group("star") is not None:
            tokens.append(("star", None))
        else:
            tokens.append(("any", None))
        pos = m.end()
    return tokens


class _Matcher:
    def __init__(self, events: list[tuple[Any, int]], tokens: list[tuple[str, Any]]) -> None:
        self.events, self.tokens, self.steps = events, tokens, 0
        self.best: list[int] = []

    def run(self, ti: int, ei: int, last: Any, wait: Any, path: list[int]) -> tuple[list[int], int] | None:
        """(matched (?N) event indexes, index after the last event used) of a whole match from here."""
        self.steps += 1
        if self.steps > MAX_STEPS:
            raise HeliosError("Pattern application proves too difficult, exceeding max iterations (1000000)",
                              sqlstate="54000")
        if len(path) > len(self.best):
            self.best = list(path)
        if ti == len(self.tokens):
            return path, ei
        kind, arg = self.tokens[ti]
        if kind == "time":
            return self.run(ti + 1, ei, last, arg, path)
        if kind == "star":
            for j in range(ei, len(self.events) + 1):
                found = self.run(ti + 1, j, last, wait, path)
                if found is not None:
                    return found
            return None
        candidates = range(ei, len(self.events)) if wait is not None else range(ei, min(ei + 1, len(self.events)))
        for j in candidates:
            time, mask = self.events[j]
            if kind == "cond" and not mask >> arg & 1:
                continue
            if wait is not None and last is not None and not wait[0](time - last, wait[1]):
                continue
            found = self.run(ti + 1, j + 1, time, None, path + [j] if kind == "cond" else path)
            if found is not None:
                return found
        return None


def _events(times: list[Any], masks: list[int]) -> list[tuple[Any, int]]:
    rows = [(t, m) for t, m in zip(times or [], masks or [], strict=False) if t is not None and m]
    return sorted(rows, key=lambda r: r[0])


def evaluate(kind: str, pattern: str, conditions: int, times: list[Any], masks: list[int]) -> Any:
    tokens = parse_pattern(pattern, conditions)
    events = _events(times, masks)
    matcher = _Matcher(events, tokens)
    if kind == "count":
        count, start = 0, 0
        while start < len(events):
            found = matcher.run(0, start, None, None, [])
            if found is None:
                start += 1
                continue
            count += 1
            start = max(found[1], start + 1)
        return count
    for start in range(max(len(events), 1)):
        found = matcher.run(0, start, None, None, [])
        if found is not None:
            return 1 if kind == "match" else [events[i][0] for i in found[0]]
    return 0 if kind == "match" else [events[i][0] for i in matcher.best]


def _sequence(args: list[pa.Array]) -> pa.Array:
    """ch_sequence(kind, pattern, conditions, times[], masks[]) per group."""
    kinds, patterns, counts, times, masks = (a.to_pylist() for a in args)
    out = [evaluate(k, p, n, t, m) for k, p, n, t, m in zip(kinds, patterns, counts, times, masks, strict=True)]
    kind = kinds[0] if kinds else "match"
    if kind == "events":
        return pa.array(out, pa.list_(pa.int64()))
    return pa.array(out, pa.int64())


FUNCTIONS = [
    SqlFunction(name="ch_sequence", impl=_sequence, return_type="bigint"),
    SqlFunction(name="ch_sequence_events", impl=_sequence, return_type="bigint[]"),
]
