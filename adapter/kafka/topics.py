"""Creating topics where the deployment lets the adapter do so (development, tests)."""

import contextlib

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
