"""Text input of composite values, as PostgreSQL's record_in reads them.

    '(1,"a b")'::t      fields split at top-level commas; "..." quotes (a doubled "" is one ");
                        a backslash takes the next character literally
    '(1,)'::t           an empty unquoted field is NULL; '""' is the empty string
    ' (1,x) '::t        whitespace around the parentheses is allowed, inside it is data

Malformed input is 22P02 ``malformed record literal: "<input>"`` with PostgreSQL's detail
(Missing left parenthesis., Too few columns., Too many columns., Unexpected end of input.,
Junk after right parenthesis.). Each field's text is then read by its type's own input
(``cast``: a vectorised cast per field), so a field's syntax errors are that type's.
"""

from __future__ import annotations

import pyarrow as pa

from helios_core.errors import HeliosError


def _malformed(text: str, detail: str) -> HeliosError:
    return HeliosError(f'malformed record literal: "{text}"', sqlstate="22P02", detail=detail)


def split_record(text: str, ncolumns: int) -> list[str | None]:
    """The fields of one record literal as text (None for NULL), or 22P02 as record_in raises."""
    n = len(text)
    pos = 0
    while pos < n and text[pos].isspace():
        pos += 1
    if pos >= n or text[pos] != "(":
        raise _malformed(text, "Missing left parenthesis.")
    pos += 1
    out: list[str | None] = []
    for i in range(ncolumns):
        if i:
            if pos < n and text[pos] == ",":
                pos += 1
            else:
                raise _malformed(text, "Too few columns.")
        if pos < n and text[pos] in ",)":
            out.append(None)
            continue
        buf: list[str] = []
        inquote = False
        while inquote or not (pos < n and text[pos] in ",)"):
            if pos >= n:
                raise _malformed(text, "Unexpected end of input.")
            ch = text[pos]
            pos += 1
            if ch == "\\":
                if pos >= n:
                    raise _malformed(text, "Unexpected end of input.")
                buf.append(text[pos])
                pos += 1
            elif ch == '"':
                if not inquote:
                    inquote = True
                elif pos < n and text[pos] == '"':
                    buf.append('"')
                    pos += 1
                else:
                    inquote = False
            else:
                buf.append(ch)
        out.append("".join(buf))
    if pos >= n or text[pos] != ")":
        raise _malformed(text, "Too many columns.")
    pos += 1
    while pos < n and text[pos].isspace():
        pos += 1
    if pos < n:
        raise _malformed(text, "Junk after right parenthesis.")
    return out


def split_records(strings: pa.Array, width: int) -> tuple[list[pa.Array], pa.Array]:
    """The text of each field of each record literal (one string array per field, NULL for a
    NULL field) and which literals are NULL themselves."""
    if isinstance(strings, pa.ChunkedArray):
        strings = strings.combine_chunks()
    texts = strings.to_pylist()
    columns: list[list[str | None]] = [[] for _ in range(width)]
    for s in texts:
        fields = split_record(s, width) if s is not None else [None] * width
        for col, value in zip(columns, fields, strict=True):
            col.append(value)
    return [pa.array(col, pa.string()) for col in columns], pa.array([s is None for s in texts], pa.bool_())
