"""Concurrent lookups with ordered commits, on top of a FastStream subscriber.

FastStream's own concurrent subscriber commits on receipt, which loses requests on a crash.
Here the subscriber runs with `AckPolicy.MANUAL` and hands each record to `LookupScheduler`,
which schedules it and commits:
- up to `max_in_flight` lookups run at once; when full for longer than `pause_after`, the
  assigned partitions are paused (at full load a slot frees within milliseconds, and pausing
  for that would only stop and restart the fetcher on every record);
- a lookup gives up its slot once its reply is handed to the producer, and up to `max_in_flight`
  replies more wait for Kafka's acknowledgement: at full load that wait is 10 to 40 ms, which a
  slot would otherwise spend idle rather than calling NAV;
- records with the same key are handled in offset order;
- a partition's offset is committed only up to its oldest record whose reply Kafka has not yet
  acknowledged, so a crash re-delivers (never loses) what was in flight;
- on revocation and on shutdown, in-flight work is finished and committed before letting go.
"""

import asyncio
import logging
from collections.abc import Callable
from contextlib import suppress

from aiokafka import AIOKafkaConsumer, ConsumerRebalanceListener, ConsumerRecord, TopicPartition
from aiokafka.errors import KafkaError
from opentelemetry.context import Context

from adapter.kafka.producer import Producer, PublishRefused
from adapter.kafka.records import Incoming, Outgoing
from adapter.lookup.dead_letters import keep_as_dead_letter
from adapter.lookup.inflight import KeyedSequencer, OffsetTracker
from adapter.lookup.service import LookupService
from adapter.observability.tracing import current_context, lookup_span

log = logging.getLogger(__name__)

COMMIT_TIMEOUT_SECONDS = 10.0
MIN_COMMIT_SECONDS = 1.0
"""What the final commit of a drain gets when the in-flight work used up the drain timeout."""


class LookupScheduler:
    def __init__(
        self,
        *,
        service: LookupService,
        producer: Producer,
        max_in_flight: int,
        commit_interval: float = 0.2,
        drain_timeout: float,
        hold: Callable[[Incoming], float] | None = None,
        pause_after: float = 0.1,
        dead_letter_topic: str = "nav.lookup.v1.dlq",
    ) -> None:
        self._dead_letter_topic = dead_letter_topic
        self._service = service
        self._producer = producer
        self._max_in_flight = max_in_flight
        self._commit_interval = commit_interval
        self._drain_timeout = drain_timeout
        self._pause_after = pause_after
        # Delayed retries wait here until due; their topics are FIFO by due time.
        self._hold = hold
        self._tracker = OffsetTracker()
        self._sequencer = KeyedSequencer()
        self._slots = asyncio.Semaphore(max_in_flight)
        self._unacknowledged = asyncio.Semaphore(max_in_flight)
        self._consumer: AIOKafkaConsumer | None = None
        self._commit_lock = asyncio.Lock()
        self.listener = _DrainOnRevoke(self)
        self._next_offsets: dict[TopicPartition, int] = {}

    def attach(self, consumer: AIOKafkaConsumer | None) -> None:
        self._consumer = consumer

    @property
    def attached(self) -> AIOKafkaConsumer | None:
        return self._consumer

    def lag(self) -> dict[TopicPartition, int]:
        """Per assigned partition: records on the broker that this consumer has not taken yet."""
        consumer = self._consumer
        if consumer is None:
            return {}
        lag = {}
        for tp in consumer.assignment():
            highwater = consumer.highwater(tp)
            if highwater is not None:
                lag[tp] = max(0, highwater - self._next_offsets.get(tp, highwater))
        return lag

    @property
    def in_flight(self) -> int:
        return self._tracker.in_flight

    async def submit(self, record: ConsumerRecord[bytes, bytes]) -> None:
        """Take one record; returns as soon as it is scheduled (or once a slot is free)."""
        await self._take_slot()
        tp = TopicPartition(record.topic, record.partition)
        self._tracker.take(tp, record.offset)
        self._next_offsets[tp] = record.offset + 1
        incoming = Incoming(
            record.topic,
            record.partition,
            record.offset,
            record.key,
            record.value,
            tuple(record.headers),
        )
        key = (record.topic, record.partition, record.key) if record.key is not None else None
        parent = current_context()  # FastStream's batch span, from its telemetry middleware
        self._sequencer.submit(key, lambda: self._process(tp, incoming, parent))

    async def _take_slot(self) -> None:
        if not self._slots.locked():
            await self._slots.acquire()
            return
        try:
            async with asyncio.timeout(self._pause_after):
                await self._slots.acquire()
            return
        except TimeoutError:
            pass
        # Full for a while (NAV is slow): stop fetching rather than buffer, and pick up again as
        # soon as a slot frees.
        consumer = self._consumer
        paused = consumer.assignment() if consumer is not None else set()
        if consumer is not None and paused:
            consumer.pause(*paused)
        try:
            await self._slots.acquire()
        finally:
            if consumer is not None:
                consumer.resume(*(tp for tp in paused if tp in consumer.assignment()))

    async def _process(self, tp: TopicPartition, incoming: Incoming, parent: Context) -> None:
        slot_held = True
        try:
            if self._hold is not None and (delay := self._hold(incoming)) > 0:
                await asyncio.sleep(delay)
            with lookup_span(parent, incoming.headers, incoming.topic, incoming.partition, incoming.offset):
                outgoing = await self._service.handle(incoming)
            async with self._unacknowledged:
                self._slots.release()
                slot_held = False
                await self._publish(incoming, outgoing)
            self._tracker.finish(tp, incoming.offset)
        finally:
            if slot_held:
                self._slots.release()

    async def _publish(self, incoming: Incoming, outgoing: list[Outgoing]) -> None:
        try:
            await self._producer.send_reply(outgoing)
        except PublishRefused as refused:
            # Never a stalled partition: the request is kept as a dead letter, with the reason.
            log.warning(
                "dead letter: %s (topic=%s offset=%d)", refused.reason, incoming.topic, incoming.offset
            )
            await keep_as_dead_letter(self._producer, self._dead_letter_topic, incoming, refused.reason)

    async def commit(self) -> None:
        consumer = self._consumer
        offsets = self._tracker.to_commit()
        if consumer is None or not offsets:
            return
        assigned = consumer.assignment()
        offsets = {tp: off for tp, off in offsets.items() if tp in assigned}
        if not offsets:
            return
        async with self._commit_lock:
            try:
                # A commit sent just before a broker outage may never be answered; without a bound
                # it would hold the lock, and every later commit with it, for good.
                async with asyncio.timeout(COMMIT_TIMEOUT_SECONDS):
                    await consumer.commit(offsets)
            except (KafkaError, TimeoutError) as exc:
                # The next round commits the same or a later offset; nothing is lost meanwhile.
                log.warning("offset commit failed: %s", type(exc).__name__)
                return
        self._tracker.committed(offsets)

    async def run_committer(self) -> None:
        while True:
            await asyncio.sleep(self._commit_interval)
            await self.commit()

    async def drain(self, partitions: set[TopicPartition] | None = None) -> None:
        """Finish in-flight work (of `partitions`, or all) and commit it, within the timeout."""
        loop = asyncio.get_running_loop()
        until = loop.time() + self._drain_timeout
        while loop.time() < until:
            busy = self._tracker.in_flight > 0 if partitions is None else self._tracker.busy(partitions)
            if not busy:
                break
            await asyncio.sleep(0.02)
        # Bounded too: after a broker outage a commit can wait on a connection that never answers,
        # and a stop must not outlast the platform's grace period. What is not committed is
        # redelivered, and a redelivered lookup is a harmless duplicate.
        try:
            async with asyncio.timeout(max(until - loop.time(), MIN_COMMIT_SECONDS)):
                await self.commit()
        except TimeoutError:
            log.warning("offsets not committed within the drain timeout: those records are redelivered")

    async def close(self) -> None:
        """Stop taking records, finish and commit what is in flight, drop the rest (redelivered)."""
        if self._consumer is not None:
            self._consumer.pause(*self._consumer.assignment())
        await self.drain()
        await self._sequencer.cancel_all()

    def forget(self, partitions: set[TopicPartition]) -> None:
        self._tracker.forget(partitions)


class _DrainOnRevoke(ConsumerRebalanceListener):  # type: ignore[misc]
    def __init__(self, owner: LookupScheduler) -> None:
        self._owner = owner

    async def on_partitions_revoked(self, revoked: set[TopicPartition]) -> None:
        if revoked:
            with suppress(Exception):
                await self._owner.drain(set(revoked))
            # Anything still running is redelivered to the new owner; its reply is a duplicate.
            self._owner.forget(set(revoked))

    async def on_partitions_assigned(self, assigned: set[TopicPartition]) -> None:
        return None
