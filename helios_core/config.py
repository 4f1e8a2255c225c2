"""helios.toml -> validated attrs config classes; every error names its key path.

An operator reads one line and knows what to fix::

    helios: config error: protocols.postgres.port: must be between 0 and 65535, got 70000
    helios: config error: protocols.postgres: plugin not installed; install helios-protocol-pg from a
            HeliosDB checkout: pip install ./plugins/protocol_pg

Rules: an unknown key, a value of the wrong type, an impossible value, or a section for a
plugin that is not installed is a ``ConfigError``. No file at all means the embedded
defaults: data in ``./helios-data``, every installed protocol enabled on 127.0.0.1 on its
standard port (or the next free one, said in the log).

A protocol's section holds the common keys (``enabled``, ``host``, ``port``,
``max_connections``) plus the keys of the plugin's own ``ProtocolServer.config_class``,
an attrs class whose annotations are checked here (bool, int, float, str, list[...],
dict[str, ...], unions) and whose field metadata may say ``{"duration": True}`` (a value
like "30s" becomes seconds), ``{"min": ..}``, ``{"max": ..}`` or ``{"choices": (..)}``.
Validators and converters of the class run too; their errors are reported at the section.
"""

from __future__ import annotations

import difflib
import importlib.metadata
import ipaddress
import re
import tomllib
import types
import typing
from collections.abc import Collection, Mapping
from pathlib import Path
from typing import Any

import attrs

from helios_core.logs import LEVELS
from helios_core.plugin_hints import FIRST_PARTY_TIERS, disabled_entry_points, missing_plugin_hint

# Config sections of first-party plugins -> the pip package that provides them.
FIRST_PARTY_SECTIONS: dict[str, str] = {
    "protocols.postgres": "helios-protocol-pg",
    "protocols.mongodb": "helios-protocol-mongo",
    "protocols.clickhouse": "helios-protocol-clickhouse",
    "storage.tiers": "helios-storage-object",
    "storage.wal_archiving": "helios-storage-object",
    "storage.tiering": "helios-storage-object",
    "storage.s3": "helios-storage-object",
    "storage.gcs": "helios-storage-object",
    "storage.azure": "helios-storage-object",
    "storage.local": "helios-storage-object",
    "search": "helios-search",
}

# Sections of the design that no code reads yet: refused by name rather than as unknown keys.
PLANNED_SECTIONS: dict[str, str] = {}

DEFAULT_DATA_DIR = "./helios-data"
DEFAULT_HOST = "127.0.0.1"


class ConfigError(Exception):
    """A configuration problem, reported as one line: ``<key path>: <what is wrong>``."""

    def __init__(self, path: str, message: str) -> None:
        super().__init__(f"{path}: {message}" if path else message)
        self.path = path
        self.message = message


# ---------------------------------------------------------------------------
# Values
# ---------------------------------------------------------------------------

_DURATION_UNITS = {"us": 1e-6, "ms": 1e-3, "s": 1.0, "m": 60.0, "h": 3600.0, "d": 86400.0, "w": 604800.0}
_DURATION_PART = re.compile(r"\s*(\d+(?:\.\d+)?)\s*(us|ms|s|m|h|d|w)")


def parse_duration(value: Any) -> float:
    """Seconds from a number (seconds) or a string such as "30s", "500ms", "1h30m", "7d"."""
    if isinstance(value, bool):
        raise TypeError(f'expected a duration such as "30s" or "7d", got {value!r}')
    if isinstance(value, int | float):
        if value < 0:
            raise ValueError(f"must not be negative, got {value!r}")
        return float(value)
    if not isinstance(value, str):
        raise TypeError(f'expected a duration such as "30s" or "7d", got {_describe(value)}')
    text = value.strip().lower()
    if re.fullmatch(r"\d+(\.\d+)?", text):
        return float(text)
    pos, total = 0, 0.0
    while pos < len(text):
        m = _DURATION_PART.match(text, pos)
        if not m:
            raise ValueError(f'expected a duration such as "30s", "15m", "7d", got {value!r}')
        total += float(m[1]) * _DURATION_UNITS[m[2]]
        pos = m.end()
    if not text:
        raise ValueError('expected a duration such as "30s" or "7d", got an empty string')
    return total


_SIZE_UNITS = {"": 1, "b": 1, "kb": 1 << 10, "mb": 1 << 20, "gb": 1 << 30, "tb": 1 << 40, "pb": 1 << 50}


def parse_size(value: Any) -> int:
    """Bytes from a number (bytes) or a string such as "500GB", "64MB", "1.5TB" (units of 1024)."""
    if isinstance(value, bool):
        raise TypeError(f'expected a size such as "500GB" or "64MB", got {value!r}')
    if isinstance(value, int | float):
        if value < 0:
            raise ValueError(f"must not be negative, got {value!r}")
        return int(value)
    if not isinstance(value, str):
        raise TypeError(f'expected a size such as "500GB" or "64MB", got {_describe(value)}')
    m = re.fullmatch(r"\s*(\d+(?:\.\d+)?)\s*([kmgtp]?i?b?)\s*", value.lower())
    unit = m[2].replace("i", "") if m else None
    if unit is not None and unit and not unit.endswith("b"):
        unit += "b"
    if m is None or unit not in _SIZE_UNITS:
        raise ValueError(f'expected a size such as "500GB", "64MB" or a number of bytes, got {value!r}')
    return int(float(m[1]) * _SIZE_UNITS[unit])


def _describe(value: Any) -> str:
    kind = {bool: "boolean", int: "integer", float: "float", str: "string", list: "array", dict: "table"}.get(
        type(value), type(value).__name__
    )
    shown = repr(value) if not isinstance(value, dict | list) else ""
    return f"{kind} {shown}".strip()


def _type_name(tp: Any) -> str:
    names = {bool: "a boolean", int: "an integer", float: "a number", str: "a string"}
    if tp in names:
        return names[tp]
    origin = typing.get_origin(tp)
    if origin in (list, tuple):
        return "an array"
    if origin is dict or tp is dict:
        return "a table"
    if origin in (typing.Union, types.UnionType):
        return " or ".join(_type_name(a) for a in typing.get_args(tp) if a is not type(None))
    return getattr(tp, "__name__", str(tp))


def _check_type(value: Any, tp: Any, path: str) -> Any:
    """Return ``value`` (converted where lossless: int -> float) or raise ConfigError."""
    if tp is Any or tp is object:
        return value
    origin = typing.get_origin(tp)
    if origin in (typing.Union, types.UnionType):
        for arg in typing.get_args(tp):
            if arg is type(None):
                continue
            try:
                return _check_type(value, arg, path)
            except ConfigError:
                continue
        raise ConfigError(path, f"expected {_type_name(tp)}, got {_describe(value)}")
    if tp is bool:
        if isinstance(value, bool):
            return value
    elif tp is int:
        if isinstance(value, int) and not isinstance(value, bool):
            return value
    elif tp is float:
        if isinstance(value, int | float) and not isinstance(value, bool):
            return float(value)
    elif tp is str:
        if isinstance(value, str):
            return value
    elif origin in (list, tuple) or tp in (list, tuple):
        if isinstance(value, list):
            args = typing.get_args(tp)
            items = [_check_type(v, args[0], f"{path}[{i}]") for i, v in enumerate(value)] if args else value
            return tuple(items) if origin is tuple else items
    elif origin is dict or tp is dict:
        if isinstance(value, dict):
            args = typing.get_args(tp)
            if not args:
                return dict(value)
            return {k: _check_type(v, args[1], f"{path}.{k}") for k, v in value.items()}
    else:
        return value  # a type we do not know how to check: the class's own validators decide
    raise ConfigError(path, f"expected {_type_name(tp)}, got {_describe(value)}")


def _check_bounds(value: Any, meta: Mapping[str, Any], path: str) -> None:
    choices = meta.get("choices")
    if choices is not None and value not in choices:
        raise ConfigError(
            path, f"must be one of {', '.join(repr(c) for c in choices if c is not None)}, got {value!r}"
        )
    lo, hi = meta.get("min"), meta.get("max")
    if isinstance(value, int | float) and not isinstance(value, bool):
        if lo is not None and hi is not None and not (lo <= value <= hi):
            raise ConfigError(path, f"must be between {lo} and {hi}, got {value!r}")
        if lo is not None and value < lo:
            raise ConfigError(path, f"must be at least {lo}, got {value!r}")
        if hi is not None and value > hi:
            raise ConfigError(path, f"must be at most {hi}, got {value!r}")


def _unknown_key(path: str, key: str, allowed: list[str]) -> ConfigError:
    where = f"{path}.{key}" if path else key
    close = difflib.get_close_matches(key, allowed, n=1)
    hint = f" (did you mean {close[0]!r}?)" if close else ""
    known = ", ".join(sorted(allowed)) or "none"
    return ConfigError(where, f"unknown key{hint}; known keys: {known}")


def structure(cls: type, raw: Mapping[str, Any], path: str, *, extra: Mapping[str, Any] | None = None) -> Any:
    """Build attrs class ``cls`` from a TOML table, checking keys, types and bounds."""
    if not isinstance(raw, Mapping):
        raise ConfigError(path, f"expected a table, got {_describe(raw)}")
    try:
        hints = typing.get_type_hints(cls)
    except (NameError, TypeError, AttributeError):  # unresolvable annotations: leave checking to the class
        hints = {}
    fields = {f.name: f for f in attrs.fields(cls) if f.init}
    public = [
        name for name, f in fields.items() if not name.startswith("_") and not f.metadata.get("internal")
    ]
    kwargs: dict[str, Any] = dict(extra or {})
    for key, value in raw.items():
        if key not in public or key in kwargs:
            raise _unknown_key(path, key, public)
        field = fields[key]
        where = f"{path}.{key}" if path else key
        meta = field.metadata or {}
        if isinstance(meta.get("section"), type):
            value = structure(meta["section"], value, where)
        elif isinstance(meta.get("section_list"), type):  # [[a.b]] arrays of tables
            if not isinstance(value, list):
                raise ConfigError(where, f"expected an array of tables, got {_describe(value)}")
            value = [structure(meta["section_list"], item, f"{where}[{i}]") for i, item in enumerate(value)]
        elif meta.get("duration"):
            try:
                value = parse_duration(value)
            except (TypeError, ValueError) as exc:
                raise ConfigError(where, str(exc)) from None
        elif meta.get("size"):
            try:
                value = parse_size(value)
            except (TypeError, ValueError) as exc:
                raise ConfigError(where, str(exc)) from None
        elif field.converter is None:
            value = _check_type(value, hints.get(key, Any), where)
        _check_bounds(value, meta, where)
        kwargs[key] = value
    try:
        return cls(**kwargs)
    except Exception as exc:  # noqa: BLE001 - a plugin class's validator: reported as a config error
        message = str(exc) or type(exc).__name__
        key, sep, rest = message.partition(": ")
        if sep and key in fields:  # "key: why" from a validator names the key itself
            raise ConfigError(f"{path}.{key}" if path else key, rest) from None
        raise ConfigError(path, message) from None


# ---------------------------------------------------------------------------
# Sections
# ---------------------------------------------------------------------------


@attrs.frozen(kw_only=True)
class ProtocolSettings:
    """The keys every ``[protocols.<name>]`` section accepts; ``options`` holds the plugin's own."""

    enabled: bool = True
    host: str = attrs.field(default=DEFAULT_HOST)
    port: int | None = attrs.field(
        default=None, metadata={"min": 0, "max": 65535}
    )  # None: standard port, else the next free one
    max_connections: int = attrs.field(default=100, metadata={"min": 1, "max": 1_000_000})
    name: str = attrs.field(default="", metadata={"internal": True})
    options: Any = attrs.field(
        default=None, metadata={"internal": True}
    )  # instance of ProtocolServer.config_class, or None


# Object-store backends (helios-storage-object): one section each, shared by the object tiers
# and WAL archiving. Credentials left out here come from the variables the cloud SDKs read.
OBJECT_BACKENDS = ("s3", "gcs", "azure", "local")


@attrs.frozen(kw_only=True)
class S3Section:
    """``[storage.s3]``: a bucket of Amazon S3 or of an S3-compatible server (``endpoint``).

    Keys not given come from AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY / AWS_SESSION_TOKEN.
    """

    bucket: str = ""
    region: str = "us-east-1"
    prefix: str = ""
    endpoint: str | None = None  # e.g. "http://127.0.0.1:9000" for an S3-compatible server
    access_key_id: str | None = None
    secret_access_key: str | None = None
    session_token: str | None = None

    def __attrs_post_init__(self) -> None:
        if not self.bucket.strip():
            raise ValueError("bucket: must not be empty")


@attrs.frozen(kw_only=True)
class GcsSection:
    """``[storage.gcs]``: a Google Cloud Storage bucket.

    Credentials: ``credentials`` (a service-account JSON file) or GOOGLE_APPLICATION_CREDENTIALS;
    ``endpoint`` or STORAGE_EMULATOR_HOST point at an emulator, which takes no credentials.
    """

    bucket: str = ""
    project: str | None = None
    prefix: str = ""
    endpoint: str | None = None
    credentials: str | None = None

    def __attrs_post_init__(self) -> None:
        if not self.bucket.strip():
            raise ValueError("bucket: must not be empty")


@attrs.frozen(kw_only=True)
class AzureSection:
    """``[storage.azure]``: an Azure Blob Storage container.

    ``endpoint`` is a full URL (``http://127.0.0.1:10000/devstoreaccount1`` for Azurite); the
    key comes from ``account_key`` or AZURE_STORAGE_ACCOUNT_KEY.
    """

    account: str = ""
    container: str = ""
    prefix: str = ""
    endpoint: str | None = None
    account_key: str | None = None

    def __attrs_post_init__(self) -> None:
        if not self.account.strip():
            raise ValueError("account: must not be empty")
        if not self.container.strip():
            raise ValueError("container: must not be empty")


@attrs.frozen(kw_only=True)
class LocalSection:
    """``[storage.local]``: a directory (a NAS mount, or a test's temporary folder)."""

    path: str = ""
    prefix: str = ""

    def __attrs_post_init__(self) -> None:
        if not self.path.strip():
            raise ValueError("path: must not be empty")


OBJECT_BACKEND_SECTIONS: dict[str, type] = {
    "s3": S3Section, "gcs": GcsSection, "azure": AzureSection, "local": LocalSection,
}


def object_backend_section(kind: str, section: Any) -> Any:
    """The validated ``[storage.<kind>]`` section from a TOML table (or an already built one)."""
    cls = OBJECT_BACKEND_SECTIONS.get(kind)
    if cls is None:
        raise ConfigError("", f"unknown object backend {kind!r}; known: {', '.join(OBJECT_BACKENDS)}")
    if isinstance(section, cls):
        return section
    if section is None:
        raise ConfigError(f"storage.{kind}", "section missing")
    return structure(cls, section, f"storage.{kind}")


@attrs.frozen(kw_only=True)
class TieringConfig:
    """``[storage.tiering]``: branches nobody queried for ``inactive_threshold`` go cold."""

    inactive_threshold: float | None = attrs.field(default=None, metadata={"duration": True})
    cold_storage_backend: str | None = attrs.field(default=None, metadata={"choices": (None, *OBJECT_BACKENDS)})
    interval: float = attrs.field(default=60.0, metadata={"duration": True})  # how often the mover looks


@attrs.frozen(kw_only=True)
class WalArchivingConfig:
    """``[storage.wal_archiving]``: closed WAL files shipped to one or two backends (helios_core.archiving).

    Backends are named after their ``[storage.<name>]`` sections (s3, gcs, azure, local),
    provided by an installed archiver plugin (helios-storage-object). ``archive_timeout``: a
    WAL file holding commits is closed and shipped after this long, bounding what a restore
    from the archive can lose. ``retention_days``: backups older than this (and the WAL only
    they need) are deleted from the archive, the newest backup always kept.
    """

    enabled: bool = False
    primary_backend: str = attrs.field(default="s3", metadata={"choices": OBJECT_BACKENDS})
    secondary_backend: str | None = attrs.field(default=None, metadata={"choices": (None, *OBJECT_BACKENDS)})
    retention_days: int = attrs.field(default=90, metadata={"min": 1, "max": 100_000})
    compression: str = attrs.field(default="zstd", metadata={"choices": ("zstd", "none")})
    archive_timeout: float = attrs.field(default=60.0, metadata={"duration": True})

    def __attrs_post_init__(self) -> None:
        if self.secondary_backend == self.primary_backend:
            raise ValueError(f"secondary_backend: must differ from primary_backend ({self.primary_backend!r})")
        if self.archive_timeout <= 0:
            raise ValueError("archive_timeout: must be positive")

    @property
    def backends(self) -> list[str]:
        return [self.primary_backend] + ([self.secondary_backend] if self.secondary_backend else [])


@attrs.frozen(kw_only=True)
class StorageConfig:
    retention: float = attrs.field(
        default=7 * 86400.0, metadata={"duration": True}
    )  # seconds of history kept for time travel
    compression: str = attrs.field(default="zstd", metadata={"choices": ("zstd", "lz4", "none")})
    tier: str | None = None  # storage tier for segments; default: "nvme" when installed, else memory
    tiers: dict[str, Any] = attrs.field(
        factory=dict
    )  # [storage.tiers.<name>] tables, passed to the tier plugin
    wal_archiving: WalArchivingConfig = attrs.field(
        factory=WalArchivingConfig, metadata={"section": WalArchivingConfig}
    )
    # hot capacity: past it the least recently read segments move to the warm tier; None: no limit
    tier_hot_size: int | None = attrs.field(default=None, metadata={"size": True})
    tier_warm_backend: str | None = attrs.field(default=None, metadata={"choices": (None, *OBJECT_BACKENDS)})
    cache_size: int = attrs.field(default=1 << 30, metadata={"size": True})  # local cache of object-tier reads
    # a transaction's new rows held in memory past this go to spill files before commit (storage.spill)
    spill_after: int = attrs.field(default=64 << 20, metadata={"size": True, "min": 1 << 20})
    object_timeout: float = attrs.field(default=30.0, metadata={"duration": True})  # one object read, retries included
    s3: S3Section | None = attrs.field(default=None, metadata={"section": S3Section})
    gcs: GcsSection | None = attrs.field(default=None, metadata={"section": GcsSection})
    azure: AzureSection | None = attrs.field(default=None, metadata={"section": AzureSection})
    local: LocalSection | None = attrs.field(default=None, metadata={"section": LocalSection})
    tiering: TieringConfig = attrs.field(factory=TieringConfig, metadata={"section": TieringConfig})

    @property
    def retention_seconds(self) -> int:
        return int(self.retention)

    def backend_section(self, kind: str) -> Any:
        """The ``[storage.<kind>]`` section of an object backend (None when not configured)."""
        if kind not in OBJECT_BACKENDS:
            raise ValueError(f"unknown object backend {kind!r}; known: {', '.join(OBJECT_BACKENDS)}")
        return getattr(self, kind)


@attrs.frozen(kw_only=True)
class LoggingConfig:
    level: str = attrs.field(default="info", metadata={"choices": LEVELS})


@attrs.frozen(kw_only=True)
class MetricsConfig:
    """The Prometheus endpoint (``GET /metrics``)."""

    enabled: bool = False
    host: str = attrs.field(default=DEFAULT_HOST)
    port: int = attrs.field(default=9464, metadata={"min": 0, "max": 65535})
    # branches that get their own label in per-branch series; the others share branch="other"
    max_branch_labels: int = attrs.field(default=100, metadata={"min": 0, "max": 100_000})
    # false: statements are not counted or timed (pg_stat_statements stays empty, the statement
    # series stay at zero, no slow-statement log); pg_stat_statements.track = none, server-wide
    statement_statistics: bool = True


@attrs.frozen(kw_only=True)
class BranchingConfig:
    max_branches: int = attrs.field(default=5000, metadata={"min": 1, "max": 10_000_000})
    branch_isolation: str = attrs.field(default="strict", metadata={"choices": ("strict", "shared")})
    # branches one (non-superuser) role may own, so no tenant fills max_branches; None: no limit
    max_branches_per_role: int | None = attrs.field(default=None, metadata={"min": 1, "max": 10_000_000})


TIMESERIES_TIERS = ("hot", "warm", "cold")


def _check_interval_text(value: Any, where: str) -> None:
    """A duration written as time-series options write it ("900d", "1h", "30d")."""
    try:
        parse_duration(value)
    except (TypeError, ValueError) as exc:
        raise ValueError(f"{where}: {exc}") from None


@attrs.frozen(kw_only=True)
class TimeseriesConfig:
    """``[timeseries]``: defaults of time-series tables and the jobs that keep them.

    ``default_retention`` applies to CREATE TIMESERIES TABLE without ``retention``;
    ``compression`` likewise ("auto", "zstd" or "none": how chunks past compression_after are packed);
    ``downsampling_enabled`` lets the downsampling job delete raw rows older than a continuous
    aggregate's ``start_after`` once the aggregate has materialized them.
    ``[timeseries.continuous_aggregates] name = { source, interval, after }`` sets the refresh
    interval and downsampling age of the continuous aggregate of that name over ``source``.
    ``[timeseries.tiers]`` hot/warm/cold = { duration, storage }: a time chunk stays on a tier
    until it is ``duration`` old (counted from its end), then moves to the next tier listed (the
    compression job moves packed chunks); ``storage`` names the backend of the kernel's tier of
    that role ("nvme" for hot, ``[storage] tier_warm_backend`` for warm, ``[storage.tiering]
    cold_storage_backend`` for cold), checked when the whole file is read.
    """

    enabled: bool = True
    default_retention: str | None = None
    compression: str = attrs.field(default="auto", metadata={"choices": ("auto", "zstd", "none")})
    downsampling_enabled: bool = False
    tiers: dict[str, Any] = attrs.field(factory=dict)
    continuous_aggregates: dict[str, Any] = attrs.field(factory=dict)

    def __attrs_post_init__(self) -> None:
        if self.default_retention is not None:
            _check_interval_text(self.default_retention, "default_retention")
        last = -1
        for role, policy in self.tiers.items():
            where = f"tiers.{role}"
            if role not in TIMESERIES_TIERS:
                raise ValueError(f"{where}: unknown tier (known: hot, warm, cold)")
            if not isinstance(policy, Mapping):
                raise TypeError(f"{where}: expected a table {{ duration, storage }}, got {_describe(policy)}")
            unknown = sorted(set(policy) - {"duration", "storage"})
            if unknown:
                raise ValueError(f"{where}: unknown key {unknown[0]!r} (known: duration, storage)")
            if not isinstance(policy.get("storage"), str) or not policy["storage"].strip():
                raise ValueError(f"{where}.storage: the backend of the {role} tier is required")
            if "duration" in policy:
                _check_interval_text(policy["duration"], f"{where}.duration")
                if TIMESERIES_TIERS.index(role) < len(TIMESERIES_TIERS) - 1 and parse_duration(
                        policy["duration"]) <= last:
                    raise ValueError(f"{where}.duration: must be longer than the tiers before it")
                last = parse_duration(policy["duration"])
        for name, policy in self.continuous_aggregates.items():
            where = f"continuous_aggregates.{name}"
            if not isinstance(policy, Mapping):
                raise TypeError(f"{where}: expected a table {{ source, interval, after }}, got {_describe(policy)}")
            unknown = sorted(set(policy) - {"source", "interval", "after"})
            if unknown:
                raise ValueError(f"{where}: unknown key {unknown[0]!r} (known: source, interval, after)")
            if not isinstance(policy.get("source"), str) or not policy["source"].strip():
                raise ValueError(f"{where}: source: the time-series table it aggregates is required")
            for key in ("interval", "after"):
                if key in policy:
                    _check_interval_text(policy[key], f"{where}.{key}")


AUTH_METHODS = ("trust", "reject", "password", "md5", "scram-sha-256")


@attrs.frozen(kw_only=True)
class AuthRule:
    """One ``[[auth.rules]]`` entry, the equivalent of a pg_hba.conf line.

    Rules are read in order and the first whose connection type, database, user and client
    address all match decides the method; a connection no rule matches is refused (28000).
    ``user`` / ``database``: a name, a list of names, or "all". ``address``: a CIDR
    ("10.0.0.0/8", "::1/128") or "all". ``type``: "host" (TLS or not), "hostssl" (TLS only),
    "hostnossl" (plain TCP only).
    """

    method: str | None = attrs.field(default=None, metadata={"choices": AUTH_METHODS})
    type: str = attrs.field(default="host", metadata={"choices": ("host", "hostssl", "hostnossl")})
    user: str | list[str] = "all"
    database: str | list[str] = "all"
    address: str = "all"

    def __attrs_post_init__(self) -> None:
        if self.method is None:
            raise ValueError(f"method: missing; one of {', '.join(AUTH_METHODS)}")
        if self.address != "all":
            try:
                ipaddress.ip_network(self.address, strict=False)
            except ValueError:
                raise ValueError(f"address: expected a CIDR such as '10.0.0.0/8' or 'all', got {self.address!r}")
        for key in ("user", "database"):
            names = self.names(key)
            if not names:
                raise ValueError(f"{key}: must name at least one {key} (or 'all')")
            bad = [n for n in names if n.startswith(("+", "@"))]
            if bad:
                raise ValueError(f"{key}: group (+role) and file (@file) entries are not supported, got {bad[0]!r}")

    def names(self, key: str) -> list[str]:
        value = getattr(self, key)
        return [value] if isinstance(value, str) else list(value)


@attrs.frozen(kw_only=True)
class AuthConfig:
    """``[auth]``: passed on to protocol plugins (``kernel.config.auth``), validated here.

    ``users`` maps a user name to its password (``[auth.users] alice = "secret"``);
    ``method`` is how passwords are checked; None lets each protocol choose.
    ``require_tls``: connections that did not negotiate TLS are refused (28000).
    ``rules``: ``[[auth.rules]]``, per user/database/address methods (see AuthRule).
    """

    users: dict[str, str] = attrs.field(factory=dict)
    method: str | None = attrs.field(
        default=None, metadata={"choices": (None, "trust", "password", "md5", "scram-sha-256")}
    )
    require_tls: bool = False
    rules: list[AuthRule] = attrs.field(factory=list, metadata={"section_list": AuthRule})


@attrs.frozen(kw_only=True)
class HeliosConfig:
    """The whole server configuration."""

    data_dir: str = DEFAULT_DATA_DIR
    shutdown_grace_period: float = attrs.field(default=10.0, metadata={"duration": True})
    statement_turns: bool = True  # sessions' statements take turns on the interpreter (statement_gate)
    protocols: dict[str, ProtocolSettings] = attrs.field(
        factory=dict, metadata={"internal": True}
    )  # [protocols.<name>], checked apart
    storage: StorageConfig = attrs.field(factory=StorageConfig, metadata={"section": StorageConfig})
    logging: LoggingConfig = attrs.field(factory=LoggingConfig, metadata={"section": LoggingConfig})
    metrics: MetricsConfig = attrs.field(factory=MetricsConfig, metadata={"section": MetricsConfig})
    branching: BranchingConfig = attrs.field(factory=BranchingConfig, metadata={"section": BranchingConfig})
    timeseries: TimeseriesConfig = attrs.field(factory=TimeseriesConfig, metadata={"section": TimeseriesConfig})
    auth: AuthConfig = attrs.field(factory=AuthConfig, metadata={"section": AuthConfig})
    search: dict[str, Any] | None = None  # [search], passed to the search plugin
    source: str | None = attrs.field(
        default=None, metadata={"internal": True}
    )  # the file it came from; None for embedded defaults
    data_dir_given: bool = attrs.field(
        default=False, metadata={"internal": True}
    )  # data_dir set by the config file or --data-dir (not the embedded default)


# ---------------------------------------------------------------------------
# Loading
# ---------------------------------------------------------------------------


def _package_installed(package: str) -> bool:
    try:
        importlib.metadata.distribution(package)
    except importlib.metadata.PackageNotFoundError:
        return False
    return True


# [search] keys the search plugin reads -> their TOML type
SEARCH_KEYS: dict[str, type] = {"enabled": bool, "analyzer": str, "max_result_window": int,
                                "default_text_search_config": str}


def _check_search_section(section: Mapping[str, Any]) -> None:
    for key, value in section.items():
        expected = SEARCH_KEYS.get(key)
        if expected is None:
            raise ConfigError(f"search.{key}", "unknown key")
        if not isinstance(value, expected) or (expected is int and isinstance(value, bool)):
            raise ConfigError(f"search.{key}", f"expected {expected.__name__}, got {_describe(value)}")


def _require_plugin(section: str) -> None:
    package = FIRST_PARTY_SECTIONS[section]
    hint = missing_plugin_hint(package)
    if not _package_installed(package) or "disabled" in hint:
        raise ConfigError(section, hint)


def _protocols(raw: Any, servers: Mapping[str, Any]) -> dict[str, ProtocolSettings]:
    if not isinstance(raw, Mapping):
        raise ConfigError("protocols", f"expected a table of protocol sections, got {_describe(raw)}")
    common = [f.name for f in attrs.fields(ProtocolSettings) if f.name not in ("name", "options")]
    out: dict[str, ProtocolSettings] = {}
    for name, section in raw.items():
        path = f"protocols.{name}"
        server = servers.get(name)
        if server is None:
            package = FIRST_PARTY_SECTIONS.get(path)
            if package and isinstance(section, Mapping) and section.get("enabled") is False:
                continue  # switched off: nothing to serve, so the plugin need not be installed
            if package:
                raise ConfigError(path, missing_plugin_hint(package))
            known = ", ".join(sorted(servers)) or "none"
            disabled = ", ".join(sorted(disabled_entry_points()))
            off = f"; HELIOS_DISABLE_PLUGINS switches off: {disabled}" if disabled else ""
            names = set(servers) | {k.removeprefix("protocols.") for k in FIRST_PARTY_SECTIONS if k.startswith("protocols.")}
            close = difflib.get_close_matches(name, sorted(names), n=1)
            meant = f" (did you mean {close[0]!r}?)" if close else ""
            raise ConfigError(
                path,
                f"no installed plugin provides protocol {name!r}{meant} (protocols served: {known}){off}",
            )
        if not isinstance(section, Mapping):
            raise ConfigError(path, f"expected a table, got {_describe(section)}")
        out[name] = _protocol_section(name, server, section, path, common)
    for name, server in servers.items():
        if name not in out:
            out[name] = _protocol_section(name, server, {}, f"protocols.{name}", common)
    return out


def _protocol_section(
    name: str, server: Any, section: Mapping[str, Any], path: str, common: list[str]
) -> ProtocolSettings:
    base = structure(ProtocolSettings, {k: v for k, v in section.items() if k in common}, path)
    own = {k: v for k, v in section.items() if k not in common}
    config_class = getattr(server, "config_class", None)
    if config_class is None:
        if own:
            raise _unknown_key(path, next(iter(own)), common)
        return attrs.evolve(base, name=name)
    # The plugin's class gets the common keys it declares, with the values the kernel uses.
    declared = {f.name for f in attrs.fields(config_class) if f.init}
    shared = {k: getattr(base, k) for k in common if k in declared and getattr(base, k) is not None}
    options = structure(config_class, own, path, extra=shared)
    return attrs.evolve(base, name=name, options=options)


def _check_port_clashes(config: HeliosConfig) -> None:
    used: dict[int, str] = {}
    for name, proto in sorted(config.protocols.items()):
        if proto.enabled and proto.port:
            if proto.port in used:
                raise ConfigError(
                    f"protocols.{name}.port", f"{proto.port} is already used by {used[proto.port]}"
                )
            used[proto.port] = f"protocols.{name}.port"
    if config.metrics.enabled and config.metrics.port and config.metrics.port in used:
        raise ConfigError(
            "metrics.port", f"{config.metrics.port} is already used by {used[config.metrics.port]}"
        )


def build_config(
    raw: Mapping[str, Any],
    servers: Mapping[str, Any],
    *,
    tiers: Collection[str] | None = None,
    source: str | None = None,
) -> HeliosConfig:
    """Validate a parsed TOML document against the installed plugins.

    ``servers``: protocol name -> ProtocolServer; ``tiers``: names of installed storage tiers
    (None: not checked).
    """
    raw = dict(raw)
    if "search" in raw:
        _require_plugin("search")
        if not isinstance(raw["search"], Mapping):
            raise ConfigError("search", f"expected a table, got {_describe(raw['search'])}")
        _check_search_section(raw["search"])
    storage = raw.get("storage")
    if isinstance(storage, Mapping):
        for key in ("tiers", "wal_archiving", "tiering", "s3", "gcs", "azure", "local"):
            if key in storage:
                _require_plugin(f"storage.{key}")
                if not isinstance(storage[key], Mapping):
                    raise ConfigError(f"storage.{key}", f"expected a table, got {_describe(storage[key])}")
    for section, feature in PLANNED_SECTIONS.items():
        if section in raw:
            raise ConfigError(section, f"{feature} are not part of this HeliosDB release yet")
    protocols = _protocols(raw.pop("protocols", {}), servers)
    config = structure(HeliosConfig, raw, "", extra={"protocols": protocols, "source": source,
                                                     "data_dir_given": "data_dir" in raw})
    _check_object_backends(config.storage)
    _check_timeseries_tiers(config)
    if not config.data_dir.strip():
        raise ConfigError("data_dir", "must not be empty")
    for name, proto in config.protocols.items():
        if not proto.host.strip():
            raise ConfigError(f"protocols.{name}.host", "must not be empty")
    if tiers is not None and config.storage.tier is not None and config.storage.tier not in tiers:
        known = ", ".join(sorted(tiers)) or "none"
        package = FIRST_PARTY_TIERS.get(config.storage.tier)
        hint = f"; {missing_plugin_hint(package)}" if package else ""
        raise ConfigError(
            "storage.tier", f"no installed storage tier {config.storage.tier!r} (installed: {known}){hint}"
        )
    _check_port_clashes(config)
    _check_protocols(config, servers)
    return config


def _check_timeseries_tiers(config: HeliosConfig) -> None:
    """``[timeseries.tiers]`` names the backends the kernel's tiers of those roles use."""
    storage = config.storage
    backends = {"hot": {"nvme", storage.tier or "nvme"}, "warm": {storage.tier_warm_backend},
                "cold": {storage.tiering.cold_storage_backend}}
    keys = {"hot": "storage.tier", "warm": "storage.tier_warm_backend",
            "cold": "storage.tiering.cold_storage_backend"}
    for role, policy in config.timeseries.tiers.items():
        if policy["storage"] not in backends[role]:
            configured = next(iter(backends[role]))
            raise ConfigError(f"timeseries.tiers.{role}.storage",
                              f"{policy['storage']!r} is not the backend of the {role} tier ({keys[role]} = "
                              f"{configured!r})")


def _check_object_backends(storage: StorageConfig) -> None:
    """A tier policy or WAL archiving that names an object backend needs the plugin and that backend's section."""
    archiving = storage.wal_archiving
    for key, kind in (
        ("storage.tier_warm_backend", storage.tier_warm_backend),
        ("storage.tiering.cold_storage_backend", storage.tiering.cold_storage_backend),
        ("storage.wal_archiving.primary_backend", archiving.primary_backend if archiving.enabled else None),
        ("storage.wal_archiving.secondary_backend", archiving.secondary_backend if archiving.enabled else None),
    ):
        if kind is None:
            continue
        _require_plugin(f"storage.{kind}")
        if storage.backend_section(kind) is None:
            raise ConfigError(key, f"names backend {kind!r} but there is no [storage.{kind}] section")


def _check_protocols(config: HeliosConfig, servers: Mapping[str, Any]) -> None:
    """Run each enabled protocol's own cross-section rules (ProtocolServer.check_config)."""
    for name, proto in sorted(config.protocols.items()):
        check = getattr(servers.get(name), "check_config", None)
        if check is None or not proto.enabled:
            continue
        section = proto.options if proto.options is not None else proto
        try:
            check(section, config)
        except ConfigError:
            raise
        except ValueError as exc:
            message = str(exc)
            path, sep, rest = message.partition(": ")
            if sep and path.startswith(f"protocols.{name}") and " " not in path:
                raise ConfigError(path, rest) from None
            raise ConfigError(f"protocols.{name}", message) from None


def load_config(
    path: str | Path | None, servers: Mapping[str, Any], *, tiers: Collection[str] | None = None
) -> HeliosConfig:
    """Read and validate ``path`` (None: embedded defaults)."""
    if path is None:
        return build_config({}, servers, tiers=tiers)
    try:
        with open(path, "rb") as f:
            raw = tomllib.load(f)
    except FileNotFoundError:
        raise ConfigError("", f"config file not found: {path}") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError("", f"not valid TOML: {exc}") from None
    return build_config(raw, servers, tiers=tiers, source=str(path))


_EXAMPLE_TEMPLATE = """\
# helios.toml: the configuration of one HeliosDB server (`helios serve --config helios.toml`).
# Every key is optional; the values shown are the defaults. An unknown key, a wrong type or a
# section for a plugin that is not installed stops the server with exit status 2.

# Where the WAL, manifests and (with the storage_nvme plugin) segment files live. Set here or by
# --data-dir, it needs a persistent storage tier: without one installed the server refuses to start
# (its data would be kept in memory) unless [storage] tier = "memory" asks for that.
data_dir = "./helios-data"

# On SIGINT/SIGTERM: stop accepting, let running statements finish for this long, then cancel.
shutdown_grace_period = "10s"

# Statements of different sessions run their Python one at a time, in arrival order, each
# giving way while it waits (locks, fsync, the client), instead of contending for the
# interpreter's lock: less CPU per statement under concurrency. false: all at once.
statement_turns = true

# One section per wire protocol plugin. Common keys: enabled, host, port, max_connections.
# Without `port`, the standard port is used, or the next free one (said in the log).
# Port 0 asks the OS for any free port.
{protocols}
[storage]
retention = "7d"                # history kept for time travel and branching from the past
compression = "zstd"            # codec of the table segments on disk: zstd | lz4 | none (decoded on demand / mapped)
spill_after = "64MB"            # a transaction's new rows in memory past this are written out before commit

# With helios-storage-object (pip install ./plugins/storage_object): object-store backends,
# one section each ([storage.s3] bucket/region/prefix/endpoint, [storage.gcs] bucket/project,
# [storage.azure] account/container/endpoint, [storage.local] path); credentials from the
# environment (AWS_ACCESS_KEY_ID, GOOGLE_APPLICATION_CREDENTIALS, AZURE_STORAGE_ACCOUNT_KEY).
# tier_hot_size = "500GB"       # past it, the least recently read segments move to the warm tier
# tier_warm_backend = "s3"      # s3 | gcs | azure | local
# cache_size = "1GB"            # local cache of object-tier reads
# object_timeout = "30s"        # an object read, retries included, fails after this long
# [storage.tiering]
# inactive_threshold = "90d"    # branches not queried for this long move to cold storage
# cold_storage_backend = "s3"
# [storage.wal_archiving]       # helios-storage-object: WAL shipped to [storage.s3] / [storage.gcs] ...
# enabled = true
# primary_backend = "s3"        # s3 | gcs | azure | local
# secondary_backend = "gcs"
# retention_days = 90           # backups and the WAL they need
# compression = "zstd"          # zstd | none
# archive_timeout = "60s"       # a WAL file holding commits is shipped after this long

[logging]
level = "info"                  # debug | info | warning | error | critical

[metrics]                       # Prometheus endpoint: GET http://host:port/metrics
enabled = false
host = "127.0.0.1"
port = 9464
max_branch_labels = 100         # branches with their own label in per-branch series; others: "other"
statement_statistics = true     # false: no pg_stat_statements, statement series or slow-statement log

[branching]
max_branches = 5000
branch_isolation = "strict"     # strict | shared
# max_branches_per_role = 50    # branches one non-superuser role may own (53400 past it)

[timeseries]                    # CREATE TIMESERIES TABLE, continuous aggregates
enabled = true
# default_retention = "900d"    # for tables created without WITH (retention = ...)
compression = "auto"            # auto | none
downsampling_enabled = false    # delete raw rows past a continuous aggregate's start_after
# [timeseries.continuous_aggregates]
# build_duration_hourly = { source = "build_metrics", interval = "1h", after = "30d" }

[auth]
# method = "scram-sha-256"      # trust | password | md5 | scram-sha-256
# require_tls = false           # true: logins without TLS are refused (28000)
[auth.users]
# alice = "change-me"
# [[auth.rules]]                # first match decides, as pg_hba.conf; none matching: refused (28000)
# type = "host"                 # host | hostssl | hostnossl
# user = "all"                  # a name, a list of names, or "all"
# database = "all"
# address = "10.0.0.0/8"        # a CIDR or "all"
# method = "scram-sha-256"      # trust | reject | password | md5 | scram-sha-256
"""


def example_config(servers: Mapping[str, Any]) -> str:
    """A commented helios.toml: a section per installed protocol, hints for first-party ones not installed."""
    sections = []
    for name, server in sorted(servers.items()):
        package = getattr(server, "package", "") or FIRST_PARTY_SECTIONS.get(f"protocols.{name}", "")
        sections.append(
            f"[protocols.{name}]"
            + (f"  # {package}" if package else "")
            + f'\nenabled = true\nhost = "{DEFAULT_HOST}"'
            + "  # beyond loopback (\"0.0.0.0\") needs [auth] users with passwords\n"
            + f"# port = {server.default_port}\nmax_connections = 100\n"
        )
    for section, package in FIRST_PARTY_SECTIONS.items():
        name = section.removeprefix("protocols.")
        if section.startswith("protocols.") and name not in servers:
            sections.append(f"# [{section}]  # {missing_plugin_hint(package)}\n")
    return _EXAMPLE_TEMPLATE.replace("{protocols}", "\n".join(sections))
