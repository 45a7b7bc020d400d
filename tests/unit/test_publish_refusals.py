"""A record Kafka refuses for good ends its retries; a passing failure is retried."""

import asyncio
from typing import Any, cast

import pytest
from aiokafka import AIOKafkaProducer
from aiokafka.errors import (
    KafkaConnectionError,
    KafkaTimeoutError,
    MessageSizeTooLargeError,
    TopicAuthorizationFailedError,
    UnknownTopicOrPartitionError,
)

from adapter.kafka.producer import Producer, PublishRefused
from adapter.kafka.records import Incoming, Outgoing
from adapter.lookup.dead_letters import keep_as_dead_letter
from nav_lookup_contracts import headers as h


class FailingProducer:
    """Fails each send with the next of `errors`, then acknowledges."""

    def __init__(self, *errors: Exception) -> None:
        self.errors = list(errors)
        self.sends = 0

    async def send(self, topic: str, value: bytes, **_: Any) -> "asyncio.Future[None]":
        self.sends += 1
        done: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        if self.errors:
            done.set_exception(self.errors.pop(0))
        else:
            done.set_result(None)
        return done


RECORD = Outgoing("somewhere", b"k", b"v", [])


async def test_a_refused_record_ends_as_publish_refused_after_a_few_attempts() -> None:
    fake = FailingProducer(*(TopicAuthorizationFailedError() for _ in range(10)))
    producer = Producer(cast(AIOKafkaProducer, fake), max_backoff=0.01, refused_after=3)
    with pytest.raises(PublishRefused, match="TopicAuthorizationFailedError"):
        await producer.send_until_acked([RECORD])
    assert fake.sends == 3


async def test_a_passing_failure_is_retried_until_acknowledged() -> None:
    fake = FailingProducer(*(KafkaConnectionError() for _ in range(5)))
    producer = Producer(cast(AIOKafkaProducer, fake), max_backoff=0.01, refused_after=3)
    await producer.send_until_acked([RECORD])
    assert fake.sends == 6


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


class TimingOutProducer:
    """Times every send out, as a partition without a leader does, and moves the clock on."""

    def __init__(self, clock: Clock) -> None:
        self.clock, self.sends = clock, 0

    async def send(self, topic: str, value: bytes, **_: Any) -> "asyncio.Future[None]":
        self.sends += 1
        self.clock.now += 10
        done: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        done.set_exception(KafkaTimeoutError())
        return done


async def test_a_reply_whose_retriable_failure_never_clears_ends_after_the_time_bound() -> None:
    clock = Clock()
    fake = TimingOutProducer(clock)
    producer = Producer(cast(AIOKafkaProducer, fake), max_backoff=0.01, give_up_after=60, clock=clock)
    with pytest.raises(PublishRefused, match="within 60s: KafkaTimeoutError"):
        await producer.send_reply([RECORD])
    assert fake.sends == 6


class MissingTopic:
    """A topic the broker does not have and will not create: the client's metadata wait fails at
    enqueue, as aiokafka's does after its request timeout."""

    def __init__(self, topic: str) -> None:
        self.topic, self.asked, self.acked = topic, 0, 0

    async def send(self, topic: str, value: bytes, **_: Any) -> "asyncio.Future[None]":
        if topic == self.topic:
            self.asked += 1
            raise UnknownTopicOrPartitionError()
        self.acked += 1
        done: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        done.set_result(None)
        return done


async def test_a_missing_reply_topic_is_asked_about_once_for_a_flood_of_replies_to_it() -> None:
    clock = Clock()
    fake = MissingTopic("nowhere")
    producer = Producer(cast(AIOKafkaProducer, fake), max_backoff=0.01, refusal_memory=30, clock=clock)
    for _ in range(300):
        with pytest.raises(PublishRefused, match="UnknownTopicOrPartitionError"):
            await producer.send_reply(
                [Outgoing("nowhere", None, b"v", []), Outgoing("audit", None, b"a", [])]
            )
    assert fake.asked == 1
    await producer.send_reply([Outgoing("elsewhere", None, b"v", [])])
    assert fake.acked == 1
    clock.now += 31  # the topic may exist by now: asked about again
    with pytest.raises(PublishRefused):
        await producer.send_reply([Outgoing("nowhere", None, b"v", [])])
    assert fake.asked == 2


async def test_a_dead_letter_waits_out_a_retriable_failure_whatever_the_time_bound() -> None:
    fake = FailingProducer(*(KafkaConnectionError() for _ in range(8)))
    clock = Clock()
    producer = Producer(cast(AIOKafkaProducer, fake), max_backoff=0.01, give_up_after=0.0, clock=clock)
    await producer.send_until_acked([RECORD])
    assert fake.sends == 9


class RefusingTopic:
    """Refuses every record over `max_bytes` on `topic`, and, with `refuse_all`, every record there."""

    def __init__(self, topic: str, *, max_bytes: int = 1 << 20, refuse_all: bool = False) -> None:
        self.topic, self.max_bytes, self.refuse_all = topic, max_bytes, refuse_all
        self.acked: list[tuple[str, bytes, list[tuple[str, bytes]]]] = []

    async def send(self, topic: str, value: bytes, **options: Any) -> "asyncio.Future[None]":
        done: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        if topic == self.topic and (self.refuse_all or len(value) > self.max_bytes):
            done.set_exception(
                MessageSizeTooLargeError() if not self.refuse_all else UnknownTopicOrPartitionError()
            )
        else:
            self.acked.append((topic, value, options["headers"]))
            done.set_result(None)
        return done


REQUEST = Incoming("req.a", 2, 41, b"person-key", b"x" * 100, (("trace", b"1"),))


async def test_a_dead_letter_too_large_for_kafka_is_kept_as_its_reason_alone() -> None:
    fake = RefusingTopic("dlq", max_bytes=10)
    producer = Producer(cast(AIOKafkaProducer, fake), max_backoff=0.01, refused_after=2)
    assert await keep_as_dead_letter(producer, "dlq", REQUEST, "reply refused") is True
    [(topic, value, headers)] = fake.acked
    assert topic == "dlq" and value == b""
    named = dict(headers)
    assert b"reply refused" in named[h.DLQ_REASON] and b"MessageSizeTooLargeError" in named[h.DLQ_REASON]
    assert named[h.DLQ_SOURCE_OFFSET] == b"41" and "trace" not in named


async def test_a_dead_letter_refused_outright_ends_in_a_log_line_not_an_exception(
    caplog: pytest.LogCaptureFixture,
) -> None:
    fake = RefusingTopic("dlq", refuse_all=True)
    producer = Producer(cast(AIOKafkaProducer, fake), max_backoff=0.01, refused_after=2)
    assert await keep_as_dead_letter(producer, "dlq", REQUEST, "reply refused") is False
    assert fake.acked == []
    assert "offset=41" in caplog.text and "person-key" not in caplog.text


class NeverAcking:
    """Never acknowledges a record for `topic`, as aiokafka's idempotent producer retrying a
    retriable error (NotEnoughReplicas) for ever; acknowledges the others."""

    def __init__(self, topic: str) -> None:
        self.topic, self.asked = topic, 0

    async def send(self, topic: str, value: bytes, **_: Any) -> "asyncio.Future[None]":
        done: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        if topic == self.topic:
            self.asked += 1
        else:
            done.set_result(None)
        return done


async def test_a_reply_kafka_never_acknowledges_is_given_up_after_the_bound_and_its_topic_for_a_while() -> (
    None
):
    fake = NeverAcking("stuck")
    producer = Producer(cast(AIOKafkaProducer, fake), give_up_after=0.2, refusal_memory=60)
    records = [Outgoing("stuck", None, b"v", []), Outgoing("audit", None, b"a", [])]
    with pytest.raises(PublishRefused, match=r"did not take the record within 0\.2s"):
        await producer.send_reply(records)
    with pytest.raises(PublishRefused, match="refused again"):
        await producer.send_reply(records)
    assert fake.asked == 1
    await producer.send_reply([Outgoing("elsewhere", None, b"v", [])])


async def test_when_nothing_is_acknowledged_no_topic_is_blamed() -> None:
    fake = NeverAcking("stuck")
    producer = Producer(cast(AIOKafkaProducer, fake), give_up_after=0.1, refusal_memory=60)
    for _ in range(2):
        with pytest.raises(PublishRefused, match=r"within 0\.1s"):
            await producer.send_reply([Outgoing("stuck", None, b"v", [])])
    assert fake.asked == 2
