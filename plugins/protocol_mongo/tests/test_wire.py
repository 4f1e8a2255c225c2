"""Wire protocol and handshake: OP_MSG, OP_QUERY, OP_COMPRESSED, replica-set hello, bad input."""

from __future__ import annotations

import socket
import struct

import bson
import pymongo
import pytest
from pymongo.errors import OperationFailure
from pymongo.server_api import ServerApi

OP_QUERY, OP_MSG, OP_REPLY = 2004, 2013, 1


def _crc32c(data: bytes) -> int:
    crc = 0xFFFFFFFF
    for byte in data:
        crc ^= byte
        for _ in range(8):
            crc = (crc >> 1) ^ 0x82F63B78 if crc & 1 else crc >> 1
    return crc ^ 0xFFFFFFFF


def _recv_message(sock: socket.socket) -> tuple[int, bytes]:
    header = _recv_exactly(sock, 16)
    length, _request_id, _response_to, op_code = struct.unpack("<iiii", header)
    return op_code, _recv_exactly(sock, length - 16)


def _recv_exactly(sock: socket.socket, n: int) -> bytes:
    data = b""
    while len(data) < n:
        chunk = sock.recv(n - len(data))
        if not chunk:
            raise ConnectionError("closed")
        data += chunk
    return data


def _op_msg(body: dict, *, sequences: dict | None = None, checksum: bool = False, request_id: int = 7) -> bytes:
    payload = b"\x00" + bson.encode(body)
    for name, docs in (sequences or {}).items():
        section = name.encode() + b"\x00" + b"".join(bson.encode(d) for d in docs)
        payload += b"\x01" + struct.pack("<i", len(section) + 4) + section
    flags = 1 if checksum else 0
    message = struct.pack("<I", flags) + payload
    length = 16 + len(message) + (4 if checksum else 0)
    whole = struct.pack("<iiii", length, request_id, 0, OP_MSG) + message
    if checksum:
        whole += struct.pack("<I", _crc32c(whole))
    return whole


def _reply_document(op_code: int, body: bytes) -> dict:
    if op_code == OP_MSG:
        assert body[4] == 0
        return bson.decode(body[5:])
    assert op_code == OP_REPLY
    return bson.decode(body[20:])


@pytest.fixture
def raw(mongo_server):
    sock = socket.create_connection(("127.0.0.1", mongo_server.port("mongodb")), timeout=10)
    yield sock
    sock.close()


def test_hello_presents_a_one_member_replica_set(client, mongo_server):
    reply = client.admin.command("hello")
    address = f"127.0.0.1:{mongo_server.port('mongodb')}"
    assert reply["isWritablePrimary"] is True
    assert reply["hosts"] == [address] and reply["me"] == address and reply["primary"] == address
    assert reply["setName"] and reply["logicalSessionTimeoutMinutes"] == 30
    assert reply["maxBsonObjectSize"] == 16 * 1024 * 1024 and reply["maxWireVersion"] == 21
    assert client.topology_description.topology_type_name == "ReplicaSetWithPrimary"


def test_direct_connection_and_build_info(mongo_server):
    uri = f"mongodb://localhost:{mongo_server.port('mongodb')}/?directConnection=true"
    with pymongo.MongoClient(uri, serverSelectionTimeoutMS=10_000) as c:
        assert c.server_info()["version"].startswith("7.0")
        assert c.admin.command("ping")["ok"] == 1.0
        for name in ("hostInfo", "serverStatus", "connectionStatus", "getCmdLineOpts"):
            assert c.admin.command(name)["ok"] == 1.0
        assert "featureCompatibilityVersion" in c.admin.command({"getParameter": "*"})


@pytest.mark.parametrize("compressor", ["zlib", "zstd"])
def test_compressed_messages(mongo_server, compressor):
    uri = f"mongodb://127.0.0.1:{mongo_server.port('mongodb')}/?compressors={compressor}"
    with pymongo.MongoClient(uri, serverSelectionTimeoutMS=10_000) as c:
        coll = c.testdb[f"compressed_{compressor}"]
        coll.drop()
        coll.insert_many([{"i": i, "pad": "x" * 200} for i in range(500)])
        assert sorted(d["i"] for d in coll.find({}, {"i": 1})) == list(range(500))
        assert c.admin.command("hello")["compression"] == [compressor]


def test_unknown_command_is_59(client):
    with pytest.raises(OperationFailure) as info:
        client.admin.command("noSuchCommandAtAll")
    assert info.value.code == 59 and info.value.details["codeName"] == "CommandNotFound"


def test_legacy_op_query_is_master(raw):
    query = bson.encode({"isMaster": 1})
    body = struct.pack("<i", 0) + b"admin.$cmd\x00" + struct.pack("<ii", 0, -1) + query
    raw.sendall(struct.pack("<iiii", 16 + len(body), 1, 0, OP_QUERY) + body)
    op_code, reply_body = _recv_message(raw)
    reply = _reply_document(op_code, reply_body)
    assert op_code == OP_REPLY and reply["ismaster"] is True and reply["ok"] == 1.0


def test_op_msg_document_sequence_and_checksum(raw, client):
    client.testdb.seq.drop()
    raw.sendall(_op_msg({"insert": "seq", "$db": "testdb"}, sequences={"documents": [{"_id": 1}, {"_id": 2}]},
                        checksum=True))
    op_code, body = _recv_message(raw)
    assert _reply_document(op_code, body)["n"] == 2
    assert sorted(d["_id"] for d in client.testdb.seq.find()) == [1, 2]


def _bad_sequence(length: bytes) -> bytes:
    """An insert whose document sequence holds a document with a wrong length field (its second)."""
    whole = bytearray(_op_msg({"insert": "seq", "$db": "testdb"}, sequences={"documents": [{"_id": 1}, {"_id": 2}]}))
    second = len(whole) - len(bson.encode({"_id": 2}))
    whole[second:second + 4] = length
    return bytes(whole)


@pytest.mark.parametrize("garbage", [
    pytest.param(lambda: _op_msg({"ping": 1, "$db": "admin"})[:-3] + b"\xff\xff\xff", id="malformed-bson"),
    pytest.param(lambda: struct.pack("<iiii", 20, 1, 0, 9999) + b"abcd", id="unknown-opcode"),
    pytest.param(lambda: struct.pack("<iiii", 100_000_000, 1, 0, OP_MSG), id="oversized-length"),
    pytest.param(lambda: _op_msg({"ping": 1, "$db": "admin"}, checksum=True)[:-1] + b"\x00", id="bad-checksum"),
    pytest.param(lambda: _bad_sequence(struct.pack("<i", 400)), id="sequence-document-overruns"),
    pytest.param(lambda: _bad_sequence(struct.pack("<i", 3)), id="sequence-document-too-short"),
])
def test_bad_input_closes_only_that_connection(raw, client, garbage):
    raw.sendall(garbage())
    with pytest.raises((ConnectionError, OSError)):
        _recv_message(raw)
    assert client.admin.command("ping")["ok"] == 1.0


def test_truncated_message_then_vanishing_client(mongo_server, client):
    sock = socket.create_connection(("127.0.0.1", mongo_server.port("mongodb")), timeout=10)
    sock.sendall(_op_msg({"ping": 1, "$db": "admin"})[:20])
    sock.close()
    assert client.admin.command("ping")["ok"] == 1.0


def test_stable_api_strict_refuses_commands_outside_version_1(mongo_uri):
    with pymongo.MongoClient(mongo_uri, server_api=ServerApi("1", strict=True)) as strict:
        strict.stable_api.things.drop()
        strict.stable_api.things.insert_one({"_id": 1})
        assert strict.stable_api.things.find_one() == {"_id": 1}
        assert strict.stable_api.command("count", "things")["n"] == 1
        with pytest.raises(OperationFailure) as info:
            strict.stable_api.command("collStats", "things")
        assert info.value.code == 323
    with pymongo.MongoClient(mongo_uri) as plain:
        with pytest.raises(OperationFailure) as info:
            plain.admin.command("ping", apiVersion="2")
        assert info.value.code == 322
        with pytest.raises(OperationFailure) as info:
            plain.admin.command("ping", apiStrict=True)
        assert info.value.code == 4886600
