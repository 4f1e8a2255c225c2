"""FETCH and MOVE over SQL cursors as PostgreSQL moves them: a fetch that asks past the last row
(FETCH ALL, FETCH 6 of 5) leaves the cursor after it, so PRIOR returns the last row; FETCH -n is
BACKWARD n and FORWARD 0 the current row; a NO SCROLL cursor refuses every move back (55000, as
PostgreSQL judges it: ABSOLUTE n past the position and moves from the start stay allowed; it was
accepted). In order, on a live PostgreSQL and on HeliosDB; the same rows or the same SQLSTATE."""

from __future__ import annotations

_SCROLL = "DECLARE c SCROLL CURSOR FOR SELECT g FROM generate_series(1, 5) g"
_NO_SCROLL = "DECLARE c NO SCROLL CURSOR FOR SELECT g FROM generate_series(1, 5) g"


def _block(declare: str, *moves: str) -> list[str]:
    return ["BEGIN", declare, *moves, "ROLLBACK"]


STEPS = [
    *_block(_SCROLL, "FETCH ALL FROM c", "FETCH PRIOR FROM c"),
    *_block(_SCROLL, "FETCH 5 FROM c", "FETCH PRIOR FROM c"),
    *_block(_SCROLL, "FETCH 6 FROM c", "FETCH PRIOR FROM c", "FETCH RELATIVE 0 FROM c"),
    *_block(_SCROLL, "FETCH 2 FROM c", "FETCH -1 FROM c", "FETCH FORWARD 0 FROM c", "FETCH BACKWARD -2 FROM c"),
    *_block(_SCROLL, "MOVE 10 IN c", "FETCH BACKWARD 2 FROM c", "FETCH ABSOLUTE -2 FROM c"),
    *_block(_NO_SCROLL, "FETCH ABSOLUTE 1 FROM c", "FETCH 2 FROM c", "FETCH ABSOLUTE 5 FROM c", "FETCH NEXT FROM c"),
    *_block(_NO_SCROLL, "FETCH RELATIVE 0 FROM c", "FETCH FIRST FROM c", "FETCH RELATIVE 2 FROM c"),
    *_block(_NO_SCROLL, "FETCH BACKWARD 1 FROM c"),
    *_block(_NO_SCROLL, "FETCH LAST FROM c"),
    *_block(_NO_SCROLL, "FETCH 3 FROM c", "FETCH ABSOLUTE 3 FROM c"),
    *_block(_NO_SCROLL, "FETCH ALL FROM c", "FETCH ABSOLUTE 6 FROM c"),
    *_block(_NO_SCROLL, "FETCH 2 FROM c", "FETCH FORWARD 0 FROM c"),
    *_block(_NO_SCROLL, "FETCH 2 FROM c", "FETCH -1 FROM c"),
    *_block(_NO_SCROLL, "FETCH 2 FROM c", "MOVE ABSOLUTE 0 FROM c"),
    *_block(_NO_SCROLL, "FETCH 2 FROM c", "MOVE BACKWARD ALL FROM c"),
    *_block(_NO_SCROLL, "FETCH 2 FROM c", "FETCH RELATIVE -1 FROM c"),
]


def test_cursor_moves_as_postgres(systems, assert_steps_agree):
    assert_steps_agree(*systems, STEPS)
