"""Run by test_crash_upload: fill a store, then move every table to the warm tier slowly, saying
``put <n>`` before each upload, until the test SIGKILLs it.

    python upload_writer.py DATA_DIR '<[storage.s3] table as JSON>'
"""

from __future__ import annotations

import json
import sys
import time

from helios_storage_nvme import DiskTier
from helios_storage_object import ObjectTier, open_backend

from helios_core.engine import Engine
from helios_core.storage import mover
from helios_core.storage.tiering import TierSet

TABLES = 6


class SlowTier(ObjectTier):
    """Announces each upload and takes its time, so a kill lands among them."""

    def __init__(self, backend):
        super().__init__(backend)
        self.n = 0

    def put(self, name, data):
        self.n += 1
        print(f"put {self.n}", flush=True)
        time.sleep(0.05)
        super().put(name, data)
        time.sleep(0.05)


def main() -> None:
    data_dir, section = sys.argv[1], json.loads(sys.argv[2])
    warm = SlowTier(open_backend("s3", section, timeout=5.0))
    engine = Engine.open(data_dir, tiers=TierSet(DiskTier(data_dir), {"warm": warm}))
    s = engine.connect(user="helios", database="helios", branch="main")
    for i in range(TABLES):
        s.execute(f"create table t{i} (id int primary key, v bigint)")
        s.execute(f"insert into t{i} select g, g * {i} from generate_series(1, 3000) g")
    engine.store.checkpoint()
    print("ready", flush=True)
    while True:  # moved one table at a time: each move is its own manifest
        for _lay, ch in mover.all_segments(engine.store):
            if _lay.data_id != 0 and ch.tier == "hot":
                mover.move_chunks(engine.store, [(_lay, ch)], "warm")
                break
        else:
            print("all moved", flush=True)
            time.sleep(60)


if __name__ == "__main__":
    main()
