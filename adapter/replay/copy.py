"""Copying a range of a topic, record by record, to the topic a transform names.

The range is fixed when the copy starts (by offset or by time, per partition; by default up to
the end as it is then), so a copy into the topic it reads from still ends. Records keep their
key, value and headers, in partition order; the transform adds the `replayed` mark. A dry run
reads and counts the same way and writes nothing.
"""

import asyncio
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime

from aiokafka import AIOKafkaConsumer, TopicPartition

from adapter.kafka import clients
from adapter.kafka.offsets import exact_end_offsets, range_reader
from adapter.kafka.records import Incoming, Outgoing
from adapter.kafka.topics import partitions_of
from adapter.replay.select import Range, Selection
from adapter.settings import KafkaSettings


@dataclass
class Report:
    total: int = 0
    """Records in the range."""
    scanned: int = 0
    matched: int = 0
    written: Counter[str] = field(default_factory=Counter)
    """Records written (or, in a dry run, that would be), by target topic."""
    no_target: int = 0


Transform = Callable[[Incoming], Outgoing | None]


async def _offsets_at(
    consumer: AIOKafkaConsumer, partitions: list[TopicPartition], at: datetime
) -> dict[TopicPartition, int | None]:
    found = await consumer.offsets_for_times({tp: int(at.timestamp() * 1000) for tp in partitions})
    # None (or, from some brokers, a timestamp of -1) means no record at or after that time.
    return {tp: (None if o is None or o.timestamp < 0 else o.offset) for tp, o in found.items()}


async def _bounds(
    kafka: KafkaSettings, consumer: AIOKafkaConsumer, source: str, span: Range
) -> dict[TopicPartition, tuple[int, int]]:
    known = await partitions_of(consumer, source)
    if not known:
        raise ValueError(f"topic {source} does not exist")
    partitions = [tp for tp in known if span.partitions is None or tp.partition in span.partitions]
    consumer.assign(partitions)
    begins = await consumer.beginning_offsets(partitions)
    ends = await exact_end_offsets(kafka, consumer, partitions)
    starts = {tp: begins[tp] for tp in partitions}
    stops = {tp: ends[tp] for tp in partitions}
    if span.from_time is not None:
        for tp, offset in (await _offsets_at(consumer, partitions, span.from_time)).items():
            starts[tp] = ends[tp] if offset is None else offset
    if span.to_time is not None:
        for tp, offset in (await _offsets_at(consumer, partitions, span.to_time)).items():
            stops[tp] = ends[tp] if offset is None else offset
    if span.from_offset is not None:
        starts = {tp: max(starts[tp], span.from_offset) for tp in partitions}
    if span.to_offset is not None:
        stops = {tp: min(stops[tp], span.to_offset) for tp in partitions}
    return {tp: (min(starts[tp], ends[tp]), min(stops[tp], ends[tp])) for tp in partitions}


async def copy_range(
    kafka: KafkaSettings,
    source: str,
    *,
    span: Range,
    selection: Selection,
    transform: Transform,
    dry_run: bool = False,
    progress: Callable[[Report], None] = lambda report: None,
    progress_every: float = 2.0,
) -> Report:
    report = Report()
    consumer = range_reader(kafka)
    producer = None if dry_run else clients.producer(kafka, linger_ms=10)
    await consumer.start()
    try:
        if producer is not None:
            await producer.start()
        bounds = {tp: b for tp, b in (await _bounds(kafka, consumer, source, span)).items() if b[0] < b[1]}
        report.total = sum(stop - start for start, stop in bounds.values())
        # Partitions with nothing in range are paused, not unassigned: a new assignment while the
        # fetcher is still settling the first one (as on an empty topic) made `consumer.stop()`
        # wait out a whole request timeout on Apache Kafka.
        for tp in consumer.assignment() - bounds.keys():
            consumer.pause(tp)
        for tp, (start, _) in bounds.items():
            consumer.seek(tp, start)
        pending: list[asyncio.Future[object]] = []
        shown = time.monotonic()
        remaining = set(bounds)
        while remaining:
            batches = await consumer.getmany(*remaining, timeout_ms=1000)
            for tp, records in batches.items():
                stop = bounds[tp][1]
                for record in records:
                    if record.offset >= stop:
                        break
                    report.scanned += 1
                    incoming = Incoming(
                        tp.topic, tp.partition, record.offset, record.key, record.value, list(record.headers)
                    )
                    if not selection.matches(incoming):
                        continue
                    report.matched += 1
                    out = transform(incoming)
                    if out is None:
                        report.no_target += 1
                        continue
                    report.written[out.topic] += 1
                    if producer is not None:
                        value = None if record.value is None else out.value
                        pending.append(
                            await producer.send(out.topic, value, key=out.key, headers=list(out.headers))
                        )
            for tp in list(remaining):
                if await consumer.position(tp) >= bounds[tp][1]:
                    remaining.discard(tp)
                    consumer.pause(tp)
            if len(pending) >= 1000:
                await asyncio.gather(*pending)
                pending.clear()
            if time.monotonic() - shown >= progress_every:
                progress(report)
                shown = time.monotonic()
        await asyncio.gather(*pending)
        return report
    finally:
        if producer is not None:
            await producer.stop()
        await consumer.stop()
