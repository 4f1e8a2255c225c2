"""An enum's labels as PostgreSQL checks and orders them: the length limit, the float4 sort
positions of pg_enum ("sortorders" in the record, 1..n when absent) and the labels a running
transaction added and may not use yet (55P04, "unsafe use of new value"; the record notes each
added label's transaction in "new_labels"). ALTER TYPE ... ADD/RENAME VALUE is enum_values."""

from __future__ import annotations

from typing import Any

from helios_core.errors import HeliosError, InvalidParameterValue

LABEL_BYTES = 63  # NAMEDATALEN - 1


def check_label(label: str) -> None:
    """PostgreSQL's limit on a label's length (22023)."""
    if len(label.encode()) > LABEL_BYTES:
        raise InvalidParameterValue(f'invalid enum label "{label}"',
                                    detail=f"Labels must be {LABEL_BYTES} bytes or less.")


def sort_orders(rec: dict) -> list[float]:
    """The pg_enum.enumsortorder of each label of an enum record, in order."""
    return list(rec.get("sortorders") or [float(i + 1) for i in range(len(rec["labels"]))])


def unsafe_labels(rec: dict, txid: int | None) -> tuple[str, ...]:
    """The labels transaction ``txid`` added by ALTER TYPE ... ADD VALUE (not usable before it commits)."""
    if txid is None:
        return ()
    return tuple(label for label, t in (rec.get("new_labels") or {}).items() if t == txid and label in rec["labels"])


def check_safe(t: Any, labels: Any) -> None:
    """55P04 when one of ``labels`` is a value of enum ``t`` added by the running, uncommitted transaction."""
    unsafe = getattr(t, "unsafe_labels", ())
    if not unsafe:
        return
    for label in labels:
        if label in unsafe:
            raise HeliosError(f'unsafe use of new value "{label}" of enum type {t.name}', sqlstate="55P04",
                              hint="New enum values must be committed before they can be used.")
