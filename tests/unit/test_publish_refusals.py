"""A record Kafka refuses for good ends its retries; a passing failure is retried."""

import asyncio
from typing import Any, cast

import pytest
from aiokafka import AIOKafkaProducer
from aiokafka.errors import KafkaConnectionError, TopicAuthorizationFailedError

from adapter.kafka.producer import Producer, PublishRefused
from adapter.kafka.records import Outgoing


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
