"""The compression job: time chunks past ``compression_after`` are rewritten as packed chunks.

Each such chunk becomes one segment of its own (helios_core.storage.packed), its rows sorted
by (partition_by, time); with ``compression = 'zstd'`` its columns are zstd-compressed and the
partition key dictionary-encoded, ``'auto'`` does the same and also dictionary-encodes every
other string column with few distinct values, ``'none'`` writes the sorted chunk uncompressed.
The rewrite is physical: every row keeps its identity and MVCC stamps, so reads, UPDATE,
DELETE, AS OF and branches see exactly what they saw before. Late rows of a packed chunk are
packed into it at the next run; versions nobody can see any more are dropped on the way.
"""

from __future__ import annotations

from typing import Any

from helios_core.storage.packed import PackSpec
from helios_core.storage.repack import PackReport
from helios_core.timeseries import jobs, tiers
from helios_core.timeseries.durations import duration_usec
from helios_core.timeseries.options import record_of

CODECS = {"zstd": "zstd", "auto": "zstd", "none": None}


def pack_spec(tdef: Any, record: dict) -> PackSpec:
    """How the table's chunks are packed, in the storage's physical column names."""
    def physical(name: str) -> str:
        return f"c{tdef.column(name).col_id}"

    time_col = physical(record["time_column"])
    partition = record.get("partition_by")
    sort = (physical(partition), time_col) if partition else (time_col,)
    return PackSpec(time_column=time_col, interval=duration_usec(record["chunk_interval"], "chunk_interval"),
                    sort=sort, codec=CODECS[record["compression"]],
                    dictionary=(physical(partition),) if partition else (),
                    auto_dictionary=record["compression"] == "auto")


def compress_table(session: Any, tdef: Any, record: dict, now_usec: int) -> PackReport:
    """Pack the table's chunks wholly older than ``compression_after`` on the session's branch."""
    spec = pack_spec(tdef, record)
    boundary = (now_usec - duration_usec(record["compression_after"], "compression_after")) // spec.interval
    txn = session.tx.current()
    return session.engine.store.pack(txn.db, txn.branch, tdef.data_id, spec, boundary)


def run_compression(session: Any, target: str) -> str:
    txn = session.tx.current()
    tdef, gone = jobs.target_table(txn, target)
    if tdef is None:
        return gone
    record = record_of(tdef)
    if record is None:
        return "nothing to do"
    now = jobs.now_usec(session)
    report = compress_table(session, tdef, record, now)
    moved = tiers.place_chunks(session, tdef, duration_usec(record["chunk_interval"], "chunk_interval"), now)
    message = (f"compression of {target}: {len(report.parts)} chunks packed ({report.rows} rows, "
               f"{report.bytes} bytes, {record['compression']}), {report.dropped} dead versions dropped")
    if moved:
        message += f"; {moved} chunks moved between tiers ([timeseries.tiers])"
    if report.waves_given_up:
        message += f"; {report.waves_given_up} batches changed meanwhile, left for the next run"
    jobs.log.info(message)
    return message
