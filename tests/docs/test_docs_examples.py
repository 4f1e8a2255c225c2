"""The SQL examples of docs/sql/*.md run through the real psql against a real server.

Every ```sql block of a page runs, in order, in one psql session on a database of its own
(so pages do not see each other's branches). A block must succeed, unless the line before
it says ``<!-- expect-error: SQLSTATE -->``: then it must fail with exactly that SQLSTATE.
A ```text block right after a ```sql block is what psql prints for it, compared line by
line. So an example that stops working, or prints something else, fails here.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import attrs
import pytest

from helios_core.testing import HeliosServer, start_server

REPO = Path(__file__).resolve().parents[2]
DOCS = REPO / "docs"
PAGES = sorted((DOCS / "sql").glob("*.md"))
EXPECT_ERROR = re.compile(r"<!--\s*expect-error:\s*([0-9A-Z]{5})\s*-->")

pytestmark = pytest.mark.skipif(
    shutil.which("psql") is None, reason="needs the psql client (postgresql-client)"
)


@attrs.define
class Example:
    sql: str
    line: int  # where the block starts in the page, for messages
    expect_error: str | None = None
    output: str | None = None  # what psql prints, when the page shows it


def examples(page: Path) -> list[Example]:
    """The ```sql blocks of a page, with their expected error or output."""
    lines = page.read_text().splitlines()
    found: list[Example] = []
    i = 0
    while i < len(lines):
        fence = lines[i].strip()
        if fence.startswith("```"):
            lang = fence[3:].strip()
            end = next(j for j in range(i + 1, len(lines)) if lines[j].strip() == "```")
            body = "\n".join(lines[i + 1 : end])
            if lang == "sql":
                before = next((lines[j] for j in range(i - 1, -1, -1) if lines[j].strip()), "")
                marker = EXPECT_ERROR.search(before)
                found.append(Example(body, i + 1, marker.group(1) if marker else None))
            elif lang == "text" and found and _only_blank_between(lines, found[-1], i, page):
                found[-1].output = body
            i = end + 1
        else:
            i += 1
    return found


def _only_blank_between(lines: list[str], example: Example, start: int, page: Path) -> bool:
    """A ```text block belongs to the ```sql block it directly follows."""
    sql_end = example.line + example.sql.count("\n") + 1
    return all(not line.strip() for line in lines[sql_end + 1 : start])


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[HeliosServer]:
    srv = start_server(tmp_path_factory.mktemp("docs"), only=["postgres"])
    try:
        yield srv
    finally:
        srv.stop()


def _psql(server: HeliosServer, database: str, script: str) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PG")}
    env.update(PSQLRC="/dev/null", PGCONNECT_TIMEOUT="10")
    command = [
        "psql",
        "-X",
        "-h",
        "127.0.0.1",
        "-p",
        str(server.port("postgres")),
        "-U",
        "helios",
        "-d",
        database,
    ]
    return subprocess.run(
        [*command, "-v", "VERBOSITY=verbose"],
        input=script,
        text=True,
        capture_output=True,
        env=env,
        timeout=120,
        check=False,
    )


def _normalized(text: str) -> list[str]:
    lines = [line.rstrip() for line in text.splitlines()]
    while lines and not lines[0]:
        lines.pop(0)
    while lines and not lines[-1]:
        lines.pop()
    return lines


def test_there_are_pages_and_an_index():
    assert len(PAGES) >= 9
    index = (DOCS / "README.md").read_text()
    for page in PAGES:
        assert f"(sql/{page.name})" in index, f"docs/README.md does not link {page.name}"
        assert examples(page), f"{page.name} has no ```sql example"
    assert "(docs/README.md)" in (REPO / "README.md").read_text()


@pytest.mark.parametrize("page", PAGES, ids=[p.stem for p in PAGES])
def test_page_examples_run_as_documented(page, server):
    database = "docs_" + page.stem.replace("-", "_")
    created = _psql(server, "helios", f"create database {database};\n")
    assert created.returncode == 0, created.stderr
    blocks = examples(page)
    script = []
    for n, example in enumerate(blocks):
        script += [f"\\echo '@@begin {n}'", example.sql, f"\\echo '@@end {n}' :SQLSTATE"]
    proc = _psql(server, database, "\n".join(script) + "\n")
    assert "could not interpret" not in proc.stderr, proc.stderr
    outputs = dict(
        re.findall(r"^@@begin (\d+)\n(.*?)^@@end \1 ", proc.stdout, flags=re.MULTILINE | re.DOTALL)
    )
    states = dict(re.findall(r"^@@end (\d+) (\w+)$", proc.stdout, flags=re.MULTILINE))
    assert len(states) == len(blocks), proc.stdout + proc.stderr
    for n, example in enumerate(blocks):
        where = f"{page.name}:{example.line}"
        state = states[str(n)]
        if example.expect_error:
            assert state == example.expect_error, (
                f"{where}: expected SQLSTATE {example.expect_error}, got {state}"
            )
        else:
            assert state == "00000", f"{where}: failed with {state}\n{proc.stderr}"
        if example.output is not None:
            assert _normalized(outputs[str(n)]) == _normalized(example.output), (
                f"{where}: psql printed otherwise"
            )
    errors = re.findall(r"^ERROR:  ([0-9A-Z]{5}):", proc.stderr, flags=re.MULTILINE)
    assert errors == [e.expect_error for e in blocks if e.expect_error], proc.stderr
