"""CPU time a server process has used (user + system, Linux /proc/PID/stat): what it spent on the
work whatever else shares the machine's cores, which wall time on a loaded machine does not say."""

from __future__ import annotations

import os
import pathlib


def cpu_seconds(pid: int) -> float:
    fields = pathlib.Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
