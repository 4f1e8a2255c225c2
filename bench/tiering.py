"""Object-store tiers: TPC-H Q1/Q6 with lineitem on S3 (moto_server on loopback), first query on
a branch moved to cold, hot-tier bytes before and after tiering idle tenant branches.

    python -m bench.tiering                       # scale 0.1, branches of 10k and 1M rows, 1000 tenants
    python -m bench.tiering --scale 1 --branch-rows 10000 1000000 10000000
    python -m bench.tiering --quick               # scale 0.01, 10k-row branch, 100 tenants

Embedded engine (no wire protocol), so the numbers are the storage path's: hot (mmap'd local
files), warm on S3 with a cold cache (every run starts with an empty cache: footer and column
byte ranges fetched), warm on S3 with a warm cache. Needs moto_server (pip install 'moto[server]')
and the storage_nvme and storage_object plugins. Writes bench/results/<date>-tiering.json.
"""

from __future__ import annotations

import argparse
import datetime
import json
import pathlib
import statistics
import tempfile
import time
from typing import Any

import pyarrow as pa

from bench.datagen import load_tables
from bench.pgwire import create_table_sql
from bench.queries import TPCH

RESULTS = pathlib.Path(__file__).resolve().parent / "results"


def _engine(data_dir: str, moto: Any, prefix: str, cache_size: int = 4 << 30) -> Any:
    from helios_core.engine import Engine
    from helios_core.storage.tiering import TierSet
    from helios_storage_nvme import DiskTier
    from helios_storage_object import ObjectTier, open_backend

    warm = ObjectTier(open_backend("s3", moto.section(f"{prefix}/warm"), timeout=30.0))
    cold = ObjectTier(open_backend("s3", moto.section(f"{prefix}/cold"), timeout=30.0))
    return Engine.open(data_dir, tiers=TierSet(DiskTier(data_dir), {"warm": warm, "cold": cold},
                                               cache_size=cache_size, timeout=30.0))


def _rows(session: Any, sql: str) -> list[tuple]:
    return session.execute(sql)[-1].rows()


def _timed(session: Any, sql: str) -> tuple[float, list[tuple]]:
    started = time.perf_counter()
    rows = _rows(session, sql)
    return time.perf_counter() - started, rows


def _load_lineitem(session: Any, scale: float) -> int:
    table = load_tables(scale)["lineitem"]
    session.execute(create_table_sql("lineitem"))
    result = next(iter(session.execute("COPY lineitem FROM STDIN")))
    schema = result.copy.arrow_schema
    batches = [pa.RecordBatch.from_arrays([b.column(i).cast(f.type) for i, f in enumerate(schema)], schema=schema)
               for b in table.to_batches(max_chunksize=100_000)]
    session.copy_in(result.copy, batches)
    return table.num_rows


def _clear_cache(engine: Any) -> None:
    tiers = engine.store.tiers
    tiers.cache.forget(lambda _k: True)
    tiers._footers.clear()


def tpch(moto: Any, scale: float, runs: int) -> dict[str, Any]:
    out: dict[str, Any] = {"scale": scale}
    with tempfile.TemporaryDirectory(prefix="helios-bench-tier-") as d:
        engine = _engine(d, moto, f"tpch-{time.time_ns()}")
        s = engine.connect(user="helios", database="helios", branch="main")
        out["rows"] = _load_lineitem(s, scale)
        engine.store.checkpoint()
        tiers = engine.store.tiers
        for name in ("Q1", "Q6"):
            sql = TPCH[name]
            answer = _rows(s, sql)  # warm-up, and the answer every other run must give
            hot = [_timed(s, sql)[0] for _ in range(runs)]
            out[name] = {"hot": hot}
        s.execute("ALTER TABLE lineitem SET (tier = 'warm')")
        segments = [r for r in _rows(s, "SELECT tier, bytes FROM heliosdb.segments WHERE table_name = 'lineitem'")]
        out["warm_segments"] = len(segments)
        out["warm_bytes"] = sum(b for _t, b in segments)
        for name in ("Q1", "Q6"):
            sql = TPCH[name]
            answer = _rows(s, sql)
            cold, requests, fetched = [], [], []
            for _ in range(runs):
                _clear_cache(engine)
                r0, b0 = tiers.requests, tiers.bytes_fetched
                took, rows = _timed(s, sql)
                assert rows == answer
                cold.append(took)
                requests.append(tiers.requests - r0)
                fetched.append(tiers.bytes_fetched - b0)
            _rows(s, sql)
            warm = [_timed(s, sql)[0] for _ in range(runs)]
            out[name].update({"warm_cold_cache": cold, "warm_warm_cache": warm,
                              "requests_cold_cache": requests, "bytes_cold_cache": fetched})
        engine.store.close(checkpoint=False)
    return out


def first_cold_query(moto: Any, sizes: list[int]) -> dict[str, Any]:
    from helios_core.branching import tiering

    out: dict[str, Any] = {}
    with tempfile.TemporaryDirectory(prefix="helios-bench-cold-") as d:
        engine = _engine(d, moto, f"cold-{time.time_ns()}")
        tiering.state(engine)  # scans of cold segments ask for promotion, as under `helios serve`
        s = engine.connect(user="helios", database="helios", branch="main")
        s.execute("CREATE TABLE t (id bigint PRIMARY KEY, v bigint, pad text)")
        for n in sizes:
            name = f"b{n}"
            s.execute(f"CREATE BRANCH {name}")
            b = engine.connect(user="helios", database="helios", branch=name)
            step = 1_000_000
            for lo in range(1, n + 1, step):
                hi = min(n, lo + step - 1)
                b.execute(f"INSERT INTO t SELECT g, g * 3, 'tenant row ' || g FROM generate_series({lo}, {hi}) g")
            b.close()
            started = time.perf_counter()
            s.execute(f"ALTER BRANCH {name} SET tier = 'cold'")
            to_cold = time.perf_counter() - started
            _clear_cache(engine)
            b = engine.connect(user="helios", database="helios", branch=name)
            took, rows = _timed(b, "SELECT count(*), sum(v) FROM t")
            assert rows == [(n, 3 * n * (n + 1) // 2)], rows
            started = time.perf_counter()
            promoted = tiering.run_once(engine)["promoted"]
            promote = time.perf_counter() - started
            hot_took, _ = _timed(b, "SELECT count(*), sum(v) FROM t")
            b.close()
            out[str(n)] = {"move_to_cold_s": to_cold, "first_query_s": took, "promotion_s": promote,
                           "segments_promoted": promoted, "query_after_promotion_s": hot_took}
        engine.store.close(checkpoint=False)
    return out


def tenants(moto: Any, count: int, rows_each: int) -> dict[str, Any]:
    from helios_core.branching import tiering

    with tempfile.TemporaryDirectory(prefix="helios-bench-tenants-") as d:
        engine = _engine(d, moto, f"tenants-{time.time_ns()}")
        s = engine.connect(user="helios", database="helios", branch="main")
        s.execute("CREATE TABLE events (id bigint, tenant int, body text)")
        started = time.perf_counter()
        for i in range(count):
            s.execute(f"CREATE BRANCH tenant{i}")
            b = engine.connect(user="helios", database="helios", branch=f"tenant{i}")
            b.execute(f"INSERT INTO events SELECT g, {i}, 'event ' || g FROM generate_series(1, {rows_each}) g")
            b.close()
        setup = time.perf_counter() - started
        engine.store.checkpoint()
        before = tiering.tier_bytes(engine)
        st = tiering.state(engine)
        st.inactive_threshold = 1.0  # "90 days" on the benchmark's clock
        time.sleep(1.1)
        _rows(s, "SELECT count(*) FROM events")  # main stays active
        started = time.perf_counter()
        moved = tiering.run_once(engine)["inactive"]
        took = time.perf_counter() - started
        after = tiering.tier_bytes(engine)
        engine.store.close(checkpoint=False)
    return {"tenants": count, "rows_each": rows_each, "setup_s": setup, "segments_moved": moved,
            "tiering_s": took, "bytes_before": before, "bytes_after": after}


def _median(xs: list[float]) -> float:
    return statistics.median(xs) if xs else float("nan")


def report(res: dict[str, Any]) -> str:
    lines = ["| query | hot | warm, cold cache | warm, warm cache | warm cache / hot | requests (cold) | MB fetched (cold) |",
             "|---|---|---|---|---|---|---|"]
    t = res["tpch"]
    for name in ("Q1", "Q6"):
        q = t[name]
        hot, cold, warm = _median(q["hot"]), _median(q["warm_cold_cache"]), _median(q["warm_warm_cache"])
        lines.append(f"| {name} | {hot * 1000:.0f} ms | {cold * 1000:.0f} ms | {warm * 1000:.0f} ms | "
                     f"{warm / hot:.2f}x | {int(_median(q['requests_cold_cache']))} | "
                     f"{_median(q['bytes_cold_cache']) / 1e6:.1f} of {t['warm_bytes'] / 1e6:.1f} |")
    lines += ["", "| branch rows | ALTER BRANCH SET tier='cold' | first query (cold) | promotion | query after |",
              "|---|---|---|---|---|"]
    for n, r in res["first_cold_query"].items():
        lines.append(f"| {int(n):,} | {r['move_to_cold_s']:.2f} s | {r['first_query_s']:.3f} s | "
                     f"{r['promotion_s']:.2f} s | {r['query_after_promotion_s']:.3f} s |")
    tn = res["tenants"]
    summary = (f"{tn['tenants']} idle tenant branches of {tn['rows_each']} rows: hot tier "
               f"{tn['bytes_before']['hot'] / 1e6:.2f} MB -> {tn['bytes_after']['hot'] / 1e6:.2f} MB "
               f"(cold {tn['bytes_after']['cold'] / 1e6:.2f} MB), {tn['segments_moved']} segments in "
               f"{tn['tiering_s']:.1f} s")
    lines += ["", summary]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> None:
    from helios_storage_object.testing import MotoS3

    parser = argparse.ArgumentParser(prog="python -m bench.tiering", description=__doc__.splitlines()[0])
    parser.add_argument("--scale", type=float, default=0.1)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--branch-rows", type=int, nargs="+", default=[10_000, 1_000_000])
    parser.add_argument("--tenants", type=int, default=1000)
    parser.add_argument("--tenant-rows", type=int, default=100)
    parser.add_argument("--quick", action="store_true")
    args = parser.parse_args(argv)
    if args.quick:
        args.scale, args.branch_rows, args.tenants = 0.01, [10_000], 100
    res: dict[str, Any] = {"date": datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds")}
    with MotoS3() as moto:
        res["tpch"] = tpch(moto, args.scale, args.runs)
        res["first_cold_query"] = first_cold_query(moto, args.branch_rows)
        res["tenants"] = tenants(moto, args.tenants, args.tenant_rows)
    text = report(res)
    print(text)
    RESULTS.mkdir(exist_ok=True)
    stamp = datetime.datetime.now(datetime.UTC).strftime("%Y%m%d-%H%M%S")
    (RESULTS / f"{stamp}-tiering.json").write_text(json.dumps(res, indent=1))
    (RESULTS / f"{stamp}-tiering.md").write_text(text + "\n")


if __name__ == "__main__":
    main()
