"""The stack a run measures against, the child processes, and the one measure loop.

Kafka (KAFKA_BOOTSTRAP_SERVERS, else the embedded broker) and the sandbox in a process of its own;
each pipeline in a child of its own (`bench.child`), so its peak RSS and CPU seconds, read from
`/proc`, are its own. The driver reads the pipeline's output topic from its beginning: the rate
counts from the first output record to the last (start-up, group join, token fetch excluded), the
CPU from the first record on.
"""

import asyncio
import contextlib
import dataclasses
import math
import os
import platform
import signal
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal, TypeVar

import httpx
from aiokafka import AIOKafkaConsumer, ConsumerRecord, TopicPartition

from adapter.kafka import clients
from adapter.kafka.topics import partitions_of
from adapter.settings import KafkaSettings
from bench import report
from bench.config import ProcConfig
from devtools.devkeys import make_dev_keys
from devtools.embedded_broker import EmbeddedBroker, free_port

Result = dict[str, Any]
Tick = Callable[[], None]
Feed = Callable[[Tick], Awaitable["asyncio.Task[Any] | None"]]
"""Called once the child is ready: feeds it, and may return the task still feeding it."""
_TICKS = os.sysconf("SC_CLK_TCK")
C = TypeVar("C", bound=ProcConfig)


@dataclass(frozen=True)
class Options:
    mode: Literal["all", "throughput", "fixed-rate", "bridge"] = "all"
    requests: int = 20_000
    partitions: int = 4
    max_in_flight: int = 256
    transport_requests: int = 5_000
    fixed_seconds: float = 15.0
    rate: float | None = None
    profile: Literal["auto", "always", "never"] = "auto"
    log_level: str = "INFO"
    fetch_max_wait_ms: int = 5
    what_if: tuple[str, ...] = ()
    output: Path = Path("bench-results/latest.json")
    bridge_events: int = 20_000
    bridge_what_if: tuple[str, ...] = ()

    def profiled(self, missed: bool) -> bool:
        return self.profile == "always" or (self.profile == "auto" and missed)


def say(text: str) -> None:
    print(text, flush=True)


def ratio(a: float, b: float) -> float:
    return a / b if b else math.nan


def ratios(a: Result, b: Result, *keys: str) -> Result:
    return {k: ratio(a[k], b[k]) for k in keys}


def cpu_seconds(pid: int) -> float:
    """User + system CPU seconds: utime and stime, fields 14 and 15 of /proc/PID/stat."""
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rpartition(")")[2].split()  # after the command name, which may hold spaces
    return (int(fields[11]) + int(fields[12])) / _TICKS


def memory_mb(pid: int, key: Literal["VmRSS", "VmHWM"]) -> float:
    """Resident memory now (VmRSS) or its high-water mark (VmHWM)."""
    with open(f"/proc/{pid}/status") as f:
        return next((int(line.split()[1]) / 1024 for line in f if line.startswith(key + ":")), 0.0)


def describe() -> Result:
    """What the run ran on, and the commit measured: the figures mean little without them."""
    models = [ln for ln in Path("/proc/cpuinfo").read_text().splitlines() if ln.startswith("model name")]

    def git(*args: str) -> str:  # read-only
        return subprocess.run(["git", *args], capture_output=True, text=True).stdout

    status = git("status", "--porcelain", "adapter", "contracts/").splitlines()
    return {
        "nproc": os.cpu_count(),
        "cpu_model": models[0].partition(":")[2].strip() if models else "unknown",
        "python": platform.python_version(),
        "platform": platform.platform(),
        "loadavg": " ".join(Path("/proc/loadavg").read_text().split()[:3]),
        "git": {
            "commit": git("rev-parse", "--short", "HEAD").strip(),
            "uncommitted": [s[3:] for s in status],
        },
    }


@dataclass
class Child:
    """`python -m bench.child ARGS...` with stderr to `log_path`, once it has printed `ready`."""

    process: asyncio.subprocess.Process
    log_path: Path
    ready_line: str = ""
    cpu_at_ready: float = 0.0

    @classmethod
    async def start(cls, args: list[str], log_path: Path, timeout: float = 60.0) -> "Child":
        log_path.parent.mkdir(parents=True, exist_ok=True)
        with log_path.open("wb") as log:
            process = await asyncio.create_subprocess_exec(
                sys.executable, "-m", "bench.child", *args, stdout=asyncio.subprocess.PIPE, stderr=log
            )
        assert process.stdout is not None
        child = cls(process, log_path)
        with contextlib.suppress(TimeoutError):
            child.ready_line = (await asyncio.wait_for(process.stdout.readline(), timeout)).decode().strip()
        if not child.ready_line.startswith("ready"):
            await child.stop(5)
            raise RuntimeError(f"{log_path.stem} did not start; {child.log_tail()}")
        child.cpu_at_ready = cpu_seconds(process.pid)
        return child

    @property
    def pid(self) -> int:
        return self.process.pid

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
            tail = self.log_path.read_text(errors="replace").splitlines()[-lines:]
            return f"its log ({self.log_path}) ends:\n" + "\n".join(tail)
        return ""


@dataclass(frozen=True)
class Stack:
    sandbox: Child
    where: ProcConfig
    """Where the broker and the sandbox are: the fields every child's configuration starts from."""
    logs: Path
    run_id: str

    @property
    def kafka(self) -> KafkaSettings:
        return KafkaSettings(bootstrap_servers=self.where.bootstrap)

    @property
    def sandbox_url(self) -> str:
        return self.where.sandbox_url

    def config(self, kind: type[C], **fields: Any) -> C:
        return kind(**dataclasses.asdict(self.where) | fields)

    async def sandbox_stats(self) -> Result:
        async with httpx.AsyncClient(base_url=self.sandbox_url) as http:
            stats: Result = (await http.get("/_sandbox/stats")).json()
            return stats


@contextlib.asynccontextmanager
async def stack(logs: Path) -> AsyncIterator[Stack]:
    bootstrap = os.environ.get("KAFKA_BOOTSTRAP_SERVERS")
    broker = None if bootstrap else EmbeddedBroker().start()
    if broker is not None:
        # Every child builds its Kafka connection from the environment: Tansu's workarounds on.
        os.environ["KAFKA_BROKER_KIND"] = "tansu"
    try:
        with tempfile.TemporaryDirectory(prefix="bench-keys-") as tmp:
            keys = make_dev_keys(Path(tmp))
            sandbox = await Child.start(
                ["sandbox", str(free_port()), str(keys.jwks_path)], logs / "sandbox.log"
            )
            try:
                where = ProcConfig(
                    bootstrap=bootstrap or (broker.bootstrap_servers if broker else ""),
                    sandbox_url=sandbox.ready_line.split()[1],
                    key_id=keys.key_id,
                    key_file=str(keys.private_key_path),
                )
                yield Stack(sandbox, where, logs, uuid.uuid4().hex[:8])
            finally:
                await sandbox.stop(10)
    finally:
        if broker is not None:
            broker.stop()


class TopicReader:
    """A pipeline's output topic read from its beginning in the background; `take` counts a record."""

    def __init__(self, kafka: KafkaSettings, topic: str) -> None:
        self._kafka, self._topic = kafka, topic
        self.timestamps: list[int] = []
        """Each counted record's CreateTime, set by the pipeline's producer on this machine's clock."""
        self.unknown = 0
        self._task: asyncio.Task[None] | None = None

    @property
    def count(self) -> int:
        raise NotImplementedError

    def take(self, record: ConsumerRecord[bytes, bytes]) -> None:
        raise NotImplementedError

    async def start(self) -> None:
        consumer = clients.consumer(self._kafka, enable_auto_commit=False, fetch_max_wait_ms=100)
        await consumer.start()
        tps = await partitions_of(consumer, self._topic) or [TopicPartition(self._topic, 0)]
        consumer.assign(tps)
        await consumer.seek_to_beginning(*tps)
        self._task = asyncio.create_task(self._run(consumer))

    async def _run(self, consumer: AIOKafkaConsumer) -> None:
        try:
            while True:
                for records in (await consumer.getmany(timeout_ms=200, max_records=5000)).values():
                    for record in records:
                        self.take(record)
        finally:
            await consumer.stop()

    async def wait_for(self, n: int, timeout: float, tick: Tick | None = None) -> bool:
        """Until `n` are counted, calling `tick` about every 3 s; False if `timeout` ran out first."""
        loop = asyncio.get_running_loop()
        until, next_tick = loop.time() + timeout, loop.time() + 3.0
        while self.count < n:
            if self._task is not None and self._task.done():
                self._task.result()  # the reader failed: say why
            if loop.time() >= until:
                return False
            if tick is not None and loop.time() >= next_tick:
                tick()
                next_tick += 3.0
            await asyncio.sleep(0.01)  # a poll, not a wake-up per batch: the driver's CPU stays small
        return True

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task


@dataclass(frozen=True)
class Pipeline:
    """One measured run: which child, told what, and how many counted output records end it."""

    label: str
    role: str
    """A role of `bench.child`: baseline, adapter, bare-feed or bridge."""
    config: ProcConfig
    n: int
    unit: Literal["lookups", "events"]
    timeout: float


async def measure(stack: Stack, pipe: Pipeline, reader: TopicReader, feed: Feed | None = None) -> Result:
    """Runs `pipe` until `reader` has counted `pipe.n`: the figures every pipeline has."""
    label, n, sending = pipe.label, pipe.n, None
    await reader.start()
    try:
        child = await Child.start([pipe.role, pipe.config.to_json()], stack.logs / f"{label}.log")

        def snap() -> tuple[float, int, float, float]:
            return time.monotonic(), reader.count, cpu_seconds(child.pid), cpu_seconds(stack.sandbox.pid)

        def tick() -> None:
            if child.process.returncode is not None:
                raise RuntimeError(f"{label} exited; {child.log_tail()}")
            rate, cpu = report.steady_rate(reader.timestamps[-2000:])[0], snap()[2] - child.cpu_at_ready
            rss = f"rss {memory_mb(child.pid, 'VmRSS'):.0f} MB, cpu {cpu:.1f} s"
            say(f"  {label}: {reader.count:,}/{n:,} {pipe.unit}, {report.figure(rate)}/s, {rss}")

        try:
            ready = snap()
            if feed is not None:
                sending = await feed(tick)
            await reader.wait_for(1, pipe.timeout, tick)
            first = snap()
            complete = await reader.wait_for(n, pipe.timeout, tick)
            if sending is not None:
                await sending
            last, peak = snap(), memory_mb(child.pid, "VmHWM")
        finally:
            if sending is not None:
                sending.cancel()
            code = await child.stop()
    finally:
        await reader.stop()
    if not complete:
        say(f"  {label}: only {reader.count:,}/{n:,} in {pipe.timeout:.0f} s; {child.log_tail()}")
    rate, steady = report.steady_rate(reader.timestamps)
    busy, cpu = last[0] - first[0], last[2] - first[2]
    result: Result = {
        "kind": pipe.role,
        "variant": pipe.config.variant,
        "complete": complete,
        "exit_code": code,
        f"{pipe.unit}_per_s": rate,
        "steady_seconds": steady,
        "seconds_from_ready": last[0] - ready[0],
        "peak_rss_mb": peak,
        "cpu_seconds": cpu,
        "cpu_seconds_with_startup": last[2] - child.cpu_at_ready,
        "cpu_s_per_1000": ratio(cpu * 1000, last[1] - first[1]),
        "cpu_utilisation": ratio(cpu, busy),
        "sandbox_cpu_utilisation": ratio(last[3] - first[3], busy),
        "log": str(child.log_path),
    }
    say(
        f"   {label}: {report.figure(rate)} {pipe.unit}/s, peak RSS {peak:.0f} MB, "
        f"{result['cpu_s_per_1000']:.2f} CPU s/1k (busy {result['cpu_utilisation']:.0%}, "
        f"sandbox {result['sandbox_cpu_utilisation']:.0%})"
    )
    return result


def profile_summary(path: Path, what: str, under_profiler: Result) -> Result:
    """Where a profiled run's profile is, its rate under the profiler, and the per-component split."""
    from pyinstrument.session import Session

    out: Result = {"path": str(path), "html": str(path.with_suffix(".html"))}
    out |= {f"{k}_under_profiler": v for k, v in under_profiler.items() if k.endswith("_per_s")}
    if (session := path.with_suffix(".pyisession")).exists():
        rows = report.breakdown(Session.load(str(session)))
        out["breakdown"] = [
            {"component": c, "seconds": round(s, 3), "share": round(f, 3)} for c, s, f in rows
        ]
        say(report.render(rows))
    say(f"== profile of the {what}: {path} (tree, flat), .html, .pyisession")
    return out
