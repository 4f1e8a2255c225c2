"""The per-request path of a connection thread: its receive buffer, the command slots, the reply's
framing, and the parameters of an update's write-back (what each request costs; same answers)."""

from __future__ import annotations

import socket
import struct
import threading

import bson
import pytest
from bson import Int64, ObjectId
from helios_protocol_mongo import bson_json, wire
from helios_protocol_mongo.server import CommandSlots
from helios_protocol_mongo.socket_handoff import RECEIVE_BUFFER, TakenSocket
from helios_protocol_mongo.store import CollectionStore

import helios_core
from helios_core.session import CanonicalText


@pytest.fixture
def pair():
    ours, theirs = socket.socketpair()
    taken = TakenSocket(ours, b"")
    yield taken, theirs
    taken.close()
    theirs.close()


def test_receive_buffer_hands_out_exact_pieces(pair):
    taken, peer = pair
    # two messages in one segment: the second comes from the buffer
    peer.sendall(b"0123456789abcdef" + b"BODY" + b"fedcba9876543210" + b"NEXT")
    assert taken.receive_exactly(16) == b"0123456789abcdef"
    assert taken.receive_exactly(4) == b"BODY"
    assert taken.has_buffered
    assert taken.receive_exactly(16) == b"fedcba9876543210"
    assert taken.receive_exactly(4) == b"NEXT"
    assert not taken.has_buffered
    # a piece that arrives a byte at a time, after the start of the next one was buffered
    writer = threading.Thread(target=lambda: [peer.sendall(bytes([b])) for b in b"abcdefgh"])
    writer.start()
    assert taken.receive_exactly(3) == b"abc"
    assert taken.receive_exactly(5) == b"defgh"
    writer.join()


def test_receive_buffer_takes_a_message_larger_than_itself_then_shrinks(pair):
    taken, peer = pair
    large = bytes(range(256)) * (RECEIVE_BUFFER // 256 * 3 + 1)
    writer = threading.Thread(target=peer.sendall, args=(b"head" + large + b"tail",))
    writer.start()
    assert taken.receive_exactly(4) == b"head"
    assert taken.receive_exactly(len(large)) == large
    assert taken.receive_exactly(4) == b"tail"
    writer.join()
    peer.sendall(b"small")
    assert taken.receive_exactly(5) == b"small"
    assert len(taken._buffer) == RECEIVE_BUFFER  # back to the usual buffer once the large message is taken


def test_receive_starts_with_the_bytes_the_event_loop_had_read():
    ours, peer = socket.socketpair()
    taken = TakenSocket(ours, b"already read")
    try:
        peer.sendall(b" and then")
        assert taken.receive_exactly(7) == b"already"
        assert taken.receive_exactly(14) == b" read and then"
        peer.sendall(b"cut")
        peer.close()
        assert taken.receive_exactly(4) is None  # the peer closed before the whole piece came
    finally:
        taken.close()


def test_command_slots_bound_the_commands_running_at_once():
    slots = CommandSlots(2)
    slots.acquire()
    with slots:
        entered = threading.Event()

        def third() -> None:
            with slots:
                entered.set()

        waiting = threading.Thread(target=third)
        waiting.start()
        assert not entered.wait(0.2)  # both slots are taken: the third command waits
        slots.release()  # a waiting command (CommandRunner.waiting) gives its slot back
        assert entered.wait(5)
        waiting.join()
        slots.acquire()
    slots.release()


def test_reply_framing_is_one_op_msg():
    reply = {"cursor": {"firstBatch": [{"_id": "k", "v": 1}], "id": Int64(0), "ns": "db.c"}, "ok": 1.0}
    for flags in (0, wire.MORE_TO_COME):
        data = wire.encode_op_msg(7, 3, reply, None, flags)
        length, request_id, response_to, op_code = wire.HEADER.unpack_from(data)
        assert (length, request_id, response_to, op_code) == (len(data), 7, 3, wire.OP_MSG)
        assert struct.unpack_from("<IB", data, 16) == (flags, 0)
        assert bson.decode(data[21:]) == reply
        message = wire.parse_message(wire.HEADER.unpack_from(data), data[16:])
        assert message.command == reply and message.more_to_come == bool(flags)


def test_flat_documents_are_read_without_a_copy():
    flat = {"_id": "k", "a": "x", "b": 1.5, "c": None, "d": True}
    assert bson_json.from_json_value(flat) is flat
    assert bson_json.load_document('{"a": "x", "_id": "k"}', None, '["_id", "a"]') == {"_id": "k", "a": "x"}
    assert list(bson_json.load_document('{"a": "x", "_id": "k"}')) == ["_id", "a"]  # _id first still
    assert bson_json.load_document('{"_id": {"$oid": "65a1b2c3d4e5f60718293a4b"}, "n": 5000000000}') == \
        {"_id": ObjectId("65a1b2c3d4e5f60718293a4b"), "n": Int64(5000000000)}


@pytest.mark.parametrize("key", ["user1", 'q"b\\é\x01', ObjectId("65a1b2c3d4e5f60718293a4b"), 7, 1.5e-05, Int64(2**40),
                                 {"b": 1, "a": [2]}], ids=["plain", "escaped", "objectid", "int", "tiny", "long", "doc"])
def test_update_write_back_binds_the_key_as_jsonbs_own_text(coll, mongo_server, key):
    """update_one by _id writes the document back by its key: the key's text is jsonb's own (as the
    insert's COPY wrote it), so the kernel binds it without parsing; the row is found either way."""
    coll.insert_one({"_id": key, "v": 1})
    assert coll.update_one({"_id": key}, {"$set": {"v": 2}}).modified_count == 1
    assert coll.find_one({"_id": key}) == {"_id": key, "v": 2}
    assert coll.count_documents({}) == 1


def test_update_write_back_key_parameter_is_canonical_text():
    session = helios_core.connect()
    store = CollectionStore(session)
    store.create_collection("db", "c")
    oid = ObjectId("65a1b2c3d4e5f60718293a4b")
    store.insert("db", "c", [{"_id": oid, "v": 1}, {"_id": 1, "v": 1}])
    seen: list[list] = []
    execute_prepared = session.execute_prepared

    def spy(stmt, params, **kw):
        seen.append(list(params))
        return execute_prepared(stmt, params, **kw)

    session.execute_prepared = spy
    old = store.point_read("db", "c", oid)
    assert store.replace("db", "c", old["_id"], {**old, "v": 2}) == 1
    assert type(seen[-1][0]) is CanonicalText and seen[-1][0] == '{"$oid": "65a1b2c3d4e5f60718293a4b"}'
    # an _id replaced by an equal value of another type (1 by 1.0): the old key's own text, parsed as before
    assert store.replace("db", "c", 1, {"_id": 1.0, "v": 2}) == 1
    assert type(seen[-1][0]) is str and seen[-1][0] == "1"
    session.execute_prepared = execute_prepared
    assert store.point_read("db", "c", oid) == {"_id": oid, "v": 2}
