"""``helios backup create|list|verify`` and ``helios restore``: the archive from the command line.

Each command reads the same ``--config FILE`` as ``helios serve``: ``[storage.wal_archiving]``
names the backends, their ``[storage.<name>]`` sections say where they are, ``data_dir``
is what ``backup create`` copies. Exit status: 0 done, 1 the archive holds a bad or
missing object (each named on stderr) or a restore stopped short of its target, 2 a problem
the operator fixes (config, non-empty directory, no backup covering the time).
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import sys
import tempfile
from typing import Any

import pyarrow as pa

from helios_core.archiving import backup as backups
from helios_core.archiving.backends import ArchiveSetupError, open_repositories, open_repository
from helios_core.archiving.progress import ProgressBar
from helios_core.archiving.restore import RestoreError, restore
from helios_core.config import ConfigError, load_config
from helios_core.errors import HeliosError
from helios_core.kernel import StartupError, object_tiers
from helios_core.plugins import PluginLoadError, get_plugin_manager, protocol_servers, storage_tier_factories
from helios_core.sql.functions.text_in import parse_timestamp

EXIT_BAD = 1
EXIT_USAGE = 2


class CommandError(Exception):
    """One line for stderr, exit status 2."""


def _fail(message: str, status: int = EXIT_USAGE) -> int:
    print(f"helios: {message}", file=sys.stderr, flush=True)
    return status


def _setup(args: argparse.Namespace) -> tuple[Any, Any]:
    try:
        pm = get_plugin_manager()
        servers = {s.name: s for s in protocol_servers(pm)}
        tiers = storage_tier_factories(pm)
        config = load_config(args.config, servers, tiers=set(tiers) | {"memory"})
    except PluginLoadError as exc:
        raise CommandError(str(exc)) from None
    except ConfigError as exc:
        where = f" in {args.config}" if args.config else ""
        raise CommandError(f"config error{where}: {exc}") from None
    return config, pm


def _tier_opener(config: Any, pm: Any) -> Any:
    factories = storage_tier_factories(pm)
    name = config.storage.tier or ("nvme" if "nvme" in factories else None)
    if name is None or name == "memory":
        raise CommandError("backups need a persistent storage tier: pip install helios-storage-nvme")
    return lambda data_dir: factories[name].create(data_dir, config.storage.tiers.get(name))


def _repos(config: Any, pm: Any, only: str | None) -> list[Any]:
    try:
        if only:
            return [open_repository(only, config, pm)]
        return list(open_repositories(config, pm).values())
    except ArchiveSetupError as exc:
        raise CommandError(str(exc)) from None


def parse_time(text: str) -> int:
    """A PostgreSQL timestamptz literal as microseconds since the epoch (UTC unless it says otherwise)."""
    try:
        value = parse_timestamp(pa.array([text]), tz=True)
    except (HeliosError, ValueError, pa.ArrowInvalid) as exc:
        raise CommandError(f"--to-time: not a timestamp: {text!r} ({exc})") from None
    return int(value.cast(pa.int64())[0].as_py())


def cmd_backup_create(args: argparse.Namespace) -> int:
    config, pm = _setup(args)
    if not os.path.isdir(config.data_dir):
        raise CommandError(f"data_dir {config.data_dir} does not exist")
    repos = _repos(config, pm, args.to)
    tier = _tier_opener(config, pm)(config.data_dir)
    try:
        remote = object_tiers(config, storage_tier_factories(pm))
    except StartupError as exc:
        raise CommandError(str(exc)) from None
    with ProgressBar(enabled=not args.quiet) as bar:
        try:
            made = backups.create(config.data_dir, tier, repos, bar.update, remote=remote)
        except backups.BackupError as exc:
            return _fail(str(exc), EXIT_BAD)
    print(f"backup {made['id']}: {made['bytes']} bytes, {len(made['segments'])} segments, "
          f"uploaded {made['uploaded_bytes']} bytes to {', '.join(r.name for r in repos)}")
    retention = config.storage.wal_archiving.retention_days
    for repo in repos:
        gone = backups.expire(repo, retention)
        if gone:
            print(f"{repo.name}: {len(gone)} objects past retention_days={retention} deleted")
    return 0


def cmd_backup_list(args: argparse.Namespace) -> int:
    config, pm = _setup(args)
    repo = _repos(config, pm, args.from_backend or config.storage.wal_archiving.primary_backend)[0]
    rows = [("ID", "START", "END", "BYTES", "TIMELINE")]
    for b in backups.list_backups(repo):
        rows.append((b["id"], backups.iso(b["start_ts"]) or "-", b.get("ended_at") or "-", str(b["bytes"]),
                     str(b["timeline"])))
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    for r in rows:
        print("  ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)).rstrip())
    return 0


def cmd_backup_verify(args: argparse.Namespace) -> int:
    config, pm = _setup(args)
    repo = _repos(config, pm, args.from_backend or config.storage.wal_archiving.primary_backend)[0]
    with ProgressBar(enabled=not args.quiet) as bar:
        report = backups.verify(repo, bar.update)
    for bad in report.bad:
        print(f"helios: bad object in {repo.name}: {bad}", file=sys.stderr)
    problem = None
    if args.trial_restore and report.ok:
        with tempfile.TemporaryDirectory(prefix="helios-verify-") as tmp:
            target = os.path.join(tmp, "data")
            try:
                result = restore(repo, target, _tier_opener(config, pm), claim_timeline=False)
            except RestoreError as exc:
                problem = str(exc)
            else:
                problem = result.problem
                if problem is None:
                    print(f"trial restore of backup {result.backup_id}: reached "
                          f"{backups.iso(result.reached_ts)} with {result.wal_files} WAL files")
        if problem:
            print(f"helios: trial restore from {repo.name} failed: {problem}", file=sys.stderr)
    if report.bad or problem:
        return EXIT_BAD
    print(f"{repo.name}: {report.checked} objects verified, all good")
    return 0


def cmd_restore(args: argparse.Namespace) -> int:
    config, pm = _setup(args)
    target = None if args.to_latest else parse_time(args.to_time)
    repo = _repos(config, pm, args.from_backend or config.storage.wal_archiving.primary_backend)[0]
    with ProgressBar(enabled=not args.quiet) as bar:
        try:
            result = restore(repo, args.data_dir, _tier_opener(config, pm), target, bar.update,
                             timeline=args.timeline)
        except RestoreError as exc:
            raise CommandError(str(exc)) from None
    reached = dt.datetime.fromtimestamp(result.reached_ts / 1e6, dt.UTC).isoformat() if result.reached_ts else "-"
    parts = ", ".join(f"{k} {v:.1f}s" for k, v in result.seconds.items())
    print(f"restored backup {result.backup_id} from {repo.name} into {args.data_dir}: replayed "
          f"{result.wal_files} WAL files ({result.wal_bytes / 1e6:.1f} MB), last change at {reached}; "
          f"new timeline {result.timeline} ({parts})")
    if result.problem:
        print(f"helios: {result.problem}", file=sys.stderr)
        return EXIT_BAD
    return 0


def run(func: Any, args: argparse.Namespace) -> int:
    try:
        return func(args)
    except CommandError as exc:
        return _fail(str(exc))
    except OSError as exc:  # the archive backend is unreachable or refuses: its first line says why
        first = (str(exc).strip().splitlines() or [type(exc).__name__])[0]
        return _fail(f"the archive could not be read or written: {first}", EXIT_BAD)


def add_commands(sub: Any) -> None:
    """The ``backup`` and ``restore`` subcommands of ``helios``."""
    backup = sub.add_parser("backup", help="backups in the WAL archive: create, list, verify")
    bsub = backup.add_subparsers(dest="backup_command", required=True, metavar="ACTION")
    create = bsub.add_parser("create", help="copy the last checkpoint of data_dir into the archive (online)")
    create.add_argument("--to", metavar="BACKEND", help="only this backend (default: every configured one)")
    create.set_defaults(func=lambda a: run(cmd_backup_create, a))
    listing = bsub.add_parser("list", help="backups in the archive: id, start, end, bytes")
    listing.add_argument("--from", dest="from_backend", metavar="BACKEND", help="default: the primary backend")
    listing.set_defaults(func=lambda a: run(cmd_backup_list, a))
    verify = bsub.add_parser("verify", help="check every archived object (exit 1 naming each bad one)")
    verify.add_argument("--from", dest="from_backend", metavar="BACKEND", help="default: the primary backend")
    verify.add_argument("--trial-restore", action="store_true", help="also restore the latest state into a "
                        "temporary directory")
    verify.set_defaults(func=lambda a: run(cmd_backup_verify, a))
    for p in (create, listing, verify):
        p.add_argument("--config", metavar="FILE", required=True, help="helios.toml to read")
        p.add_argument("--quiet", action="store_true", help="no progress bar")

    rest = sub.add_parser("restore", help="restore a server from the archive to a point in time")
    rest.add_argument("--config", metavar="FILE", required=True, help="helios.toml to read")
    rest.add_argument("--from", dest="from_backend", metavar="BACKEND",
                      help="the backend to restore from (default: the primary; the secondary when it is lost)")
    when = rest.add_mutually_exclusive_group(required=True)
    when.add_argument("--to-time", metavar="T", help="a timestamptz literal: every commit up to it, none after")
    when.add_argument("--to-latest", action="store_true", help="up to the last archived commit")
    rest.add_argument("--timeline", type=int, metavar="N", help="the history to follow when restores forked it "
                      "(default: the newest timeline that archived anything, as recovery_target_timeline = latest)")
    rest.add_argument("--data-dir", metavar="DIR", required=True, help="where to restore (absent or empty)")
    rest.add_argument("--quiet", action="store_true", help="no progress bar")
    rest.set_defaults(func=lambda a: run(cmd_restore, a))
