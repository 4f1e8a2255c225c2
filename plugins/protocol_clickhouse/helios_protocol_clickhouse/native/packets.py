"""The native protocol's messages: what clients send, what the server answers.

Which fields a message holds depends on the protocol revision both sides agreed on at Hello
(the lower of the two): each ``REVISION_WITH_*`` below is the first revision carrying a field.
"""

from __future__ import annotations

import enum

import attrs

from helios_protocol_clickhouse.native.blocks import write_block
from helios_protocol_clickhouse.native.wire import ProtocolError, Reader, Writer

SERVER_REVISION = 54460  # server-side query time in Progress; below password rules and nonces
MIN_CLIENT_REVISION = 54429  # settings sent as strings (older clients send them typed)

REVISION_WITH_CLIENT_INFO = 54032
REVISION_WITH_SERVER_TIMEZONE = 54058
REVISION_WITH_QUOTA_KEY_IN_CLIENT_INFO = 54060
REVISION_WITH_SERVER_DISPLAY_NAME = 54372
REVISION_WITH_VERSION_PATCH = 54401
REVISION_WITH_CLIENT_WRITE_INFO = 54420
REVISION_WITH_INTERSERVER_SECRET = 54441
REVISION_WITH_OPENTELEMETRY = 54442
REVISION_WITH_DISTRIBUTED_DEPTH = 54448
REVISION_WITH_INITIAL_QUERY_START_TIME = 54449
REVISION_WITH_PARALLEL_REPLICAS = 54453
REVISION_WITH_ADDENDUM = 54458  # the quota key the client sends after Hello
REVISION_WITH_PROFILE_EVENTS_IN_INSERT = 54456  # a ProfileEvents packet answers each INSERT block
REVISION_WITH_PARAMETERS = 54459
REVISION_WITH_SERVER_QUERY_TIME_IN_PROGRESS = 54460
REVISION_WITH_TOTAL_ROWS_IN_PROGRESS = 51554
REVISION_WITH_TEMPORARY_TABLES = 50264


class ClientPacket(enum.IntEnum):
    HELLO = 0
    QUERY = 1
    DATA = 2
    CANCEL = 3
    PING = 4
    TABLES_STATUS_REQUEST = 5


class ServerPacket(enum.IntEnum):
    HELLO = 0
    DATA = 1
    EXCEPTION = 2
    PROGRESS = 3
    PONG = 4
    END_OF_STREAM = 5
    PROFILE_INFO = 6
    TOTALS = 7
    EXTREMES = 8
    TABLES_STATUS_RESPONSE = 9
    LOG = 10
    TABLE_COLUMNS = 11
    PART_UUIDS = 12
    READ_TASK_REQUEST = 13
    PROFILE_EVENTS = 14


class QueryStage(enum.IntEnum):
    FETCH_COLUMNS = 0
    WITH_MERGEABLE_STATE = 1
    COMPLETE = 2


@attrs.define
class Hello:
    client_name: str
    version_major: int
    version_minor: int
    revision: int
    database: str
    user: str
    password: str


@attrs.define
class ClientInfo:
    query_kind: int = 0
    initial_user: str = ""
    initial_query_id: str = ""
    initial_address: str = ""
    interface: int = 1
    os_user: str = ""
    client_hostname: str = ""
    client_name: str = ""
    version: tuple[int, int, int] = (0, 0, 0)
    client_revision: int = 0
    quota_key: str = ""


@attrs.define
class Query:
    query_id: str
    client_info: ClientInfo
    settings: dict[str, str]
    stage: int
    compression: bool
    text: str
    parameters: dict[str, str] = attrs.Factory(dict)


def read_hello(r: Reader) -> Hello:
    """The body of a client Hello (its packet type already read)."""
    client_name = r.read_str()
    major = r.read_varint()
    minor = r.read_varint()
    revision = r.read_varint()
    database = r.read_str()
    user = r.read_str()
    password = r.read_str()
    return Hello(client_name, major, minor, revision, database, user, password)


def _read_client_info(r: Reader, revision: int) -> ClientInfo:
    info = ClientInfo()
    info.query_kind = r.read_u8()
    if info.query_kind == 0:
        return info
    info.initial_user = r.read_str()
    info.initial_query_id = r.read_str()
    info.initial_address = r.read_str()
    if revision >= REVISION_WITH_INITIAL_QUERY_START_TIME:
        r.read_u64()
    info.interface = r.read_u8()
    if info.interface != 1:
        raise ProtocolError(f"client info of interface {info.interface} over the native protocol (1 = TCP)")
    info.os_user = r.read_str()
    info.client_hostname = r.read_str()
    info.client_name = r.read_str()
    major = r.read_varint()
    minor = r.read_varint()
    info.client_revision = r.read_varint()
    if revision >= REVISION_WITH_QUOTA_KEY_IN_CLIENT_INFO:
        info.quota_key = r.read_str()
    if revision >= REVISION_WITH_DISTRIBUTED_DEPTH:
        r.read_varint()
    patch = r.read_varint() if revision >= REVISION_WITH_VERSION_PATCH else 0
    info.version = (major, minor, patch)
    if revision >= REVISION_WITH_OPENTELEMETRY and r.read_u8():
        r.read(16)  # trace id
        r.read(8)  # span id
        r.read_str()  # trace state
        r.read_u8()  # trace flags
    if revision >= REVISION_WITH_PARALLEL_REPLICAS:
        r.read_varint()  # collaborate_with_initiator
        r.read_varint()  # count_participating_replicas
        r.read_varint()  # number_of_current_replica
    return info


def _read_settings(r: Reader) -> dict[str, str]:
    """Settings serialized as strings: (name, flags, value) until an empty name."""
    out: dict[str, str] = {}
    for _ in range(10_000):
        name = r.read_str()
        if not name:
            return out
        r.read_varint()  # flags: important / custom
        out[name] = r.read_str()
    raise ProtocolError("more than 10000 settings in one query")


def read_query(r: Reader, revision: int) -> Query:
    """The body of a client Query (its packet type already read)."""
    query_id = r.read_str()
    info = _read_client_info(r, revision) if revision >= REVISION_WITH_CLIENT_INFO else ClientInfo()
    settings = _read_settings(r)
    if revision >= REVISION_WITH_INTERSERVER_SECRET:
        r.read_str()  # interserver secret: empty from clients
    stage = r.read_varint()
    compression = r.read_varint()
    if compression not in (0, 1):
        raise ProtocolError(f"compression flag {compression} is neither 0 nor 1")
    text = r.read_str()
    parameters = _read_settings(r) if revision >= REVISION_WITH_PARAMETERS else {}
    return Query(query_id, info, settings, stage, bool(compression), text, parameters)


# -- server messages ------------------------------------------------------------------------------


@attrs.define
class ServerIdentity:
    name: str
    version: tuple[int, int, int]
    timezone: str
    display_name: str


def write_hello(w: Writer, me: ServerIdentity, revision: int) -> None:
    """The server's Hello, shaped for the revision agreed with this client."""
    w.write_varint(ServerPacket.HELLO)
    w.write_str(me.name)
    w.write_varint(me.version[0])
    w.write_varint(me.version[1])
    w.write_varint(SERVER_REVISION)
    if revision >= REVISION_WITH_SERVER_TIMEZONE:
        w.write_str(me.timezone)
    if revision >= REVISION_WITH_SERVER_DISPLAY_NAME:
        w.write_str(me.display_name)
    if revision >= REVISION_WITH_VERSION_PATCH:
        w.write_varint(me.version[2])


def write_exception(w: Writer, code: int, name: str, message: str, stack_trace: str = "") -> None:
    w.write_varint(ServerPacket.EXCEPTION)
    w.write_i32(code)
    w.write_str(name)
    w.write_str(message)
    w.write_str(stack_trace)
    w.write_u8(0)  # no nested exception


@attrs.define
class Progress:
    rows: int = 0
    bytes: int = 0
    total_rows: int = 0
    written_rows: int = 0
    written_bytes: int = 0
    elapsed_ns: int = 0


def write_progress(w: Writer, p: Progress, revision: int) -> None:
    w.write_varint(ServerPacket.PROGRESS)
    w.write_varint(p.rows)
    w.write_varint(p.bytes)
    if revision >= REVISION_WITH_TOTAL_ROWS_IN_PROGRESS:
        w.write_varint(p.total_rows)
    if revision >= REVISION_WITH_CLIENT_WRITE_INFO:
        w.write_varint(p.written_rows)
        w.write_varint(p.written_bytes)
    if revision >= REVISION_WITH_SERVER_QUERY_TIME_IN_PROGRESS:
        w.write_varint(p.elapsed_ns)


def write_profile_info(w: Writer, rows: int, blocks: int, nbytes: int, applied_limit: bool = False,
                       rows_before_limit: int = 0) -> None:
    w.write_varint(ServerPacket.PROFILE_INFO)
    w.write_varint(rows)
    w.write_varint(blocks)
    w.write_varint(nbytes)
    w.write_u8(1 if applied_limit else 0)
    w.write_varint(rows_before_limit)
    w.write_u8(1 if applied_limit else 0)  # calculated_rows_before_limit


def write_table_columns(w: Writer, table: str, description: str) -> None:
    w.write_varint(ServerPacket.TABLE_COLUMNS)
    w.write_str(table)
    w.write_str(description)


PROFILE_EVENTS_COLUMNS = (("host_name", "String"), ("current_time", "DateTime"), ("thread_id", "UInt64"),
                          ("type", "Int8"), ("name", "String"), ("value", "Int64"))


def write_profile_events(w: Writer, revision: int) -> None:
    """A ProfileEvents packet with no events (clients wait for one after each INSERT block);
    its block is never compressed."""
    w.write_varint(ServerPacket.PROFILE_EVENTS)
    w.write_str("")
    names = [n for n, _ in PROFILE_EVENTS_COLUMNS]
    types = [t for _, t in PROFILE_EVENTS_COLUMNS]
    write_block(w, names, types, None, 0, revision)


def write_simple(w: Writer, packet: ServerPacket) -> None:
    """Pong and EndOfStream: a packet type and nothing else."""
    w.write_varint(packet)
