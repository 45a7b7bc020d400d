"""Creating topics where the deployment lets the adapter do so (development, tests), and reading
which partitions a topic has."""

import contextlib

from aiokafka import AIOKafkaConsumer
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


async def partitions_of(consumer: AIOKafkaConsumer, topic: str) -> list[int]:
    """The topic's partitions as the broker knows them now, sorted; empty if it does not exist.

    `consumer.partitions_for_topic` reads the client's cached metadata, which holds only the topics
    the client has asked about: Tansu answers every metadata request with all topics, Apache Kafka
    only with those named, so a fresh reader would find no partitions there.
    """
    cluster = await consumer._client.fetch_all_metadata()
    return sorted(cluster.partitions_for_topic(topic) or ())
