"""Condition names of EXCEPTION WHEN and RAISE, as PostgreSQL's errcodes name them."""

from __future__ import annotations

from helios_core.plpgsql.errcodes import ERRCODES

CONDITIONS = {**ERRCODES, 
    "raise_exception": "P0001", "no_data_found": "P0002", "too_many_rows": "P0003", "assert_failure": "P0004",
    "division_by_zero": "22012", "unique_violation": "23505", "foreign_key_violation": "23503",
    "not_null_violation": "23502", "check_violation": "23514", "integrity_constraint_violation": "23000",
    "restrict_violation": "23001", "exclusion_violation": "23P01", "numeric_value_out_of_range": "22003",
    "invalid_text_representation": "22P02", "string_data_right_truncation": "22001", "data_exception": "22000",
    "invalid_parameter_value": "22023", "null_value_not_allowed": "22004", "invalid_datetime_format": "22007",
    "datetime_field_overflow": "22008", "character_not_in_repertoire": "22021", "syntax_error": "42601",
    "undefined_table": "42P01", "undefined_column": "42703", "undefined_function": "42883",
    "duplicate_table": "42P07", "duplicate_object": "42710", "insufficient_privilege": "42501",
    "feature_not_supported": "0A000", "serialization_failure": "40001", "deadlock_detected": "40P01",
    "lock_not_available": "55P03", "object_in_use": "55006", "query_canceled": "57014",
    "invalid_cursor_name": "34000", "cardinality_violation": "21000", "wrong_object_type": "42809",
    "object_not_in_prerequisite_state": "55000", "internal_error": "XX000", "case_not_found": "20000",
    "invalid_escape_sequence": "22025", "array_subscript_error": "2202E", "program_limit_exceeded": "54000",
    "statement_too_complex": "54001", "warning": "01000", "successful_completion": "00000",
    "read_only_sql_transaction": "25006", "in_failed_sql_transaction": "25P02"
}
_BY_CODE = {v: k for k, v in CONDITIONS.items()}


def sqlstate_of(condition: str) -> str | None:
    """The SQLSTATE a condition name or ``sqlstate:XXXXX`` stands for (None when unknown)."""
    if condition.startswith("sqlstate:"):
        return condition.split(":", 1)[1].upper()
    return CONDITIONS.get(condition.lower())


def matches(condition: str, sqlstate: str) -> bool:
    """EXCEPTION WHEN condition: OTHERS takes all but cancels; a class code (XX000) takes its class."""
    if condition == "others":
        return sqlstate not in ("57014", "P0004")
    code = sqlstate_of(condition)
    if code is None:
        return False
    if code.endswith("000"):
        return sqlstate[:2] == code[:2]
    return code == sqlstate


def name_of(sqlstate: str) -> str | None:
    return _BY_CODE.get(sqlstate)
