"""The ``helios`` command: serve, plugins, init, backup, restore, version.

Exit status: 0 success, 1 unexpected failure, 2 a problem the operator fixes (bad
config, port in use, data directory locked, broken plugin), always reported as one
line on stderr.
"""

from __future__ import annotations

import argparse
import logging
import sys
from collections.abc import Sequence
from pathlib import Path

import attrs

import helios_core
from helios_core.archiving.cli import add_commands
from helios_core.dependencies import DependencyError, check_dependencies

EXIT_USAGE = 2


def _fail(message: str) -> int:
    print(f"helios: {message}", file=sys.stderr, flush=True)
    return EXIT_USAGE


def _plugin_manager():
    from helios_core.plugins import get_plugin_manager

    return get_plugin_manager()


def cmd_serve(args: argparse.Namespace) -> int:
    from helios_core.config import ConfigError, load_config
    from helios_core.kernel import StartupError, run_kernel
    from helios_core.logs import configure_logging
    from helios_core.plugins import PluginLoadError, protocol_servers, storage_tier_factories

    try:
        check_dependencies()
    except DependencyError as exc:
        return _fail(str(exc))
    try:
        pm = _plugin_manager()
        servers = {s.name: s for s in protocol_servers(pm)}
        tiers = storage_tier_factories(pm)
    except PluginLoadError as exc:
        return _fail(str(exc))
    try:
        config = load_config(args.config, servers, tiers=set(tiers) | {"memory"})
    except ConfigError as exc:
        where = f" in {args.config}" if args.config else ""
        return _fail(f"config error{where}: {exc}")
    if args.data_dir:
        config = attrs.evolve(config, data_dir=args.data_dir, data_dir_given=True)
    configure_logging(args.log_level or config.logging.level)
    try:
        return run_kernel(config, pm)
    except StartupError as exc:
        return _fail(str(exc))
    except KeyboardInterrupt:  # a signal before the kernel installed its handlers
        return 0
    except BaseExceptionGroup as group:  # raised through the kernel's task group
        startup, rest = group.split(StartupError)
        if startup is not None and rest is None:
            return _fail(str(_first_leaf(startup)))
        return _crashed(_first_leaf(group))
    except Exception as exc:  # noqa: BLE001 - logged with its traceback, exit 1
        return _crashed(exc)


def _crashed(exc: BaseException) -> int:
    """An unexpected failure: one log line with the traceback folded in, exit status 1."""
    logging.getLogger("helios.kernel").critical(
        "server failed: %s: %s", type(exc).__name__, exc, exc_info=(type(exc), exc, exc.__traceback__)
    )
    return 1


def _first_leaf(group: BaseException) -> BaseException:
    while isinstance(group, BaseExceptionGroup):
        group = group.exceptions[0]
    return group


def cmd_plugins(args: argparse.Namespace) -> int:
    from helios_core.plugins import (
        PluginLoadError,
        plugin_infos,
        protocol_servers,
        sql_functions,
        storage_tier_factories,
        wal_archiver_factories,
    )

    try:
        pm = _plugin_manager()
        infos = plugin_infos(pm)
        protocols = protocol_servers(pm)
    except PluginLoadError as exc:
        return _fail(str(exc))
    rows = [("PLUGIN", "DISTRIBUTION", "VERSION", "HOOKS")]
    for info in infos:
        dist = info.distribution + (" (built-in)" if info.builtin else "")
        rows.append((info.name, dist, info.version, ", ".join(info.hooks) or "-"))
    widths = [max(len(r[i]) for r in rows) for i in range(3)]
    for row in rows:
        print("  ".join(cell.ljust(widths[i]) for i, cell in enumerate(row[:3])) + "  " + row[3])
    print()
    print("protocols:     " + (", ".join(f"{p.name} (port {p.default_port})" for p in protocols) or "none"))
    print("storage tiers: " + (", ".join(sorted(storage_tier_factories(pm))) or "none"))
    print("wal archivers: " + (", ".join(sorted(wal_archiver_factories(pm))) or "none"))
    print("sql functions: " + (", ".join(sorted(f.name for f in sql_functions(pm))) or "none"))
    return 0


def cmd_init(args: argparse.Namespace) -> int:
    from helios_core.config import example_config
    from helios_core.plugins import PluginLoadError, protocol_servers

    path = Path(args.path)
    if path.exists() and not args.force:
        return _fail(f"{path} already exists (use --force to overwrite)")
    try:
        servers = {s.name: s for s in protocol_servers(_plugin_manager())}
    except PluginLoadError as exc:
        return _fail(str(exc))
    path.write_text(example_config(servers))
    print(f"wrote {path}; start the server with: helios serve --config {path}")
    return 0


def cmd_version(args: argparse.Namespace) -> int:
    print(f"helios {helios_core.__version__}")
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="helios", description="HeliosDB: one engine, many wire protocols.")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    serve = sub.add_parser("serve", help="run the server (embedded defaults without --config)")
    serve.add_argument("--config", metavar="FILE", help="helios.toml to read")
    serve.add_argument("--data-dir", metavar="DIR", help="override data_dir of the config")
    serve.add_argument(
        "--log-level", choices=["debug", "info", "warning", "error"], help="override [logging] level"
    )
    serve.set_defaults(func=cmd_serve)

    plugins = sub.add_parser("plugins", help="list installed plugins, their versions and hooks")
    plugins.set_defaults(func=cmd_plugins)

    init = sub.add_parser("init", help="write a commented example helios.toml")
    init.add_argument("path", nargs="?", default="helios.toml")
    init.add_argument("--force", action="store_true", help="overwrite an existing file")
    init.set_defaults(func=cmd_init)

    add_commands(sub)

    version = sub.add_parser("version", help="print the version")
    version.set_defaults(func=cmd_version)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    from helios_core.logs import configure_logging

    args = build_parser().parse_args(argv)
    configure_logging("info")  # until the config says otherwise (hook tracing logs at info)
    return args.func(args)


if __name__ == "__main__":
    sys.exit(main())
