"""Refuse to start on libraries outside the tested ranges, before the server says it is ready.

A server that imports fine but cannot parse or sort (an older sqlglot without an attribute
the dialect uses, a pyarrow without per-key null ordering) would otherwise log "helios ready"
and fail every connection. ``check_dependencies`` compares each installed requirement of
helios-core and of every installed HeliosDB plugin with the range its pyproject.toml
declares, then runs one small statement through the whole SQL path in memory.
"""

from __future__ import annotations

import logging
from importlib import metadata

from packaging.requirements import InvalidRequirement, Requirement
from packaging.version import InvalidVersion, Version

import helios_core

CORE = "helios-core"
PROBE = "select x, $$a$$ || 'b' from (values (2), (1), (null)) as v(X) order by x desc nulls last"


class DependencyError(Exception):
    """An installed library that HeliosDB cannot run with (the message says what to install)."""


def check_dependencies() -> None:
    """Raise DependencyError naming the first requirement out of range, or a failing SQL probe."""
    for dist in _distributions():
        for problem in _out_of_range(dist):
            raise DependencyError(problem)
    _probe_sql()


def _distributions() -> list[str]:
    names = [CORE]
    for ep in metadata.entry_points(group="helios"):
        dist = getattr(ep, "dist", None)
        if dist is not None and dist.name not in names:
            names.append(dist.name)
    return names


def _out_of_range(dist: str) -> list[str]:
    try:
        requires = metadata.requires(dist) or []
    except metadata.PackageNotFoundError:
        return []
    problems = []
    for text in requires:
        try:
            req = Requirement(text)
        except InvalidRequirement:
            continue
        if req.marker is not None and not req.marker.evaluate({"extra": ""}):
            continue  # an extra, or another platform
        if not req.specifier:
            continue
        try:
            installed = metadata.version(req.name)
        except metadata.PackageNotFoundError:
            problems.append(f"{dist} needs {req.name}{req.specifier}, which is not installed: "
                            f"pip install '{req.name}{req.specifier}'")
            continue
        try:
            ok = req.specifier.contains(Version(installed), prereleases=True)
        except InvalidVersion:
            continue
        if not ok:
            problems.append(f"{dist} needs {req.name}{req.specifier} but {req.name} {installed} is installed: "
                            f"pip install '{req.name}{req.specifier}'")
    return problems


def _probe_sql() -> None:
    """Parse, plan and run one statement in memory: whatever a library breaks shows here."""
    logging.disable(logging.INFO)  # the probe is no client's statement: plugins' wrappers stay quiet
    try:
        session = helios_core.connect()
        try:
            rows = session.execute(PROBE)[-1].rows()
        finally:
            session.close()
    except Exception as exc:
        raise DependencyError(f"the SQL engine fails a start-up check ({type(exc).__name__}: {exc}); "
                              f"installed: {_versions()}") from exc
    finally:
        logging.disable(logging.NOTSET)
    if rows != [(2, "ab"), (1, "ab"), (None, "ab")]:
        raise DependencyError(f"the SQL engine answers a start-up check wrongly ({rows!r}); installed: {_versions()}")


def _versions() -> str:
    shown = []
    for name in ("sqlglot", "pyarrow", "numpy"):
        try:
            shown.append(f"{name} {metadata.version(name)}")
        except metadata.PackageNotFoundError:
            shown.append(f"{name} missing")
    return ", ".join(shown)
