"""`nav-adapter reset-checkpoint FEED SEQ`: where a feed goes on from.

The bridge then resumes right after SEQ, without looking at what its topic already holds: back
to publish again from there, forward to skip (e.g. past a gap that halted the feed). A running
bridge takes the reset at its next page, or at once when halted.
"""

from aiokafka import AIOKafkaProducer

from adapter.bridge.checkpoints import CheckpointStore
from adapter.kafka.topics import ensure_topics
from contracts.bridged import Checkpoint
from contracts.feeds import parse_feed_id


async def reset_checkpoint(bootstrap: str, topic: str, feed_id: str, sequence: int) -> int:
    parse_feed_id(feed_id)
    if sequence < 0:
        raise ValueError("SEQ must be 0 or more (0: from the very first event)")
    await ensure_topics(bootstrap, [topic], compacted=frozenset({topic}))
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, acks="all")
    await producer.start()
    store = CheckpointStore(bootstrap_servers=bootstrap, topic=topic, producer=producer)
    try:
        await store.start()
        before = store.latest(feed_id)
        await store.write(Checkpoint(feed=feed_id, sequence=sequence, reset=True))
    finally:
        await store.stop()
        await producer.stop()
    was = "none" if before is None else str(before.sequence)
    print(f"{feed_id}: checkpoint {was} -> {sequence}; the bridge goes on from {sequence + 1}")
    return 0
