"""Fixtures of the SQL tests."""

from __future__ import annotations

import pytest

from tests.sql.pg_answers import SETUP, connect_with


@pytest.fixture(scope="module")
def answers_session():
    """One in-process session per test_query_* module, set up with pg_answers.SETUP."""
    s = connect_with(SETUP)
    yield s
    s.close()
