"""What the numbers were measured on: CPU, cores, memory, versions, git revision."""

from __future__ import annotations

import os
import platform
import subprocess
import sys


def cpu_model() -> str:
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def memory_gib() -> float:
    try:
        with open("/proc/meminfo") as f:
            for line in f:
                if line.startswith("MemTotal:"):
                    return int(line.split()[1]) / 1024 / 1024
    except OSError:
        pass
    return 0.0


def nproc() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:
        return os.cpu_count() or 0


def git_sha(short: bool = True) -> str:
    try:
        args = ["git", "rev-parse", "--short" if short else "--verify", "HEAD"]
        out = subprocess.run(args, capture_output=True, text=True, check=True,
                             cwd=os.path.dirname(os.path.abspath(__file__)))
        return out.stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "nogit"


def describe() -> dict:
    import duckdb
    import psycopg
    import pyarrow

    return {
        "cpu_model": cpu_model(),
        "nproc": nproc(),
        "memory_gib": round(memory_gib(), 1),
        "kernel": platform.release(),
        "python": sys.version.split()[0],
        "pyarrow": pyarrow.__version__,
        "duckdb": duckdb.__version__,
        "psycopg": psycopg.__version__,
        "git_sha": git_sha(),
    }
