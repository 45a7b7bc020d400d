"""Creating topics where the deployment lets the adapter do so (development, tests), and reading
which partitions a topic has."""

import asyncio
import contextlib

from aiokafka import AIOKafkaConsumer, TopicPartition
from aiokafka.admin import NewTopic
from aiokafka.errors import TopicAlreadyExistsError

from adapter.kafka import clients
from adapter.settings import KafkaSettings


async def ensure_topics(
    kafka: KafkaSettings,
    topics: list[str],
    *,
    partitions: int = 4,
    compacted: frozenset[str] = frozenset(),
) -> None:
    admin = clients.admin(kafka)
    await admin.start()
    try:
        existing = set(await admin.list_topics())
        missing = [t for t in dict.fromkeys(topics) if t not in existing]
        if not missing:
            return
        new = [
            NewTopic(
                t,
                1 if t in compacted else partitions,
                1,
                topic_configs={"cleanup.policy": "compact"} if t in compacted else None,
            )
            for t in missing
        ]
        with contextlib.suppress(TopicAlreadyExistsError):  # another instance was quicker
            await admin.create_topics(new)
    finally:
        await admin.close()


async def partitions_of(
    consumer: AIOKafkaConsumer, topic: str, *, timeout: float = 5.0
) -> list[TopicPartition]:
    """The topic's partitions in order, from metadata fetched now; [] when there is no such topic.

    `consumer.partitions_for_topic` answers from the client's cached metadata, which a consumer
    without a subscription refreshes only every few minutes: a topic created since it started is
    unknown to it on Apache Kafka. A topic not listed yet, or listed before its partitions are
    known (both seen just after it was created, on a busy machine), is asked about again until
    `timeout`.
    """
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while True:
        cluster = await consumer._client.fetch_all_metadata()
        known = cluster.partitions_for_topic(topic)
        if known or loop.time() > deadline:
            break
        await asyncio.sleep(0.1)
    if known:
        # The client's own metadata must know the leaders too, else the first offset lookups
        # and fetches of the partitions find nothing.
        consumer._client.add_topic(topic)
        await consumer._client.force_metadata_update()
    return [TopicPartition(topic, p) for p in sorted(known or ())]
