"""The native protocol's codec without a server: wire primitives, blocks, compressed frames.

Expected bytes are written out by hand from the protocol's definition (LEB128 lengths,
little-endian values, null maps before values, end offsets before array elements), so a
codec that merely agrees with itself cannot pass.
"""

from __future__ import annotations

import datetime as dt
import decimal
import struct

import pyarrow as pa
import pytest
from helios_protocol_clickhouse.native import columns as col
from helios_protocol_clickhouse.native.blocks import encode_block, read_block
from helios_protocol_clickhouse.native.compression import (
    METHOD_LZ4,
    METHOD_ZSTD,
    ChecksumMismatch,
    compress,
    frame_reader,
    read_frame,
)
from helios_protocol_clickhouse.native.types import parse_type
from helios_protocol_clickhouse.native.wire import NeedMore, PeerGone, ProtocolError, Reader, Writer

REVISION = 54460


def encode(type_name: str, values: pa.Array) -> bytes:
    w = Writer()
    t = parse_type(type_name)
    col.write_prefix(t, w)
    col.encode_column(t, values, w)
    return w.getvalue()


def decode(type_name: str, data: bytes, n: int) -> pa.Array:
    r = Reader()
    r.feed(data)
    t = parse_type(type_name)
    col.read_prefix(t, r)
    out = col.decode_column(t, n, r)
    assert r.available == 0, "the column left bytes unread"
    return out


def chunked_reader(data: bytes, size: int) -> Reader:
    """A reader fed ``size`` bytes at a time, as a socket might deliver them."""
    pieces = [data[i:i + size] for i in range(0, len(data), size)]
    return Reader(fill=lambda: pieces.pop(0) if pieces else b"")


# -- primitives -------------------------------------------------------------------------------


@pytest.mark.parametrize(("value", "wire"), [(0, b"\x00"), (127, b"\x7f"), (128, b"\x80\x01"),
                                             (300, b"\xac\x02"), (2**64 - 1, b"\xff" * 9 + b"\x01")])
def test_varint(value: int, wire: bytes) -> None:
    w = Writer()
    w.write_varint(value)
    assert w.getvalue() == wire
    r = Reader()
    r.feed(wire)
    assert r.read_varint() == value


def test_reader_without_fill_asks_for_more_and_with_fill_reports_a_vanished_peer() -> None:
    r = Reader()
    r.feed(b"\x05ab")
    with pytest.raises(NeedMore):
        r.read_str()
    with pytest.raises(PeerGone):
        chunked_reader(b"\x05ab", 2).read_str()
    r = Reader()
    r.feed(b"\xff" * 11)
    with pytest.raises(ProtocolError):
        r.read_varint()


def test_string_column_bytes_and_lengths_of_every_varint_size() -> None:
    values = ["", "a", "é", "x" * 127, "y" * 128, "z" * 20000, None]
    wire = encode("String", pa.array(values))
    expected = b"".join(
        (b"\x00" if v is None else _varint(len(v.encode())) + v.encode()) for v in values)
    assert wire == expected
    for size in (1, 3, 100, len(wire)):  # split anywhere, even inside a length or a value
        r = chunked_reader(wire, size)
        t = parse_type("String")
        assert col.decode_column(t, len(values), r).to_pylist() == [v or "" for v in values]


def test_long_string_columns_across_runs_and_reads() -> None:
    """A long column of short strings with long ones among them, split across the socket's reads
    at any size: every value decodes (the reader's fast path for one-byte lengths and its slow
    path for the rest meet in the middle of the column)."""
    values = [f"s{i % 977}" for i in range(20000)]
    values[9000] = "L" * 300  # in the second run
    values[19999] = "é" * 70  # the last value: 140 bytes
    wire = encode("String", pa.array(values))
    for size in (7, 4096, 65536, len(wire)):
        r = chunked_reader(wire, size)
        assert col.decode_column(parse_type("String"), len(values), r).to_pylist() == values


def _varint(n: int) -> bytes:
    w = Writer()
    w.write_varint(n)
    return w.getvalue()


def test_sliced_string_arrays_encode_their_own_values() -> None:
    arr = pa.array(["skip", "ab", "cde", "skip"]).slice(1, 2)
    assert encode("String", arr) == b"\x02ab\x03cde"


def test_non_utf8_strings_decode_as_binary() -> None:
    out = decode("String", b"\x02\xff\xfe", 1)
    assert out.type == pa.binary() and out.to_pylist() == [b"\xff\xfe"]


# -- fixed-width and temporal types -------------------------------------------------------------


def test_integers_and_floats_are_little_endian() -> None:
    assert encode("Int32", pa.array([1, -2])) == struct.pack("<ii", 1, -2)
    assert encode("UInt64", pa.array([2**64 - 1], type=pa.uint64())) == b"\xff" * 8
    assert encode("Float64", pa.array([1.5])) == struct.pack("<d", 1.5)
    assert decode("Int16", struct.pack("<hh", -5, 7), 2).to_pylist() == [-5, 7]
    with pytest.raises(col.ColumnError):
        encode("UInt8", pa.array([300]))


def test_dates_and_times() -> None:
    day = dt.date(2024, 2, 29)
    days = (day - dt.date(1970, 1, 1)).days
    assert encode("Date", pa.array([day])) == struct.pack("<H", days)
    assert encode("Date32", pa.array([dt.date(1900, 1, 1)])) == struct.pack("<i", -25567)
    moment = dt.datetime(2024, 2, 29, 12, 30, 15, 123456)
    seconds = int(moment.replace(tzinfo=dt.UTC).timestamp())
    assert encode("DateTime", pa.array([moment], type=pa.timestamp("us"))) == struct.pack("<I", seconds)
    assert encode("DateTime64(3)", pa.array([moment], type=pa.timestamp("us"))) == \
        struct.pack("<q", seconds * 1000 + 123)
    back = decode("DateTime64(6, 'Europe/Berlin')", struct.pack("<q", seconds * 10**6 + 123456), 1)
    assert back.type == pa.timestamp("us", tz="Europe/Berlin")
    assert back[0].as_py() == moment.replace(tzinfo=dt.UTC)
    assert decode("DateTime('UTC')", struct.pack("<I", seconds), 1)[0].as_py() == \
        moment.replace(microsecond=0, tzinfo=dt.UTC)
    assert decode("DateTime64(2)", struct.pack("<q", 150), 1).cast(pa.int64())[0].as_py() == 1500


def test_decimals_of_each_width() -> None:
    values = pa.array([decimal.Decimal("-1.25"), decimal.Decimal("3.50")], type=pa.decimal128(9, 2))
    assert encode("Decimal(9, 2)", values) == struct.pack("<ii", -125, 350)
    assert encode("Decimal64(2)", values) == struct.pack("<qq", -125, 350)
    wide = encode("Decimal(38, 2)", values)
    assert wide == (-125).to_bytes(16, "little", signed=True) + (350).to_bytes(16, "little", signed=True)
    for type_name, wire in [("Decimal(9, 2)", struct.pack("<ii", -125, 350)), ("Decimal(38, 2)", wide),
                            ("Decimal(50, 2)", encode("Decimal(50, 2)", values))]:
        assert decode(type_name, wire, 2).to_pylist() == [decimal.Decimal("-1.25"), decimal.Decimal("3.50")]


def test_uuid_halves_are_swapped_as_clickhouse_stores_them() -> None:
    text = "61f0c404-5cb3-11e7-907b-a6006ad3dba0"
    raw = bytes.fromhex(text.replace("-", ""))
    wire = encode("UUID", pa.array([text]))
    assert wire == raw[7::-1] + raw[15:7:-1]
    assert decode("UUID", wire, 1).to_pylist() == [text]
    with pytest.raises(col.ColumnError):
        encode("UUID", pa.array(["not-a-uuid"]))


def test_fixed_string_pads_with_zero_bytes_and_refuses_longer_values() -> None:
    assert encode("FixedString(3)", pa.array(["ab", "xyz"])) == b"ab\0xyz"
    assert decode("FixedString(3)", b"ab\0xyz", 2).to_pylist() == [b"ab\0", b"xyz"]
    with pytest.raises(col.ColumnError):
        encode("FixedString(2)", pa.array(["abc"]))


def test_enums_bool_and_nothing() -> None:
    enum = "Enum8('a' = 1, 'b' = -2)"
    assert encode(enum, pa.array(["b", "a"])) == struct.pack("<bb", -2, 1)
    assert decode(enum, struct.pack("<bb", 1, -2), 2).to_pylist() == ["a", "b"]
    with pytest.raises(col.ColumnError, match="unknown element 'c'"):
        encode(enum, pa.array(["c"]))
    assert encode("Bool", pa.array([True, False])) == b"\x01\x00"
    assert encode("Nullable(Nothing)", pa.nulls(2)) == b"\x01\x01" + b"00"


# -- composite types -----------------------------------------------------------------------------


def test_nullable_writes_the_null_map_then_defaults_under_nulls() -> None:
    wire = encode("Nullable(Int8)", pa.array([1, None, 3], type=pa.int8()))
    assert wire == b"\x00\x01\x00" + b"\x01\x00\x03"
    assert decode("Nullable(Int8)", wire, 3).to_pylist() == [1, None, 3]
    assert decode("Nullable(String)", b"\x01\x00" + b"\x00\x02hi", 2).to_pylist() == [None, "hi"]


def test_array_writes_end_offsets_then_the_elements() -> None:
    values = pa.array([[1, 2], [], [3]], type=pa.list_(pa.uint8()))
    wire = encode("Array(UInt8)", values)
    assert wire == struct.pack("<QQQ", 2, 2, 3) + b"\x01\x02\x03"
    assert decode("Array(UInt8)", wire, 3).to_pylist() == [[1, 2], [], [3]]
    nested = pa.array([[["a"], []], [["b", "c"]]])
    assert decode("Array(Array(String))", encode("Array(Array(String))", nested), 2).to_pylist() == \
        nested.to_pylist()


def test_tuple_and_map() -> None:
    values = pa.array([{"x": 1, "y": "a"}, {"x": 2, "y": "bc"}])
    wire = encode("Tuple(x Int64, y String)", values)
    assert wire == struct.pack("<qq", 1, 2) + b"\x01a\x02bc"
    assert decode("Tuple(x Int64, y String)", wire, 2).to_pylist() == values.to_pylist()
    assert decode("Tuple(Int64, String)", wire, 2).type.names == ["1", "2"]
    m = pa.array([[("k", 1)], [("a", 2), ("b", 3)]], type=pa.map_(pa.string(), pa.int32()))
    wire = encode("Map(String, Int32)", m)
    assert wire == struct.pack("<QQ", 1, 3) + b"\x01k\x01a\x01b" + struct.pack("<iii", 1, 2, 3)
    assert decode("Map(String, Int32)", wire, 2).to_pylist() == m.to_pylist()


def test_low_cardinality_dictionary_and_indexes() -> None:
    values = pa.array(["b", "a", "b", None])
    wire = encode("LowCardinality(Nullable(String))", values)
    expected = (struct.pack("<Q", 1)  # key serialization version (the prefix)
                + struct.pack("<Q", (1 << 9) | (1 << 10) | 0)  # additional keys, new dictionary, UInt8 indexes
                + struct.pack("<Q", 3) + b"\x00" + b"\x01b" + b"\x01a"  # NULL's default, then the keys
                + struct.pack("<Q", 4) + bytes([1, 2, 1, 0]))
    assert wire == expected
    assert decode("LowCardinality(Nullable(String))", wire, 4).to_pylist() == ["b", "a", "b", None]
    plain = encode("LowCardinality(String)", pa.array(["x", "x"]))
    assert decode("LowCardinality(String)", plain, 2).to_pylist() == ["x", "x"]
    arrays = pa.array([["x", "y"], ["x"]])
    assert decode("Array(LowCardinality(String))", encode("Array(LowCardinality(String))", arrays), 2) \
        .to_pylist() == [["x", "y"], ["x"]]


def test_type_names_parse_into_trees() -> None:
    t = parse_type("Map(String, Array(Nullable(Decimal(10, 2))))")
    assert str(t) == "Map(String, Array(Nullable(Decimal(10, 2))))"
    e = parse_type("Enum16('a b' = 1, 'b\\'c' = 2)")
    assert [a for a in e.args] == [("a b", 1), ("b'c", 2)]
    assert parse_type("Tuple(a UInt8, `b c` String)").types[1].element_name == "b c"
    assert parse_type("DateTime64(3, 'Asia/Tokyo')").args == (3, "Asia/Tokyo")


# -- blocks ---------------------------------------------------------------------------------------


def test_block_layout_and_round_trip() -> None:
    names = ["id", "name"]
    types = ["UInt32", "Nullable(String)"]
    arrays = [pa.array([7, 8], type=pa.uint32()), pa.array(["x", None])]
    wire = encode_block(names, types, arrays, 2, REVISION)
    expected = (b"\x01\x00\x02" + struct.pack("<i", -1) + b"\x00"  # block info: is_overflows, bucket_num
                + b"\x02\x02"  # columns, rows
                + b"\x02id" + b"\x06UInt32" + b"\x00" + struct.pack("<II", 7, 8)
                + b"\x04name" + b"\x10Nullable(String)" + b"\x00" + b"\x00\x01" + b"\x01x\x00")
    assert wire == expected
    block = read_block(chunked_reader(wire, 5), REVISION)
    assert block.names == names and block.types == types and block.num_rows == 2
    assert [a.to_pylist() for a in block.arrays] == [[7, 8], ["x", None]]
    header = read_block(chunked_reader(encode_block(names, types, None, 0, REVISION), 3), REVISION)
    assert header.num_rows == 0 and header.types == types


def test_blocks_refuse_unknown_types_and_sparse_columns() -> None:
    from helios_protocol_clickhouse.native.types import TypeNameError

    bad = b"\x00" + b"\x01\x01" + b"\x01a" + b"\x0cAggregateFoo" + b"\x00" + b"\x00"
    with pytest.raises(TypeNameError):
        read_block(chunked_reader(bad, 64), REVISION)
    sparse = b"\x00" + b"\x01\x01" + b"\x01a" + b"\x05UInt8" + b"\x01" + b"\x00"
    with pytest.raises(ProtocolError, match="sparse"):
        read_block(chunked_reader(sparse, 64), REVISION)


# -- compression -----------------------------------------------------------------------------------


@pytest.mark.parametrize("method", [METHOD_LZ4, METHOD_ZSTD])
def test_compressed_frames_round_trip_and_span_blocks(method: int) -> None:
    data = encode_block(["s"], ["String"], [pa.array([f"row {i}" * 20 for i in range(20000)])], 20000, REVISION)
    assert len(data) > 1 << 20  # more than one frame
    framed = compress(data, method)
    assert framed[16] == method
    raw = chunked_reader(framed, 4096)
    block = read_block(frame_reader(raw), REVISION)
    assert block.num_rows == 20000 and block.arrays[0][19999].as_py() == "row 19999" * 20


def test_frame_header_and_checksum_as_clickhouse_defines_them() -> None:
    from clickhouse_cityhash.cityhash import CityHash128

    frame = compress(b"hello hello hello", METHOD_LZ4)
    method, size, uncompressed = struct.unpack("<BII", frame[16:25])
    assert (method, size, uncompressed) == (0x82, len(frame) - 16, 17)
    h = CityHash128(frame[16:])
    assert frame[:16] == struct.pack("<QQ", h >> 64, h & (2**64 - 1))
    r = Reader()
    r.feed(frame)
    assert read_frame(r) == b"hello hello hello"


def test_checksum_mismatch_and_garbage_frames_are_errors() -> None:
    frame = bytearray(compress(b"some data " * 100, METHOD_ZSTD))
    frame[-1] ^= 0xFF
    r = Reader()
    r.feed(bytes(frame))
    with pytest.raises(ChecksumMismatch):
        read_frame(r)
    r = Reader()
    r.feed(b"\0" * 16 + b"\x42" + b"\0" * 8)
    with pytest.raises(ProtocolError, match="unknown compression method"):
        read_frame(r)


def test_types_widen_to_nullable_where_a_block_holds_nulls() -> None:
    def widen(type_name: str, values: pa.Array) -> str:
        return str(col.with_nulls_allowed(parse_type(type_name), values))

    assert widen("Int32", pa.array([1, 2])) == "Int32"
    assert widen("Int32", pa.array([1, None])) == "Nullable(Int32)"
    assert widen("Array(Int32)", pa.array([[1, None], None])) == "Array(Nullable(Int32))"
    assert widen("LowCardinality(String)", pa.array(["a", None])) == "LowCardinality(Nullable(String))"
    assert widen("Nullable(String)", pa.array([None])) == "Nullable(String)"


def test_decimals_of_a_finer_scale_are_rounded_to_the_column_scale() -> None:
    values = pa.array([decimal.Decimal("1.005"), decimal.Decimal("-2.334")], type=pa.decimal256(76, 16))
    assert encode("Decimal(9, 2)", values) == struct.pack("<ii", 101, -233)


def test_wide_integers_and_ip_addresses() -> None:
    big = pa.array([decimal.Decimal(-(2**100)), decimal.Decimal(7)], type=pa.decimal128(38, 0))
    wire = encode("Int128", big)
    assert wire == (-(2**100)).to_bytes(16, "little", signed=True) + (7).to_bytes(16, "little", signed=True)
    assert decode("Int128", wire, 2).to_pylist() == big.to_pylist()
    assert decode("UInt256", (5).to_bytes(32, "little"), 1).to_pylist() == [decimal.Decimal(5)]
    with pytest.raises(col.ColumnError):
        encode("UInt128", big)
    assert encode("IPv4", pa.array(["1.2.3.4"])) == struct.pack("<I", 0x01020304)
    assert decode("IPv4", struct.pack("<I", 0x7F000001), 1).to_pylist() == ["127.0.0.1"]
    v6 = encode("IPv6", pa.array(["::1"]))
    assert v6 == bytes(15) + b"\x01" and decode("IPv6", v6, 1).to_pylist() == ["::1"]
