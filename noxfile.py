"""Sessions: tests (default), lint, serve, bench.

nox -s tests                  # fresh venv: core + every plugin + the example plugin, then pytest
nox -s tests -- -x tests/foundation      # arguments after -- go to pytest
nox -s lint                   # ruff and the import rules (tools/check_imports.py)
nox -s serve -- --config helios.toml     # install and run `helios serve`
nox -s bench -- <bench args>  # python -m bench (see bench/)
"""

from __future__ import annotations

from pathlib import Path

import nox

ROOT = Path(__file__).parent
nox.options.sessions = ["tests"]
nox.options.default_venv_backend = "venv"

TEST_DEPS = [
    "pytest",
    "pytest-timeout",
    "psycopg[binary]",
    "asyncpg",
    "pg8000",
    "sqlalchemy",
    "duckdb",
    "hypothesis",
]
RUFF = "ruff>=0.17,<0.18"


def plugin_dirs() -> list[str]:
    """Every plugin distribution under plugins/ (a folder with a pyproject.toml)."""
    return [f"./{p.parent.relative_to(ROOT)}/" for p in sorted(ROOT.glob("plugins/*/pyproject.toml"))]


@nox.session
def tests(session: nox.Session) -> None:
    """Install core, plugins and the example third-party plugin in a fresh venv; run pytest."""
    session.install("./", *plugin_dirs(), "./tests/example_plugin/", *TEST_DEPS)
    session.run("pytest", "--timeout=600", *session.posargs)


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
