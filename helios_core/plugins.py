"""The plugin manager: hookspecs, built-in plugins and entry points of group ``helios``.

Built-in behaviour that could be a plugin is registered through the same manager as
third-party plugins (``DEFAULT_PLUGINS``), so ``helios plugins`` shows it and a plugin
can be read as an example of how the core itself extends the kernel.

Set ``HELIOS_TRACE_HOOKS=1`` to log one line per hook call and one per result, and
``HELIOS_DISABLE_PLUGINS=name1,name2`` (entry-point names) to skip installed plugins.
"""

from __future__ import annotations

import importlib
import importlib.metadata
import logging
import os
from collections.abc import Iterable
from typing import Any

import attrs
import pluggy

from helios_core import hookspecs
from helios_core.hookspecs import (
    PROJECT,
    BackgroundJob,
    ProtocolServer,
    SqlDataType,
    SqlDialect,
    SqlFunction,
    SqlTableFunction,
    StorageTierFactory,
    VirtualTable,
    WalArchiverFactory,
    hookimpl,
)
from helios_core.plugin_hints import disabled_entry_points

ENTRY_POINT_GROUP = "helios"
log = logging.getLogger("helios.plugins")


class PluginLoadError(Exception):
    """An installed plugin could not be imported or registered."""


class MemoryTierPlugin:
    """Built-in: the kernel's in-memory storage tier (embedded and test use, no persistence)."""

    @hookimpl
    def helios_storage_tiers(self) -> list[StorageTierFactory]:
        try:
            from helios_core.storage import MemoryTier
        except ImportError:  # the storage kernel is not built yet in this tree
            return []
        return [
            StorageTierFactory(
                name="memory", create=lambda data_dir, cfg: MemoryTier(), package="helios-core"
            )
        ]


class StatementRunner:
    """Built-in: runs each statement (``helios_run_statement``); plugins wrap it."""

    @hookimpl
    def helios_run_statement(self, session: Any, statement: str, run: Any) -> Any:
        return run()


STATEMENT_RUNNER = "helios_core.statement_runner"

# Modules (or objects) registered before any entry point; they are plugins like any other.
DEFAULT_PLUGINS: tuple[tuple[str, str | object], ...] = (
    ("helios_core.memory_tier", MemoryTierPlugin()),
    (STATEMENT_RUNNER, StatementRunner()),
    ("helios_core.metrics", "helios_core.metrics"),
    ("helios_core.branching.plugin", "helios_core.branching.plugin"),
    ("helios_core.timeseries.plugin", "helios_core.timeseries.plugin"),
    ("helios_core.archiving.plugin", "helios_core.archiving.plugin"),
    ("helios_core.advisor.plugin", "helios_core.advisor.plugin"),
)


@attrs.define(kw_only=True)
class PluginInfo:
    """What ``helios plugins`` shows for one registered plugin."""

    name: str
    distribution: str
    version: str
    hooks: list[str]
    builtin: bool


def _trace_hooks(pm: pluggy.PluginManager) -> None:
    def before(hook_name: str, hook_impls: list[pluggy.HookImpl], kwargs: dict[str, Any]) -> None:
        plugins = ",".join(impl.plugin_name for impl in hook_impls)
        args = " ".join(f"{k}={type(v).__name__}" for k, v in kwargs.items())
        log.info("hook call %s implementations=%s %s", hook_name, plugins or "-", args)

    def after(outcome: Any, hook_name: str, hook_impls: list, kwargs: dict[str, Any]) -> None:
        exc = outcome.exception
        if exc is not None:
            log.info("hook error %s %s: %s", hook_name, type(exc).__name__, exc)
        else:
            result = outcome.get_result()
            size = len(result) if isinstance(result, list) else 1
            log.info("hook result %s results=%d", hook_name, size)

    pm.add_hookcall_monitoring(before, after)


class HeliosPluginManager(pluggy.PluginManager):
    """A pluggy manager that remembers which distribution each entry-point plugin came from."""

    def __init__(self) -> None:
        super().__init__(PROJECT)
        self.distributions: dict[str, importlib.metadata.Distribution] = {}


def make_plugin_manager(*, load_entry_points: bool = True) -> HeliosPluginManager:
    """A fresh manager with the hookspecs, the built-in plugins and (optionally) installed plugins."""
    pm = HeliosPluginManager()
    pm.add_hookspecs(hookspecs)
    for name, plugin in DEFAULT_PLUGINS:
        obj = importlib.import_module(plugin) if isinstance(plugin, str) else plugin
        pm.register(obj, name=name)
    if load_entry_points:
        _load_entry_points(pm)
    if os.environ.get("HELIOS_TRACE_HOOKS", "") not in ("", "0"):
        _trace_hooks(pm)
    return pm


def _load_entry_points(pm: HeliosPluginManager) -> None:
    disabled = disabled_entry_points()
    seen: set[str] = set()
    for ep in importlib.metadata.entry_points(group=ENTRY_POINT_GROUP):
        if ep.name in seen or pm.get_plugin(ep.name) is not None:
            continue  # the same distribution found twice on sys.path
        if ep.name in disabled:
            pm.set_blocked(ep.name)
            continue
        seen.add(ep.name)
        dist = ep.dist.name if ep.dist is not None else "?"
        try:
            plugin = ep.load()
            pm.register(plugin, name=ep.name)
        except Exception as exc:  # reported as one clear line
            raise PluginLoadError(
                f"plugin {ep.name!r} ({dist}) failed to load: {type(exc).__name__}: {exc}"
            ) from exc
        if ep.dist is not None:
            pm.distributions[ep.name] = ep.dist


_default: HeliosPluginManager | None = None


def get_plugin_manager() -> HeliosPluginManager:
    """The process-wide plugin manager (created on first use)."""
    global _default
    if _default is None:
        _default = make_plugin_manager()
    return _default


def plugin_infos(pm: pluggy.PluginManager) -> list[PluginInfo]:
    """Registered plugins with their distribution, version and implemented hooks."""
    import helios_core

    dists = getattr(pm, "distributions", {})
    builtin_names = {name for name, _ in DEFAULT_PLUGINS}
    infos = []
    for name, plugin in pm.list_name_plugin():
        if plugin is None:
            continue
        hooks = sorted(impl_hook.name for impl_hook in pm.get_hookcallers(plugin) or [])
        dist = dists.get(name)
        if dist is not None:
            dist_name, version = dist.name, dist.version
        else:
            dist_name, version = "helios-core", helios_core.__version__
        infos.append(
            PluginInfo(
                name=name, distribution=dist_name, version=version, hooks=hooks, builtin=name in builtin_names
            )
        )
    return infos


def _flatten(results: Iterable[Iterable[Any] | None]) -> list[Any]:
    return [item for group in results if group for item in group]


def protocol_servers(pm: pluggy.PluginManager) -> list[ProtocolServer]:
    """Every protocol server offered by the installed plugins, by unique name."""
    found: dict[str, ProtocolServer] = {}
    for server in _flatten(pm.hook.helios_protocol_servers()):
        if server.name in found:
            raise PluginLoadError(f"two plugins provide protocol {server.name!r}")
        found[server.name] = server
    return list(found.values())


def storage_tier_factories(pm: pluggy.PluginManager) -> dict[str, StorageTierFactory]:
    return {f.name: f for f in _flatten(pm.hook.helios_storage_tiers())}


def wal_archiver_factories(pm: pluggy.PluginManager) -> dict[str, WalArchiverFactory]:
    return {f.name: f for f in _flatten(pm.hook.helios_wal_archivers())}


def sql_functions(pm: pluggy.PluginManager) -> list[SqlFunction]:
    return _flatten(pm.hook.helios_sql_functions())


def index_kinds(pm: pluggy.PluginManager) -> dict[str, Any]:
    return {k.name.lower(): k for k in _flatten(pm.hook.helios_index_kinds())}


def sql_operators(pm: pluggy.PluginManager) -> list[Any]:
    return _flatten(pm.hook.helios_sql_operators())


def sql_types(pm: pluggy.PluginManager) -> list[SqlDataType]:
    return _flatten(pm.hook.helios_sql_types())


def virtual_tables(pm: pluggy.PluginManager) -> list[VirtualTable]:
    return _flatten(pm.hook.helios_virtual_tables())


def table_functions(pm: pluggy.PluginManager) -> list[SqlTableFunction]:
    return _flatten(pm.hook.helios_table_functions())


def sql_aggregates(pm: pluggy.PluginManager) -> list[Any]:
    return _flatten(pm.hook.helios_sql_aggregates())


def sql_procedures(pm: pluggy.PluginManager) -> list[Any]:
    return _flatten(pm.hook.helios_sql_procedures())


def sql_statements(pm: pluggy.PluginManager) -> list[Any]:
    return _flatten(pm.hook.helios_sql_statements())


def table_parameters(pm: pluggy.PluginManager) -> list[Any]:
    return _flatten(pm.hook.helios_table_parameters())


def sql_dialects(pm: pluggy.PluginManager) -> list[SqlDialect]:
    return _flatten(pm.hook.helios_sql_dialects())


def statement_hook(pm: pluggy.PluginManager) -> Any:
    """``pm.hook.helios_run_statement`` when a plugin wraps statements, else None (nothing to call)."""
    caller = pm.hook.helios_run_statement
    if any(impl.plugin_name != STATEMENT_RUNNER for impl in caller.get_hookimpls()):
        return caller
    return None


def commit_observers(pm: pluggy.PluginManager, kernel: Any) -> list[Any]:
    """The functions of ``helios_commit_observers``: told of each commit, in commit order."""
    return _flatten(pm.hook.helios_commit_observers(kernel=kernel))


def background_jobs(pm: pluggy.PluginManager, kernel: Any) -> list[BackgroundJob]:
    return _flatten(pm.hook.helios_background_jobs(kernel=kernel))
