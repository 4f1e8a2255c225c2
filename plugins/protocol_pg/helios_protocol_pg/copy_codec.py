"""COPY data in text, CSV and binary formats: client bytes -> Arrow batches, and back.

Decoders are fed the CopyData stream chunk by chunk and yield RecordBatches of the
target schema as soon as whole rows are available, so COPY FROM STDIN streams into
storage. Text and CSV data go through pyarrow's C++ CSV reader, which also converts the
columns whose input syntax it shares with PostgreSQL (copy_typed); the other columns
become typed through the SQL layer's cast from TEXT (PostgreSQL input syntax). Backslash
escapes of the text format are undone on the few string values that hold one; only a
chunk where an escaped delimiter or newline would split a field wrongly goes through a
small Python parser.
"""

from __future__ import annotations

import functools
import io
import re
import struct
from collections.abc import Iterator, Sequence
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv

from helios_core import types as sql_types
from helios_core.copy_csv import check_header, csv_field, csv_text_columns, force_indexes
from helios_core.errors import HeliosError
from helios_protocol_pg import binary_codec as bc
from helios_protocol_pg import copy_typed
from helios_protocol_pg.formats import FIRST_USER_OID, decode_param, encode_column, fallback_text, text_values
from helios_protocol_pg.pg_types import oid_of

BINARY_SIGNATURE = b"PGCOPY\n\xff\r\n\x00"


def _is_composite(oid: int, arrow: pa.DataType) -> bool:
    """A composite type's values (or a 1-D array of them): binary COPY uses record_send/recv."""
    return oid >= FIRST_USER_OID and (pa.types.is_struct(arrow) or (
        pa.types.is_list(arrow) and pa.types.is_struct(arrow.value_type)))
BATCH_ROWS = 65536
PARALLEL_BLOCK = 1 << 20  # text/CSV chunks larger than this are parsed in blocks of this size, in parallel
MAX_FIELD = (1 << 30) - 1  # PostgreSQL's MaxAllocSize: no field of binary COPY may be larger


def _bad_copy(message: str, sqlstate: str = "22P04") -> HeliosError:
    return HeliosError(message, sqlstate=sqlstate)


def strings_to_arrow(values: pa.Array, field: pa.Field, type_name: str) -> pa.Array:
    """A string column in PG input syntax -> the field's Arrow type (the SQL layer's input rules)."""
    target = field.type
    if pa.types.is_string(target) or pa.types.is_large_string(target):
        return values.cast(target)
    try:
        return sql_types.parse_text(values, type_name or None, arrow=target)
    except HeliosError:
        raise
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
        pass
    try:
        if pa.types.is_boolean(target):
            truthy = ("t", "true", "yes", "on", "1", "y")
            return pa.array([None if v is None else v.strip().lower() in truthy for v in values.to_pylist()],
                            pa.bool_())
        return values.cast(target)
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError) as exc:
        raise _bad_copy(f"invalid input syntax for type {type_name or target}: {exc}", "22P02") from exc


def values_to_arrow(values: list[Any], field: pa.Field, type_name: str) -> pa.Array:
    """Python values decoded from binary COPY -> the field's Arrow type."""
    target = field.type
    conv = values
    if pa.types.is_fixed_size_binary(target):
        conv = [v.bytes if hasattr(v, "bytes") else v for v in values]
    try:
        return pa.array(conv, type=target)
    except (pa.ArrowInvalid, pa.ArrowTypeError, TypeError, ValueError, OverflowError):
        strs = pa.array([None if v is None else fallback_text(v) for v in values], pa.string())
        return strings_to_arrow(strs, field, type_name)


class RowDecoder:
    """Common shape: feed(bytes) -> batches; finish() -> batches."""

    def __init__(self, schema: pa.Schema, type_names: Sequence[str]) -> None:
        self.schema = schema
        self.type_names = list(type_names)
        self.ncols = len(schema)
        self.rows = 0
        self.table = ""  # the table's name, for PostgreSQL's "COPY t, line N" error context
        self.lines_before_rows = 0  # a header line

    def context(self, row_in_batch: int, suffix: str = "") -> str:
        """``COPY t, line N`` of a row of the batch being decoded (rows are lines)."""
        return f"COPY {self.table}, line {self.lines_before_rows + self.rows + row_in_batch + 1}{suffix}"

    def feed(self, data: bytes) -> Iterator[pa.RecordBatch]:  # pragma: no cover - interface
        raise NotImplementedError

    def finish(self) -> Iterator[pa.RecordBatch]:  # pragma: no cover - interface
        raise NotImplementedError

    def _batch_from_strings(self, columns: list[pa.Array]) -> pa.RecordBatch:
        """Columns read as text (or already converted by the CSV reader) -> a batch of the schema."""
        arrays = []
        for i, col in enumerate(columns):
            field = self.schema.field(i)
            if col.type == field.type:
                arrays.append(col)
                continue
            try:
                arrays.append(strings_to_arrow(col, field, self.type_names[i]))
            except HeliosError as exc:
                if exc.context is None:
                    row = self._first_bad(col, field, self.type_names[i])
                    if row is not None:
                        exc.context = self.context(row, f', column {field.name}: "{col[row].as_py()}"')
                raise
        batch = pa.RecordBatch.from_arrays(arrays, schema=self.schema)
        self.rows += batch.num_rows
        return batch


    @staticmethod
    def _first_bad(col: pa.Array, field: pa.Field, type_name: str) -> int | None:
        """The row whose value does not convert (error path only: one value at a time)."""
        for j in range(len(col)):
            try:
                strings_to_arrow(col.slice(j, 1), field, type_name)
            except HeliosError:
                return j
        return None


def _unescape_text_field(f: bytes) -> str:
    if b"\\" not in f:
        return f.decode("utf-8")
    out = bytearray()
    i, n = 0, len(f)
    while i < n:
        c = f[i]
        if c != 0x5C or i + 1 >= n:
            out.append(c)
            i += 1
            continue
        nxt = f[i + 1]
        i += 2
        simple = {ord("b"): 8, ord("f"): 12, ord("n"): 10, ord("r"): 13, ord("t"): 9, ord("v"): 11}
        if nxt in simple:
            out.append(simple[nxt])
        elif 0x30 <= nxt <= 0x37:
            digits = chr(nxt)
            while len(digits) < 3 and i < n and 0x30 <= f[i] <= 0x37:
                digits += chr(f[i])
                i += 1
            out.append(int(digits, 8) & 0xFF)
        elif nxt == ord("x") and i < n and chr(f[i]) in "0123456789abcdefABCDEF":
            digits = chr(f[i])
            i += 1
            if i < n and chr(f[i]) in "0123456789abcdefABCDEF":
                digits += chr(f[i])
                i += 1
            out.append(int(digits, 16))
        else:
            out.append(nxt)
    return out.decode("utf-8")


def _unescape_column(column: pa.Array) -> pa.Array:
    """Text-format backslash escapes undone on the values that hold one (usually few or none)."""
    has = pc.fill_null(pc.match_substring(column, "\\"), False)
    where = pc.indices_nonzero(has).to_numpy()
    if not len(where):
        return column
    try:
        fixed = [_unescape_text_field(v.encode("utf-8")) for v in column.take(pa.array(where)).to_pylist()]
    except UnicodeDecodeError as exc:  # an escape that spelled an invalid byte sequence
        raise HeliosError(f'invalid byte sequence for encoding "UTF8": 0x{exc.object[exc.start]:02x}',
                          sqlstate="22021") from exc
    return pc.replace_with_mask(column, has, pa.array(fixed, pa.string()))


class TextDecoder(RowDecoder):
    """PostgreSQL text format (and CSV, through pyarrow's reader)."""

    def __init__(self, schema: pa.Schema, type_names: Sequence[str], *, csv: bool, delimiter: str | None,
                 null: str | None, header: bool, quote: str = '"', escape: str | None = None,
                 type_oids: Sequence[int] | None = None) -> None:
        super().__init__(schema, type_names)
        self.oids = list(type_oids) if type_oids is not None else [0] * len(schema)
        self.direct = copy_typed.direct_types(schema, self.oids)
        self.csv = csv
        self.delimiter = (delimiter or ("," if csv else "\t")).encode()
        self.null = null if null is not None else ("" if csv else "\\N")
        self.quote = quote or '"'
        self.escape = escape or self.quote
        self.skip_header = header
        self.lines_before_rows = 1 if header else 0
        self.header_spec: Any = None  # the COPY's spec when HEADER MATCH checks the header line
        self.force_not_null: set[int] = set()  # column positions (CSV: see helios_core.copy_csv)
        self.force_null: set[int] = set()
        self.buf = b""
        self.ended = False
        if len(self.delimiter) != 1:
            raise HeliosError("COPY delimiter must be a single one-byte character", sqlstate="0A000")

    def _split_point(self, data: bytes) -> int:
        """Index just after the last complete row in data (0 when none)."""
        pos = data.rfind(b"\n")
        if not self.csv:
            return pos + 1
        q = self.quote.encode()
        while pos >= 0:
            if data.count(q, 0, pos) % 2 == 0:
                return pos + 1
            pos = data.rfind(b"\n", 0, pos)
        return 0

    def feed(self, data: bytes) -> Iterator[pa.RecordBatch]:
        if self.ended:
            return
        self.buf += data
        cut = self._split_point(self.buf)
        if cut <= 0:
            return
        chunk, self.buf = self.buf[:cut], self.buf[cut:]
        yield from self._decode(chunk)

    def finish(self) -> Iterator[pa.RecordBatch]:
        if self.buf and not self.ended:
            chunk, self.buf = self.buf, b""
            if not chunk.endswith(b"\n"):
                chunk += b"\n"
            yield from self._decode(chunk)

    def _strip_end_marker(self, chunk: bytes) -> bytes:
        if chunk.startswith((b"\\.\n", b"\\.\r\n")):
            self.ended = True
            return b""
        idx = chunk.find(b"\n\\.\n")
        if idx < 0:
            idx = chunk.find(b"\n\\.\r\n")
        if idx >= 0:
            self.ended = True
            return chunk[: idx + 1]
        return chunk

    def _decode(self, chunk: bytes) -> Iterator[pa.RecordBatch]:
        backslashes = chunk.count(b"\\")  # none (the usual case): no end marker, no escapes to read
        if backslashes:
            chunk = self._strip_end_marker(chunk)
            backslashes = chunk.count(b"\\")
        if b"\0" in chunk:  # PostgreSQL checks the encoding of every line; text never holds NUL
            raise HeliosError('invalid byte sequence for encoding "UTF8": 0x00', sqlstate="22021")
        if self.skip_header and chunk:
            nl = chunk.find(b"\n")
            if self.header_spec is not None:
                check_header(chunk[:nl].decode("utf-8", "replace").removesuffix("\r"), self.header_spec)
            chunk = chunk[nl + 1:]
            self.skip_header = False
            backslashes = chunk.count(b"\\") if backslashes else 0
        if not chunk:
            return
        if self.ncols == 0:
            return
        if self.csv and (self.force_not_null or self.force_null):
            yield from self._decode_forced(chunk)
        elif self.csv:
            yield from self._decode_with_arrow(chunk, quoted=True)
        elif not backslashes or (self.null == "\\N" and backslashes == chunk.count(b"\\N")):
            yield from self._decode_with_arrow(chunk, quoted=False)  # no escapes (every backslash starts a \N)
        elif not self._escapes_split_fields(chunk):
            yield from self._decode_with_arrow(chunk, quoted=False, escapes=True)
        else:
            yield from self._decode_python(chunk)

    def _escapes_split_fields(self, chunk: bytes) -> bool:
        """Whether a backslash precedes a delimiter, newline or carriage return (data, not a split)."""
        return b"\\" + self.delimiter in chunk or b"\\\n" in chunk or b"\\\r" in chunk

    def _read_csv(self, chunk: bytes, quoted: bool, types: list[pa.DataType | None]) -> pa.Table:
        """The chunk parsed (and converted) by pyarrow, in blocks on its CPU threads for a large chunk;
        an error is found again in one block, for the row number its message then carries."""
        try:
            return self._read_blocks(chunk, quoted, types, PARALLEL_BLOCK if len(chunk) > PARALLEL_BLOCK else 0)
        except pa.ArrowInvalid:
            if len(chunk) <= PARALLEL_BLOCK:
                raise
        return self._read_blocks(chunk, quoted, types, 0)

    def _parse_options(self, quoted: bool) -> pacsv.ParseOptions:
        return pacsv.ParseOptions(
            delimiter=self.delimiter.decode(),
            quote_char=self.quote if quoted else False,
            double_quote=quoted and self.escape == self.quote,
            escape_char=(self.escape if quoted and self.escape != self.quote else False),
            newlines_in_values=quoted,
            ignore_empty_lines=False,
        )

    def _decode_forced(self, chunk: bytes) -> Iterator[pa.RecordBatch]:
        """CSV with FORCE_NOT_NULL / FORCE_NULL columns: fields read as text with those NULL rules,
        then converted by the columns' input functions."""
        names = [f"c{i}" for i in range(self.ncols)]
        read = pacsv.ReadOptions(column_names=names, block_size=max(1 << 20, len(chunk) + 1), use_threads=False)
        try:
            columns = csv_text_columns(chunk, self.ncols, self.null, self._parse_options(True), read,
                                       self.force_not_null, self.force_null)
        except pa.ArrowInvalid as exc:
            m = re.search(r"Row #(\d+): Expected \d+ columns, got (\d+): (.*)$", str(exc), re.DOTALL)
            if m:
                raise self._field_count_error(int(m.group(2)), int(m.group(1)) - 1, m.group(3)) from exc
            raise _bad_copy(f"invalid COPY data: {exc}") from exc
        yield self._batch_from_strings(columns)

    def _read_blocks(self, chunk: bytes, quoted: bool, types: list[pa.DataType | None], block: int) -> pa.Table:
        names = [f"c{i}" for i in range(self.ncols)]
        parse = self._parse_options(quoted)
        convert = pacsv.ConvertOptions(
            column_types={n: t or pa.string() for n, t in zip(names, types, strict=True)},
            null_values=[self.null],
            strings_can_be_null=True,
            quoted_strings_can_be_null=False,
        )
        read = pacsv.ReadOptions(column_names=names, block_size=block or max(1 << 20, len(chunk) + 1),
                                 use_threads=bool(block))
        return pacsv.read_csv(io.BytesIO(chunk), read_options=read, parse_options=parse, convert_options=convert)

    def _decode_with_arrow(self, chunk: bytes, *, quoted: bool, escapes: bool = False) -> Iterator[pa.RecordBatch]:
        types = copy_typed.for_chunk(self.direct, self.oids, chunk)
        if escapes:  # a converted column would have failed on a backslash: only text columns hold them
            types = [t if t is not None and not pa.types.is_string(t) else None for t in types]
        while True:
            try:
                table = self._read_csv(chunk, quoted, types)
            except pa.ArrowInvalid as exc:
                msg = str(exc)
                m = re.search(r"Row #(\d+): Expected \d+ columns, got (\d+): (.*)$", msg, re.DOTALL)
                if m:
                    raise self._field_count_error(int(m.group(2)), int(m.group(1)) - 1, m.group(3)) from exc
                converted = [i for i, t in enumerate(types) if t is not None and not pa.types.is_string(t)]
                if converted:  # a value the reader cannot convert: that column (or all) as text, for PG's error
                    col = re.search(r"In CSV column #(\d+)", msg)
                    i = int(col.group(1)) if col else -1
                    for j in ([i] if i in converted else converted):
                        types[j] = None
                    continue
                if "invalid UTF8" in msg:
                    raise HeliosError('invalid byte sequence for encoding "UTF8"', sqlstate="22021") from exc
                raise _bad_copy(f"invalid COPY data: {msg}") from exc
            refused = [i for i, t in enumerate(types) if t is not None and not pa.types.is_string(t)
                       and not copy_typed.acceptable(table.column(i), self.oids[i])]
            if not refused:
                break
            for i in refused:
                types[i] = None
        for b in table.to_batches():  # one per block: joined once, by the caller, into a bulk append
            columns = list(b.columns)
            if escapes:
                columns = [_unescape_column(c) if pa.types.is_string(c.type) else c for c in columns]
            yield self._batch_from_strings(columns)

    def _field_count_error(self, got: int, row_in_batch: int, line: str) -> HeliosError:
        """PostgreSQL's 22P04 for a line with too few or too many fields, with its CONTEXT."""
        if got > self.ncols:
            err = _bad_copy("extra data after last expected column")
        else:
            err = _bad_copy(f'missing data for column "{self.schema.field(got).name}"')
        err.context = self.context(row_in_batch, f': "{line.rstrip(chr(13))}"')
        return err

    def _decode_python(self, chunk: bytes) -> Iterator[pa.RecordBatch]:
        lines = chunk.split(b"\n")
        if lines and lines[-1] == b"":
            lines.pop()
        cols: list[list[str | None]] = [[] for _ in range(self.ncols)]
        null = self.null.encode()
        for ln_no, line in enumerate(lines, 1):
            if line.endswith(b"\r"):
                line = line[:-1]
            fields = line.split(self.delimiter)
            if len(fields) != self.ncols:
                raise self._field_count_error(len(fields), len(cols[0]), line.decode("utf-8", "replace"))
            for i, f in enumerate(fields):
                try:
                    cols[i].append(None if f == null else _unescape_text_field(f))
                except UnicodeDecodeError as exc:
                    raise HeliosError(f'invalid byte sequence for encoding "UTF8": 0x{f[exc.start]:02x}',
                                      sqlstate="22021") from exc
            if len(cols[0]) >= BATCH_ROWS:
                yield self._batch_from_strings([pa.array(c, pa.string()) for c in cols])
                cols = [[] for _ in range(self.ncols)]
        if cols[0]:
            yield self._batch_from_strings([pa.array(c, pa.string()) for c in cols])


class BinaryDecoder(RowDecoder):
    """PostgreSQL binary COPY format (signature, flags, extension area, tuples, trailer)."""

    def __init__(self, schema: pa.Schema, type_names: Sequence[str], type_oids: Sequence[int]) -> None:
        super().__init__(schema, type_names)
        self.buf = bytearray()  # grows in place: a large field arriving in many CopyData stays linear
        self.header_done = False
        self.ended = False
        self.decoders = []
        for oid, name in zip(type_oids, type_names, strict=True):
            dec = bc.decoder_for(oid)
            if dec is None and _is_composite(oid, schema.field(len(self.decoders)).type):
                dec = functools.partial(decode_param, oid=oid, binary=True)  # record_recv's format
            if dec is None:
                dec = bc.DECODERS[bc.TEXT]  # unknown types travel as their text form
            self.decoders.append(dec)
            del name
        self.pending: list[list[Any]] = [[] for _ in range(self.ncols)]

    def feed(self, data: bytes) -> Iterator[pa.RecordBatch]:
        if self.ended:
            if data:
                raise _bad_copy("received copy data after EOF marker", "22P04")
            return
        self.buf += data
        yield from self._parse()

    def _decode_field(self, i: int, raw: bytes) -> Any:
        try:
            return self.decoders[i](raw)
        except HeliosError:
            raise
        except Exception as exc:  # any garbage a client sends is its data's fault
            raise _bad_copy(f"incorrect binary data format in field {i + 1}", "22P03") from exc

    def _parse(self) -> Iterator[pa.RecordBatch]:
        buf = self.buf
        pos = 0
        if not self.header_done:
            if len(buf) < 11:
                if buf != BINARY_SIGNATURE[: len(buf)]:
                    raise _bad_copy("COPY file signature not recognized", "22P04")
                return
            if buf[:11] != BINARY_SIGNATURE:
                raise _bad_copy("COPY file signature not recognized", "22P04")
            if len(buf) < 19:
                return
            (flags, ext_len) = struct.unpack_from("!ii", buf, 11)
            if flags & (1 << 16):
                raise _bad_copy("invalid COPY file header (WITH OIDS)", "22P04")
            if flags & ~0xFFFF & ~(1 << 16):
                raise _bad_copy("unrecognized critical flags in COPY file header", "22P04")
            if ext_len < 0:
                raise _bad_copy("invalid COPY file header (missing length)", "22P04")
            if len(buf) < 19 + ext_len:
                return
            pos = 19 + ext_len
            self.header_done = True
        n = len(buf)
        while not self.ended:
            if pos + 2 > n:
                break
            (count,) = struct.unpack_from("!h", buf, pos)
            if count == -1:
                self.ended = True
                pos += 2
                break
            if count != self.ncols:
                raise _bad_copy(f"row field count is {count}, expected {self.ncols}", "22P04")
            p = pos + 2
            values = []
            complete = True
            for i in range(count):
                if p + 4 > n:
                    complete = False
                    break
                (ln,) = struct.unpack_from("!i", buf, p)
                p += 4
                if ln == -1:
                    values.append(None)
                    continue
                if ln < 0:
                    raise _bad_copy("invalid field size", "22P04")
                if ln >= MAX_FIELD:  # PostgreSQL cannot allocate it either
                    raise HeliosError("out of memory", sqlstate="54000",
                                      detail=f"Cannot enlarge string buffer containing 0 bytes by {ln} more bytes.")
                if p + ln > n:
                    complete = False
                    break
                values.append(self._decode_field(i, bytes(buf[p : p + ln])))
                p += ln
            if not complete:
                break
            for i, v in enumerate(values):
                self.pending[i].append(v)
            pos = p
            if len(self.pending[0]) >= BATCH_ROWS:
                yield self._flush_pending()
        del buf[:pos]
        if self.ended and buf:
            raise _bad_copy("received copy data after EOF marker", "22P04")

    def _flush_pending(self) -> pa.RecordBatch:
        arrays = [values_to_arrow(col, self.schema.field(i), self.type_names[i])
                  for i, col in enumerate(self.pending)]
        self.pending = [[] for _ in range(self.ncols)]
        batch = pa.RecordBatch.from_arrays(arrays, schema=self.schema)
        self.rows += batch.num_rows
        return batch

    def finish(self) -> Iterator[pa.RecordBatch]:
        if (not self.header_done or (self.buf and not self.ended)) and (self.header_done or self.buf):
            raise _bad_copy("unexpected EOF in COPY data", "22P04")
        if self.ncols and self.pending[0]:
            yield self._flush_pending()


def make_decoder(spec: Any) -> RowDecoder:
    schema: pa.Schema = spec.arrow_schema
    names = [c.type_name for c in spec.column_types] or [""] * len(schema)
    decoder: RowDecoder
    if spec.format == "binary":
        oids = [oid_of(c) for c in spec.column_types] or [bc.TEXT] * len(schema)
        decoder = BinaryDecoder(schema, names, oids)
    else:
        oids = [oid_of(c) for c in spec.column_types] or [0] * len(schema)
        decoder = TextDecoder(schema, names, csv=spec.format == "csv", delimiter=spec.delimiter, null=spec.null,
                              header=spec.header, quote=spec.quote, escape=spec.escape, type_oids=oids)
        decoder.force_not_null, decoder.force_null = force_indexes(spec)
        decoder.header_spec = spec if getattr(spec, "header_match", False) else None
    decoder.table = str(spec.table).split(".", 1)[-1]
    return decoder


# ---------------------------------------------------------------------------
# COPY TO STDOUT
# ---------------------------------------------------------------------------

_TEXT_ESCAPES = str.maketrans({"\\": "\\\\", "\n": "\\n", "\r": "\\r", "\t": "\\t", "\b": "\\b",
                               "\f": "\\f", "\v": "\\v"})


class RowEncoder:
    """Encodes result batches as COPY TO STDOUT data (one CopyData per batch)."""

    def __init__(self, spec: Any, columns: Sequence[Any]) -> None:
        self.spec = spec
        self.columns = list(columns)
        self.rows = 0
        self.fmt = spec.format
        self.delim = spec.delimiter or ("," if self.fmt == "csv" else "\t")
        self.null = spec.null if spec.null is not None else ("" if self.fmt == "csv" else "\\N")
        self.quote = spec.quote or '"'
        self.escape = spec.escape or self.quote

    def header(self) -> bytes:
        if self.fmt == "binary":
            return BINARY_SIGNATURE + struct.pack("!ii", 0, 0)
        if self.spec.header and self.fmt == "csv":
            return (self.delim.join(self._csv_quote(c.name, force=False) for c in self.columns) + "\n").encode()
        if self.spec.header:
            return (self.delim.join(c.name for c in self.columns) + "\n").encode()
        return b""

    def trailer(self) -> bytes:
        return struct.pack("!h", -1) if self.fmt == "binary" else b""

    def _csv_quote(self, s: str, force: bool) -> str:
        return csv_field(s, delimiter=self.delim, quote=self.quote, escape=self.escape, null=self.null, force=force)

    def encode(self, batch: pa.RecordBatch) -> bytes:
        return b"".join(self.encode_rows(batch))

    def encode_rows(self, batch: pa.RecordBatch) -> list[bytes]:
        """One bytes per row: PostgreSQL sends each row as its own CopyData, and clients parse it so."""
        n = batch.num_rows
        self.rows += n
        if self.fmt == "binary":
            encs = []
            for i, c in enumerate(self.columns):
                oid = oid_of(c)
                if bc.encoder_for(oid) is None and not _is_composite(oid, batch.column(i).type):
                    strs = text_values(batch.column(i), oid, c.type_name)
                    encs.append([None if s is None else s.encode() for s in strs])
                else:
                    encs.append(encode_column(batch.column(i), oid, c.type_name, True))
            head = struct.pack("!h", len(self.columns))
            out = []
            for r in range(n):
                parts = [head]
                for col in encs:
                    v = col[r]
                    if v is None:
                        parts.append(b"\xff\xff\xff\xff")
                    else:
                        parts.append(struct.pack("!i", len(v)))
                        parts.append(v)
                out.append(b"".join(parts))
            return out
        cols = [text_values(batch.column(i), oid_of(c), c.type_name) for i, c in enumerate(self.columns)]
        if self.fmt == "csv":
            forced = set(getattr(self.spec, "force_quote", None) or ())
            cols = [[self.null if v is None else self._csv_quote(v, c.name in forced) for v in col]
                    for c, col in zip(self.columns, cols, strict=True)]
        else:
            extra = self.delim not in "\\\n\r\t\b\f\v"
            cols = [[self.null if v is None else (v.translate(_TEXT_ESCAPES).replace(self.delim, "\\" + self.delim)
                                                  if extra else v.translate(_TEXT_ESCAPES)) for v in col]
                    for col in cols]
        if not cols:
            return [b"\n"] * n
        return [(self.delim.join(row) + "\n").encode("utf-8") for row in zip(*cols, strict=True)]
