"""Binary wire format of the hstore extension's type (hstore_send/hstore_recv), which asyncpg's
built-in hstore codec and psycopg's binary loader use: the pair count, then per pair the key's
length and bytes and the value's length (-1 for NULL) and bytes. The engine stores an hstore as
its text; incoming values go on as that text."""

from __future__ import annotations

from helios_core import types as sql_types
from helios_protocol_pg import binary_codec as bc


def register() -> None:
    bc.ENCODERS[sql_types.HSTORE_OID] = sql_types.hstore_to_binary
    bc.DECODERS[sql_types.HSTORE_OID] = sql_types.hstore_from_binary
    bc.ARRAY_ELEMENT[sql_types.HSTORE_ARRAY_OID] = sql_types.HSTORE_OID
    bc.ARRAY_OF[sql_types.HSTORE_OID] = sql_types.HSTORE_ARRAY_OID


register()
