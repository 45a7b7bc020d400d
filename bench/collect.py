"""Reading a reply topic: one latency per request, from the request's record timestamp to the reply's.

Both timestamps are CreateTime, set by the producing client on this machine's clock: the request's
by the driver when it produced it, the reply's by the pipeline when it produced the reply.
"""

import asyncio
import contextlib
from collections.abc import Callable, Mapping

from aiokafka import AIOKafkaConsumer, ConsumerRecord, TopicPartition

from bench.baseline import HTTP_STATUS_HEADER
from contracts import headers as h

ReplyCheck = Callable[[ConsumerRecord[bytes, bytes]], bool]


def adapter_reply_ok(record: ConsumerRecord[bytes, bytes]) -> bool:
    return record.value is not None and b'"status":"ok"' in record.value


def baseline_reply_ok(record: ConsumerRecord[bytes, bytes]) -> bool:
    return dict(record.headers).get(HTTP_STATUS_HEADER) == b"200"


class ReplyCollector:
    def __init__(self, bootstrap: str, topic: str, sent: Mapping[str, int], ok: ReplyCheck) -> None:
        self._bootstrap = bootstrap
        self._topic = topic
        self._sent = sent
        self._ok = ok
        self.latency_ms: dict[str, int] = {}
        self.reply_ts: list[int] = []
        self.failed = 0
        self.unknown = 0
        self._consumer: AIOKafkaConsumer | None = None
        self._task: asyncio.Task[None] | None = None
        self._arrived = asyncio.Event()

    @property
    def count(self) -> int:
        return len(self.latency_ms)

    async def start(self) -> None:
        consumer = AIOKafkaConsumer(
            bootstrap_servers=self._bootstrap, enable_auto_commit=False, fetch_max_wait_ms=100
        )
        await consumer.start()
        await consumer.topics()
        partitions = [
            TopicPartition(self._topic, p) for p in consumer.partitions_for_topic(self._topic) or {0}
        ]
        consumer.assign(partitions)
        await consumer.seek_to_beginning(*partitions)
        self._consumer = consumer
        self._task = asyncio.create_task(self._run(consumer))

    async def _run(self, consumer: AIOKafkaConsumer) -> None:
        while True:
            batch = await consumer.getmany(timeout_ms=200, max_records=5000)
            for records in batch.values():
                for record in records:
                    self._take(record)
            if batch:
                self._arrived.set()

    def _take(self, record: ConsumerRecord[bytes, bytes]) -> None:
        cid = dict(record.headers).get(h.CORRELATION_ID, b"").decode()
        sent = self._sent.get(cid)
        if sent is None:
            self.unknown += 1
            return
        if cid in self.latency_ms:
            return  # a redelivered duplicate: the first reply counts
        self.latency_ms[cid] = record.timestamp - sent
        self.reply_ts.append(record.timestamp)
        if not self._ok(record):
            self.failed += 1

    async def wait_for(self, ids: set[str] | int, timeout: float, tick: Callable[[], None] | None) -> bool:
        """Until `ids` (or that many replies) are in, calling `tick` about every 3 s."""
        loop = asyncio.get_running_loop()
        until, next_tick = loop.time() + timeout, loop.time() + 3.0

        def done() -> bool:
            if isinstance(ids, int):
                return self.count >= ids
            return ids.issubset(self.latency_ms.keys())

        while not done():
            now = loop.time()
            if now >= until:
                return False
            if self._task is not None and self._task.done():
                self._task.result()
            if tick is not None and now >= next_tick:
                tick()
                next_tick = now + 3.0
            self._arrived.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._arrived.wait(), 0.5)
        return True

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        if self._consumer is not None:
            await self._consumer.stop()
