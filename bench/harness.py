"""The stack a run measures against, the child processes, and the one measure loop.

Kafka (Apache Kafka from `.cache/kafka` or the embedded Tansu broker, one stack after the other, or
KAFKA_BOOTSTRAP_SERVERS alone if set) and the sandbox in a process of its own;
each pipeline in a child of its own (`bench.child`), so its peak RSS and CPU seconds, read from
`/proc`, are its own. The driver reads the pipeline's output topic from its beginning: the rate
counts from the first output record to the last (start-up, group join, token fetch excluded), the
CPU from the first record on.
"""

import asyncio
import contextlib
import dataclasses
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

from adapter.kafka.offsets import range_reader
from adapter.kafka.topics import partitions_of
from adapter.settings import KafkaSettings
from bench import report
from bench.config import ProcConfig
from devtools.apache_kafka import ApacheKafka, apache_kafka_available
from devtools.devkeys import make_dev_keys
from devtools.embedded_broker import EmbeddedBroker, free_port

Result = dict[str, Any]
Tick = Callable[[], None]
Feed = Callable[[Tick], Awaitable["asyncio.Task[float]"]]
"""Called once the child is ready: warms it up, returns the task feeding it (result: the rate offered)."""
_TICKS = os.sysconf("SC_CLK_TCK")
C = TypeVar("C", bound=ProcConfig)
Broker = Literal["apache", "tansu", "configured"]
BROKERS: tuple[Broker, ...] = ("apache", "tansu")


@dataclass(frozen=True)
class Options:
    mode: Literal["all", "throughput", "fixed-rate", "slow-nav", "bridge"] = "all"
    brokers: str = ",".join(BROKERS)
    requests: int = 20_000
    partitions: int = 4
    max_in_flight: int = 256
    transport_requests: int = 5_000
    fixed_seconds: float = 20.0
    rate: float = 100.0
    slow_nav_ms: int = 100
    profile: Literal["auto", "always", "never"] = "auto"
    log_level: str = "INFO"
    fetch_max_wait_ms: int = 5
    output: Path = Path("bench-results/latest.json")
    bridge_events: int = 60_000

    def profiled(self, missed: bool) -> bool:
        return self.profile == "always" or (self.profile == "auto" and missed)

    def broker_list(self) -> list[Broker]:
        """The brokers to run on, in order: KAFKA_BOOTSTRAP_SERVERS alone if it is set."""
        if os.environ.get("KAFKA_BOOTSTRAP_SERVERS"):
            return ["configured"]
        names = [name.strip() for name in self.brokers.split(",") if name.strip()]
        if unknown := [name for name in names if name not in BROKERS]:
            raise ValueError(f"unknown broker {unknown}: choose from {', '.join(BROKERS)}")
        return [name for name in BROKERS if name in names]


def say(text: str) -> None:
    print(text, flush=True)


ratio = report.ratio


def ratios(a: Result, b: Result, rate: str) -> Result:
    """`a`'s figures over `b`'s: the rate, the peak RSS, the CPU per 1,000."""
    return {k: ratio(a[k], b[k]) for k in (rate, "peak_rss_mb", "cpu_s_per_1000")}


def cpu_seconds(pid: int) -> float:
    """User + system CPU seconds: utime and stime, fields 14 and 15 of /proc/PID/stat."""
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rpartition(")")[2].split()  # after the command name, which may hold spaces
    return (int(fields[11]) + int(fields[12])) / _TICKS


def memory_mb(pid: int, key: Literal["VmRSS", "VmHWM"]) -> float:
    """Resident memory now (VmRSS) or its high-water mark (VmHWM)."""
    with open(f"/proc/{pid}/status") as f:
        return next((int(line.split()[1]) / 1024 for line in f if line.startswith(key + ":")), 0.0)


def load_average() -> str:
    """The 1, 5 and 15 minute load averages: how busy the machine was with everything else too."""
    return " ".join(Path("/proc/loadavg").read_text().split()[:3])


def describe() -> Result:
    """What the run ran on, and the commit measured: the figures mean little without them."""
    models = [ln for ln in Path("/proc/cpuinfo").read_text().splitlines() if ln.startswith("model name")]

    def git(*args: str) -> str:
        return subprocess.run(["git", *args], capture_output=True, text=True).stdout

    status = git("status", "--porcelain", "adapter", "contracts/").splitlines()
    return {
        "nproc": os.cpu_count(),
        "cpu_model": models[0].partition(":")[2].strip() if models else "unknown",
        "python": platform.python_version(),
        "platform": platform.platform(),
        "loadavg": load_average(),
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
    broker: Broker = "tansu"

    @property
    def kafka(self) -> KafkaSettings:
        return KafkaSettings(bootstrap_servers=self.where.bootstrap)

    def config(self, kind: type[C], **fields: Any) -> C:
        return kind(**dataclasses.asdict(self.where) | fields)

    async def token_fetches(self) -> dict[str, int]:
        """The sandbox's count of tokens issued, per scope."""
        async with httpx.AsyncClient(base_url=self.where.sandbox_url) as http:
            fetches: dict[str, int] = (await http.get("/_sandbox/stats")).json()["token_fetches"]
            return fetches


async def start_broker(running: contextlib.AsyncExitStack, broker: Broker, logs: Path) -> str:
    """The broker's bootstrap address, stopped with `running`. Every child builds its Kafka
    connection from the environment: KAFKA_BROKER_KIND turns Tansu's workarounds on or off."""
    if broker == "configured":
        return os.environ["KAFKA_BOOTSTRAP_SERVERS"]
    if broker == "tansu":
        os.environ["KAFKA_BROKER_KIND"] = "tansu"
        return running.enter_context(EmbeddedBroker()).bootstrap_servers
    if not apache_kafka_available():
        raise RuntimeError("Apache Kafka needs java and its jars in .cache/kafka (`make kafka-jars`)")
    folder = Path(running.enter_context(tempfile.TemporaryDirectory(prefix="bench-kafka-")))
    kafka = ApacheKafka(folder)
    # `start` waits with an event loop of its own: in a thread, off this one.
    await asyncio.to_thread(kafka.start)

    def stop() -> None:
        kafka.stop()
        with contextlib.suppress(OSError):  # its log outlives its data folder, with the others
            logs.mkdir(parents=True, exist_ok=True)
            (logs / "apache-kafka.log").write_bytes(kafka.log_path.read_bytes())

    running.callback(stop)
    os.environ["KAFKA_BROKER_KIND"] = "kafka"
    return kafka.bootstrap_servers


@contextlib.asynccontextmanager
async def stack(logs: Path, broker: Broker = "tansu") -> AsyncIterator[Stack]:
    async with contextlib.AsyncExitStack() as running:
        bootstrap = await start_broker(running, broker, logs)
        keys = make_dev_keys(Path(running.enter_context(tempfile.TemporaryDirectory(prefix="bench-keys-"))))
        sandbox = await Child.start(["sandbox", str(free_port()), str(keys.jwks_path)], logs / "sandbox.log")
        running.push_async_callback(sandbox.stop, 10)
        url = sandbox.ready_line.split()[1]  # "ready URL"
        where = ProcConfig(
            bootstrap=bootstrap, sandbox_url=url, key_id=keys.key_id, key_file=str(keys.private_key_path)
        )
        yield Stack(sandbox, where, logs, uuid.uuid4().hex[:8], broker)


class TopicReader:
    """A pipeline's output topic read from its beginning in the background; `take` counts a record."""

    unit: Literal["lookups", "events"]
    _task: "asyncio.Task[None]"  # reading, from `start` on

    def __init__(self, kafka: KafkaSettings, topic: str) -> None:
        self._kafka, self._topic = kafka, topic
        self.timestamps: list[int] = []
        """Each counted record's CreateTime, set by the pipeline's producer on this machine's clock."""

    @property
    def count(self) -> int:
        raise NotImplementedError

    def take(self, record: ConsumerRecord[bytes, bytes]) -> None:
        raise NotImplementedError

    async def start(self) -> None:
        consumer = range_reader(self._kafka, fetch_max_wait_ms=100)  # assigned, it reads from the start
        await consumer.start()
        consumer.assign(await partitions_of(consumer, self._topic) or [TopicPartition(self._topic, 0)])
        self._task = asyncio.create_task(self._run(consumer))

    async def _run(self, consumer: AIOKafkaConsumer) -> None:
        try:
            while True:
                for records in (await consumer.getmany(timeout_ms=200, max_records=5000)).values():
                    for record in records:
                        self.take(record)
        finally:
            await consumer.stop()

    async def wait_for(self, n: int, timeout: float, tick: Tick) -> bool:
        """Until `n` are counted, calling `tick` about every 3 s; False if `timeout` ran out first."""
        loop = asyncio.get_running_loop()
        until, next_tick = loop.time() + timeout, loop.time() + 3.0
        while self.count < n:
            if self._task.done():
                self._task.result()  # the reader failed: say why
            if loop.time() >= until:
                return False
            if loop.time() >= next_tick:
                tick()
                next_tick += 3.0
            await asyncio.sleep(0.01)  # a poll, not a wake-up per batch: the driver's CPU stays small
        return True

    async def stop(self) -> None:
        self._task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await self._task


async def measure(
    stack: Stack,
    role: str,
    label: str,
    config: ProcConfig,
    reader: TopicReader,
    n: int,
    timeout: float,
    feed: Feed | None = None,
) -> Result:
    """Runs the `role` of `bench.child` (baseline, adapter, bare-feed or bridge) with `config` until
    `reader` has counted `n`, fed by `feed` if given: the figures every pipeline has."""
    unit, offered = reader.unit, None
    async with contextlib.AsyncExitStack() as running:
        await reader.start()
        running.push_async_callback(reader.stop)
        child = await Child.start([role, config.to_json()], stack.logs / f"{label}.log")
        running.push_async_callback(child.stop)
        pid = child.process.pid

        def snap() -> tuple[float, int, float, float]:
            return time.monotonic(), reader.count, cpu_seconds(pid), cpu_seconds(stack.sandbox.process.pid)

        def tick() -> None:
            if child.process.returncode is not None:
                raise RuntimeError(f"{label} exited; {child.log_tail()}")
            rate, cpu = report.steady_rate(reader.timestamps[-2000:])[0], snap()[2] - child.cpu_at_ready
            rss = f"rss {memory_mb(pid, 'VmRSS'):.0f} MB, cpu {cpu:.1f} s"
            say(f"  {label}: {reader.count:,}/{n:,} {unit}, {report.figure(rate)}/s, {rss}")

        ready = snap()
        if feed is not None:
            running.callback((sending := await feed(tick)).cancel)
        await reader.wait_for(1, timeout, tick)
        first = snap()
        complete = await reader.wait_for(n, timeout, tick)
        if feed is not None:
            offered = await sending
        last, peak = snap(), memory_mb(pid, "VmHWM")
    code = await child.stop()  # stopped already: its exit code
    if not complete:
        say(f"  {label}: only {reader.count:,}/{n:,} in {timeout:.0f} s; {child.log_tail()}")
    rate, steady = report.steady_rate(reader.timestamps)
    busy, cpu = last[0] - first[0], last[2] - first[2]
    result: Result = {
        "kind": role,
        "complete": complete,
        "exit_code": code,
        f"{unit}_per_s": rate,
        "steady_seconds": steady,
        "seconds_from_ready": last[0] - ready[0],
        "peak_rss_mb": peak,
        "cpu_seconds": cpu,
        "cpu_seconds_with_startup": last[2] - child.cpu_at_ready,
        "cpu_s_per_1000": ratio(cpu * 1000, last[1] - first[1]),
        "cpu_utilisation": ratio(cpu, busy),
        "sandbox_cpu_utilisation": ratio(last[3] - first[3], busy),
        "log": str(child.log_path),
    } | ({"offered_rate": offered} if feed is not None else {})
    say(
        f"   {label}: {report.figure(rate)} {unit}/s, peak RSS {peak:.0f} MB, "
        f"{result['cpu_s_per_1000']:.2f} CPU s/1k (busy {result['cpu_utilisation']:.0%}, "
        f"sandbox {result['sandbox_cpu_utilisation']:.0%})"
    )
    return result


def rounds(bare: str, pipeline: str) -> list[str]:
    """The order of a pair's runs: a broker still warming up, or a machine growing busier, weighs on
    both alike, and each keeps its better run (`best_of`)."""
    return [bare, pipeline, pipeline, bare]


def best_of(runs: list[Result], score: Callable[[Result], float], flaws: tuple[str, ...]) -> Result:
    """The run with the highest `score`, every run's score (`rounds`), and of each count in `flaws`
    the highest of any run: a flaw of one run is never hidden by the other."""
    best = max(runs, key=score)
    kept = best | {k: max(r[k] for r in runs) for k in flaws}
    kept["complete"] = all(r["complete"] for r in runs)
    kept["rounds"] = [score(r) for r in runs]
    return kept


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
