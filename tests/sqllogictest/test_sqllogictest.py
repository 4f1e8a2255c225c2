"""sqllogictest runner: SQLite's corpus (../shared/corpora/sqllogictest) against the SQL engine.

Records: ``statement ok|error``, ``query <types> [nosort|rowsort|valuesort] [label]`` with
``----`` and one expected value per line (or ``N values hashing to <md5>``),
``hash-threshold N``, ``skipif``/``onlyif <db>`` (we are ``postgresql``), ``halt``.
Values are rendered as the SQLite harness does: ``I`` integer, ``R`` ``%.3f``, ``T`` text
(PostgreSQL's text output), NULL as ``NULL``, '' as ``(empty)``, control and non-ASCII
characters as ``@``.

Each file runs in one in-memory engine, one session. By default every statement runs
but only a deterministic sample of the queries (every ``HELIOS_SLT_STRIDE``-th, default 10)
and at most ``HELIOS_SLT_MAX_RECORDS`` records (default 2000) of each file, so the suite
stays fast; ``HELIOS_SLT_FULL=1`` runs every record of every file. The test asserts each
file's pass rate is at least its recorded rate for the mode (sample/full) in ``ratchet.json``
(``HELIOS_SLT_RATCHET=1`` or ``--ratchet`` raises the recorded rates to the achieved ones). With ``HELIOS_SLT_FULL=1`` (or
``HELIOS_SLT_REPORT=1``) the failures are written, grouped by reason, to
SQLLOGICTEST_FAILURES.md at the repository root.

Run by hand: ``python tests/sqllogictest/test_sqllogictest.py [--full] [--ratchet] [file ...]`` (any
.test file works, also ones outside the corpus).
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import sys
import time
from collections import Counter, defaultdict
from decimal import Decimal
from pathlib import Path

import attrs
import pytest

REPO = Path(__file__).resolve().parents[2]
CORPUS = (REPO / ".." / "shared" / "corpora" / "sqllogictest").resolve()
RATCHET = Path(__file__).with_name("ratchet.json")
FAILURES_MD = REPO / "SQLLOGICTEST_FAILURES.md"
DB_NAME = "postgresql"


@attrs.define
class Record:
    kind: str  # "statement" | "query" | "halt" | "hash-threshold"
    sql: str = ""
    line: int = 0
    expect_error: bool = False
    types: str = ""
    sort: str = "nosort"
    label: str | None = None
    expected: list[str] = attrs.Factory(list)
    threshold: int = 0


def parse_file(path: Path) -> list[Record]:
    """The records of a .test file that apply to PostgreSQL (skipif/onlyif applied)."""
    lines = path.read_text(encoding="utf-8", errors="replace").split("\n")
    out: list[Record] = []
    i = 0
    n = len(lines)
    while i < n:
        line = lines[i].rstrip("\r")
        if not line.strip() or line.startswith("#"):
            i += 1
            continue
        skip = False
        while line.startswith(("skipif", "onlyif")):
            parts = line.split()
            db = parts[1] if len(parts) > 1 else ""
            if parts[0] == "skipif" and db == DB_NAME:
                skip = True
            if parts[0] == "onlyif" and db != DB_NAME:
                skip = True
            i += 1
            line = lines[i].rstrip("\r") if i < n else ""
        start = i + 1
        words = line.split()
        if not words:
            i += 1
            continue
        if words[0] == "halt":
            if not skip:
                out.append(Record(kind="halt", line=start))
                break
            i += 1
            continue
        if words[0] == "hash-threshold":
            out.append(Record(kind="hash-threshold", threshold=int(words[1]), line=start))
            i += 1
            continue
        if words[0] == "statement":
            i += 1
            sql_lines = []
            while i < n and lines[i].strip():
                sql_lines.append(lines[i].rstrip("\r"))
                i += 1
            if not skip:
                out.append(Record(kind="statement", sql="\n".join(sql_lines), line=start,
                                  expect_error=len(words) > 1 and words[1] == "error"))
            continue
        if words[0] == "query":
            i += 1
            sql_lines = []
            while i < n and lines[i].strip() and lines[i].rstrip("\r") != "----":
                sql_lines.append(lines[i].rstrip("\r"))
                i += 1
            expected: list[str] = []
            if i < n and lines[i].rstrip("\r") == "----":
                i += 1
                while i < n and lines[i].strip():
                    expected.append(lines[i].rstrip("\r"))
                    i += 1
            if not skip:
                out.append(Record(kind="query", sql="\n".join(sql_lines), line=start,
                                  types=words[1] if len(words) > 1 else "",
                                  sort=words[2] if len(words) > 2 else "nosort",
                                  label=words[3] if len(words) > 3 else None, expected=expected))
            continue
        i += 1  # unknown line
    return out


# ------------------------------------------------------------------------------------ rendering
def _clean_text(s: str) -> str:
    if s == "":
        return "(empty)"
    return "".join("@" if (ord(ch) < 0x20 or ord(ch) > 0x7E) else ch for ch in s)


def _as_int(v) -> int:
    if isinstance(v, bool):
        return int(v)
    if isinstance(v, (int,)):
        return v
    if isinstance(v, (float, Decimal)):
        return int(v)
    m = re.match(r"\s*[-+]?\d+", str(v))
    return int(m.group(0)) if m else 0


def _as_float(v) -> float:
    if isinstance(v, (int, float, Decimal)) and not isinstance(v, bool):
        return float(v)
    try:
        return float(str(v))
    except ValueError:
        return 0.0


def render(result, types: str) -> list[list[str]]:
    """Rows of rendered values as the SQLite harness prints them."""
    from helios_core.sql import types as T
    from helios_core.sql.functions import to_text

    cols = result.columns or []
    rows: list[list[str]] = []
    for batch in result.batches:
        columns = []
        for j in range(batch.num_columns):
            kind = types[j] if j < len(types) else "T"
            arr = batch.column(j)
            if kind == "T":
                try:
                    t = T.type_by_oid(cols[j].type_oid)
                    if t.name == "numeric":
                        t = T.sql_type_of_arrow(arr.type)
                    vals = to_text(arr, t).to_pylist()
                except Exception:  # noqa: BLE001 - fall back to Python's rendering
                    vals = [None if v is None else str(v) for v in arr.to_pylist()]
                columns.append(["NULL" if v is None else _clean_text(v) for v in vals])
            elif kind == "I":
                columns.append(["NULL" if v is None else str(_as_int(v)) for v in arr.to_pylist()])
            else:
                columns.append(["NULL" if v is None else f"{_as_float(v):.3f}" for v in arr.to_pylist()])
        rows.extend([list(r) for r in zip(*columns, strict=True)])
    return rows


def _md5(values: list[str]) -> str:
    h = hashlib.md5()
    for v in values:
        h.update(v.encode())
        h.update(b"\n")
    return h.hexdigest()


# ------------------------------------------------------------------------------------ running
@attrs.define
class Failure:
    line: int
    sql: str
    reason: str  # class of failure
    detail: str


@attrs.define
class FileResult:
    name: str
    passed: int = 0
    failed: int = 0
    sampled_out: int = 0
    seconds: float = 0.0
    failures: list[Failure] = attrs.Factory(list)

    @property
    def total(self) -> int:
        return self.passed + self.failed

    @property
    def rate(self) -> float:
        return self.passed / self.total if self.total else 1.0


def _error_class(e: BaseException) -> str:
    state = getattr(e, "sqlstate", "?????")
    msg = str(getattr(e, "message", e)).split("\n")[0]
    msg = re.sub(r'"[^"]*"', '"…"', msg)
    msg = re.sub(r"\b\d+\b", "N", msg)
    return f"{state} {msg[:90]}"


def run_file(path: Path, *, stride: int = 1, max_records: int | None = None,
             per_statement_timeout: float = 20.0) -> FileResult:
    import helios_core

    records = parse_file(path)
    session = helios_core.connect()
    session.execute(f"set statement_timeout = '{int(per_statement_timeout)}s'")  # runaway queries end
    res = FileResult(name=str(path.relative_to(CORPUS)))
    threshold = 0
    qn = 0
    t0 = time.monotonic()
    for n, rec in enumerate(records):
        if rec.kind == "halt" or (max_records is not None and n >= max_records):
            break
        if rec.kind == "hash-threshold":
            threshold = rec.threshold
            continue
        if rec.kind == "query":
            qn += 1
            if stride > 1 and qn % stride != 0:
                res.sampled_out += 1
                continue
        ok, reason, detail = _run_record(session, rec, threshold)
        if ok:
            res.passed += 1
        else:
            res.failed += 1
            res.failures.append(Failure(rec.line, rec.sql, reason, detail))
    res.seconds = time.monotonic() - t0
    session.close()
    return res


def _run_record(session, rec: Record, threshold: int) -> tuple[bool, str, str]:
    try:
        results = session.execute(rec.sql)
    except Exception as e:  # noqa: BLE001 - every engine error is a record outcome
        if rec.kind == "statement" and rec.expect_error:
            return True, "", ""
        return False, _error_class(e), str(e)[:300]
    if rec.kind == "statement":
        if rec.expect_error:
            return False, "expected an error, statement succeeded", ""
        return True, "", ""
    result = results[-1]
    if result.columns is None:
        return False, "query returned no result set", result.command_tag
    if len(result.columns) != len(rec.types):
        return False, "wrong number of columns", f"got {len(result.columns)}, expected {len(rec.types)}"
    try:
        rows = render(result, rec.types)
    except Exception as e:  # noqa: BLE001
        return False, f"rendering failed: {type(e).__name__}", str(e)[:200]
    if rec.sort == "rowsort":
        rows.sort()
    values = [v for r in rows for v in r]
    if rec.sort == "valuesort":
        values.sort()
    exp = rec.expected
    m = re.match(r"^(\d+) values hashing to ([0-9a-f]{32})$", exp[0]) if len(exp) == 1 else None
    if m:
        if int(m.group(1)) != len(values):
            return False, "wrong result (row count)", f"got {len(values)} values, expected {m.group(1)}"
        if _md5(values) != m.group(2):
            return False, "wrong result (values)", "hash differs"
        return True, "", ""
    if values != exp:
        if len(values) != len(exp):
            return False, "wrong result (row count)", f"got {values[:8]}, expected {exp[:8]}"
        return False, "wrong result (values)", f"got {values[:8]}, expected {exp[:8]}"
    return True, "", ""


# ------------------------------------------------------------------------------------ reporting
def corpus_files() -> list[Path]:
    return sorted(CORPUS.rglob("*.test")) if CORPUS.is_dir() else []


# Why a class of failures is expected: PostgreSQL 15 itself answers these records the same way
# (checked against the corpus notes in ../shared/corpora/README.md), so they stay failures.
KNOWN_REASONS = [
    (r"^22P02 invalid input syntax for type integer",
     ("PostgreSQL raises the same error: the untyped literal takes the integer type of the subquery column "
     "(SQLite compares it as text). evidence/in1 loses these records on PostgreSQL too.")),
    (r"^42883 operator does not exist: bit = integer",
     ("x'303132' is a bit-string literal in PostgreSQL, and no operator compares bit with integer: PostgreSQL 15 "
      "raises the same error for these IN lists and subqueries (SQLite reads the literal as a blob).")),
    (r"^22012 division by zero",
     "PostgreSQL evaluates the division inside the CASE/NULLIF and fails the same way; SQLite yields NULL."),
    (r"^expected an error, statement succeeded",
     ("PostgreSQL writes through a simple view (an automatically updatable view), where SQLite's views are "
      "read-only: evidence/slt_lang_createview's DELETE and UPDATE on view1 succeed on PostgreSQL 15 too.")),
    (r"^22003 integer out of range",
     "int4 arithmetic overflows in PostgreSQL (79*91*73*67*94 > 2^31); SQLite widens to 64-bit."),
]


def _explain(reason: str) -> str | None:
    for pattern, text in KNOWN_REASONS:
        if re.search(pattern, reason):
            return text
    return None


def write_failures(results: list[FileResult], *, full: bool, stride: int) -> None:
    total = sum(r.total for r in results)
    passed = sum(r.passed for r in results)
    mode = "every record" if full else f"every {stride}th query and every statement of the first records"
    lines = ["# sqllogictest failures", "",
             f"Generated by `tests/sqllogictest/test_sqllogictest.py` ({mode}) over `../shared/corpora/sqllogictest`.",
             "",
             f"Overall: {passed}/{total} records pass ({100.0 * passed / max(total, 1):.2f}%).", "",
             "| file | passed | failed | rate | seconds |", "|---|---:|---:|---:|---:|"]
    for r in results:
        lines.append(f"| {r.name} | {r.passed} | {r.failed} | {100 * r.rate:.2f}% | {r.seconds:.1f} |")
    classes: Counter = Counter()
    examples: dict[str, list[Failure]] = defaultdict(list)
    for r in results:
        for f in r.failures:
            classes[f.reason] += 1
            if len(examples[f.reason]) < 2:
                examples[f.reason].append(attrs.evolve(f, sql=f"{r.name}:{f.line}: {f.sql}"))
    lines += ["", "## Failures by reason", "",
              "Each class: count, then up to two examples (file:line, SQL, what happened).", ""]
    for reason, count in classes.most_common():
        lines.append(f"### {reason} ({count})")
        lines.append("")
        why = _explain(reason)
        lines.append(f"Reason: {why}" if why else "Reason: not analysed yet (engine difference to investigate).")
        lines.append("")
        for f in examples[reason]:
            sql = " ".join(f.sql.split())[:300]
            lines.append(f"- `{sql}`")
            if f.detail:
                lines.append(f"  - {' '.join(f.detail.split())[:300]}")
        lines.append("")
    FAILURES_MD.write_text("\n".join(lines) + "\n", encoding="utf-8")


def _stride() -> int:
    if os.environ.get("HELIOS_SLT_FULL"):
        return 1
    return int(os.environ.get("HELIOS_SLT_STRIDE", "10"))


def _max_records() -> int | None:
    if os.environ.get("HELIOS_SLT_FULL"):
        return None
    return int(os.environ.get("HELIOS_SLT_MAX_RECORDS", "2000"))


def _mode() -> str:
    return "full" if os.environ.get("HELIOS_SLT_FULL") else "sample"


def load_ratchet(mode: str) -> dict[str, float]:
    """Recorded pass rates per file for a mode ("sample": the default run, "full")."""
    data = json.loads(RATCHET.read_text()) if RATCHET.exists() else {}
    return data.get(mode, {})


def update_ratchet(results: list[FileResult], mode: str) -> None:
    data = json.loads(RATCHET.read_text()) if RATCHET.exists() else {}
    rates = data.setdefault(mode, {})
    for r in results:
        rates[r.name] = max(rates.get(r.name, 0.0), round(r.rate - 0.00005, 5))
    RATCHET.write_text(json.dumps(data, indent=1, sort_keys=True) + "\n")


_RESULTS: list[FileResult] = []


@pytest.fixture(scope="module", autouse=True)
def _report():
    yield
    if _RESULTS and (os.environ.get("HELIOS_SLT_FULL") or os.environ.get("HELIOS_SLT_REPORT")):
        write_failures(sorted(_RESULTS, key=lambda r: r.name), full=_stride() == 1, stride=_stride())
    if _RESULTS and os.environ.get("HELIOS_SLT_RATCHET"):
        update_ratchet(_RESULTS, _mode())


_FILES = corpus_files()


@pytest.mark.skipif(not _FILES, reason=f"sqllogictest corpus missing: {CORPUS}")
@pytest.mark.timeout(900)
@pytest.mark.parametrize("path", _FILES, ids=[str(p.relative_to(CORPUS)) for p in _FILES] if _FILES else [])
def test_sqllogictest_file(path: Path) -> None:
    res = run_file(path, stride=_stride(), max_records=_max_records())
    _RESULTS.append(res)
    print(f"{res.name}: {res.passed}/{res.total} pass ({100 * res.rate:.2f}%) in {res.seconds:.1f}s")
    floor = load_ratchet(_mode()).get(res.name, 0.0)
    assert res.rate >= floor, f"{res.name}: pass rate {res.rate:.4f} fell below the ratchet {floor:.4f}"


def test_parser_reads_records() -> None:
    """The record parser honours skipif/onlyif postgresql, hashes and sort modes."""
    sample = Path(__file__).with_name("_sample.test")
    sample.write_text(
        "hash-threshold 8\n\nstatement ok\nCREATE TABLE t(a INTEGER)\n\n"
        "skipif postgresql\nstatement ok\nSELECT nonsense\n\n"
        "onlyif postgresql\nquery I rowsort\nSELECT 1\n----\n1\n\n"
        "onlyif mysql\nhalt\n\nquery IT valuesort lbl\nSELECT 1, 'x'\n----\n2 values hashing to abc\n")
    try:
        recs = parse_file(sample)
    finally:
        sample.unlink()
    kinds = [r.kind for r in recs]
    assert kinds == ["hash-threshold", "statement", "query", "query"]
    assert recs[2].sort == "rowsort" and recs[2].expected == ["1"]
    assert recs[3].label == "lbl" and recs[3].types == "IT" and recs[3].sort == "valuesort"
    assert _md5(["1", "x"]) == hashlib.md5(b"1\nx\n").hexdigest()


if __name__ == "__main__":
    args = [a for a in sys.argv[1:] if not a.startswith("--")]
    full = "--full" in sys.argv
    stride = 1 if full else _stride()
    files = [Path(a).resolve() for a in args] or corpus_files()
    out = []
    for p in files:
        r = run_file(p, stride=stride, max_records=None if full else _max_records())
        out.append(r)
        print(f"{r.name}: {r.passed}/{r.total} pass ({100 * r.rate:.2f}%) in {r.seconds:.1f}s", flush=True)
    if not args:
        write_failures(out, full=full, stride=stride)
        if "--ratchet" in sys.argv:
            update_ratchet(out, "full" if full else "sample")
