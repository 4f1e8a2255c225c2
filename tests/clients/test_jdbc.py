"""pgJDBC (the driver DBeaver, Metabase and other BI tools use) against a real server: the Java
program in jdbc/ runs metadata calls and statements and prints what it saw."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from helios_core.testing import HeliosServer

JAR = Path("/usr/share/java/postgresql.jar")  # Debian's libpostgresql-jdbc-java
pytestmark = pytest.mark.skipif(shutil.which("java") is None or not JAR.exists(),
                                reason="needs a Java runtime and pgJDBC (Debian: default-jre-headless, "
                                       "libpostgresql-jdbc-java)")


def test_jdbc_metadata_and_statements(server: HeliosServer) -> None:
    program = Path(__file__).with_name("jdbc") / "JdbcClient.java"
    out = subprocess.run(["java", "-cp", str(JAR), str(program), str(server.port("postgres"))],
                         check=False, capture_output=True, text=True, timeout=240)
    assert out.returncode == 0, out.stderr[-3000:]
    lines = out.stdout.splitlines()
    assert lines[:4] == ["product|PostgreSQL|15|", "batch|[1, 1, 1, 1, 1, 1, 1]|", "keys|7|",
                         "row|1|n0|0.50|[a, b0]|0|"]
    assert "rows|1|" in lines and "table|jt|TABLE|" in lines
    columns = [line for line in lines if line.startswith("column|")]
    assert columns == ["column|id|serial|4|10|NO|YES|", "column|name|varchar|12|20|NO|NO|",
                       "column|amt|numeric|2|8|YES|NO|", "column|at|timestamptz|93|35|YES|NO|",
                       "column|tags|_text|2003|2147483647|YES|NO|", "column|j|jsonb|1111|2147483647|YES|NO|"]
    assert "index|jt_pkey|id|false|" in lines
    # ResultSetMetaData: the base table, serial and NOT NULL come from RowDescription's table OID and
    # column number, as pgJDBC reads them from PostgreSQL
    assert "resultset|serial|varchar|8|2|jt|0|true|" in lines
    assert "pk|id|1|jt_pkey|" in lines
    assert "error|22012|" in lines and "call|ABC|" in lines and "savepoint|7|" in lines
