"""Run PostgreSQL's own regression scripts through ``psql -a`` and score them per statement.

    python -m helios_protocol_pg.regress --port 5432 boolean int4 select   # or --all
    python -m helios_protocol_pg.regress --port 5432 --markdown report.md --all

Each file of ``src/test/regress/sql`` runs as pg_regress would run it (``psql -X -a -q`` with
HIDE_TABLEAM and HIDE_TOAST_COMPRESSION on,
stderr merged, PGTZ/PGDATESTYLE and IntervalStyle postgres_verbose (PGOPTIONS) as pg_regress sets
them) after ``test_setup.sql``
(whose server-side ``COPY ... FROM :'filename'`` becomes psql's ``\\copy``). The output
is cut into one block per statement by following the echoed input lines; a statement
matches when its block equals the block of ``expected/<file>.out``. The score of a file is
the share of matching statements: a measure of progress, not a pass/fail gate.
"""

from __future__ import annotations

import argparse
import os
import re
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path

import attrs


def _default_corpus() -> Path:
    """$HELIOS_REGRESS_CORPUS, else shared/corpora/postgres-regress beside the repository or the cwd."""
    env = os.environ.get("HELIOS_REGRESS_CORPUS")
    candidates = [Path(env)] if env else []
    here = Path(__file__).resolve()
    candidates += [p / "shared" / "corpora" / "postgres-regress" for p in (*here.parents, *Path.cwd().parents,
                                                                          Path.cwd())]
    for c in candidates:
        if (c / "src" / "test" / "regress").is_dir():
            return c
    return candidates[0] if candidates else Path("postgres-regress")


DEFAULT_CORPUS = _default_corpus()
REGRESS_SUBDIR = Path("src/test/regress")

# a sensible default selection: core types, queries and DML that the engine aims at first
DEFAULT_FILES = ["boolean", "char", "varchar", "text", "int2", "int4", "int8", "float8", "numeric", "strings",
                 "date", "time", "timestamp", "interval", "uuid", "select", "select_distinct", "select_having",
                 "case", "union", "limit", "aggregates", "join", "subselect", "insert", "update", "delete",
                 "create_table", "create_view", "transactions", "arrays", "json", "jsonb", "copy2", "sequence"]


@attrs.define
class FileScore:
    name: str
    statements: int
    matching: int
    error: str = ""

    @property
    def share(self) -> float:
        return self.matching / self.statements if self.statements else 0.0


def _scan(line: str, in_quote: bool, in_dollar: bool) -> tuple[bool, bool, bool]:
    """Track quotes/dollar-quotes through one line; returns (in_quote, in_dollar, ends_with_semicolon)."""
    last = ""
    i = 0
    while i < len(line):
        c = line[i]
        if in_dollar:
            if line.startswith("$$", i):
                in_dollar = False
                i += 2
                last = "$"
                continue
        elif in_quote:
            if c == "'":
                in_quote = False
            last = c
        elif c == "'":
            in_quote = True
            last = c
        elif line.startswith("$$", i):
            in_dollar = True
            i += 2
            continue
        elif line.startswith("--", i):
            break
        elif line.startswith("/*", i) and "*/" in line[i + 2:]:  # a comment within the line: skip it
            i = line.index("*/", i + 2) + 2
            continue
        elif not c.isspace():
            last = c
        i += 1
    return in_quote, in_dollar, last == ";" and not in_quote and not in_dollar


def _copy_data_end(lines: Sequence[str], start: int) -> int:
    """Index of the end-of-data line of the COPY data starting at ``start``, or ``start - 1`` when what
    follows is SQL (a COPY expected to fail has no data: its next lines are statements)."""
    for k in range(start, len(lines)):
        text = lines[k].strip()
        if text == "\\.":
            return k
        if text.endswith(";") and not text.startswith("--"):
            return start - 1
    return start - 1


def statements_of(sql_lines: Sequence[str]) -> list[list[str]]:
    """Group input lines into statements (a line ending in ';' or a backslash command ends one).

    Comment and blank lines before a statement belong to it (psql echoes them just the same).
    The data lines of ``COPY ... FROM stdin`` (up to the end-of-data line) are no statement: psql does not echo
    them, so counting them would misalign every statement after the first such COPY.
    """
    out: list[list[str]] = []
    cur: list[str] = []
    in_quote = in_dollar = False
    skip_until = -1
    for n, line in enumerate(sql_lines):
        stripped = line.strip()
        if n <= skip_until:
            continue
        cur.append(line)
        code_so_far = any(x.strip() and not x.strip().startswith("--") for x in cur[:-1])
        if not in_quote and not in_dollar and not code_so_far and stripped.startswith("\\"):
            out.append(cur)
            cur = []
            continue
        in_quote, in_dollar, ends = _scan(line, in_quote, in_dollar)
        if ends:
            text = " ".join(x.strip() for x in cur if not x.strip().startswith("--"))
            if re.match(r"(?is)^\s*copy\b.*\bfrom\s+stdin\b", text):
                skip_until = _copy_data_end(sql_lines, n + 1)
            out.append(cur)
            cur = []
    if cur and any(x.strip() and not x.strip().startswith("--") for x in cur):
        out.append(cur)
    return out


def blocks_of(output: str, statements: list[list[str]]) -> list[str]:
    """The output that follows each statement's echo, in statement order."""
    lines = output.splitlines()
    statements = [[x for x in st if x.strip()] for st in statements]  # psql -a does not echo blank lines
    blocks: list[list[str]] = [[] for _ in statements]
    si = 0  # next statement whose echo we expect
    li = 0
    current = -1
    while li < len(lines):
        if si < len(statements):
            stmt = statements[si]
            # the echo of the statement: its lines in order, comments/blank lines may sit between
            first = stmt[0].rstrip()
            if lines[li].rstrip() == first:
                k, j = li, 0
                while k < len(lines) and j < len(stmt) and lines[k].rstrip() == stmt[j].rstrip():
                    k += 1
                    j += 1
                if j == len(stmt):
                    current = si
                    si += 1
                    li = k
                    continue
        if current >= 0:
            line = lines[li]
            if line.strip():  # result tables have "----" rulers: only blank lines are dropped
                blocks[current].append(line.rstrip())
        li += 1
    return ["\n".join(b) for b in blocks]


def psql_env(host: str, port: int, user: str, database: str, srcdir: Path) -> dict[str, str]:
    """The environment pg_regress gives psql: PGTZ and PGDATESTYLE, and IntervalStyle
    postgres_verbose through PGOPTIONS (added to any options the caller's environment has)."""
    env = dict(os.environ)
    options = " ".join(o for o in (env.get("PGOPTIONS", ""), "-c intervalstyle=postgres_verbose") if o)
    env.update(PGHOST=host, PGPORT=str(port), PGUSER=user, PGDATABASE=database, PGTZ="PST8PDT",
               PGDATESTYLE="Postgres, MDY", PGOPTIONS=options, PG_ABS_SRCDIR=str(srcdir), PG_LIBDIR=str(srcdir),
               PG_DLSUFFIX=".so", PSQLRC="/dev/null", PGAPPNAME="pg_regress")
    return env


def run_psql(script: str, env: dict[str, str], timeout: float) -> str:
    try:
        # pg_regress sets these two variables too: \d+ then omits the access method and compression
        proc = subprocess.run(["psql", "-X", "-a", "-q", "-v", "HIDE_TABLEAM=on", "-v", "HIDE_TOAST_COMPRESSION=on"],
                              input=script, text=True, stdout=subprocess.PIPE,
                              stderr=subprocess.STDOUT, env=env, timeout=timeout, check=False)
    except subprocess.TimeoutExpired as exc:
        out = exc.stdout or ""
        return (out.decode() if isinstance(out, bytes) else out) + "\n-- helios regress: timed out\n"
    return proc.stdout


def setup_script(srcdir: Path) -> str:
    r"""test_setup.sql with its server-side ``COPY t FROM :'filename'`` turned into psql's ``\copy`` of the
    same file from the client. psql does not expand variables in ``\copy``'s file name, so the path that
    the preceding ``\set filename :abs_srcdir '/data/x.data'`` names is written out."""
    out, filename = [], None
    for line in (srcdir / "sql" / "test_setup.sql").read_text().splitlines():
        named = re.match(r"^\\set filename :abs_srcdir '([^']*)'", line)
        if named:
            filename = str(srcdir) + named.group(1)
        copy = re.match(r"^COPY (\w+) FROM :'filename';", line)
        if copy and filename is not None:
            line = f"\\copy {copy.group(1)} FROM '{filename}'"
        out.append(line)
    return "\n".join(out) + "\n"


def score_file(name: str, srcdir: Path, env: dict[str, str], timeout: float,
               output_dir: Path | None = None) -> FileScore:
    sql_path = srcdir / "sql" / f"{name}.sql"
    expected_path = srcdir / "expected" / f"{name}.out"
    if not sql_path.exists() or not expected_path.exists():
        return FileScore(name, 0, 0, error="no such test file")
    sql = sql_path.read_text()
    stmts = statements_of(sql.splitlines())
    actual = run_psql(sql, env, timeout)
    if output_dir is not None:  # kept for diffing against expected/<name>.out afterwards
        (output_dir / f"{name}.out").write_text(actual)
    want = blocks_of(expected_path.read_text(), stmts)
    got = blocks_of(actual, stmts)
    matching = sum(1 for a, b in zip(want, got, strict=True) if a == b)
    return FileScore(name, len(stmts), matching)


def markdown(scores: list[FileScore]) -> str:
    total = sum(s.statements for s in scores)
    good = sum(s.matching for s in scores)
    lines = ["| file | statements | matching | share |", "|---|---:|---:|---:|"]
    for s in scores:
        lines.append(f"| {s.name} | {s.statements} | {s.matching} | {s.share:.0%}{' ' + s.error if s.error else ''} |")
    lines.append(f"| **all** | {total} | {good} | {good / total if total else 0:.0%} |")
    return "\n".join(lines) + "\n"


def main(argv: Sequence[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("files", nargs="*", help="test names (sql/<name>.sql); default: a core selection")
    ap.add_argument("--all", action="store_true", help="every file of the corpus")
    ap.add_argument("--host", default="127.0.0.1")
    ap.add_argument("--port", type=int, default=5432)
    ap.add_argument("--user", default="helios")
    ap.add_argument("--database", default="helios")
    ap.add_argument("--corpus", type=Path, default=DEFAULT_CORPUS)
    ap.add_argument("--timeout", type=float, default=120.0, help="seconds per file")
    ap.add_argument("--no-setup", action="store_true", help="skip test_setup.sql (already loaded)")
    ap.add_argument("--markdown", type=Path, help="also write the table to this file")
    ap.add_argument("--output-dir", type=Path, help="write each file's psql output here as <name>.out")
    args = ap.parse_args(argv)
    srcdir = args.corpus / REGRESS_SUBDIR
    env = psql_env(args.host, args.port, args.user, args.database, srcdir)
    if args.output_dir is not None:
        args.output_dir.mkdir(parents=True, exist_ok=True)
    if not args.no_setup:
        setup_out = run_psql(setup_script(srcdir), env, args.timeout * 5)
        if args.output_dir is not None:
            (args.output_dir / "test_setup.out").write_text(setup_out)
        if setup_out.endswith("-- helios regress: timed out\n"):  # every file after would read empty tables
            print(f"test_setup.sql did not finish in {args.timeout * 5:.0f} s", file=sys.stderr, flush=True)
    names = sorted(p.stem for p in (srcdir / "sql").glob("*.sql")) if args.all else (args.files or DEFAULT_FILES)
    scores = []
    for name in names:
        if name == "test_setup":
            continue
        score = score_file(name, srcdir, env, args.timeout, args.output_dir)
        scores.append(score)
        print(f"{name:28s} {score.matching:5d}/{score.statements:<5d} {score.share:6.1%} {score.error}", flush=True)
    table = markdown(scores)
    print(table)
    if args.markdown:
        args.markdown.write_text(table)
    return 0


if __name__ == "__main__":
    sys.exit(main())
