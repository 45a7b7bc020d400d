"""Checkpoints on a compacted one-partition topic, keyed by feed id (`nav.bridge.v1.checkpoints`).

One store per process serves all its feeds: a consumer assigned to the topic's only partition
keeps reading it in the background, so the latest checkpoint of every feed is at hand and a
reset written by an operator (`nav-adapter reset-checkpoint`) reaches a running bridge.
"""

import asyncio
import logging

from aiokafka import AIOKafkaProducer, ConsumerRecord, TopicPartition
from aiokafka.structs import RecordMetadata
from pydantic import ValidationError

from adapter.kafka.offsets import exact_end_offsets, range_reader
from adapter.kafka.stopping import stop_within
from adapter.settings import KafkaSettings
from nav_lookup_contracts.bridged import Checkpoint

log = logging.getLogger(__name__)


class CheckpointStore:
    def __init__(self, *, kafka: KafkaSettings, topic: str, producer: AIOKafkaProducer) -> None:
        self._kafka = kafka
        self._topic = topic
        self._partition = TopicPartition(topic, 0)
        self._producer = producer
        # It keeps fetching in the background; a short wait keeps offset lookups quick.
        self._consumer = range_reader(kafka, fetch_max_wait_ms=100)
        self._latest: dict[str, Checkpoint] = {}
        self._resets: dict[str, Checkpoint] = {}
        self._watching = False
        self._lock = asyncio.Lock()

    async def start(self) -> None:
        await self._consumer.start()
        self._consumer.assign([self._partition])
        # An explicit seek: on Apache Kafka, seek_to_beginning right after assign can lose to the
        # assignment's own reset to the end, and the store would start past every checkpoint.
        begins = await self._consumer.beginning_offsets([self._partition])
        self._consumer.seek(self._partition, begins[self._partition])
        await self.catch_up()
        # Resets from before this start are settled by `latest`; only later ones are news.
        self._watching = True

    async def stop(self) -> None:
        await stop_within(self._consumer.stop, "checkpoint reader")

    def latest(self, feed_id: str) -> Checkpoint | None:
        return self._latest.get(feed_id)

    async def catch_up(self) -> None:
        """Read every checkpoint written before this call."""
        async with self._lock:
            position = await self._consumer.position(self._partition)
            end = (await exact_end_offsets(self._kafka, self._consumer, [self._partition]))[self._partition]
            self._consumer.seek(self._partition, position)
            while await self._consumer.position(self._partition) < end:
                batch = await self._consumer.getmany(self._partition, timeout_ms=1000)
                self._take(batch.get(self._partition, []))

    async def poll(self) -> None:
        """Take in what the background fetch has already brought, without waiting."""
        async with self._lock:
            batch = await self._consumer.getmany(self._partition, timeout_ms=0)
            self._take(batch.get(self._partition, []))

    def pop_reset(self, feed_id: str) -> Checkpoint | None:
        """A reset that arrived since the feed last looked, once."""
        return self._resets.pop(feed_id, None)

    async def write(self, checkpoint: Checkpoint) -> None:
        await (await self.send(checkpoint))

    async def send(self, checkpoint: Checkpoint) -> "asyncio.Future[RecordMetadata]":
        """Hand the checkpoint to the producer; the future is its acknowledgement."""
        acked: asyncio.Future[RecordMetadata] = await self._producer.send(
            self._topic, checkpoint.model_dump_json(exclude_none=True).encode(), key=checkpoint.feed.encode()
        )
        return acked

    def _take(self, records: list[ConsumerRecord]) -> None:
        for record in records:
            if record.value is None:  # a tombstone: the feed's checkpoint was deleted
                if record.key:
                    self._latest.pop(record.key.decode(errors="replace"), None)
                continue
            try:
                checkpoint = Checkpoint.model_validate_json(record.value)
            except ValidationError:
                log.warning("ignoring a malformed checkpoint at offset %d", record.offset)
                continue
            self._latest[checkpoint.feed] = checkpoint
            if checkpoint.reset and self._watching:
                self._resets[checkpoint.feed] = checkpoint
