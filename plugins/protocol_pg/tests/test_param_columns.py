"""param_columns.decode_params against formats.decode_param one parameter at a time: the same values,
and the same first error, for random rows of binary and text parameters with NULLs, infinities,
dates past Python's, wrong lengths, NUL bytes and bad UTF-8 among them."""

from __future__ import annotations

import random
import struct

from helios_protocol_pg import formats, param_columns

_TIMES = [0, 10**15, 2**63 - 1, -(2**63), -63_000_000_000_000_000, 300_000_000_000_000_000]


def _value(rng: random.Random, oid: int, binary: bool) -> bytes | None:
    if rng.random() < 0.05:
        return None
    if not binary:
        return rng.choice([b"", b"ok", "\u00e9t\u00e9".encode(), b"123", b"\x00", b"a\x00", b"\xff"]
                          if rng.random() < 0.1 else [b"ok", b"", "\u00e9".encode(), b"42"])
    if oid == 23:
        return struct.pack("!i", rng.randrange(-10, 10)) if rng.random() < 0.97 else b"\x00\x00"
    if oid == 20:
        return struct.pack("!q", rng.randrange(-(2**63), 2**63))
    if oid == 701:
        return struct.pack("!d", rng.random())
    if oid == 700:
        return struct.pack("!f", rng.random())
    return struct.pack("!q", rng.choice(_TIMES) if rng.random() < 0.1 else rng.randrange(-10**15, 10**15))


def _outcome(fn):
    try:
        return fn()
    except Exception as exc:  # noqa: BLE001 - the error itself is compared
        return type(exc).__name__, str(exc)


def test_decoded_together_as_one_by_one() -> None:
    rng = random.Random(7)
    kinds = [(23, True), (20, True), (701, True), (700, True), (1184, True), (1114, True), (25, False),
             (23, False), (1184, False)]
    for _ in range(1500):
        row = [rng.choice(kinds) for _ in range(rng.randint(1, 5))]
        count = rng.randint(1, 40) if rng.random() < 0.8 else 1
        oids = [oid for oid, _ in row] * count
        binary = [b for _, b in row] * count
        if rng.random() < 0.2:  # not laid out as rows
            rng.shuffle(oids)
        raws = [_value(rng, oid, b) for oid, b in zip(oids, binary, strict=True)]
        together = _outcome(lambda r=raws, o=oids, b=binary: param_columns.decode_params(r, o, b, formats.decode_param))
        one_by_one = _outcome(lambda r=raws, o=oids, b=binary: [formats.decode_param(*p) for p in zip(r, o, b, strict=True)])
        assert together == one_by_one, (row, count)


def test_a_pipelines_binds_decoded_together_as_bind_by_bind() -> None:
    """The rows of psycopg's executemany (one Bind per row) decoded a column at a time across the Binds
    (connection._bound_rows): the same rows, or the same first error, as each Bind decoded alone."""
    from types import SimpleNamespace

    from helios_protocol_pg import connection, messages

    rng = random.Random(11)
    kinds = [(23, True), (20, True), (701, True), (1184, True), (25, False), (1114, True)]
    for _ in range(400):
        row = [rng.choice(kinds) for _ in range(rng.randint(1, 5))]
        oids = [oid for oid, _ in row]
        stmt = SimpleNamespace(param_oids=oids)
        formats_of_row = [1 if b else 0 for _, b in row]
        binds = []
        for _ in range(rng.randint(1, 80)):
            fmts = formats_of_row if rng.random() < 0.97 else [0] * len(row)  # a Bind of other formats
            params = [_value(rng, oid, f == 1) for oid, f in zip(oids, fmts, strict=True)]
            if rng.random() < 0.01:
                params = params[:-1]  # a Bind with a parameter missing
            binds.append(messages.Bind(portal="", statement="s", param_formats=fmts, params=params,
                                       result_formats=[]))
        together = _outcome(lambda s=stmt, b=binds: connection._bound_rows(s, b))
        bind_by_bind = _outcome(lambda s=stmt, b=binds: [connection._bound_params(s, x) for x in b])
        assert together == bind_by_bind, row
