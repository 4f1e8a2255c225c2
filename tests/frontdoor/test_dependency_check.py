"""``helios serve`` refuses, before saying it is ready, to run on a library outside its tested range."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from helios_core.dependencies import check_dependencies
from helios_core.testing import helios_command


def test_installed_libraries_pass_the_check() -> None:
    check_dependencies()  # the versions this suite runs with are inside the declared ranges


def test_serve_exits_2_naming_the_library_out_of_range(tmp_path: Path) -> None:
    # an older sqlglot's metadata first on the path: what `pip install sqlglot==26.33.0` leaves
    info = tmp_path / "site" / "sqlglot-26.33.0.dist-info"
    info.mkdir(parents=True)
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: sqlglot\nVersion: 26.33.0\n")
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(tmp_path / "site"), *sys.path]))
    config = tmp_path / "helios.toml"
    config.write_text(f'data_dir = "{tmp_path / "data"}"\n[protocols.postgres]\nhost = "127.0.0.1"\nport = 0\n')
    proc = subprocess.run([*helios_command(), "serve", "--config", str(config)], check=False, env=env, cwd=tmp_path,
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 2, proc.stdout + proc.stderr
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1, proc.stderr
    assert "sqlglot 26.33.0 is installed" in lines[0] and "pip install 'sqlglot" in lines[0]
    assert "ready" not in proc.stdout + proc.stderr
