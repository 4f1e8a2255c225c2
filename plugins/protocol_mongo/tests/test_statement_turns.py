"""Commands run in their turn on the interpreter (helios_core.statement_gate), except point finds by
``_id``, which cost less than the hand-over between threads would."""

from __future__ import annotations

import contextlib

from helios_protocol_mongo import server
from helios_protocol_mongo.wire import Message

from helios_core import statement_gate


def _message(command: dict) -> Message:
    return Message(request_id=1, op_code=2013, command=command)


def test_a_point_find_takes_no_turn_and_other_commands_do():
    point = _message({"find": "users", "filter": {"_id": "user7"}, "limit": 1, "singleBatch": True, "$db": "app"})
    assert isinstance(server._turn_for(point), contextlib.nullcontext)
    for command in ({"find": "users", "filter": {"age": 3}, "$db": "app"},
                    {"insert": "users", "documents": [{"_id": 1}], "$db": "app"},
                    {"update": "users", "updates": [{"q": {"_id": 1}, "u": {"$set": {"a": 1}}}], "$db": "app"}):
        with server._turn_for(_message(command)):
            assert statement_gate._state()[1]  # in its turn
        assert statement_gate._GATE.owner is None
