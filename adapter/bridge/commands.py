"""`nav-adapter reset-checkpoint FEED SEQ`: where a feed goes on from.

The bridge then resumes right after SEQ, without looking at what its topic already holds: back
to publish again from there, forward to skip (e.g. past a gap that halted the feed). A running
bridge takes the reset at its next page, or at once when halted.
"""

from adapter.bridge.checkpoints import CheckpointStore
from adapter.kafka.producer import open_producer
from adapter.kafka.topics import ensure_topics
from adapter.settings import KafkaSettings
from nav_lookup_contracts.bridged import Checkpoint
from nav_lookup_contracts.feeds import parse_feed_id


async def reset_checkpoint(kafka: KafkaSettings, topic: str, feed_id: str, sequence: int) -> int:
    parse_feed_id(feed_id)
    if sequence < 0:
        raise ValueError("SEQ must be 0 or more (0: from the very first event)")
    await ensure_topics(kafka, [topic], compacted=frozenset({topic}))
    async with open_producer(kafka) as producer:
        store = CheckpointStore(kafka=kafka, topic=topic, producer=producer)
        try:
            await store.start()
            before = store.latest(feed_id)
            await store.write(Checkpoint(feed=feed_id, sequence=sequence, reset=True))
        finally:
            await store.stop()
    was = "none" if before is None else str(before.sequence)
    print(f"{feed_id}: checkpoint {was} -> {sequence}; the bridge goes on from {sequence + 1}")
    return 0
