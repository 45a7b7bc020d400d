"""In-flight bookkeeping: which offsets may be committed, and which messages must wait their turn.

Lookups finish out of order, but a partition's committed offset must never pass a message that
is still in flight, or a crash would lose it. `OffsetTracker` keeps, per partition, the offsets
taken and the ones finished, and says how far the partition may be committed.
`KeyedSequencer` runs messages with the same key one after another, in offset order.
"""

import asyncio
import heapq
from collections.abc import Awaitable, Callable, Hashable
from dataclasses import dataclass, field

from aiokafka import TopicPartition


@dataclass
class _Partition:
    pending: list[int] = field(default_factory=list)  # heap of offsets taken, not yet committed
    finished: set[int] = field(default_factory=set)
    committable: int | None = None  # next offset to commit, i.e. one past the last done prefix
    committed: int | None = None


class OffsetTracker:
    def __init__(self) -> None:
        self._partitions: dict[TopicPartition, _Partition] = {}
        self._in_flight = 0

    @property
    def in_flight(self) -> int:
        return self._in_flight

    def take(self, tp: TopicPartition, offset: int) -> None:
        part = self._partitions.setdefault(tp, _Partition())
        heapq.heappush(part.pending, offset)
        self._in_flight += 1

    def finish(self, tp: TopicPartition, offset: int) -> None:
        part = self._partitions.get(tp)
        if part is None:  # partition was revoked and forgotten meanwhile
            return
        part.finished.add(offset)
        self._in_flight -= 1
        while part.pending and part.pending[0] in part.finished:
            done = heapq.heappop(part.pending)
            part.finished.discard(done)
            part.committable = done + 1

    def to_commit(self) -> dict[TopicPartition, int]:
        """Partitions whose committable offset moved since the last `committed` call."""
        return {
            tp: part.committable
            for tp, part in self._partitions.items()
            if part.committable is not None and part.committable != part.committed
        }

    def committed(self, offsets: dict[TopicPartition, int]) -> None:
        for tp, offset in offsets.items():
            if tp in self._partitions:
                self._partitions[tp].committed = offset

    def busy(self, partitions: set[TopicPartition]) -> bool:
        return any(self._partitions[tp].pending for tp in partitions if tp in self._partitions)

    def forget(self, partitions: set[TopicPartition]) -> None:
        for tp in partitions:
            part = self._partitions.pop(tp, None)
            if part is not None:
                self._in_flight -= len(part.pending)


class KeyedSequencer:
    """Runs jobs concurrently, except that jobs with the same key run in submission order."""

    def __init__(self) -> None:
        self._tails: dict[Hashable, asyncio.Future[None]] = {}
        self._tasks: set[asyncio.Task[None]] = set()

    def submit(self, key: Hashable | None, job: Callable[[], Awaitable[None]]) -> None:
        previous = self._tails.get(key) if key is not None else None
        done: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        if key is not None:
            self._tails[key] = done

        async def run() -> None:
            try:
                if previous is not None:
                    await asyncio.shield(previous)
                await job()
            finally:
                done.set_result(None)
                if key is not None and self._tails.get(key) is done:
                    del self._tails[key]

        task = asyncio.create_task(run())
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def cancel_all(self) -> None:
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
