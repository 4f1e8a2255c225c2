"""CHECKPOINT flushes committed data to segments and writes a manifest now; superusers and
members of pg_checkpoint only (42501 otherwise), as PostgreSQL 15."""

from __future__ import annotations

import pytest

from helios_core.engine import Engine
from helios_core.errors import HeliosError


def test_checkpoint_writes_segments_and_needs_the_privilege(tmp_path):
    engine = Engine.open(str(tmp_path))
    s = engine.connect()
    s.execute("create table t (a int primary key, b text)")
    s.execute("insert into t select g, 'row ' || g from generate_series(1, 2000) g")
    segments = tmp_path / "segments"
    before = sorted(p.name for p in segments.rglob("*") if p.is_file()) if segments.exists() else []
    assert s.execute("checkpoint")[-1].command_tag == "CHECKPOINT"
    after = sorted(p.name for p in segments.rglob("*") if p.is_file())
    assert len(after) > len(before)  # the inserted rows now live in a segment file
    s.execute("create role ckpt_user login")
    other = engine.connect(user="ckpt_user")
    with pytest.raises(HeliosError) as err:
        other.execute("checkpoint")
    assert err.value.sqlstate == "42501"
    s.execute("grant pg_checkpoint to ckpt_user")
    assert other.execute("checkpoint")[-1].command_tag == "CHECKPOINT"
    other.close()
    s.close()
    engine.close()
    reopened = Engine.open(str(tmp_path))
    assert reopened.connect().execute("select count(*) from t")[-1].rows() == [(2000,)]
    reopened.close()
