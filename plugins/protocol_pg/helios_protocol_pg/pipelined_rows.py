"""Finding a pipeline's run of executions of one prepared statement among the buffered messages.

A client that pipelines one prepared INSERT (psycopg's ``executemany``; libpq's pipeline mode)
sends ``Bind, Describe portal, Execute`` on the unnamed portal for every row before its Sync.
Once the first Bind of such a run is read, the executions after it that are already buffered are
found here without consuming them, so the connection can hand all of their rows to the session
at once (``Session.execute_prepared_rows``) and, if the session declines, leave every message
where it was for the ordinary one-by-one handling.
"""

from __future__ import annotations

import struct

import attrs

from helios_protocol_pg import messages as m

_DESCRIBE_PORTAL = m.msg(b"D", b"P\0")
_EXECUTE_ALL = m.msg(b"E", b"\0" + struct.pack("!i", 0))
_HEADER = struct.Struct("!ci")
MIN_ROWS = 8  # fewer executions go one by one (the session's least run: pipelined_rows.MIN_ROWS in the kernel)
MAX_ROWS = 4096  # executions taken at once (the rest wait for the next round)


@attrs.define
class Execution:
    bind: m.Bind
    described: bool  # a Describe of the portal came between the Bind and the Execute


def buffered_executions(reader: m.WireReader, first: m.Bind) -> tuple[list[Execution], int]:
    """The executions of ``first``'s statement on the unnamed portal buffered from the reader's
    position (just past ``first``): ``first``'s own [Describe] Execute, then every whole
    ``Bind (same statement, unnamed portal), [Describe], Execute`` that follows; and the buffer
    position after the last of them. Nothing is consumed."""
    buf, pos = reader.buf, reader.pos
    out: list[Execution] = []
    bind = first
    end = pos
    while True:
        described = buf.startswith(_DESCRIBE_PORTAL, pos)
        at = pos + (len(_DESCRIBE_PORTAL) if described else 0)
        if not buf.startswith(_EXECUTE_ALL, at):
            break
        out.append(Execution(bind, described))
        pos = end = at + len(_EXECUTE_ALL)
        if len(out) >= MAX_ROWS or len(buf) - pos < 5 or buf[pos:pos + 1] != b"B":
            break
        _, length = _HEADER.unpack_from(buf, pos)
        if len(buf) - pos < 1 + length:
            break
        try:
            bind = m.parse_bind(bytes(buf[pos + 5:pos + 1 + length]))
        except m.ProtocolViolation:
            break  # the ordinary handling reports it
        if bind.portal or bind.statement != first.statement:
            break
        pos += 1 + length
    return out, end
