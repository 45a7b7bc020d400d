"""Publishing that returns once Kafka has acknowledged every record.

`send` raises on the first failure: the bridge then looks at its topic again before it writes
more. `send_until_acked` retries with backoff instead, for the lookups: their offsets are
committed after it returns, and giving up would lose the request a record answers. Only a refusal
Kafka will repeat whatever the adapter does (no such topic, not authorised, too large) ends it,
after a few attempts, as `PublishRefused`: the caller dead-letters the request instead.
`send_reply` is bounded too, since a caller picks where its reply goes: a retriable failure that
does not clear within `give_up_after` ends it as well, and a topic Kafka has just refused is
refused again at once for `refusal_memory` seconds, so a flood of replies to one bad address
costs one wait, not one each.
"""

import asyncio
import contextlib
import logging
import random
import time
from collections.abc import AsyncIterator, Callable, Iterable, Sequence
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
from adapter.kafka.stopping import CLIENT_STOP_SECONDS, stop_within
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
TOPIC_REFUSALS = (TopicAuthorizationFailedError, InvalidTopicError, UnknownTopicOrPartitionError)
"""Refusals of the topic itself, not of one record: every record for that topic meets them."""


class PublishRefused(Exception):
    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@contextlib.asynccontextmanager
async def open_producer(
    kafka: KafkaSettings, *, close_within: float = CLIENT_STOP_SECONDS, **options: Any
) -> AsyncIterator[AIOKafkaProducer]:
    """A started producer on the Kafka connection (`acks="all"`), stopped on exit.

    Stopping waits for every record handed over for `close_within` at most, since an idempotent
    aiokafka producer retries a record Kafka keeps answering retriably for ever (even one
    `Producer.send_reply` has given up on), and a frozen broker answers nothing. Records it could
    not deliver were never acknowledged, so nothing was committed for them.
    """
    producer = clients.producer(kafka, **options)
    await producer.start()
    try:
        yield producer
    finally:
        if not await stop_within(producer.stop, "Kafka producer", close_within):
            # What stop() does after its flush (it was cancelled there): stop sending, disconnect.
            await stop_within(producer._sender.close, "Kafka producer's sender", 1.0)
            await stop_within(producer.client.close, "Kafka producer's connections", 1.0)


class Producer:
    def __init__(
        self,
        producer: AIOKafkaProducer,
        *,
        max_backoff: float = 5.0,
        refused_after: int = 3,
        give_up_after: float = 120.0,
        refusal_memory: float = 30.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._producer = producer
        self._max_backoff = max_backoff
        self._refused_after = refused_after
        self._give_up_after = give_up_after
        self._refusal_memory = refusal_memory
        self._clock = clock
        self._refused_topics: dict[str, tuple[float, str]] = {}

    async def send(self, records: Sequence[Outgoing]) -> None:
        futures = [
            await self._producer.send(r.topic, r.value, key=r.key, headers=list(r.headers)) for r in records
        ]
        await asyncio.gather(*futures)

    async def send_until_acked(self, records: Sequence[Outgoing]) -> None:
        """Retried until acknowledged; only a lasting refusal ends it, as `PublishRefused`."""
        await self._retried(records, bounded=False)

    async def send_reply(self, records: Sequence[Outgoing]) -> None:
        """As `send_until_acked`, and a retriable failure ends it after `give_up_after` seconds."""
        await self._retried(records, bounded=True)

    async def _retried(self, records: Sequence[Outgoing], *, bounded: bool) -> None:
        until = self._clock() + self._give_up_after if bounded else None
        attempt = refusals = 0
        while True:
            if bounded:
                self._refuse_known_topics(records)
            try:
                await self._send_tracked(records, until)
                return
            except _Unacknowledged as slow:
                # aiokafka retries a retriable error itself, for ever when idempotent: the record is
                # given up here, and its topic refused for a while if others were taken meanwhile.
                reason = f"Kafka did not take the record within {self._give_up_after:g}s"
                if slow.others_taken:
                    self._remember_refused(slow.topics, reason)
                raise PublishRefused(reason) from None
            except _Failed as failed:
                exc = failed.error
                attempt += 1
                if isinstance(exc, REFUSALS):
                    refusals += 1
                    # A refusal at enqueue comes after the client's own metadata wait: final at once.
                    if refusals >= self._refused_after or failed.at_enqueue:
                        reason = f"Kafka refused the record: {type(exc).__name__}"
                        if bounded and isinstance(exc, TOPIC_REFUSALS):
                            self._remember_refused([failed.topic], reason)
                        raise PublishRefused(reason) from exc
                elif until is not None and self._clock() >= until:
                    raise PublishRefused(
                        f"Kafka did not take the record within {self._give_up_after:g}s: {type(exc).__name__}"
                    ) from exc
                delay = full_jitter(attempt, base=0.1, cap=self._max_backoff, rng=random.random)
                log.warning("publish failed (%s), retrying in %.2fs", type(exc).__name__, delay)
                await asyncio.sleep(delay)

    def _remember_refused(self, topics: Iterable[str], reason: str) -> None:
        for topic in topics:
            self._refused_topics[topic] = (self._clock() + self._refusal_memory, reason)

    def _refuse_known_topics(self, records: Sequence[Outgoing]) -> None:
        now = self._clock()
        for record in records:
            known = self._refused_topics.get(record.topic)
            if known is None:
                continue
            if known[0] < now:
                del self._refused_topics[record.topic]
                continue
            raise PublishRefused(
                f"{known[1]} (refused again without asking within {self._refusal_memory:g}s)"
            )

    async def _send_tracked(self, records: Sequence[Outgoing], until: float | None) -> None:
        """`send`, naming the topic of a record that failed, and waiting until `until` at most."""
        futures: list[asyncio.Future[Any]] = []
        for r in records:
            try:
                futures.append(
                    await self._producer.send(r.topic, r.value, key=r.key, headers=list(r.headers))
                )
            except KafkaError as exc:
                raise _Failed(r.topic, exc, at_enqueue=True) from exc
        if not futures:
            return
        timeout = None if until is None else max(0.0, until - self._clock())
        _, pending = await asyncio.wait(futures, timeout=timeout)
        for record, future in zip(records, futures, strict=True):
            if future in pending:
                continue
            if isinstance(error := future.exception(), KafkaError):
                raise _Failed(record.topic, error, at_enqueue=False) from error
            if error is not None:
                raise error
        if pending:
            slow = [r.topic for r, f in zip(records, futures, strict=True) if f in pending]
            raise _Unacknowledged(slow, others_taken=len(pending) < len(futures))

    async def flush(self) -> None:
        """Wait for everything already handed to the producer, e.g. before giving up a lease."""
        await self._producer.flush()


class _Failed(Exception):
    def __init__(self, topic: str, error: KafkaError, *, at_enqueue: bool) -> None:
        super().__init__(type(error).__name__)
        self.topic = topic
        self.error = error
        self.at_enqueue = at_enqueue


class _Unacknowledged(Exception):
    def __init__(self, topics: list[str], *, others_taken: bool) -> None:
        super().__init__(", ".join(topics))
        self.topics = topics
        self.others_taken = others_taken
