"""LookupScheduler with a fake Kafka consumer: bounded, paused when full, committed in order."""

import asyncio
from collections.abc import Sequence
from typing import Any, cast

from aiokafka import ConsumerRecord, TopicPartition

from adapter.kafka.records import Incoming, Outgoing
from adapter.lookup.scheduler import LookupScheduler

TP = TopicPartition("requests", 0)


class FakeKafkaConsumer:
    def __init__(self) -> None:
        self.paused: set[TopicPartition] = set()
        self.pause_calls = 0
        self.commits: list[dict[TopicPartition, int]] = []

    def assignment(self) -> set[TopicPartition]:
        return {TP}

    def pause(self, *partitions: TopicPartition) -> None:
        self.pause_calls += 1
        self.paused.update(partitions)

    def resume(self, *partitions: TopicPartition) -> None:
        self.paused.difference_update(partitions)

    def highwater(self, tp: TopicPartition) -> int:
        return 10

    async def commit(self, offsets: dict[TopicPartition, int]) -> None:
        self.commits.append(dict(offsets))


class GatedService:
    """Answers a record only when the test opens its gate."""

    def __init__(self) -> None:
        self.gates: dict[int, asyncio.Event] = {}
        self.started: list[int] = []

    async def handle(self, msg: Incoming) -> list[Outgoing]:
        self.started.append(msg.offset)
        await self.gates.setdefault(msg.offset, asyncio.Event()).wait()
        return [Outgoing("replies", None, b"{}", ())]

    def open(self, offset: int) -> None:
        self.gates.setdefault(offset, asyncio.Event()).set()


class AckingProducer:
    def __init__(self) -> None:
        self.sent: list[Sequence[Outgoing]] = []

    async def send_reply(self, records: Sequence[Outgoing]) -> None:
        self.sent.append(records)


class GatedProducer:
    """Acknowledges a reply only when the test says so."""

    def __init__(self) -> None:
        self.acks: dict[int, asyncio.Event] = {}
        self.waiting: list[int] = []

    async def send_reply(self, records: Sequence[Outgoing]) -> None:
        offset = int(records[0].value)
        self.waiting.append(offset)
        await self.acks.setdefault(offset, asyncio.Event()).wait()

    def ack(self, offset: int) -> None:
        self.acks.setdefault(offset, asyncio.Event()).set()


class NumberedService(GatedService):
    async def handle(self, msg: Incoming) -> list[Outgoing]:
        await super().handle(msg)
        return [Outgoing("replies", None, str(msg.offset).encode(), ())]


def _record(offset: int, key: bytes | None = None) -> ConsumerRecord[bytes, bytes]:
    return ConsumerRecord(
        topic=TP.topic,
        partition=0,
        offset=offset,
        timestamp=0,
        timestamp_type=0,
        key=key,
        value=b"{}",
        checksum=None,
        serialized_key_size=0,
        serialized_value_size=2,
        headers=(),
    )


def _setup(
    max_in_flight: int, pause_after: float = 0.0
) -> tuple[LookupScheduler, FakeKafkaConsumer, GatedService]:
    service, kafka = GatedService(), FakeKafkaConsumer()
    consumer = LookupScheduler(
        service=cast(Any, service),
        producer=cast(Any, AckingProducer()),
        max_in_flight=max_in_flight,
        drain_timeout=30.0,
        pause_after=pause_after,
    )
    consumer.attach(cast(Any, kafka))
    return consumer, kafka, service


async def _settle() -> None:
    for _ in range(5):
        await asyncio.sleep(0)


async def test_commits_stop_at_the_oldest_unanswered_record() -> None:
    consumer, kafka, service = _setup(max_in_flight=10)
    for offset in range(3):
        await consumer.submit(_record(offset, key=str(offset).encode()))
    await _settle()
    service.open(1)
    service.open(2)
    await _settle()
    await consumer.commit()
    assert kafka.commits == []  # offset 0 is still in flight
    service.open(0)
    await _settle()
    await consumer.commit()
    assert kafka.commits == [{TP: 3}]


async def test_full_means_paused_partitions_not_a_growing_buffer() -> None:
    consumer, kafka, service = _setup(max_in_flight=2)
    await consumer.submit(_record(0, b"a"))
    await consumer.submit(_record(1, b"b"))
    third = asyncio.create_task(consumer.submit(_record(2, b"c")))
    await _settle()
    assert not third.done() and kafka.paused == {TP}
    assert consumer.in_flight == 2
    service.open(0)
    await asyncio.wait_for(third, 1)
    assert kafka.paused == set() and kafka.pause_calls == 1
    assert sorted(service.started) == [0, 1, 2]


async def test_a_slot_freed_soon_is_waited_for_without_pausing() -> None:
    consumer, kafka, service = _setup(max_in_flight=2, pause_after=0.5)
    await consumer.submit(_record(0, b"a"))
    await consumer.submit(_record(1, b"b"))
    third = asyncio.create_task(consumer.submit(_record(2, b"c")))
    await asyncio.sleep(0.05)
    assert not third.done()
    service.open(0)
    await asyncio.wait_for(third, 1)
    assert kafka.pause_calls == 0
    assert sorted(service.started) == [0, 1, 2]


async def test_full_for_longer_than_pause_after_pauses() -> None:
    consumer, kafka, service = _setup(max_in_flight=1, pause_after=0.05)
    await consumer.submit(_record(0, b"a"))
    second = asyncio.create_task(consumer.submit(_record(1, b"b")))
    await asyncio.sleep(0.02)
    assert kafka.paused == set()
    await asyncio.sleep(0.1)
    assert kafka.paused == {TP} and not second.done()
    service.open(0)
    await asyncio.wait_for(second, 1)
    assert kafka.paused == set() and kafka.pause_calls == 1


async def test_same_key_waits_for_the_one_before() -> None:
    consumer, _, service = _setup(max_in_flight=10)
    await consumer.submit(_record(0, b"same"))
    await consumer.submit(_record(1, b"same"))
    await consumer.submit(_record(2, b"other"))
    await _settle()
    assert service.started == [0, 2]
    service.open(0)
    await _settle()
    assert service.started == [0, 2, 1]


async def test_lag_is_what_the_broker_has_beyond_what_was_taken() -> None:
    consumer, _, _ = _setup(max_in_flight=10)
    await consumer.submit(_record(3))
    assert consumer.lag() == {TP: 6}


async def test_a_reply_waiting_for_its_ack_leaves_its_slot_to_the_next_lookup() -> None:
    service, producer, kafka = NumberedService(), GatedProducer(), FakeKafkaConsumer()
    consumer = LookupScheduler(
        service=cast(Any, service),
        producer=cast(Any, producer),
        max_in_flight=1,
        drain_timeout=30.0,
        pause_after=0.0,
    )
    consumer.attach(cast(Any, kafka))
    await consumer.submit(_record(0, b"a"))
    service.open(0)
    await _settle()
    assert producer.waiting == [0]
    await asyncio.wait_for(consumer.submit(_record(1, b"b")), 1)  # the slot is free again
    await _settle()
    assert service.started == [0, 1]
    await consumer.commit()
    assert kafka.commits == [] and consumer.in_flight == 2  # nothing acknowledged yet

    # One reply may wait for its ack: the next finished lookup keeps its slot until that clears.
    service.open(1)
    await _settle()
    assert producer.waiting == [0]
    third = asyncio.create_task(consumer.submit(_record(2, b"c")))
    await _settle()
    assert not third.done() and kafka.paused == {TP}

    producer.ack(0)
    await asyncio.wait_for(third, 1)
    await _settle()
    assert producer.waiting == [0, 1] and service.started == [0, 1, 2]
    await consumer.commit()
    assert kafka.commits == [{TP: 1}]
    producer.ack(1)
    service.open(2)
    producer.ack(2)
    await _settle()
    await consumer.commit()
    assert kafka.commits == [{TP: 1}, {TP: 3}] and consumer.in_flight == 0
