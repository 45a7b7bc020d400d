"""A page's records handed to the producer one batch per partition.

aiokafka's `send` costs more per record than building the record itself (metadata wait,
partitioner, accumulator, a future each): it was most of the bridge's time per event. Here each
record is appended to its partition's batch (`create_batch`, aiokafka's record builder) and each
batch is handed over with `send_batch`, in page order, so a key's records stay in sequence order
in their partition. Records go to the partition aiokafka's default partitioner picks (murmur2 of
the key over the topic's partitions, `CachedPartitioner`, as every producer of the adapter).
"""

import asyncio
from collections.abc import Sequence
from typing import Any

from aiokafka import AIOKafkaProducer
from aiokafka.producer.message_accumulator import BatchBuilder

from adapter.kafka.partitioner import CachedPartitioner
from adapter.kafka.records import Outgoing

REMEMBERED_KEYS = 50_000
"""Key hashes kept: the same people come back page after page."""


class PagePublisher:
    def __init__(self, producer: AIOKafkaProducer) -> None:
        self._producer = producer
        self._partition = CachedPartitioner(recent_keys=REMEMBERED_KEYS)

    async def queue(self, records: Sequence[Outgoing]) -> list["asyncio.Future[Any]"]:
        """Hand the records to the producer; the futures are their batches' acknowledgements."""
        acks: list[asyncio.Future[Any]] = []
        batches: dict[tuple[str, int], BatchBuilder] = {}
        partitions: dict[str, list[int]] = {}
        for record in records:
            if (known := partitions.get(record.topic)) is None:
                # As aiokafka's own send lists them for its partitioner.
                known = partitions[record.topic] = list(await self._producer.partitions_for(record.topic))
            if record.key is None:
                raise ValueError("every bridged record has a key")
            target = (record.topic, self._partition(record.key, known, known))
            if (batch := batches.get(target)) is None:
                batch = batches[target] = self._producer.create_batch()
            if (
                batch.append(key=record.key, value=record.value, timestamp=None, headers=record.headers)
                is None
            ):
                # Full: handed over, and the record opens the next one (a first record always fits).
                acks.append(await self._producer.send_batch(batch, target[0], partition=target[1]))
                batch = batches[target] = self._producer.create_batch()
                batch.append(key=record.key, value=record.value, timestamp=None, headers=record.headers)
        for (topic, partition), batch in batches.items():
            acks.append(await self._producer.send_batch(batch, topic, partition=partition))
        return acks
