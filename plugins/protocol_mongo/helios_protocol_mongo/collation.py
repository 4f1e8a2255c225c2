"""MongoDB's ``collation`` option: strings compared by ICU's rules for a locale, as mongod does.

A command (or one update/delete statement) runs inside ``using(spec)``; while it does,
``string_key`` turns a string into the ICU sort key of that collation, so every comparison
that goes through ``bson_order.sort_key`` (filters, sort, distinct, $group, $in...) compares
strings the collation's way: ``{locale: "en_US", strength: 2}`` makes "ping" equal "PING".
The default is ``simple``: strings compare by their UTF-8 bytes (code points). Collections
and indexes with a default collation are not built (``refuse_default`` says so).
"""

from __future__ import annotations

import contextvars
import functools
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import icu

from helios_protocol_mongo.errors import MongoError

StringKey = Callable[[str], bytes]

_current: contextvars.ContextVar[StringKey | None] = contextvars.ContextVar("mongo_collation", default=None)

_CACHE: dict[str, StringKey] = {}  # ICU collators are safe to share between threads for sort keys
_STRENGTHS = {1: icu.UCollAttributeValue.PRIMARY, 2: icu.UCollAttributeValue.SECONDARY,
              3: icu.UCollAttributeValue.TERTIARY, 4: icu.UCollAttributeValue.QUATERNARY,
              5: icu.UCollAttributeValue.IDENTICAL}
_CASE_FIRST = {"upper": icu.UCollAttributeValue.UPPER_FIRST, "lower": icu.UCollAttributeValue.LOWER_FIRST,
               "off": icu.UCollAttributeValue.OFF}
_ALTERNATE = {"non-ignorable": icu.UCollAttributeValue.NON_IGNORABLE, "shifted": icu.UCollAttributeValue.SHIFTED}
_FIELDS = ("locale", "caseLevel", "caseFirst", "strength", "numericOrdering", "alternate", "maxVariable",
           "normalization", "backwards", "version")


def _on(flag: Any) -> Any:
    return icu.UCollAttributeValue.ON if flag else icu.UCollAttributeValue.OFF


@functools.cache
def _languages() -> frozenset[str]:
    return frozenset(name.split("_")[0] for name in icu.Collator.getAvailableLocales())


def _invalid(field: str, spec: dict[str, Any], why: str = "") -> MongoError:
    return MongoError(2, f"Field '{field}' is invalid in: {spec}" + (f": {why}" if why else ""))


def _key_function(spec: dict[str, Any]) -> StringKey | None:
    """The sort-key function of a collation document, None for ``simple``; error 2 for a bad one."""
    for field in spec:
        if field not in _FIELDS:
            raise MongoError(40415, f"BSON field 'collation.{field}' is an unknown field.")
    locale = spec.get("locale")
    if not isinstance(locale, str):
        raise MongoError(40414, "BSON field 'collation.locale' is missing but a required field")
    if locale == "simple":
        if len(spec) > 1 and any(k != "locale" for k in spec):
            raise MongoError(2, "If locale=simple, no other fields may be present in collation")
        return None
    if locale != "root" and locale.split("_")[0] not in _languages():
        raise _invalid("locale", spec)
    cache_key = repr(sorted(spec.items()))
    function = _CACHE.get(cache_key)
    if function is None:
        function = _CACHE[cache_key] = _collator(locale, spec)
    return function


def _collator(locale: str, spec: dict[str, Any]) -> StringKey:
    collator = icu.Collator.createInstance(icu.Locale("" if locale == "root" else locale))
    strength = spec.get("strength", 3)
    if strength not in _STRENGTHS:
        raise _invalid("strength", spec, "strength must be an integer 1 through 5")
    collator.setAttribute(icu.UCollAttribute.STRENGTH, _STRENGTHS[int(strength)])
    collator.setAttribute(icu.UCollAttribute.CASE_LEVEL, _on(spec.get("caseLevel", False)))
    case_first = spec.get("caseFirst", "off")
    if case_first not in _CASE_FIRST:
        raise _invalid("caseFirst", spec, "caseFirst must be upper, lower or off")
    collator.setAttribute(icu.UCollAttribute.CASE_FIRST, _CASE_FIRST[case_first])
    collator.setAttribute(icu.UCollAttribute.NUMERIC_COLLATION, _on(spec.get("numericOrdering", False)))
    alternate = spec.get("alternate", "non-ignorable")
    if alternate not in _ALTERNATE:
        raise _invalid("alternate", spec, "alternate must be non-ignorable or shifted")
    collator.setAttribute(icu.UCollAttribute.ALTERNATE_HANDLING, _ALTERNATE[alternate])
    max_variable = spec.get("maxVariable", "punct")
    if max_variable != "punct":
        raise MongoError(2, f"collation maxVariable {max_variable!r} is not supported by HeliosDB (only 'punct')")
    collator.setAttribute(icu.UCollAttribute.NORMALIZATION_MODE, _on(spec.get("normalization", False)))
    collator.setAttribute(icu.UCollAttribute.FRENCH_COLLATION, _on(spec.get("backwards", False)))
    return collator.getSortKey


def key_function(spec: Any) -> StringKey | None:
    if spec is None or spec == {}:  # an empty collation document is the default (simple), as mongod takes it
        return None
    if not isinstance(spec, dict):
        raise MongoError(14, "BSON field 'collation' is the wrong type, expected type 'object'")
    return _key_function(spec)


@contextmanager
def using(spec: Any) -> Iterator[None]:
    """Strings compare by collation ``spec`` (a MongoDB collation document or None) inside the block."""
    token = _current.set(key_function(spec))
    try:
        yield
    finally:
        _current.reset(token)


def active() -> bool:
    """True while a collation other than ``simple`` is in force (SQL's byte comparison does not hold)."""
    return _current.get() is not None


def string_key(value: str) -> Any:
    key = _current.get()
    return value if key is None else key(value)


def refuse_default(spec: Any, what: str) -> None:
    """A collection's or index's own collation is not built: anything but ``simple`` is refused."""
    if key_function(spec) is not None:
        raise MongoError(2, f"a default collation on {what} is not supported by HeliosDB yet "
                            "(only {locale: 'simple'}); pass the collation with each operation")
