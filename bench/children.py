"""Starting a bench process, waiting for its `ready` line, and stopping it."""

import asyncio
import contextlib
import math
import signal
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from bench import procstat, report


@dataclass
class Child:
    name: str
    process: asyncio.subprocess.Process
    ready_line: str
    log_path: Path
    cpu_at_ready: float

    @property
    def pid(self) -> int:
        return self.process.pid

    def cpu_since_ready(self) -> float:
        return procstat.cpu_seconds(self.pid) - self.cpu_at_ready

    def alive(self) -> bool:
        return self.process.returncode is None

    async def stop(self, timeout: float = 60.0) -> int:
        if self.process.returncode is None:
            with contextlib.suppress(ProcessLookupError):
                self.process.send_signal(signal.SIGTERM)
            try:
                await asyncio.wait_for(self.process.wait(), timeout)
            except TimeoutError:
                self.process.kill()
                await self.process.wait()
        return self.process.returncode or 0

    def log_tail(self, lines: int = 15) -> str:
        with contextlib.suppress(OSError):
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        return ""


async def start(name: str, module: str, args: list[str], log_path: Path, timeout: float = 60.0) -> Child:
    """`python -m module args...`, stderr to `log_path`; returns once it printed `ready`."""
    log_path.parent.mkdir(parents=True, exist_ok=True)
    with log_path.open("wb") as log:
        process = await asyncio.create_subprocess_exec(
            sys.executable, "-m", module, *args, stdout=asyncio.subprocess.PIPE, stderr=log
        )
    assert process.stdout is not None
    child = Child(name, process, "", log_path, 0.0)
    try:
        line = (await asyncio.wait_for(process.stdout.readline(), timeout)).decode().strip()
    except TimeoutError:
        line = ""
    if not line.startswith("ready"):
        await child.stop(5)
        raise RuntimeError(f"{name} did not start; its log ({log_path}) ends:\n{child.log_tail()}")
    child.ready_line = line
    child.cpu_at_ready = procstat.cpu_seconds(process.pid)
    return child


class Counted(Protocol):
    """What a progress line reads from a collector: how many so far, and when each arrived."""

    reply_ts: list[int]

    @property
    def count(self) -> int: ...


def say(text: str) -> None:
    print(text, flush=True)


def number(value: float) -> str:
    return "-" if math.isnan(value) else f"{value:,.0f}"


def progress(label: str, child: Child, collector: Counted, n: int, unit: str) -> Callable[[], None]:
    """A progress line for `child`; raises, with the end of its log, once it has died."""

    def tick() -> None:
        if not child.alive():
            raise RuntimeError(f"{label} exited; its log ({child.log_path}) ends:\n{child.log_tail()}")
        rate, _ = report.steady_rate(collector.reply_ts[-2000:])
        say(
            f"  {label}: {collector.count:,}/{n:,} {unit}, {number(rate)}/s, "
            f"rss {procstat.rss_mb(child.pid):.0f} MB, cpu {child.cpu_since_ready():.1f} s"
        )

    return tick
