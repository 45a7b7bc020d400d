"""The benchmark's phases, in one run against one broker and one sandbox.

1. pre-load N requests on one topic (4 partitions);
2. throughput: the bare pipeline, then the adapter, each its own process and consumer group over
   the same topic; the transport comparison (aiohttp vs httpx) on a shorter topic;
3. fixed rate (half the adapter's measured maximum): the sandbox straight over HTTP, then the
   bare pipeline and the adapter fed live at that rate;
4. a pyinstrument profile of the adapter when a target is missed (or always, if asked);
5. the event bridge against a bare feed loop (`bench/bridge_run.py`).
"""

import asyncio
import contextlib
import dataclasses
import math
import os
import tempfile
import time
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import httpx
import orjson
from aiokafka import AIOKafkaProducer
from pyinstrument.session import Session

from devtools.devkeys import make_dev_keys
from devtools.embedded_broker import EmbeddedBroker, free_port
from adapter.kafka.topics import ensure_topics
from adapter.nav.tokens import MaskinportenConfig
from bench import children, procstat, report
from bench.bridge_run import BridgeOptions, run_bridge_phase
from bench.children import number, say
from bench.collect import ReplyCheck, ReplyCollector, adapter_reply_ok, baseline_reply_ok
from bench.config import PipelineConfig, Transport
from bench.direct import direct_latencies
from bench.machine import describe
from bench.pacing import paced
from bench.profile_summary import breakdown, render
from bench.workload import MIX, make_request, now_ms, preload
from nav_sandbox import SandboxConfig

Kind = Literal["baseline", "adapter"]
Result = dict[str, Any]

MODULES: dict[Kind, str] = {"baseline": "bench.baseline", "adapter": "bench.adapter_proc"}
CHECKS: dict[Kind, ReplyCheck] = {"baseline": baseline_reply_ok, "adapter": adapter_reply_ok}
TOKEN_LIFETIME = SandboxConfig().token_lifetime_seconds
REFRESH_MARGIN = float(
    next(f.default for f in dataclasses.fields(MaskinportenConfig) if f.name == "refresh_margin_seconds")  # type: ignore[arg-type]
)


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


@dataclass(frozen=True)
class Stack:
    bootstrap: str
    sandbox: children.Child
    sandbox_url: str
    key_id: str
    key_file: Path


@contextlib.asynccontextmanager
async def stack(logs: Path) -> AsyncIterator[Stack]:
    """Kafka (KAFKA_BOOTSTRAP_SERVERS, else the embedded broker) and the sandbox in its own process."""
    bootstrap = os.environ.get("KAFKA_BOOTSTRAP_SERVERS")
    broker = None if bootstrap else EmbeddedBroker().start()
    try:
        with tempfile.TemporaryDirectory(prefix="bench-keys-") as tmp:
            keys = make_dev_keys(Path(tmp))
            port = free_port()
            sandbox = await children.start(
                "sandbox", "bench.sandbox_proc", [str(port), str(keys.jwks_path)], logs / "sandbox.log"
            )
            try:
                url = sandbox.ready_line.split()[1]
                servers = bootstrap or (broker.bootstrap_servers if broker else "")
                yield Stack(servers, sandbox, url, keys.key_id, keys.private_key_path)
            finally:
                await sandbox.stop(10)
    finally:
        if broker is not None:
            broker.stop()


def token_check(before: dict[str, int], after: dict[str, int], seconds: float) -> Result:
    """Token fetches per scope in a phase, and whether that is one per scope per token lifetime.

    The cache renews a token `REFRESH_MARGIN` before it expires, so a phase of `seconds` should
    fetch each scope it uses exactly 1 + floor(seconds / (lifetime - margin)) times.
    """
    fetches = {s: n - before.get(s, 0) for s, n in after.items() if n - before.get(s, 0)}
    expected = 1 + math.floor(seconds / (TOKEN_LIFETIME - REFRESH_MARGIN))
    return {
        "fetches": fetches,
        "expected_per_scope": expected,
        "as_expected": bool(fetches) and all(n == expected for n in fetches.values()),
    }


class Bench:
    def __init__(self, opts: Options, stack: Stack, logs: Path) -> None:
        self.opts = opts
        self.stack = stack
        self.logs = logs
        self.run_id = uuid.uuid4().hex[:8]
        self.sent: dict[str, int] = {}

    def prefix(self, name: str) -> str:
        return f"bench-{self.run_id}.{name}.requests."

    def config(
        self, label: str, prefix: str, transport: Transport = "aiohttp", profile: str = "", variant: str = ""
    ) -> PipelineConfig:
        base = f"bench-{self.run_id}.{label}"
        return PipelineConfig(
            bootstrap=self.stack.bootstrap,
            sandbox_url=self.stack.sandbox_url,
            key_id=self.stack.key_id,
            key_file=str(self.stack.key_file),
            request_topic_prefix=prefix,
            reply_topic=f"{base}.replies",
            group=base,
            max_in_flight=self.opts.max_in_flight,
            audit_topic=f"{base}.audit",
            dead_letter_topic=f"{base}.dlq",
            transport=transport,
            log_level=self.opts.log_level,
            fetch_max_wait_ms=self.opts.fetch_max_wait_ms,
            profile_path=profile,
            variant=variant,
        )

    async def topics(self, *names: str) -> None:
        await ensure_topics(self.stack.bootstrap, list(names), partitions=self.opts.partitions)

    def _sandbox_cpu(self) -> float:
        return procstat.cpu_seconds(self.stack.sandbox.pid)

    async def sandbox_stats(self) -> dict[str, Any]:
        async with httpx.AsyncClient(base_url=self.stack.sandbox_url) as http:
            stats: dict[str, Any] = (await http.get("/_sandbox/stats")).json()
            return stats

    async def preload(self, name: str, n: int) -> str:
        prefix = self.prefix(name)
        topic = prefix + "dev"
        await self.topics(topic)
        start = time.monotonic()
        say(f"== pre-loading {n:,} requests on {topic} ({self.opts.partitions} partitions)")
        await preload(
            self.stack.bootstrap, topic, n, self.sent, lambda i: _every(start, f"  {i:,}/{n:,} produced")
        )
        say(f"   {n:,} requests in {time.monotonic() - start:.1f} s")
        return prefix

    async def throughput(
        self,
        kind: Kind,
        label: str,
        prefix: str,
        n: int,
        transport: Transport = "aiohttp",
        profile: str = "",
        variant: str = "",
    ) -> Result:
        cfg = self.config(label, prefix, transport, profile, variant)
        await self.topics(*cfg.settings().output_topics())
        say(
            f"== {label}: {kind}, {n:,} pre-loaded requests, {self.opts.max_in_flight} in flight, {transport}"
        )
        collector = ReplyCollector(self.stack.bootstrap, cfg.reply_topic, self.sent, CHECKS[kind])
        await collector.start()
        try:
            return await self._measure(kind, label, cfg, collector, n, max(120.0, n / 50))
        finally:
            await collector.stop()

    async def _measure(
        self,
        kind: Kind,
        label: str,
        cfg: PipelineConfig,
        collector: ReplyCollector,
        n: int,
        timeout: float,
        feed: Any = None,
    ) -> Result:
        before = await self.sandbox_stats()
        child = await children.start(label, MODULES[kind], [cfg.to_json()], self.logs / f"{label}.log")
        started = time.monotonic()

        tick = children.progress(label, child, collector, n, "replies")

        sending: asyncio.Task[Any] | None = None
        try:
            if feed is not None:
                sending = await feed(collector, tick)
            # CPU from the first reply on: start-up (imports, group join, token warm-up) not counted.
            await collector.wait_for(1, timeout, tick)
            first = (time.monotonic(), collector.count, procstat.cpu_seconds(child.pid), self._sandbox_cpu())
            complete = await collector.wait_for(n, timeout, tick)
            if sending is not None:
                await sending
            cpu_total = child.cpu_since_ready()
            cpu = procstat.cpu_seconds(child.pid) - first[2]
            busy = time.monotonic() - first[0]
            sandbox_cpu = self._sandbox_cpu() - first[3]
            peak = procstat.peak_rss_mb(child.pid)
            seconds = time.monotonic() - started
        finally:
            if sending is not None and not sending.done():
                sending.cancel()
            code = await child.stop()
        after = await self.sandbox_stats()
        if not complete:
            say(
                f"  {label}: only {collector.count:,}/{n:,} replies in {timeout:.0f} s; "
                f"log:\n{child.log_tail()}"
            )
        rate, steady = report.steady_rate(collector.reply_ts)
        result: Result = {
            "kind": kind,
            "transport": cfg.transport,
            "requests": n,
            "replies": collector.count,
            "failed_replies": collector.failed,
            "complete": complete,
            "exit_code": code,
            "lookups_per_s": rate,
            "steady_seconds": steady,
            "seconds_from_ready": seconds,
            "latency_ms": report.latency_summary(collector.latency_ms.values()),
            "peak_rss_mb": peak,
            "cpu_seconds": cpu,
            "cpu_seconds_with_startup": cpu_total,
            "cpu_s_per_1000": _ratio(cpu * 1000, collector.count - first[1]),
            "cpu_utilisation": cpu / busy if busy > 0 else math.nan,
            "sandbox_cpu_utilisation": sandbox_cpu / busy if busy > 0 else math.nan,
            "tokens": token_check(before["token_fetches"], after["token_fetches"], seconds),
            "log": str(child.log_path),
        }
        say(
            f"   {label}: {number(rate)} lookups/s, p50/p99 {result['latency_ms']['p50']:.0f}/"
            f"{result['latency_ms']['p99']:.0f} ms, peak RSS {peak:.0f} MB, "
            f"{result['cpu_s_per_1000']:.2f} CPU s/1k (busy {result['cpu_utilisation']:.0%}, sandbox "
            f"{result['sandbox_cpu_utilisation']:.0%}), {collector.failed} failed, "
            f"tokens {result['tokens']['fetches']}"
        )
        return result

    async def fixed(self, kind: Kind, rate: float, n: int, variant: str = "") -> Result:
        label = f"fixed-{kind}" + (f"-{variant}" if variant else "")
        prefix = self.prefix(label)
        cfg = self.config(label, prefix, variant=variant)
        await self.topics(cfg.request_topic, *cfg.settings().output_topics())
        say(f"== {label}: {kind} fed {n:,} requests at {rate:.0f}/s")
        collector = ReplyCollector(self.stack.bootstrap, cfg.reply_topic, self.sent, CHECKS[kind])
        await collector.start()
        producer = AIOKafkaProducer(bootstrap_servers=self.stack.bootstrap, acks="all", linger_ms=0)
        await producer.start()
        warmup = 5 * len(MIX)
        offered: list[float] = []

        async def send(i: int) -> None:
            request = make_request(i)
            ts = now_ms()
            self.sent[request["request_id"]] = ts
            await producer.send(
                cfg.request_topic, orjson.dumps(request), key=request["request_id"].encode(), timestamp_ms=ts
            )

        async def offer() -> None:
            offered.append(await paced(rate, n, send))

        async def feed(collector: ReplyCollector, tick: Any) -> asyncio.Task[None]:
            for i in range(warmup):  # joins the group, fetches the tokens, opens connections
                await send(i)
            if not await collector.wait_for(warmup, 120, tick):
                raise RuntimeError(f"{label}: no replies to the warm-up requests")
            collector.latency_ms.clear()
            collector.reply_ts.clear()
            collector.failed = 0
            return asyncio.create_task(offer())

        try:
            result = await self._measure(kind, label, cfg, collector, n, 120.0 + n / rate, feed)
        finally:
            await producer.stop()
            await collector.stop()
        result["offered_rate"] = offered[0] if offered else math.nan
        return result

    async def direct(self, rate: float, n: int) -> Result:
        say(f"== sandbox straight over HTTP: {n:,} GETs at {rate:.0f}/s")
        settings = self.config("direct", self.prefix("direct")).settings()
        sandbox_cpu = procstat.cpu_seconds(self.stack.sandbox.pid)
        latencies, failures, offered = await direct_latencies(settings, rate, n)
        result: Result = {
            "kind": "direct",
            "requests": n,
            "failed": failures,
            "offered_rate": offered,
            "latency_ms": report.latency_summary(latencies),
            "sandbox_cpu_seconds": procstat.cpu_seconds(self.stack.sandbox.pid) - sandbox_cpu,
        }
        lat = result["latency_ms"]
        say(
            f"   direct: p50/p95/p99 {lat['p50']:.1f}/{lat['p95']:.1f}/{lat['p99']:.1f} ms, {failures} failed"
        )
        return result


_last_say = [0.0]


def _every(start: float, text: str, seconds: float = 3.0) -> None:
    now = time.monotonic()
    if now - max(start, _last_say[0]) >= seconds:
        _last_say[0] = now
        say(text)


def _ratio(a: float, b: float) -> float:
    return a / b if b else math.nan


async def run(opts: Options) -> Result:
    results: Result = {
        "machine": describe(),
        "options": {k: str(v) if isinstance(v, Path) else v for k, v in dataclasses.asdict(opts).items()},
        "started": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
    }
    logs = opts.output.parent / "logs"
    async with stack(logs) as st:
        bench = Bench(opts, st, logs)
        say(f"Kafka {st.bootstrap}, sandbox {st.sandbox_url}, run {bench.run_id}, logs in {logs}")
        if opts.mode == "bridge":
            return await _bridge(opts, bench, results)
        adapter_rate = opts.rate * 2 if opts.rate else math.nan
        short = ""
        if opts.mode in ("all", "throughput"):
            main = await bench.preload("main", opts.requests)
            tp: Result = {}
            tp["baseline"] = await bench.throughput("baseline", "baseline", main, opts.requests)
            tp["adapter"] = await bench.throughput("adapter", "adapter", main, opts.requests)
            b, a = tp["baseline"], tp["adapter"]
            tp["ratio"] = {
                key: _ratio(a[key], b[key]) for key in ("lookups_per_s", "peak_rss_mb", "cpu_s_per_1000")
            }
            for variant in opts.what_if:
                tp[f"what-if {variant}"] = await bench.throughput(
                    "adapter", f"adapter-{variant}", main, opts.requests, variant=variant
                )
                tp[f"what-if {variant}"]["variant"] = variant
            results["throughput"] = tp
            adapter_rate = a["lookups_per_s"]
            if opts.transport_requests:
                short = await bench.preload("short", opts.transport_requests)
                results["transport"] = {
                    t: await bench.throughput("adapter", f"adapter-{t}", short, opts.transport_requests, t)
                    for t in ("aiohttp", "httpx")
                }
        if opts.mode in ("all", "fixed-rate"):
            if math.isnan(adapter_rate):
                short = short or await bench.preload("short", opts.transport_requests or 5_000)
                probe = await bench.throughput(
                    "adapter", "adapter-probe", short, opts.transport_requests or 5_000
                )
                adapter_rate = probe["lookups_per_s"]
            rate = opts.rate or adapter_rate / 2
            n = max(1, round(rate * opts.fixed_seconds))
            fixed: Result = {"rate": rate, "seconds": opts.fixed_seconds}
            fixed["direct"] = await bench.direct(rate, n)
            runs: list[tuple[str, Kind, str]] = [("baseline", "baseline", ""), ("adapter", "adapter", "")]
            runs += [(f"what-if {v}", "adapter", v) for v in opts.what_if]
            for key, kind, variant in runs:
                fixed[key] = await bench.fixed(kind, rate, n, variant)
                for q in ("p50", "p99"):
                    added = fixed[key]["latency_ms"][q] - fixed["direct"]["latency_ms"][q]
                    fixed[f"{key}_added_{q}_ms"] = added
            results["fixed_rate"] = fixed
        results["targets"] = report.targets(results)
        missed = any(not t["met"] for t in results["targets"].values())
        if opts.profile == "always" or (opts.profile == "auto" and missed):
            short = short or await bench.preload("short", opts.transport_requests or 5_000)
            path = (opts.output.parent / "adapter-profile.txt").resolve()
            n = opts.transport_requests or 5_000
            profiled = await bench.throughput("adapter", "adapter-profiled", short, n, profile=str(path))
            results["profile"] = {
                "path": str(path),
                "html": str(path.with_suffix(".html")),
                "lookups_per_s_under_profiler": profiled["lookups_per_s"],
            }
            session = path.with_suffix(".pyisession")
            if session.exists():
                rows = breakdown(Session.load(str(session)))
                results["profile"]["breakdown"] = [
                    {"component": name, "seconds": round(s, 3), "share": round(share, 3)}
                    for name, s, share in rows
                ]
                say(render(rows))
            say(f"== profile of the adapter: {path} (tree, flat), .html, .pyisession")
        if opts.mode == "all":
            await _bridge(opts, bench, results)
    return results


async def _bridge(opts: Options, bench: Bench, results: Result) -> Result:
    """The bridge phase, after the lookups' (its profile is its own, whatever their targets)."""
    bridge_opts = BridgeOptions(
        events=opts.bridge_events,
        log_level=opts.log_level,
        profile=opts.profile,
        profile_path=opts.output.parent / "bridge-profile.txt",
        what_if=opts.bridge_what_if,
    )
    results["bridge"] = await run_bridge_phase(bench.stack, bench.logs, bench.run_id, bridge_opts)
    results["targets"] = report.targets(results)
    return results


def write(results: Result, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(orjson.dumps(results, option=orjson.OPT_INDENT_2 | orjson.OPT_SERIALIZE_NUMPY))
