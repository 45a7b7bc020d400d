"""End offsets, and a consumer for reading ranges of partitions by hand.

The embedded Tansu broker answers ListOffsets(latest) with the first offset of the partition's
last record batch plus one, not the offset after its last record: a batch of five records at
offsets 0-4 reads as "end 1". Its fetch responses carry the right high watermark, so on Tansu
the last batch is fetched and its high watermark taken; on Kafka the listed offsets stand.
"""

import asyncio

from aiokafka import AIOKafkaConsumer, TopicPartition

from adapter.kafka import clients
from adapter.settings import KafkaSettings


async def exact_end_offsets(
    kafka: KafkaSettings,
    consumer: AIOKafkaConsumer,
    partitions: list[TopicPartition],
    *,
    timeout: float = 10.0,
) -> dict[TopicPartition, int]:
    """The offset after each partition's last record. The partitions must be assigned to
    `consumer`; on Tansu their positions are moved, so seek afterwards."""
    ends: dict[TopicPartition, int] = dict(await consumer.end_offsets(partitions))
    if kafka.broker_kind != "tansu":
        return ends
    begins = await consumer.beginning_offsets(partitions)
    loop = asyncio.get_running_loop()
    for tp in partitions:
        if ends[tp] <= begins[tp]:
            continue
        consumer.seek(tp, ends[tp] - 1)
        deadline = loop.time() + timeout
        # A compacted partition may have nothing left at end - 1: then the listed end stands.
        while not (await consumer.getmany(tp, timeout_ms=200)).get(tp) and loop.time() < deadline:
            pass
        ends[tp] = max(ends[tp], consumer.highwater(tp) or 0)
    return ends


def range_reader(kafka: KafkaSettings, *, fetch_max_wait_ms: int = 20) -> AIOKafkaConsumer:
    """A consumer for reading ranges of partitions by hand: no group, no commits.

    Its fetch waits are short because offset requests queue behind a waiting fetch on the same
    connection (a broker answers one request of a connection at a time): with Kafka's default
    500 ms, every offset lookup would cost half a second.

    Assigned partitions start from the earliest offset: aiokafka resolves the initial position in
    the background, and when that answer lands after a `seek_to_beginning` it wins, so a default
    of "latest" would skip what a reader asked for (seen on Apache Kafka, which answers later).
    """
    return clients.consumer(
        kafka,
        group_id=None,
        auto_offset_reset="earliest",
        enable_auto_commit=False,
        fetch_max_wait_ms=fetch_max_wait_ms,
    )
