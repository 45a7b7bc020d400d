"""The lookups phase: the adapter against the bare pipeline, each its own process and consumer group.

Throughput over N pre-loaded requests (the bare pipeline and the adapter, twice each in the order
bare, adapter, adapter, bare, each keeping its better run), the transport comparison on a shorter
topic; then at a fixed rate (100/s) the sandbox straight over HTTP, the bare pipeline and the
adapter fed live, open loop (in the same order, each keeping its lower p99); both again over the
shorter topic with the sandbox answering every call late (slow NAV; the higher rate kept); a
profile of the adapter when a target is missed. Latency is the reply's record timestamp minus the
request's: both CreateTime on this machine's clock.
"""

import asyncio
import contextlib
import inspect
import math
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from typing import Any

import aiohttp
import httpx
import orjson
from aiokafka import AIOKafkaProducer, ConsumerRecord

from adapter.kafka.producer import open_producer
from adapter.kafka.topics import ensure_topics
from adapter.nav.tokens import MaskinportenConfig
from adapter.settings import KafkaSettings
from bench import harness, report
from bench.baselines import HTTP_STATUS_HEADER, fetch_tokens, upstream_from
from bench.config import MIX, SCOPES, LookupsConfig, Transport, make_request
from bench.harness import Options, Result, Stack, Tick, TopicReader, measure, say
from devtools.dev import DEV_CALLER
from nav_lookup_contracts import headers as h
from nav_lookup_contracts.operations import OPERATIONS_BY_NAME
from nav_sandbox import SandboxConfig

TOKEN_LIFETIME = SandboxConfig().token_lifetime_seconds
REFRESH_MARGIN: float = inspect.signature(MaskinportenConfig).parameters["refresh_margin_seconds"].default
OK: dict[str, Callable[[ConsumerRecord[bytes, bytes]], bool]] = {
    "adapter": lambda record: record.value is not None and b'"status":"ok"' in record.value,
    "baseline": lambda record: dict(record.headers).get(HTTP_STATUS_HEADER) == b"200",
}


def token_check(before: dict[str, int], after: dict[str, int], seconds: float) -> Result:
    """Token fetches per scope in a run, and whether that is one per scope per token lifetime:
    renewed `REFRESH_MARGIN` before expiry, 1 + floor(seconds / (lifetime - margin)) each."""
    fetches = {s: n - before.get(s, 0) for s, n in after.items() if n - before.get(s, 0)}
    expected = 1 + math.floor(seconds / (TOKEN_LIFETIME - REFRESH_MARGIN))
    ok = bool(fetches) and all(n == expected for n in fetches.values())
    return {"fetches": fetches, "expected_per_scope": expected, "as_expected": ok}


class ReplyReader(TopicReader):
    """One latency per request this driver sent; the first reply to a request counts."""

    unit = "lookups"

    def __init__(self, kafka: KafkaSettings, topic: str, sent: Mapping[str, int], kind: str) -> None:
        super().__init__(kafka, topic)
        self._sent, self._ok = sent, OK[kind]
        self.latency_ms: dict[str, int] = {}
        self.failed = 0

    @property
    def count(self) -> int:
        return len(self.latency_ms)

    def take(self, record: ConsumerRecord[bytes, bytes]) -> None:
        cid = dict(record.headers).get(h.CORRELATION_ID, b"").decode()
        # Else not a request of this run's, or a redelivered duplicate.
        if (sent := self._sent.get(cid)) is not None and cid not in self.latency_ms:
            self.latency_ms[cid] = record.timestamp - sent
            self.timestamps.append(record.timestamp)
            self.failed += not self._ok(record)


async def paced(rate: float, n: int, fire: Callable[[int], Awaitable[object]]) -> float:
    """Open loop: `fire(i)` at `t0 + i / rate`, answered or not; returns the rate actually offered."""
    loop = asyncio.get_running_loop()
    t0, i = loop.time(), 0
    while i < n:
        due = min(n, int((loop.time() - t0) * rate) + 1)
        while i < due:
            await fire(i)
            i += 1
        await asyncio.sleep(max(0.0, t0 + i / rate - loop.time()))
    elapsed = loop.time() - t0
    return n / elapsed if elapsed > 0 else math.nan


class Lookups:
    def __init__(self, stack: Stack, opts: Options) -> None:
        self.stack, self.opts = stack, opts
        self.sent: dict[str, int] = {}
        """request_id -> the request record's timestamp (ms), for every request produced."""

    async def send(self, producer: AIOKafkaProducer, topic: str, i: int) -> "asyncio.Future[Any]":
        request = make_request(i)
        self.sent[request["request_id"]] = ts = int(time.time() * 1000)
        value, key = orjson.dumps(request), request["request_id"].encode()
        sending: asyncio.Future[Any] = await producer.send(topic, value, key=key, timestamp_ms=ts)
        return sending

    async def preload(self, name: str, n: int) -> str:
        """`n` requests on a topic of their own; returns its prefix, for every run that reads it."""
        prefix = f"bench-{self.stack.run_id}.{name}.requests."
        await ensure_topics(self.stack.kafka, [topic := prefix + DEV_CALLER], partitions=self.opts.partitions)
        say(f"== pre-loading {n:,} requests on {topic} ({self.opts.partitions} partitions)")
        start = time.monotonic()
        async with open_producer(self.stack.kafka, linger_ms=20, max_batch_size=256 * 1024) as producer:
            for first in range(0, n, 2000):
                await asyncio.gather(
                    *[await self.send(producer, topic, i) for i in range(first, min(n, first + 2000))]
                )
        say(f"   {n:,} requests in {time.monotonic() - start:.1f} s")
        return prefix

    async def run(
        self,
        kind: str,
        label: str,
        n: int,
        prefix: str = "",
        rate: float = 0.0,
        transport: Transport = "aiohttp",
        profile_path: str = "",
    ) -> Result:
        """One measured run: over the requests pre-loaded at `prefix`, or fed `n` live at `rate`."""
        base, o = f"bench-{self.stack.run_id}.{label}", self.opts
        cfg = self.stack.config(
            LookupsConfig,
            request_topic_prefix=prefix or f"{base}.requests.",
            reply_topic_template=f"{base}.replies.{{caller}}",
            group=base,
            max_in_flight=o.max_in_flight,
            transport=transport,
            fetch_max_wait_ms=o.fetch_max_wait_ms,
            log_level=o.log_level,
            profile_path=profile_path,
        )
        topics = [cfg.request_topic, *cfg.settings().lookups.output_topics()]
        await ensure_topics(self.stack.kafka, topics, partitions=o.partitions)
        how = f"fed {n:,} requests at {rate:.0f}/s" if rate else f"{n:,} pre-loaded requests"
        say(f"== {label}: {kind}, {how}, {o.max_in_flight} in flight, {transport}")
        reader = ReplyReader(self.stack.kafka, cfg.reply_topic, self.sent, kind)

        async def feed(tick: Tick) -> "asyncio.Task[float]":
            warmup = 5 * len(MIX)  # joins the group, fetches the tokens, opens connections: not measured
            for i in range(warmup):
                await self.send(producer, cfg.request_topic, i)
            if not await reader.wait_for(warmup, 120, tick):
                raise RuntimeError(f"{label}: no replies to the warm-up requests")
            reader.latency_ms.clear()
            reader.timestamps.clear()
            reader.failed = 0
            return asyncio.create_task(paced(rate, n, lambda i: self.send(producer, cfg.request_topic, i)))

        before = await self.stack.token_fetches()
        timeout = 120.0 + n / rate if rate else max(120.0, n / 50)
        async with open_producer(self.stack.kafka, linger_ms=0) as producer:  # what `feed` sends with
            result = await measure(self.stack, kind, label, cfg, reader, n, timeout, feed if rate else None)
        tokens = token_check(before, await self.stack.token_fetches(), result["seconds_from_ready"])
        latency = report.latency_summary(reader.latency_ms.values())
        result |= {"transport": transport, "requests": n, "replies": reader.count}
        result |= {"failed_replies": reader.failed, "latency_ms": latency, "tokens": tokens}
        p50, p99 = latency["p50"], latency["p99"]
        say(f"   p50/p99 {p50:.0f}/{p99:.0f} ms, {reader.failed} failed, tokens {tokens['fetches']}")
        return result

    async def pair(self, label: str, n: int, prefix: str = "", rate: float = 0.0) -> dict[str, Result]:
        """The bare pipeline and the adapter, in `harness.rounds` order, each keeping its better run:
        pre-loaded, the higher rate; fed at `rate`, the lower p99."""
        runs: dict[str, list[Result]] = {"baseline": [], "adapter": []}
        for i, kind in enumerate(harness.rounds("baseline", "adapter"), start=1):
            runs[kind].append(await self.run(kind, f"{label}{kind}-{i}", n, prefix, rate))

        def score(r: Result) -> float:
            return -float(r["latency_ms"]["p99"]) if rate else float(r["lookups_per_s"])

        kept = {kind: harness.best_of(each, score, ("failed_replies",)) for kind, each in runs.items()}
        for kind, each in runs.items():
            kept[kind]["tokens"] = kept[kind]["tokens"] | {
                "as_expected": all(r["tokens"]["as_expected"] for r in each)
            }
        return kept

    async def direct(self, rate: float, n: int, warmup: int = 20) -> Result:
        """The sandbox's own response time (GETs at `rate`, as the bare pipeline sends them), for
        what the pipelines add to it."""
        say(f"== sandbox straight over HTTP: {n:,} GETs at {rate:.0f}/s")
        nav = self.stack.where.dev().nav
        answers: list[asyncio.Task[tuple[float, bool]]] = []
        connector = aiohttp.TCPConnector(limit=nav.nav_max_connections)
        async with aiohttp.ClientSession(connector=connector) as http:
            upstream = upstream_from(nav)
            upstream.tokens.update(await fetch_tokens(http, nav, SCOPES))

            async def one(i: int) -> tuple[float, bool]:
                body = make_request(i)
                url, query, headers = upstream.request(OPERATIONS_BY_NAME[body["operation"]], body)
                start = time.perf_counter()
                async with http.get(url, params=query, headers=headers) as response:
                    await response.read()
                return (time.perf_counter() - start) * 1000, response.status == 200

            async def fire(i: int) -> None:
                answers.append(asyncio.create_task(one(i)))

            await asyncio.gather(*(one(i) for i in range(warmup)))
            offered = await paced(rate, n, fire)
            timings = await asyncio.gather(*answers)
        lat, failures = report.latency_summary(ms for ms, _ in timings), sum(not ok for _, ok in timings)
        say(
            f"   direct: p50/p95/p99 {lat['p50']:.1f}/{lat['p95']:.1f}/{lat['p99']:.1f} ms, {failures} failed"
        )
        return {
            "kind": "direct",
            "requests": n,
            "failed": failures,
            "offered_rate": offered,
            "latency_ms": lat,
        }


@contextlib.asynccontextmanager
async def slow_nav(stack: Stack, latency_ms: int) -> AsyncIterator[None]:
    """The sandbox answering every NAV call `latency_ms` late (its latency fault; tokens not delayed)."""
    async with httpx.AsyncClient(base_url=stack.where.sandbox_url) as http:
        (await http.post("/_sandbox/faults", json={"latency_ms": latency_ms})).raise_for_status()
        try:
            yield
        finally:
            (await http.delete("/_sandbox/faults")).raise_for_status()


async def run_lookups_phase(
    stack: Stack, opts: Options, results: Result, compare_transports: bool = True
) -> None:
    """Adds `throughput`, `transport` (if `compare_transports`), `fixed_rate`, `slow_nav` and `profile` to
    `results`, as `opts.mode` asks."""
    bench, short, n = Lookups(stack, opts), "", opts.requests
    adapter_rate, short_n = math.nan, opts.transport_requests or 5_000
    if opts.mode in ("all", "throughput"):
        main = await bench.preload("main", n)
        tp: Result = await bench.pair("", n, main)
        tp["ratio"] = harness.ratios(tp["adapter"], tp["baseline"], "lookups_per_s")
        results["throughput"], adapter_rate = tp, tp["adapter"]["lookups_per_s"]
        if opts.transport_requests and compare_transports:
            short = await bench.preload("short", short_n)
            transports: tuple[Transport, ...] = ("aiohttp", "httpx")
            results["transport"] = {
                t: await bench.run("adapter", f"adapter-{t}", short_n, short, transport=t) for t in transports
            }
    if opts.mode in ("all", "fixed-rate"):
        if not opts.rate and math.isnan(adapter_rate):  # half the maximum: a short run tells it
            short = short or await bench.preload("short", short_n)
            adapter_rate = (await bench.run("adapter", "adapter-probe", short_n, short))["lookups_per_s"]
        rate = opts.rate or adapter_rate / 2
        n = max(1, round(rate * opts.fixed_seconds))
        fixed: Result = {"rate": rate, "seconds": opts.fixed_seconds, "direct": await bench.direct(rate, n)}
        fixed |= await bench.pair("fixed-", n, rate=rate)
        for kind in ("baseline", "adapter"):
            run = fixed[kind]
            for q in ("p50", "p99"):
                fixed[f"{kind}_added_{q}_ms"] = run["latency_ms"][q] - fixed["direct"]["latency_ms"][q]
        results["fixed_rate"] = fixed
    if opts.mode in ("all", "slow-nav"):
        short = short or await bench.preload("short", short_n)
        say(f"== the sandbox answers every NAV call {opts.slow_nav_ms} ms late")
        async with slow_nav(stack, opts.slow_nav_ms):
            # The bare pipeline alongside: what the machine, the broker and the sandbox allow.
            late_pair = await bench.pair("slow-nav-", short_n, short)
        late = {"nav_latency_ms": opts.slow_nav_ms, "max_in_flight": opts.max_in_flight}
        results["slow_nav"] = late_pair["adapter"] | late | {"baseline": late_pair["baseline"]}
    if opts.profiled(missed=report.missed(report.targets(results))):
        short = short or await bench.preload("short", short_n)
        path = (opts.output.parent / f"adapter-profile-{stack.broker}.txt").resolve()
        profiled = await bench.run("adapter", "adapter-profiled", short_n, short, profile_path=str(path))
        results["profile"] = harness.profile_summary(path, "adapter", profiled)
