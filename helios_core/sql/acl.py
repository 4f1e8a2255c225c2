"""Access control lists as PostgreSQL keeps them: aclitems of privilege letters per grantee.

An item is ``{"grantee", "grantor", "privs", "options"}``: ``privs`` and ``options`` are
strings of PostgreSQL's privilege letters (``options`` = held WITH GRANT OPTION);
``grantee`` ``"public"`` is PUBLIC. ``None`` as a whole ACL means "the default for the
kind of object" (PostgreSQL's NULL relacl), made concrete by ``default_acl``::

    >>> format_acl(default_acl("table", "alice"))
    '{alice=arwdDxt/alice}'
"""

from __future__ import annotations

import re
from typing import Any

from helios_core.errors import HeliosError

PUBLIC = "public"

# letter order of PostgreSQL's aclitem output (the bit order of AclMode)
LETTERS = "arwdDxtXUCTc"
WORD_TO_LETTER = {"INSERT": "a", "SELECT": "r", "UPDATE": "w", "DELETE": "d", "TRUNCATE": "D",
                  "REFERENCES": "x", "TRIGGER": "t", "EXECUTE": "X", "USAGE": "U", "CREATE": "C",
                  "TEMPORARY": "T", "TEMP": "T", "CONNECT": "c"}
LETTER_TO_WORD = {"a": "INSERT", "r": "SELECT", "w": "UPDATE", "d": "DELETE", "D": "TRUNCATE",
                  "x": "REFERENCES", "t": "TRIGGER", "X": "EXECUTE", "U": "USAGE", "C": "CREATE",
                  "T": "TEMPORARY", "c": "CONNECT"}
# privileges that exist for each kind of object (ALL means these)
KIND_PRIVILEGES = {"table": "arwdDxt", "column": "arwx", "sequence": "rwU", "schema": "UC",
                   "database": "CTc", "function": "X", "type": "U", "fdw": "U", "server": "U"}
# what PUBLIC holds when the ACL is the default
PUBLIC_DEFAULTS = {"database": "Tc", "function": "X", "type": "U"}


def ordered(letters: str) -> str:
    return "".join(ch for ch in LETTERS if ch in letters)


def default_acl(kind: str, owner: str) -> list[dict]:
    """PostgreSQL's acldefault(): the owner holds everything; PUBLIC what its kind grants it."""
    items = [{"grantee": owner, "grantor": owner, "privs": KIND_PRIVILEGES[kind], "options": ""}]
    public = PUBLIC_DEFAULTS.get(kind, "")
    if public:
        items.append({"grantee": PUBLIC, "grantor": owner, "privs": public, "options": ""})
    return items


def effective(acl: list[dict] | None, kind: str, owner: str) -> list[dict]:
    return [dict(i) for i in acl] if acl is not None else default_acl(kind, owner)


def _quote(name: str) -> str:
    if name and all(ch.isalnum() or ch == "_" for ch in name):
        return name
    return '"' + name.replace('"', '""') + '"'


def format_item(item: dict) -> str:
    grantee = "" if item["grantee"] == PUBLIC else _quote(item["grantee"])
    body = "".join(ch + ("*" if ch in item.get("options", "") else "") for ch in ordered(item["privs"]))
    return f"{grantee}={body}/{_quote(item['grantor'])}"


def format_acl(acl: list[dict] | None) -> str | None:
    """The text of an aclitem[] ({alice=arwdDxt/alice,=r/alice}); None stays NULL."""
    if acl is None:
        return None
    return "{" + ",".join(_array_element(format_item(i)) for i in acl) + "}"


def _array_element(text: str) -> str:
    if re.search(r'[",{}\\\s]', text):
        return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'
    return text


def items_text(acl: list[dict] | None) -> list[str] | None:
    return None if acl is None else [format_item(i) for i in acl]


def letters_for(words: list[str], kind: str, *, object_label: str) -> str:
    """Privilege words of a GRANT (``ALL [PRIVILEGES]``, ``SELECT`` ...) -> letters; 0LP01 when invalid."""
    out = ""
    for word in words:
        w = word.upper().replace(" PRIVILEGES", "")
        if w == "ALL":
            out += KIND_PRIVILEGES[kind]
            continue
        letter = WORD_TO_LETTER.get(w)
        if letter is None or letter not in KIND_PRIVILEGES[kind]:
            raise HeliosError(f"invalid privilege type {w} for {object_label}", sqlstate="0LP01")
        out += letter
    return ordered(set(out))


def holds(acl: list[dict], holders: set[str], letter: str, *, grant_option: bool = False) -> bool:
    for item in acl:
        if item["grantee"] in holders and letter in (item["options"] if grant_option else item["privs"]):
            return True
    return False


def add(acl: list[dict], grantee: str, grantor: str, letters: str, *, with_option: bool) -> list[dict]:
    for item in acl:
        if item["grantee"] == grantee and item["grantor"] == grantor:
            item["privs"] = ordered(set(item["privs"]) | set(letters))
            if with_option:
                item["options"] = ordered(set(item["options"]) | set(letters))
            return acl
    acl.append({"grantee": grantee, "grantor": grantor, "privs": ordered(letters),
                "options": ordered(letters) if with_option else ""})
    return acl


def remove(acl: list[dict], grantee: str, grantor: str, letters: str, *, option_only: bool) -> list[dict]:
    out = []
    for item in acl:
        if item["grantee"] == grantee and item["grantor"] == grantor:
            item = dict(item, options=ordered(set(item["options"]) - set(letters)))
            if not option_only:
                item["privs"] = ordered(set(item["privs"]) - set(letters))
            if not item["privs"]:
                continue
        out.append(item)
    return out


def dependent_grants(acl: list[dict], grantor: str, letters: str) -> list[dict]:
    """Items granted by ``grantor`` with any of ``letters``: they hang on its grant option."""
    return [i for i in acl if i["grantor"] == grantor and set(i["privs"]) & set(letters)]


def rename_role(acl: Any, old: str, new: str) -> Any:
    if acl is None:
        return None
    return [dict(i, grantee=new if i["grantee"] == old else i["grantee"],
                 grantor=new if i["grantor"] == old else i["grantor"]) for i in acl]


def without_role(acl: Any, name: str) -> Any:
    if acl is None:
        return None
    return [i for i in acl if i["grantee"] != name and i["grantor"] != name]
