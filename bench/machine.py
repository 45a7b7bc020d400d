"""What the run ran on: the figures mean little without it."""

import os
import platform
import subprocess
from pathlib import Path
from typing import Any


def describe() -> dict[str, Any]:
    model = "unknown"
    cpuinfo = Path("/proc/cpuinfo")
    if cpuinfo.exists():
        for line in cpuinfo.read_text().splitlines():
            if line.startswith("model name"):
                model = line.partition(":")[2].strip()
                break
    loadavg = Path("/proc/loadavg").read_text().split()[:3] if Path("/proc/loadavg").exists() else []
    return {
        "nproc": os.cpu_count(),
        "cpu_model": model,
        "python": platform.python_version(),
        "platform": platform.platform(),
        "loadavg": " ".join(loadavg),
        "git": _git(),
    }


def _git() -> dict[str, Any]:
    """The commit measured, and the adapter's files that differ from it (read-only git calls)."""
    try:
        commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True)
        status = subprocess.run(
            ["git", "status", "--porcelain", "adapter", "contracts"], capture_output=True, text=True
        )
    except OSError:
        return {}
    return {
        "commit": commit.stdout.strip(),
        "uncommitted": [line[3:] for line in status.stdout.splitlines()],
    }
