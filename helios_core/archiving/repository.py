"""One archive backend seen as a backup repository: where each kind of object lives.

Layout (the same in every backend, so either can restore alone)::

    wal/<timeline>/<seq>.wal          a closed WAL file (sealed: compressed + checksummed)
    segments/<sha256>.arrow           a data segment, named by its content: a backup uploads
                                      only the segments the repository does not have yet
    backups/<id>/backup.json          a backup: the checkpoint manifest, its segments, WAL start
    backups/<id>/state.arrow          the checkpoint's state file
    timelines/<timeline>.json         where a restored server's timeline branched off (timelines.py)

Timelines: a server restored from the archive archives under a new timeline number, so
its WAL never overwrites the objects of the history it was restored from.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any

from helios_core.archiving import objects
from helios_core.hookspecs import WalArchiver


def wal_key(timeline: int, seq: int) -> str:
    return f"wal/{timeline:08d}/{seq:08d}.wal"


def parse_wal_key(key: str) -> tuple[int, int] | None:
    parts = key.split("/")
    if len(parts) != 3 or parts[0] != "wal" or not parts[2].endswith(".wal"):
        return None
    try:
        return int(parts[1]), int(parts[2].removesuffix(".wal"))
    except ValueError:
        return None


class Repository:
    """Sealed objects in one backend (``name`` is its config name: s3, gcs, azure, local)."""

    def __init__(self, name: str, archiver: WalArchiver, compression: str = "zstd") -> None:
        self.name = name
        self.archiver = archiver
        self.compression = compression

    # -- objects ------------------------------------------------------------------------------
    def put(self, key: str, content: bytes) -> int:
        """Seal and store ``content``; returns the stored size."""
        sealed = objects.seal(content, self.compression)
        self.archiver.archive(key, sealed)
        return len(sealed)

    def put_sealed(self, key: str, sealed: bytes) -> None:
        self.archiver.archive(key, sealed)

    def get_sealed(self, key: str) -> bytes:
        return self.archiver.fetch(key)

    def get(self, key: str) -> bytes:
        """The content of ``key``; CorruptObject names it when damaged, FileNotFoundError when gone."""
        return objects.unseal(key, self.archiver.fetch(key))

    def keys(self, prefix: str = "") -> list[str]:
        return sorted(self.archiver.list(prefix))

    def delete(self, key: str) -> None:
        self.archiver.delete(key)

    # -- WAL ------------------------------------------------------------------------------------
    def wal_seqs(self, timeline: int) -> list[int]:
        out = []
        for key in self.keys(f"wal/{timeline:08d}/"):
            parsed = parse_wal_key(key)
            if parsed is not None and parsed[0] == timeline:
                out.append(parsed[1])
        return sorted(out)

    def wal_timelines(self) -> list[int]:
        return sorted({parsed[0] for key in self.keys("wal/") if (parsed := parse_wal_key(key)) is not None})

    def timelines(self) -> list[int]:
        seen = set(self.wal_timelines())
        for key in self.keys("timelines/"):
            try:
                seen.add(int(key.split("/")[-1].removesuffix(".json")))
            except ValueError:
                continue
        return sorted(seen)

    def put_timeline(self, timeline: int, history: dict[str, Any]) -> None:
        self.put(f"timelines/{timeline:08d}.json", json.dumps(history).encode())

    def timeline(self, timeline: int) -> dict[str, Any]:
        return json.loads(self.get(f"timelines/{timeline:08d}.json"))

    # -- backups --------------------------------------------------------------------------------
    def backup_ids(self) -> list[str]:
        ids = {key.split("/")[1] for key in self.keys("backups/") if key.endswith("/backup.json")}
        return sorted(ids)

    def backup(self, backup_id: str) -> dict[str, Any]:
        return json.loads(self.get(f"backups/{backup_id}/backup.json"))

    def backups(self) -> list[dict[str, Any]]:
        return [self.backup(i) for i in self.backup_ids()]

    def segment_keys(self) -> set[str]:
        return set(self.keys("segments/"))

    def delete_all(self, keys: Iterable[str]) -> int:
        n = 0
        for key in keys:
            self.delete(key)
            n += 1
        return n
