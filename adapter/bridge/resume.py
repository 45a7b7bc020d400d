"""Where a bridge resumes: its checkpoint, corrected by what its topic already holds.

The checkpoint is written after a page's records are acknowledged, and goes to Kafka with the
next page's records (`adapter.bridge.feed_bridge`), so at most two pages are on the topic beyond
it at a crash: the one whose checkpoint was due and the one in flight, each in any subset per
partition, since a page's records go to several partitions at once (in each partition, in
order). So the bridge reads, in every partition,
the records after the newest one at or below the checkpoint, and re-reads NAV from the number
after the checkpoint, publishing only what is not there yet: nothing is skipped or repeated.

Should the topic's tail not reach back to the checkpoint (a lost checkpoint topic), the bridge
falls back to resuming after the highest number on the topic, trusting that the numbers below
it are there.
"""

import logging
from dataclasses import dataclass

from aiokafka import AIOKafkaConsumer, TopicPartition

from adapter.kafka.offsets import exact_end_offsets, range_reader
from adapter.kafka.topics import partitions_of
from adapter.settings import KafkaSettings
from nav_lookup_contracts import headers as h
from nav_lookup_contracts.bridged import Checkpoint

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Published:
    sequences: frozenset[int]
    """Numbers of this feed found after the checkpoint."""
    covered: bool
    """Every partition was read back to the checkpoint (or to its beginning)."""


@dataclass(frozen=True)
class Resume:
    next_sequence: int
    already_published: frozenset[int] = frozenset()


def plan_resume(checkpoint: Checkpoint | None, published: Published, *, first_sequence: int = 1) -> Resume:
    done = checkpoint.sequence if checkpoint is not None else first_sequence - 1
    if checkpoint is not None and checkpoint.reset:
        return Resume(done + 1)
    beyond = frozenset(s for s in published.sequences if s > done)
    if not beyond:
        return Resume(done + 1)
    if published.covered:
        return Resume(done + 1, beyond)
    return Resume(max(beyond) + 1)


def _sequence(headers: list[tuple[str, bytes]], feed_id: str) -> int | None:
    values = dict(headers)
    if values.get(h.NAV_FEED) != feed_id.encode():
        return None
    try:
        return int(values.get(h.NAV_SEQUENCE, b""))
    except ValueError:
        return None


async def published_after(
    kafka: KafkaSettings,
    topic: str,
    feed_id: str,
    done: int,
    *,
    window: int,
    max_window: int = 100_000,
) -> Published:
    """The feed's numbers above `done` in the tail of every partition of `topic`."""
    consumer = range_reader(kafka)
    await consumer.start()
    try:
        partitions = await partitions_of(consumer, topic)
        if not partitions:
            return Published(frozenset(), covered=True)
        consumer.assign(partitions)
        begins = await consumer.beginning_offsets(partitions)
        ends = await exact_end_offsets(kafka, consumer, partitions)
        found: set[int] = set()
        covered = True
        for tp in partitions:
            size = window
            while True:
                start = max(begins[tp], ends[tp] - size)
                sequences = await _read(consumer, tp, start, ends[tp], feed_id)
                boundary = max((i for i, s in enumerate(sequences) if s <= done), default=None)
                if boundary is not None or start == begins[tp]:
                    found.update(sequences[0 if boundary is None else boundary + 1 :])
                    break
                if size >= max_window:
                    log.warning(
                        "topic %s partition %d: tail does not reach the checkpoint", topic, tp.partition
                    )
                    found.update(sequences)
                    covered = False
                    break
                size = min(max_window, size * 4)
        return Published(frozenset(found), covered)
    finally:
        await consumer.stop()


async def _read(
    consumer: AIOKafkaConsumer, tp: TopicPartition, start: int, end: int, feed_id: str
) -> list[int]:
    """The feed's numbers in offsets [start, end) of one partition, in offset order."""
    consumer.seek(tp, start)
    out: list[int] = []
    while start < end and await consumer.position(tp) < end:
        batch = await consumer.getmany(tp, timeout_ms=1000)
        # Records past `end` (written since) are kept: the more of the tail is known, the better.
        for record in batch.get(tp, []):
            sequence = _sequence(list(record.headers), feed_id)
            if sequence is not None:
                out.append(sequence)
    return out
