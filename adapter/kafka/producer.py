"""Publishing that returns once Kafka has acknowledged every record.

`send` raises on the first failure: the bridge then looks at its topic again before it writes
more. `send_until_acked` retries with backoff instead, for the lookups: their offsets are
committed after it returns, and giving up would lose the request a record answers. Only a refusal
Kafka will repeat whatever the adapter does (no such topic, not authorised, too large) ends it,
after a few attempts, as `PublishRefused`: the caller dead-letters the request instead.
"""

import asyncio
import contextlib
import logging
import random
from collections.abc import AsyncIterator, Sequence
from typing import Any

from aiokafka import AIOKafkaProducer
from aiokafka.errors import (
    InvalidTopicError,
    KafkaError,
    MessageSizeTooLargeError,
    RecordTooLargeError,
    TopicAuthorizationFailedError,
    UnknownTopicOrPartitionError,
)

from adapter.backoff import full_jitter
from adapter.kafka import clients
from adapter.kafka.records import Outgoing
from adapter.settings import KafkaSettings

log = logging.getLogger(__name__)

REFUSALS = (
    TopicAuthorizationFailedError,
    MessageSizeTooLargeError,
    RecordTooLargeError,
    InvalidTopicError,
    UnknownTopicOrPartitionError,
)
"""What Kafka answers again however often it is asked: a record it refuses is not retried for ever."""


class PublishRefused(Exception):
    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@contextlib.asynccontextmanager
async def open_producer(kafka: KafkaSettings, **options: Any) -> AsyncIterator[AIOKafkaProducer]:
    """A started producer on the Kafka connection (`acks="all"`), stopped on exit."""
    producer = clients.producer(kafka, **options)
    await producer.start()
    try:
        yield producer
    finally:
        await producer.stop()


class Producer:
    def __init__(
        self, producer: AIOKafkaProducer, *, max_backoff: float = 5.0, refused_after: int = 3
    ) -> None:
        self._producer = producer
        self._max_backoff = max_backoff
        self._refused_after = refused_after

    async def send(self, records: Sequence[Outgoing]) -> None:
        futures = [
            await self._producer.send(r.topic, r.value, key=r.key, headers=list(r.headers)) for r in records
        ]
        await asyncio.gather(*futures)

    async def send_until_acked(self, records: Sequence[Outgoing]) -> None:
        attempt = refusals = 0
        while True:
            try:
                await self.send(records)
                return
            except KafkaError as exc:
                attempt += 1
                if isinstance(exc, REFUSALS):
                    refusals += 1
                    if refusals >= self._refused_after:
                        raise PublishRefused(f"Kafka refused the record: {type(exc).__name__}") from exc
                delay = full_jitter(attempt, base=0.1, cap=self._max_backoff, rng=random.random)
                log.warning("publish failed (%s), retrying in %.2fs", type(exc).__name__, delay)
                await asyncio.sleep(delay)

    async def flush(self) -> None:
        """Wait for everything already handed to the producer, e.g. before giving up a lease."""
        await self._producer.flush()
