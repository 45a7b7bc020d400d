"""The FastStream subscriber of lookup requests: declared once, used by the app and the AsyncAPI."""

from typing import Any, Protocol

from aiokafka import AIOKafkaConsumer, ConsumerRebalanceListener, ConsumerRecord
from faststream.kafka import KafkaBroker
from faststream.kafka.annotations import KafkaMessage as Message
from faststream.kafka.message import FAKE_CONSUMER, KafkaMessage
from faststream.message import StreamMessage
from faststream.middlewares import AckPolicy

from adapter.settings import LookupSettings

EMPTY_POLL_MS = 1
"""FastStream waits this long for records, then, finding none, sleeps as long again: a request
arriving during the sleep waits it out. At 10 ms the adapter's p99 at 100 lookups/s was 6 to 7 ms
above the bare pipeline's; at 1 ms, 2 to 5 ms above, for about 2 % of a core polling
(docs/benchmark.md)."""


class RecordSink(Protocol):
    """Takes every record of a batch and commits on its own (`adapter.lookup.scheduler`)."""

    listener: ConsumerRebalanceListener

    @property
    def attached(self) -> AIOKafkaConsumer | None: ...

    def attach(self, consumer: AIOKafkaConsumer | None) -> None: ...

    async def submit(self, record: ConsumerRecord[bytes, bytes]) -> None: ...


async def _records_untouched(records: tuple[ConsumerRecord[bytes, bytes], ...]) -> KafkaMessage:
    # FastStream's own parser decodes every header as UTF-8 and its decoder parses JSON bodies;
    # either failure drops the message unseen. The lookup service must see every record as it
    # came, to reply or dead-letter it, so the records pass through undecoded.
    return KafkaMessage(raw_message=records, body=b"", consumer=FAKE_CONSUMER)


async def _nothing_to_decode(message: StreamMessage[Any]) -> None:
    return None


def declare_lookups(
    broker: KafkaBroker,
    settings: LookupSettings,
    consumer: RecordSink,
    topics: list[str],
    title: str,
    group_id: str,
    group_instance_id: str | None,
) -> None:
    """A lookup subscriber on `topics`, with no automatic commits: `consumer` commits in order.

    It takes batches, so FastStream's per-message cost is paid once per batch; `consumer` still
    schedules, orders and commits every record on its own.
    """
    subscriber = broker.subscriber(
        *topics,
        batch=True,
        max_records=settings.kafka_max_batch,
        batch_timeout_ms=min(settings.kafka_fetch_max_wait_ms, EMPTY_POLL_MS),
        group_id=group_id,
        # A static member: restarted, it takes its partitions back without a rebalance.
        group_instance_id=group_instance_id,
        ack_policy=AckPolicy.MANUAL,
        auto_offset_reset="earliest",
        session_timeout_ms=settings.kafka_session_timeout_ms,
        fetch_max_wait_ms=settings.kafka_fetch_max_wait_ms,
        heartbeat_interval_ms=max(100, settings.kafka_session_timeout_ms // 5),
        listener=consumer.listener,
        title=title,
        description="Lookup requests; replies go to reply_to or the reply topic.",
    )

    @subscriber(parser=_records_untouched, decoder=_nothing_to_decode)
    async def on_lookup_requests(message: Message) -> None:
        if consumer.attached is None:
            consumer.attach(subscriber.consumer)
        for record in message.raw_message:
            await consumer.submit(record)
