"""Freed Arrow memory is kept for a few seconds (helios_core.memory_retention): the setting
reaches pyarrow's allocator because helios_core sets it before pyarrow loads."""

from __future__ import annotations

import os
import subprocess
import sys

import pyarrow as pa
import pytest

from helios_core.memory_retention import PURGE_DELAY_MS, PURGE_DELAY_VARIABLE


def _run(code: str, **env: str) -> subprocess.CompletedProcess:
    clean = {k: v for k, v in os.environ.items() if k != PURGE_DELAY_VARIABLE and not k.startswith("ARROW_")}
    return subprocess.run([sys.executable, "-c", code], env={**clean, **env}, capture_output=True, text=True,
                          timeout=120, check=True)


def test_importing_helios_core_sets_the_delay_unless_the_environment_has_one():
    code = f"import os, helios_core; print(os.environ[{PURGE_DELAY_VARIABLE!r}])"
    assert _run(code).stdout.strip() == str(PURGE_DELAY_MS)
    assert _run(code, **{PURGE_DELAY_VARIABLE: "10"}).stdout.strip() == "10"


@pytest.mark.skipif(pa.default_memory_pool().backend_name != "mimalloc",
                    reason="pyarrow's default pool here is not mimalloc, whose option this is")
def test_pyarrows_allocator_reads_the_delay():
    # mimalloc prints its options at start-up when verbose: the value it took is the one it uses
    out = _run("import helios_core, pyarrow as pa; pa.array(list(range(1000)))", MIMALLOC_VERBOSE="1")
    assert f"option 'purge_delay': {PURGE_DELAY_MS}" in out.stderr, out.stderr[-2000:]
    out = _run("import pyarrow as pa; pa.array(list(range(1000)))", MIMALLOC_VERBOSE="1")
    assert f"option 'purge_delay': {PURGE_DELAY_MS}" not in out.stderr  # pyarrow alone keeps mimalloc's default



_RETURNED = """
import threading, numpy as np
{setup}
def resident():
    return int(open("/proc/self/statm").read().split()[1]) * 4096
out = []
def work():  # in a worker thread, as the executor's arrays are
    a = np.ones(3 << 20)  # 24 MB: a mapping of its own by default (glibc's threshold starts at 128 KB)
    held = resident()
    del a
    out.append(held - resident())
t = threading.Thread(target=work); t.start(); t.join()
print(out[0])
"""


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="glibc's malloc settings: Linux only")
def test_a_large_block_freed_stays_with_the_process():
    from helios_core.memory_retention import GLIBC_KEEPS

    if not GLIBC_KEEPS and not any(k.startswith("MALLOC_") or k == "GLIBC_TUNABLES" for k in os.environ):
        pytest.skip("the C library here is not glibc (no mallopt)")
    clean = {k: v for k, v in os.environ.items() if not k.startswith("MALLOC_") and k != "GLIBC_TUNABLES"}

    def returned(setup: str) -> int:  # bytes the process gave back when the block was freed
        return int(subprocess.run([sys.executable, "-c", _RETURNED.format(setup=setup)], env=clean,
                                  capture_output=True, text=True, timeout=120, check=True).stdout)

    assert returned("") > 20 << 20  # glibc's default: unmapped when freed (and faulted in when used again)
    assert returned("import helios_core") < 4 << 20
    clean["MALLOC_ARENA_MAX"] = "4"  # an operator's own malloc settings are left as they are
    assert returned("import helios_core") > 20 << 20

