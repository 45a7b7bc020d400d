"""The FastStream subscriber of lookup requests: declared once, used by the app and the AsyncAPI."""

from typing import Any

from faststream.kafka import KafkaBroker
from faststream.kafka.annotations import KafkaMessage
from faststream.message import StreamMessage
from faststream.middlewares import AckPolicy

from adapter.lookup.consumer import LookupConsumer
from adapter.settings import Settings


async def _raw_body(message: StreamMessage[Any]) -> bytes:
    # FastStream would parse a body whose content-type says JSON, and drop it unseen when that
    # fails; the lookup service must see every message to reply or dead-letter it.
    return message.body


def declare_lookups(
    broker: KafkaBroker,
    settings: Settings,
    consumer: LookupConsumer,
    topics: list[str],
    title: str,
    group_id: str,
) -> None:
    """A lookup subscriber on `topics`, with no automatic commits: `consumer` commits in order."""
    subscriber = broker.subscriber(
        *topics,
        group_id=group_id,
        ack_policy=AckPolicy.MANUAL,
        auto_offset_reset="earliest",
        session_timeout_ms=settings.kafka_session_timeout_ms,
        fetch_max_wait_ms=settings.kafka_fetch_max_wait_ms,
        heartbeat_interval_ms=max(100, settings.kafka_session_timeout_ms // 5),
        listener=consumer.listener,
        title=title,
        description="Lookup requests; replies go to reply_to or the reply topic.",
    )

    @subscriber(decoder=_raw_body)
    async def on_lookup_request(message: KafkaMessage) -> None:
        if consumer.attached is None:
            consumer.attach(subscriber.consumer)
        await consumer.submit(message.raw_message)
