"""Sessions: tests (default), lint, serve, bench.

nox -s tests                  # fresh venv: core + every plugin + the example plugin, then pytest
nox -s tests -- -x tests/foundation      # arguments after -- go to pytest
nox -s tests -- -n 0 --pdb tests/sql/test_query_select.py   # -n 0: one process (for --pdb, -s)
nox -s lint                   # ruff and the import rules (tools/check_imports.py)
nox -s serve -- --config helios.toml     # install and run `helios serve`
nox -s bench -- <bench args>  # python -m bench (see bench/)
nox -s deps_bounds            # every runtime dependency at its lowest, then its highest allowed version
"""

from __future__ import annotations

import tomllib
from pathlib import Path

import nox
from packaging.requirements import Requirement
from packaging.version import Version

ROOT = Path(__file__).parent
nox.options.sessions = ["tests"]
nox.options.default_venv_backend = "venv"

TEST_DEPS = [
    "pytest",
    "pytest-timeout",
    "pytest-xdist",  # the tests session runs the suite in 2 processes (TESTS_PARALLEL)
    "psycopg[binary]",
    "asyncpg",
    "pg8000",
    "sqlalchemy",
    "duckdb",
    "hypothesis",
    "clickhouse-driver[lz4,zstd]",
    "clickhouse-connect",
    "pymongo",
    "motor",
    "pandas",  # clickhouse-connect's query_df
    "chdb",  # ClickHouse's engine in-process: the reference of the ClickHouse dialect's differential tests
    "backports.zstd; python_version < '3.14'",
    "moto[server]",  # S3 API server for the object-store tiers (plugins/storage_object)
    "gcp-storage-emulator",  # GCS API server, same
]
RUFF = "ruff>=0.17,<0.18"

# A quick cross-section for deps_bounds: parsing (sqlglot), the executor and storage (pyarrow,
# numpy), a real server with psycopg and asyncpg, and PostgreSQL side by side where installed.
BOUNDS_TESTS = [
    "tests/frontdoor",
    "tests/sql/test_query_select.py",
    "tests/sql/test_query_aggregates.py",
    "tests/sql/test_functions_arrays.py",
    "tests/sql/test_stmt_dml.py",
    "tests/sql/test_stmt_copy.py",
    "tests/storage/test_kernel.py",
    "tests/storage/test_durability.py",
    "tests/storage/test_model.py",
    "plugins/protocol_pg/tests/test_clients.py",
]


# The suite in 2 worker processes, one test file per worker at a time (--dist loadfile): a file's
# module-scoped fixtures (a `helios serve`, a PostgreSQL cluster) start once, on one worker. Two
# for the 2 cores the suite is planned for; about half the wall time of one process. Always on,
# also with arguments: arguments come after and win, so `-n 0` runs in one process (--pdb, -s).
TESTS_PARALLEL = ["-n", "2", "--dist", "loadfile"]


def plugin_dirs() -> list[str]:
    """Every plugin distribution under plugins/ (a folder with a pyproject.toml)."""
    return [f"./{p.parent.relative_to(ROOT)}/" for p in sorted(ROOT.glob("plugins/*/pyproject.toml"))]


def runtime_requirements() -> list[Requirement]:
    """The declared dependencies of core and every plugin (our own distributions left out)."""
    files = [ROOT / "pyproject.toml", *sorted(ROOT.glob("plugins/*/pyproject.toml")),
             ROOT / "tests/example_plugin/pyproject.toml"]
    reqs: dict[str, Requirement] = {}
    for f in files:
        for text in tomllib.loads(f.read_text())["project"].get("dependencies", []):
            req = Requirement(text)
            if req.name.startswith("helios-"):
                continue
            seen = reqs.get(req.name)
            if seen is not None:  # declared by several distributions: all their ranges hold at once
                req = Requirement(f"{seen.name}{'[' + ','.join(sorted(seen.extras)) + ']' if seen.extras else ''}"
                                  f"{seen.specifier & req.specifier}")
            reqs[req.name] = req
    return list(reqs.values())


def lowest_pins() -> list[str]:
    """``name==lower bound`` for every runtime dependency; each must declare both bounds."""
    pins = []
    for req in runtime_requirements():
        lows = [s.version for s in req.specifier if s.operator == ">="]
        if not lows or not any(s.operator == "<" for s in req.specifier):
            raise ValueError(f"{req}: every runtime dependency needs a tested range 'name>=low,<high'")
        pins.append(f"{req.name}=={max(lows, key=Version)}")  # the highest lower bound of all that declare it
    return pins


@nox.session
@nox.parametrize("bound", ["lowest", "highest"])
def deps_bounds(session: nox.Session, bound: str) -> None:
    """The declared ranges at both ends: ``lowest`` pins every runtime dependency to its lower
    bound, ``highest`` lets pip pick the newest each range allows; then a quick cross-section."""
    extra: list[str] = []
    if bound == "lowest":
        # next to the venv: session.create_tmp() would point TMPDIR into the venv, where the
        # server refuses COPY files (it never touches its own Python installation)
        constraints = Path(session.virtualenv.location).with_suffix(".constraints.txt")
        constraints.write_text("\n".join(lowest_pins()) + "\n")
        extra = ["-c", str(constraints)]
    session.install("./", *plugin_dirs(), "./tests/example_plugin/", *TEST_DEPS, *extra)
    names = " ".join(r.name for r in runtime_requirements())
    session.run("python", "-c", "import importlib.metadata as m, sys; "
                "print(' '.join(f'{n}=={m.version(n)}' for n in sys.argv[1:]))", *names.split())
    session.run("pytest", "--timeout=300", "-q", *(session.posargs or BOUNDS_TESTS))


@nox.session
def tests(session: nox.Session) -> None:
    """Install core, plugins and the example third-party plugin in a fresh venv; run pytest in
    2 processes (TESTS_PARALLEL; ``-- -n 0`` for one)."""
    session.install("./", *plugin_dirs(), "./tests/example_plugin/", *TEST_DEPS)
    session.run("pytest", "--timeout=600", *TESTS_PARALLEL, *session.posargs)


@nox.session
def lint(session: nox.Session) -> None:
    """ruff, then the architecture's import rules (tools/check_imports.py)."""
    session.install(RUFF, "attrs")
    session.run("ruff", "check", *(session.posargs or ["."]))
    session.run("python", "tools/check_imports.py")


@nox.session
def serve(session: nox.Session) -> None:
    """Install core and plugins and run the server (embedded defaults unless --config is given)."""
    session.install("./", *plugin_dirs())
    session.run("helios", "serve", *session.posargs)


@nox.session
def bench(session: nox.Session) -> None:
    """Benchmarks side by side with PostgreSQL and DuckDB (bench/)."""
    session.install("./", *plugin_dirs(), "-r", "bench/requirements.txt")
    session.run("python", "-m", "bench", *session.posargs)
