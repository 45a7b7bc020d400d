"""The bridge phase: a sandbox feed onto Kafka, the bare loop against the real bridge.

1. pre-load the sandbox's feed with N events;
2. the bare loop (`bench.bridge_baseline`), then the bridge (`bench.bridge_proc`), each its own
   process and output topic, both from the feed's first number; the driver reads each topic
   until every number is there, and checks that each is there once and in order;
3. the bridge again with each experiment asked for (`bench/bridge_proc.py`'s VARIANTS);
4. a pyinstrument profile of the bridge when the target is missed (or always, if asked).

events/s counts from the first record's publish time to the last (start-up, token fetch and the
lease's group join excluded); CPU is the process's from the first record seen on.
"""

import math
import time
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

import httpx
from pyinstrument.session import Session

from adapter.kafka.topics import ensure_topics
from bench import children, procstat, report
from bench.bridge_collect import EventCollector, SequenceOf, bare_sequence, bridged_sequence
from bench.bridge_config import BRIDGE_FEED, BridgeBenchConfig
from bench.children import number, say
from bench.profile_summary import BRIDGE_CATEGORIES, breakdown, render

if TYPE_CHECKING:
    from bench.run import Stack

BridgeKind = Literal["bare", "bridge"]
Result = dict[str, Any]

MODULES: dict[BridgeKind, str] = {"bare": "bench.bridge_baseline", "bridge": "bench.bridge_proc"}
SEQUENCES: dict[BridgeKind, SequenceOf] = {"bare": bare_sequence, "bridge": bridged_sequence}
PARTITIONS = 4


@dataclass(frozen=True)
class BridgeOptions:
    events: int = 20_000
    log_level: str = "INFO"
    profile: Literal["auto", "always", "never"] = "auto"
    profile_path: Path = Path("bench-results/bridge-profile.txt")
    what_if: tuple[str, ...] = ()


def _ratio(a: float, b: float) -> float:
    return a / b if b else math.nan


class BridgeBench:
    def __init__(self, stack: "Stack", logs: Path, run_id: str, opts: BridgeOptions) -> None:
        self.stack = stack
        self.logs = logs
        self.run_id = run_id
        self.opts = opts

    def config(self, label: str, events: int, profile: str = "", variant: str = "") -> BridgeBenchConfig:
        return BridgeBenchConfig(
            bootstrap=self.stack.bootstrap,
            sandbox_url=self.stack.sandbox_url,
            key_id=self.stack.key_id,
            key_file=str(self.stack.key_file),
            topic=f"bench-{self.run_id}.{label.replace('+', '.')}.events",  # "+" joins variants
            events=events,
            partitions=PARTITIONS,
            log_level=self.opts.log_level,
            profile_path=profile,
            variant=variant,
        )

    async def preload(self, n: int) -> int:
        """At least `n` events on the feed (it starts with a few); returns how many it holds."""
        url = f"/_sandbox/feeds/{BRIDGE_FEED}/events"
        async with httpx.AsyncClient(base_url=self.stack.sandbox_url, timeout=120) as http:
            held: int = (await http.post(url, json={"count": 0})).raise_for_status().json()["count"]
            if held < n:
                held = (await http.post(url, json={"count": n - held})).raise_for_status().json()["count"]
        say(f"== the sandbox's {BRIDGE_FEED} feed holds {held:,} events")
        return held

    async def measure(
        self, kind: BridgeKind, label: str, events: int, profile: str = "", variant: str = ""
    ) -> Result:
        cfg = self.config(label, events, profile, variant)
        await ensure_topics(self.stack.bootstrap, [cfg.topic], partitions=PARTITIONS)
        say(f"== {label}: {kind}, {events:,} events from the feed onto {cfg.topic}")
        collector = EventCollector(self.stack.bootstrap, cfg.topic, SEQUENCES[kind])
        await collector.start()
        try:
            return await self._measure(kind, label, cfg, collector, max(120.0, events / 50))
        finally:
            await collector.stop()

    async def _measure(
        self, kind: BridgeKind, label: str, cfg: BridgeBenchConfig, collector: EventCollector, timeout: float
    ) -> Result:
        n = cfg.events
        sandbox_pid = self.stack.sandbox.pid
        child = await children.start(label, MODULES[kind], [cfg.to_json()], self.logs / f"{label}.log")
        started = time.monotonic()

        tick = children.progress(label, child, collector, n, "events")

        try:
            # CPU from the first record on: start-up (imports, token, lease) is not counted.
            await collector.wait_for(1, timeout, tick)
            first = (
                time.monotonic(),
                collector.count,
                procstat.cpu_seconds(child.pid),
                procstat.cpu_seconds(sandbox_pid),
            )
            complete = await collector.wait_for(n, timeout, tick)
            cpu = procstat.cpu_seconds(child.pid) - first[2]
            busy = time.monotonic() - first[0]
            sandbox_cpu = procstat.cpu_seconds(sandbox_pid) - first[3]
            peak = procstat.peak_rss_mb(child.pid)
            seconds = time.monotonic() - started
        finally:
            code = await child.stop()
        if not complete:
            tail = child.log_tail()
            say(f"  {label}: only {collector.count:,}/{n:,} events in {timeout:.0f} s; log:\n{tail}")
        rate, steady = report.steady_rate(collector.reply_ts)
        first_sequence = cfg.table.first_sequence
        result: Result = {
            "kind": kind,
            "variant": cfg.variant,
            "feed": cfg.feed,
            "page_size": cfg.page_size,
            "events": n,
            "records": collector.records,
            "distinct": collector.count,
            "missing": collector.missing(first_sequence, first_sequence + n - 1),
            "duplicated": collector.records - collector.count,
            "out_of_order": collector.out_of_order,
            "complete": complete,
            "exit_code": code,
            "events_per_s": rate,
            "steady_seconds": steady,
            "seconds_from_ready": seconds,
            "peak_rss_mb": peak,
            "cpu_seconds": cpu,
            "cpu_s_per_1000": _ratio(cpu * 1000, collector.count - first[1]),
            "cpu_utilisation": _ratio(cpu, busy),
            "sandbox_cpu_utilisation": _ratio(sandbox_cpu, busy),
            "log": str(child.log_path),
        }
        say(
            f"   {label}: {number(rate)} events/s, peak RSS {peak:.0f} MB, "
            f"{result['cpu_s_per_1000']:.2f} CPU s/1k (busy {result['cpu_utilisation']:.0%}, sandbox "
            f"{result['sandbox_cpu_utilisation']:.0%}); {result['missing']} missing, "
            f"{result['duplicated']} duplicated, {result['out_of_order']} out of order"
        )
        return result

    async def profile(self, events: int) -> Result:
        path = self.opts.profile_path.resolve()
        profiled = await self.measure("bridge", "bridge-profiled", events, profile=str(path))
        out: Result = {
            "path": str(path),
            "html": str(path.with_suffix(".html")),
            "events_per_s_under_profiler": profiled["events_per_s"],
        }
        session = path.with_suffix(".pyisession")
        if session.exists():
            rows = breakdown(Session.load(str(session)), BRIDGE_CATEGORIES)
            out["breakdown"] = [
                {"component": name, "seconds": round(s, 3), "share": round(share, 3)}
                for name, s, share in rows
            ]
            say(render(rows))
        say(f"== profile of the bridge: {path} (tree, flat), .html, .pyisession")
        return out


async def run_bridge_phase(stack: "Stack", logs: Path, run_id: str, opts: BridgeOptions) -> Result:
    bench = BridgeBench(stack, logs, run_id, opts)
    events = await bench.preload(opts.events)
    out: Result = {"feed": BRIDGE_FEED, "events": events}
    out["bare"] = await bench.measure("bare", "bridge-bare", events)
    out["bridge"] = await bench.measure("bridge", "bridge", events)
    b, a = out["bare"], out["bridge"]
    out["ratio"] = {key: _ratio(a[key], b[key]) for key in ("events_per_s", "peak_rss_mb", "cpu_s_per_1000")}
    for variant in opts.what_if:
        label = f"bridge-{variant}"
        out[f"what-if {variant}"] = await bench.measure("bridge", label, events, variant=variant)
    missed = not report.bridge_target(out)["met"]
    if opts.profile == "always" or (opts.profile == "auto" and missed):
        out["profile"] = await bench.profile(events)
    return out
