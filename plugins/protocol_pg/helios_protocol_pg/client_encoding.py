"""client_encoding: the character set of the text a client and the server exchange.

The engine works in UTF-8. A session whose client_encoding is another PostgreSQL encoding
(LATIN1, WIN1252, EUC_JP...) gets every text field converted on the way in and out: query
strings, text parameters, values in text format (and text-like values in binary format),
column names, messages and COPY data. As in PostgreSQL, a character the client's encoding
cannot represent is error 22P05, bytes that are not valid in it are 22021; SQL_ASCII passes
bytes through unconverted.

The encoding in force is a context variable: each connection runs in its own task (and the
worker threads it hands work to inherit the task's context), so connections never see each
other's setting.
"""

from __future__ import annotations

import codecs
import contextvars
from collections.abc import Callable

from helios_core.errors import HeliosError

# PostgreSQL's canonical encoding names -> Python codecs (EUC_TW and MULE_INTERNAL have none:
# the session refuses them)
PYTHON_CODECS = {
    "UTF8": "utf-8", "SQL_ASCII": "utf-8", "EUC_JP": "euc_jp", "EUC_CN": "gb2312", "EUC_KR": "euc_kr",
    "EUC_JIS_2004": "euc_jis_2004", "LATIN1": "iso8859-1", "LATIN2": "iso8859-2", "LATIN3": "iso8859-3",
    "LATIN4": "iso8859-4", "LATIN5": "iso8859-9", "LATIN6": "iso8859-10", "LATIN7": "iso8859-13",
    "LATIN8": "iso8859-14", "LATIN9": "iso8859-15", "LATIN10": "iso8859-16", "WIN866": "cp866",
    "WIN874": "cp874", "KOI8R": "koi8-r", "KOI8U": "koi8-u", "ISO_8859_5": "iso8859-5",
    "ISO_8859_6": "iso8859-6", "ISO_8859_7": "iso8859-7", "ISO_8859_8": "iso8859-8", "SJIS": "cp932",
    "BIG5": "big5", "GBK": "gbk", "UHC": "cp949", "GB18030": "gb18030", "JOHAB": "johab",
    "SHIFT_JIS_2004": "shift_jis_2004",
    **{f"WIN{i}": f"cp{i}" for i in range(1250, 1259)},
}

_NAME: contextvars.ContextVar[str] = contextvars.ContextVar("pg_client_encoding", default="UTF8")
_CODEC: contextvars.ContextVar[str] = contextvars.ContextVar("pg_client_codec", default="utf-8")


def use(name: str) -> None:
    """Make ``name`` (PostgreSQL's canonical spelling) the encoding of the current connection."""
    codec = PYTHON_CODECS.get(name)
    if codec is None:
        raise HeliosError(f'conversion between UTF8 and {name} is not supported', sqlstate="0A000")
    _NAME.set(name)
    _CODEC.set(codec)


def is_utf8() -> bool:
    return _CODEC.get() == "utf-8"


def decode(raw: bytes) -> str:
    """Client bytes to text (22021 for a byte sequence the client's encoding does not have)."""
    try:
        return raw.decode(_CODEC.get())
    except UnicodeDecodeError as exc:
        name = _NAME.get() if _NAME.get() != "SQL_ASCII" else "UTF8"
        shown = " ".join(f"0x{b:02x}" for b in raw[exc.start:exc.end])
        raise HeliosError(f'invalid byte sequence for encoding "{name}": {shown}', sqlstate="22021") from exc


def encode(text: str) -> bytes:
    """Text to client bytes (22P05 for a character the client's encoding cannot represent)."""
    codec = _CODEC.get()
    try:
        return text.encode(codec)
    except UnicodeEncodeError as exc:
        shown = " ".join(f"0x{b:02x}" for b in text[exc.start].encode("utf-8"))
        raise HeliosError(f'character with byte sequence {shown} in encoding "UTF8" has no equivalent '
                          f'in encoding "{_NAME.get()}"', sqlstate="22P05") from exc


def encode_message(text: str) -> bytes:
    """Text of a server message: never fails (what cannot be represented becomes '?')."""
    return text.encode(_CODEC.get(), "replace")


def from_utf8(data: bytes) -> bytes:
    """UTF-8 bytes the server produced (COPY rows) in the client's encoding."""
    return data if is_utf8() else encode(data.decode("utf-8"))


def to_utf8() -> Callable[[bytes, bool], bytes] | None:
    """A converter of the client's byte stream (COPY data, split anywhere) to UTF-8; None when the
    client already speaks UTF-8."""
    if is_utf8():
        return None
    decoder = codecs.getincrementaldecoder(_CODEC.get())()
    name = _NAME.get()

    def convert(chunk: bytes, final: bool) -> bytes:
        try:
            return decoder.decode(chunk, final).encode("utf-8")
        except UnicodeDecodeError as exc:
            shown = " ".join(f"0x{b:02x}" for b in exc.object[exc.start:exc.end])
            raise HeliosError(f'invalid byte sequence for encoding "{name}": {shown}', sqlstate="22021") from exc

    return convert
