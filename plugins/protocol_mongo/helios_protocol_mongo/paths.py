"""Dotted field paths (``a.b.0.c``) through embedded documents and arrays, as the query language walks them.

``candidates`` lists the values a path reaches: an array met on the way is walked into
(each element that is a document continues the path; a numeric part also indexes it), and
a path that reaches nothing yields MISSING. Matching then also looks inside leaf arrays.
``get_path``/``set_path``/``unset_path`` are the plain, non-branching accessors updates,
projections and expressions use.
"""

from __future__ import annotations

from typing import Any

from helios_protocol_mongo.bson_order import MISSING


def candidates(value: Any, path: str) -> list[Any]:
    out: list[Any] = []
    _walk(value, path.split("."), 0, out)
    return out or [MISSING]


def _walk(value: Any, parts: list[str], i: int, out: list[Any]) -> None:
    if i == len(parts):
        out.append(value)
        return
    part = parts[i]
    if isinstance(value, dict):
        if part in value:
            _walk(value[part], parts, i + 1, out)
        else:
            out.append(MISSING)
    elif isinstance(value, list):
        before = len(out)
        if part.isdigit():
            index = int(part)
            if index < len(value):
                _walk(value[index], parts, i + 1, out)
        for element in value:
            if isinstance(element, dict):
                _walk(element, parts, i, out)
        if len(out) == before:
            out.append(MISSING)
    else:
        out.append(MISSING)


def get_path(doc: Any, path: str) -> Any:
    """The value at ``path`` without branching (numeric parts index arrays), or MISSING."""
    value = doc
    for part in path.split("."):
        if isinstance(value, dict):
            value = value.get(part, MISSING)
        elif isinstance(value, list) and part.isdigit():
            index = int(part)
            value = value[index] if index < len(value) else MISSING
        else:
            return MISSING
        if value is MISSING:
            return MISSING
    return value


def get_path_array_aware(doc: Any, path: str) -> Any:
    """Aggregation's ``$a.b``: a path through an array gives the array of what each element gives."""
    value = doc
    for part in path.split("."):
        if isinstance(value, dict):
            value = value.get(part, MISSING)
        elif isinstance(value, list):
            items = []
            for element in value:
                got = get_path_array_aware(element, part) if isinstance(element, dict | list) else MISSING
                if got is not MISSING:
                    items.append(got)
            value = items
        else:
            return MISSING
        if value is MISSING:
            return MISSING
    return value


class PathConflict(Exception):
    """The path runs through a value that is not a document or array (an update's error 28)."""


def set_path(doc: dict[str, Any], path: str, value: Any) -> None:
    """Set ``path``, creating embedded documents on the way; a numeric part indexes (and pads) arrays."""
    parts = path.split(".")
    target: Any = doc
    for i, part in enumerate(parts):
        last = i == len(parts) - 1
        if isinstance(target, list):
            if not part.isdigit():
                raise PathConflict(f"Cannot create field '{part}' in element {{{parts[i - 1]}: {target!r}}}")
            index = int(part)
            while len(target) <= index:
                target.append(None)
            if last:
                target[index] = value
                return
            if not isinstance(target[index], dict | list):
                if target[index] is None:
                    target[index] = {}
                else:
                    raise PathConflict(f"Cannot create field '{parts[i + 1]}' in element "
                                       f"{{{part}: {target[index]!r}}}")
            target = target[index]
        elif isinstance(target, dict):
            if last:
                target[part] = value
                return
            child = target.get(part, MISSING)
            if child is MISSING:
                child = {}
                target[part] = child
            elif not isinstance(child, dict | list):
                raise PathConflict(f"Cannot create field '{parts[i + 1]}' in element {{{part}: {child!r}}}")
            target = child
        else:
            raise PathConflict(f"cannot use the part ({part} of {path}) to traverse the element")


def unset_path(doc: dict[str, Any], path: str) -> bool:
    """Remove the field at ``path`` (an array element becomes null, as $unset does); True when it was there."""
    parts = path.split(".")
    target: Any = doc
    for part in parts[:-1]:
        if isinstance(target, dict):
            target = target.get(part, MISSING)
        elif isinstance(target, list) and part.isdigit() and int(part) < len(target):
            target = target[int(part)]
        else:
            return False
        if target is MISSING:
            return False
    last = parts[-1]
    if isinstance(target, dict) and last in target:
        del target[last]
        return True
    if isinstance(target, list) and last.isdigit() and int(last) < len(target):
        target[int(last)] = None
        return True
    return False
