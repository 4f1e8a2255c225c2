"""The architecture's import rules (tools/check_imports.py, run by `nox -s lint`)."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
TOOL = ROOT / "tools" / "check_imports.py"


def run(root: Path, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, str(TOOL), "--root", str(root), *args], capture_output=True, text=True,
                          timeout=120, check=False)


def write(root: Path, rel: str, text: str = "") -> None:
    path = root / rel
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(textwrap.dedent(text))


def test_the_repository_keeps_the_rules():
    out = run(ROOT)
    assert out.returncode == 0, out.stdout + out.stderr


def test_each_rule_catches_its_violation(tmp_path):
    write(tmp_path, "helios_core/__init__.py")
    write(tmp_path, "helios_core/session.py")
    write(tmp_path, "helios_core/engine.py", "_SECRET = 1\n")
    write(tmp_path, "helios_core/sql/__init__.py")
    write(tmp_path, "helios_core/sql/planner.py", "from helios_core.branching import checks\n")
    write(tmp_path, "helios_core/branching/__init__.py")
    write(tmp_path, "helios_core/branching/checks.py", """\
        from helios_core.sql import planner
        import helios_plugin_x


        def late():
            from helios_core import engine
            return engine._SECRET
        """)
    write(tmp_path, "plugins/x/pyproject.toml", "[project]\nname = 'x'\n")
    write(tmp_path, "plugins/x/helios_plugin_x/__init__.py", """\
        from helios_core.session import Result
        from helios_core.sql import planner
        from helios_core.engine import _SECRET
        """)
    write(tmp_path, "tools/import_ratchet.json", '{"function_level_imports": 0}\n')
    out = run(tmp_path)
    assert out.returncode == 1
    text = out.stdout
    assert "the core imports plugin module helios_plugin_x" in text
    assert "plugin imports private core module helios_core.sql.planner" in text
    assert "helios_core.session" not in text.split("public:")[0]  # the public module is fine
    assert "private name helios_core.engine._SECRET imported across packages" in text
    assert text.count("private name helios_core.engine._SECRET") == 2  # and engine._SECRET in checks.late()
    assert "import cycle between packages at module level: helios_core.branching <-> helios_core.sql" in text
    assert "function-level imports of project modules went up: 1 > 0" in text


def test_the_ratchet_records_only_a_lower_count(tmp_path):
    write(tmp_path, "helios_core/__init__.py")
    write(tmp_path, "helios_core/a.py", "def f():\n    from helios_core import b\n    return b\n")
    write(tmp_path, "helios_core/b.py")
    assert run(tmp_path, "--update").returncode == 0
    assert (tmp_path / "tools/import_ratchet.json").read_text().strip().endswith("1\n}")
    write(tmp_path, "helios_core/c.py", "def g():\n    import helios_core.b\n")
    refused = run(tmp_path, "--update")
    assert refused.returncode == 1 and "went up: 2 > 1" in refused.stdout
