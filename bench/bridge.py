"""The bridge phase: the sandbox's feed pre-loaded with N events, then the bare feed loop and the
real bridge (checkpoints, lease), each its own process and output topic from the feed's first
number. The driver reads each topic until every number is there and counts the missing, duplicated
and out-of-order ones. Each pipeline runs twice (bare, bridge, bridge, bare) and keeps its faster
run; the bridge is profiled when its target is missed.
"""

from collections.abc import Callable

import httpx
from aiokafka import ConsumerRecord

from adapter.kafka.topics import ensure_topics
from adapter.settings import KafkaSettings
from bench import report
from bench.config import BRIDGE_FEED, BridgeConfig
from bench.harness import (
    Options,
    Result,
    Stack,
    TopicReader,
    best_of,
    measure,
    profile_summary,
    ratios,
    rounds,
    say,
)
from nav_lookup_contracts import headers as h

SequenceOf = Callable[[ConsumerRecord[bytes, bytes]], int | None]


def bare_sequence(record: ConsumerRecord[bytes, bytes]) -> int | None:
    """The bare loop keys each item by its number."""
    return int(record.key) if record.key else None


def bridged_sequence(record: ConsumerRecord[bytes, bytes]) -> int | None:
    """The bridge names the number in a header; gap records (none here) are not events."""
    headers = dict(record.headers)
    return int(headers[h.NAV_SEQUENCE]) if headers.get(h.NAV_RECORD) == b"event" else None


class EventReader(TopicReader):
    """`count` is the distinct numbers seen; `timestamps` holds every event record's."""

    unit = "events"

    def __init__(self, kafka: KafkaSettings, topic: str, sequence_of: SequenceOf) -> None:
        super().__init__(kafka, topic)
        self._sequence_of, self._last = sequence_of, dict[int, int]()
        self.records, self.sequences = 0, set[int]()
        self.out_of_order = 0
        """Records whose number is not above the one before them in their partition."""

    @property
    def count(self) -> int:
        return len(self.sequences)

    def take(self, record: ConsumerRecord[bytes, bytes]) -> None:
        if (sequence := self._sequence_of(record)) is None:
            return
        self.records += 1
        self.sequences.add(sequence)
        self.timestamps.append(record.timestamp)
        self.out_of_order += sequence <= self._last.get(record.partition, -1)
        self._last[record.partition] = sequence

    def missing(self, first: int, last: int) -> int:
        return sum(1 for s in range(first, last + 1) if s not in self.sequences)


async def run(
    stack: Stack, opts: Options, kind: str, label: str, events: int, profile_path: str = ""
) -> Result:
    topic = f"bench-{stack.run_id}.{label}.events"
    cfg = stack.config(
        BridgeConfig, topic=topic, events=events, log_level=opts.log_level, profile_path=profile_path
    )
    await ensure_topics(stack.kafka, [topic], partitions=cfg.partitions)
    say(f"== {label}: {kind}, {events:,} events from the feed onto {topic}")
    reader = EventReader(stack.kafka, topic, bare_sequence if kind == "bare-feed" else bridged_sequence)
    result = await measure(stack, kind, label, cfg, reader, events, max(120.0, events / 50))
    first = cfg.table.first_sequence
    missing, duplicated = reader.missing(first, first + events - 1), reader.records - reader.count
    result |= {"kind": "bare" if kind == "bare-feed" else kind, "feed": cfg.feed, "page_size": cfg.page_size}
    result |= {
        "events": events,
        "records": reader.records,
        "distinct": reader.count,
        "missing": missing,
        "duplicated": duplicated,
        "out_of_order": reader.out_of_order,
    }
    say(f"   {missing} missing, {duplicated} duplicated, {reader.out_of_order} out of order")
    return result


def faster_of(runs: list[Result]) -> Result:
    """The faster run's figures, with the most missing, duplicated and out-of-order events of any."""
    return best_of(runs, lambda r: float(r["events_per_s"]), ("missing", "duplicated", "out_of_order"))


async def run_bridge_phase(stack: Stack, opts: Options) -> Result:
    """The feed holds a few events to begin with: topped up to `bridge_events`, both runs read them all."""
    url = f"/_sandbox/feeds/{BRIDGE_FEED}/events"
    async with httpx.AsyncClient(base_url=stack.where.sandbox_url, timeout=120) as http:
        events: int = (await http.post(url, json={"count": 0})).raise_for_status().json()["count"]
        if (more := opts.bridge_events - events) > 0:
            events = (await http.post(url, json={"count": more})).raise_for_status().json()["count"]
    say(f"== the sandbox's {BRIDGE_FEED} feed holds {events:,} events")
    out: Result = {"feed": BRIDGE_FEED, "events": events}
    runs: dict[str, list[Result]] = {"bare-feed": [], "bridge": []}
    for i, kind in enumerate(rounds("bare-feed", "bridge"), start=1):
        runs[kind].append(await run(stack, opts, kind, f"{kind}-{i}", events))
    for key, kind in (("bare", "bare-feed"), ("bridge", "bridge")):
        out[key] = faster_of(runs[kind])
    out["ratio"] = ratios(out["bridge"], out["bare"], "events_per_s")
    if opts.profiled(missed=not report.bridge_target(out)["met"]):
        path = (opts.output.parent / f"bridge-profile-{stack.broker}.txt").resolve()
        profiled = await run(stack, opts, "bridge", "bridge-profiled", events, profile_path=str(path))
        out["profile"] = profile_summary(path, "bridge", profiled)
    return out
