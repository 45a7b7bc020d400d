"""Publishing that only returns once Kafka has acknowledged every record.

Offsets are committed after this returns, so a record that cannot be written is retried
(with backoff) rather than given up: giving up would lose the request it answers.
"""

import asyncio
import logging
import random
from collections.abc import Sequence

from aiokafka import AIOKafkaProducer
from aiokafka.errors import KafkaError

from adapter.lookup.messages import Outgoing

log = logging.getLogger(__name__)


class Producer:
    def __init__(self, producer: AIOKafkaProducer, *, max_backoff: float = 5.0) -> None:
        self._producer = producer
        self._max_backoff = max_backoff

    async def send_all(self, records: Sequence[Outgoing]) -> None:
        attempt = 0
        while True:
            try:
                futures = [
                    await self._producer.send(r.topic, r.value, key=r.key, headers=list(r.headers))
                    for r in records
                ]
                await asyncio.gather(*futures)
                return
            except KafkaError as exc:
                attempt += 1
                delay = random.random() * min(self._max_backoff, 0.1 * 2**attempt)
                log.warning("publish failed (%s), retrying in %.2fs", type(exc).__name__, delay)
                await asyncio.sleep(delay)
