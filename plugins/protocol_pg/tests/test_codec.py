"""The wire codecs in isolation: binary types, message parsing, COPY data, SCRAM (RFC 7677 vector)."""

from __future__ import annotations

import datetime as dt
import decimal
import struct
import uuid

import pyarrow as pa
import pytest
from helios_protocol_pg import binary_codec as bc
from helios_protocol_pg import messages as m
from helios_protocol_pg.copy_codec import RowEncoder, make_decoder
from helios_protocol_pg.startup import is_loopback, parse_options
from hypothesis import given
from hypothesis import strategies as st

from helios_core import auth
from helios_core.errors import HeliosError
from helios_core.session import CopySpec, ResultColumn

# ---------------------------------------------------------------------------
# binary types
# ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("oid", "value"),
    [
        (bc.BOOL, True),
        (bc.INT2, -32768),
        (bc.INT4, 2**31 - 1),
        (bc.INT8, -(2**63)),
        (bc.FLOAT8, 1.5),
        (bc.TEXT, "héllo"),
        (bc.BYTEA, b"\x00\xff"),
        (bc.DATE, dt.date(1999, 12, 31)),
        (bc.TIMESTAMP, dt.datetime(2024, 2, 29, 23, 59, 59, 123456)),
        (bc.TIMESTAMPTZ, dt.datetime(1970, 1, 1, tzinfo=dt.UTC)),
        (bc.TIME, dt.time(13, 14, 15, 16)),
        (bc.UUID, uuid.UUID("12345678-1234-5678-1234-567812345678")),
    ],
)
def test_binary_roundtrip(oid: int, value: object) -> None:
    assert bc.decoder_for(oid)(bc.encoder_for(oid)(value)) == value


def test_binary_known_encodings() -> None:
    # values from the PostgreSQL binary format: date and timestamp count from 2000-01-01
    assert bc.encoder_for(bc.DATE)(dt.date(2000, 1, 2)) == struct.pack("!i", 1)
    assert bc.encoder_for(bc.TIMESTAMP)(dt.datetime(2000, 1, 1, 0, 0, 1)) == struct.pack("!q", 1_000_000)
    assert bc.encoder_for(bc.JSONB)('{"a": 1}') == b'\x01{"a": 1}'
    # interval: microseconds, days, months
    assert bc.encoder_for(bc.INTERVAL)((14, 3, 5_000_000_000)) == struct.pack("!qii", 5_000_000, 3, 14)
    # uuid given as its canonical string (the Arrow mapping stores uuid as text)
    assert bc.encoder_for(bc.UUID)("12345678-1234-5678-1234-567812345678") == bytes.fromhex(
        "12345678123456781234567812345678")


@pytest.mark.parametrize(
    ("text", "ndigits", "weight", "sign", "dscale", "digits"),
    [
        ("0", 0, 0, 0, 0, []),
        ("1", 1, 0, 0, 0, [1]),
        ("-12345.678", 3, 1, 0x4000, 3, [1, 2345, 6780]),
        ("0.0001", 1, -1, 0, 4, [1]),
        ("10000", 1, 1, 0, 0, [1]),
        ("1.50", 2, 0, 0, 2, [1, 5000]),
    ],
)
def test_numeric_binary_layout(text: str, ndigits: int, weight: int, sign: int, dscale: int,
                               digits: list[int]) -> None:
    raw = bc.encoder_for(bc.NUMERIC)(decimal.Decimal(text))
    assert struct.unpack_from("!hhHh", raw) == (ndigits, weight, sign, dscale)
    assert list(struct.unpack_from(f"!{ndigits}h", raw, 8)) == digits
    assert bc.decoder_for(bc.NUMERIC)(raw) == decimal.Decimal(text)
    assert str(bc.decoder_for(bc.NUMERIC)(raw)) == text.lstrip("+")


@given(st.decimals(allow_nan=False, allow_infinity=False, places=6, min_value=-10**12, max_value=10**12))
def test_numeric_binary_roundtrip(value: decimal.Decimal) -> None:
    assert bc.decoder_for(bc.NUMERIC)(bc.encoder_for(bc.NUMERIC)(value)) == value


def test_array_binary_roundtrip_with_nulls_and_two_dims() -> None:
    enc = bc.encoder_for(1007)
    dec = bc.decoder_for(1007)
    assert dec(enc([1, None, 3])) == [1, None, 3]
    assert dec(enc([[1, 2], [3, 4]])) == [[1, 2], [3, 4]]
    assert dec(enc([])) == []


def test_binary_decoders_reject_wrong_lengths() -> None:
    with pytest.raises(HeliosError) as e:  # too short: PostgreSQL's int4recv reads past the end
        bc.decoder_for(bc.INT4)(b"\x00\x01")
    assert (e.value.sqlstate, e.value.message) == ("08P01", "insufficient data left in message")
    with pytest.raises(HeliosError) as e:  # too long: bytes left over
        bc.decoder_for(bc.INT4)(b"\x00\x01\x02\x03\x04")
    assert e.value.sqlstate == "22P03"
    with pytest.raises(HeliosError):
        bc.decoder_for(1007)(b"\x00\x00\x00\x01")


# ---------------------------------------------------------------------------
# messages
# ---------------------------------------------------------------------------


def test_bind_parsing_and_truncation() -> None:
    payload = (b"p1\0s1\0" + struct.pack("!hh", 1, 1) + struct.pack("!h", 2) + struct.pack("!i", 4) + b"\0\0\0\x07"
               + struct.pack("!i", -1) + struct.pack("!hh", 1, 1))
    b = m.parse_bind(payload)
    assert (b.portal, b.statement, b.param_formats, b.params, b.result_formats) == ("p1", "s1", [1], [b"\0\0\0\x07",
                                                                                                       None], [1])
    with pytest.raises(m.ProtocolViolation):
        m.parse_bind(payload[:-3])
    with pytest.raises(m.ProtocolViolation):
        m.parse_bind(payload + b"x")


def test_invalid_utf8_is_22021() -> None:
    with pytest.raises(HeliosError) as e:
        m.parse_query(b"select '\xff'\0")
    assert e.value.sqlstate == "22021"


def test_row_description_and_data_row_layout() -> None:
    col = ResultColumn(name="a", type_oid=23, type_name="int4", type_size=4)
    rd = m.row_description([col], [1])
    assert rd[:1] == b"T" and struct.unpack_from("!i", rd, 1)[0] == len(rd) - 1
    assert rd.endswith(struct.pack("!IhIhih", 0, 0, 23, 4, -1, 1))
    assert m.data_row([b"1", None]) == b"D" + struct.pack("!ih", 4 + 2 + 4 + 1 + 4, 2) + struct.pack(
        "!i", 1) + b"1" + b"\xff\xff\xff\xff"


def test_startup_options_and_loopback() -> None:
    assert parse_options("-c heliosdb.branch=dev --search_path=a,b -c statement_timeout=5s") == {
        "heliosdb.branch": "dev", "search_path": "a,b", "statement_timeout": "5s"}
    assert parse_options(r"-c application_name=my\ app") == {"application_name": "my app"}
    assert is_loopback("127.0.0.1") and is_loopback("::1") and not is_loopback("10.1.2.3")
    assert not is_loopback("0.0.0.0")


# ---------------------------------------------------------------------------
# COPY data
# ---------------------------------------------------------------------------


def _spec(fmt: str, **kw: object) -> CopySpec:
    schema = pa.schema([("a", pa.int32()), ("b", pa.string())])
    cols = [ResultColumn(name="a", type_oid=23, type_name="int4"), ResultColumn(name="b", type_oid=25,
                                                                                   type_name="text")]
    return CopySpec(table="t", columns=["a", "b"], direction="in", format=fmt, arrow_schema=schema,
                    column_types=cols, **kw)


def _decode(spec: CopySpec, chunks: list[bytes]) -> list[tuple]:
    dec = make_decoder(spec)
    batches = []
    for c in chunks:
        batches.extend(dec.feed(c))
    batches.extend(dec.finish())
    return [tuple(r.values()) for b in batches for r in b.to_pylist()]


def test_copy_text_escapes_nulls_and_split_rows() -> None:
    data = b"1\ta\\tb\n2\t\\N\n3\tx\\\\y\\ny\n4\t\\101\n"
    assert _decode(_spec("text"), [data[:7], data[7:20], data[20:]]) == [
        (1, "a\tb"), (2, None), (3, "x\\y\ny"), (4, "A")]


def test_copy_text_fast_path_and_end_marker() -> None:
    assert _decode(_spec("text"), [b"1\tx\n2\t\\N\n\\.\n"]) == [(1, "x"), (2, None)]


def test_copy_text_wrong_column_count_is_22P04() -> None:
    with pytest.raises(HeliosError) as e:
        _decode(_spec("text"), [b"1\tx\textra\n"])
    assert e.value.sqlstate == "22P04"
    with pytest.raises(HeliosError):
        _decode(_spec("text"), [b"1\n"])


def test_copy_csv_quotes_newlines_and_header() -> None:
    data = b'a,b\n1,"x,\ny"\n2,\n3,""\n'
    assert _decode(_spec("csv", header=True), [data[:9], data[9:]]) == [(1, "x,\ny"), (2, None), (3, "")]


def test_copy_binary_in_and_out_roundtrip() -> None:
    spec = _spec("binary")
    enc = RowEncoder(CopySpec(table="t", columns=["a", "b"], direction="out", format="binary"),
                     spec.column_types)
    batch = pa.record_batch([pa.array([1, None, 3], pa.int32()), pa.array(["x", "y", None])], names=["a", "b"])
    data = enc.header() + enc.encode(batch) + enc.trailer()
    assert _decode(spec, [data[:5], data[5:30], data[30:]]) == [(1, "x"), (None, "y"), (3, None)]


def test_copy_out_text_and_csv() -> None:
    cols = _spec("text").column_types
    batch = pa.record_batch([pa.array([1, 2], pa.int32()), pa.array(["a\tb", None])], names=["a", "b"])
    text = RowEncoder(CopySpec(table="t", columns=["a", "b"], direction="out", format="text"), cols)
    assert text.encode(batch) == b"1\ta\\tb\n2\t\\N\n"
    csv = RowEncoder(CopySpec(table="t", columns=["a", "b"], direction="out", format="csv", header=True), cols)
    assert csv.header() == b"a,b\n"
    batch = pa.record_batch([pa.array([1, 2], pa.int32()), pa.array(['say "hi"', ""])], names=["a", "b"])
    assert csv.encode(batch) == b'1,"say ""hi"""\n2,""\n'


# ---------------------------------------------------------------------------
# SCRAM-SHA-256 and stored verifiers
# ---------------------------------------------------------------------------


def test_scram_rfc7677_test_vector() -> None:
    """The exchange of RFC 7677 section 3 (user "user", password "pencil") reproduces byte for byte."""
    salt = __import__("base64").b64decode("W22ZaJ0SNY7soEsUEjb6gQ==")
    stored, server = auth.scram_keys("pencil", salt, 4096)
    ex = auth.ScramExchange(auth.ScramVerifier(4096, salt, stored, server),
                            server_nonce="%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0")
    first = ex.client_first(b"n,,n=user,r=rOprNGfwEbeRWgbNEkqO")
    assert first == b"r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096"
    final = ex.client_final(b"c=biws,r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,"
                            b"p=dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ=")
    assert final == b"v=6rriTRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjl95G4="


def test_scram_wrong_proof_fails() -> None:
    v = auth.scram_verifier_for(auth.make_scram_verifier("right"))
    ex = auth.ScramExchange(v, server_nonce="abc")
    ex.client_first(b"n,,n=,r=xyz")
    with pytest.raises(auth.AuthFailed):
        ex.client_final(b"c=biws,r=xyzabc,p=" + __import__("base64").b64encode(b"\0" * 32))


def test_password_verifiers() -> None:
    scram = auth.make_password_verifier("s3cret", "alice")
    assert scram.startswith("SCRAM-SHA-256$4096:")
    assert auth.check_password(scram, "s3cret", "alice") and not auth.check_password(scram, "nope", "alice")
    md5 = auth.make_password_verifier("s3cret", "alice", method="md5")
    assert md5 == "md5" + __import__("hashlib").md5(b"s3cretalice").hexdigest()
    assert auth.check_password(md5, "s3cret", "alice")
    assert auth.make_password_verifier(md5, "alice") == md5  # pre-hashed passwords are kept
    assert auth.md5_challenge_response("s3cret", "alice", b"salt") == auth.md5_challenge_response(md5, "alice",
                                                                                                   b"salt")
    assert auth.md5_challenge_response(scram, "alice", b"salt") is None


# ---------------------------------------------------------------------------
# the regression-suite runner's statement alignment
# ---------------------------------------------------------------------------


def test_regress_alignment_of_expected_output_with_itself() -> None:
    from helios_protocol_pg.regress import blocks_of, statements_of

    sql = "-- a comment\nselect 1;\n\nselect 'x;\ny'; -- trailing\ninsert into t values (1);\n\\d t\n"
    out = ("-- a comment\nselect 1;\n ?column? \n----------\n        1\n(1 row)\n\nselect 'x;\ny'; -- trailing\n"
           "ERROR:  boom\ninsert into t values (1);\n\\d t\nTable stuff\n")
    stmts = statements_of(sql.splitlines())
    assert [s[-1] for s in stmts] == ["select 1;", "y'; -- trailing", "insert into t values (1);", "\\d t"]
    assert blocks_of(out, stmts) == [" ?column?\n----------\n        1\n(1 row)", "ERROR:  boom", "", "Table stuff"]
