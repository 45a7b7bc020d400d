"""The partition of a keyed record: Kafka's own rule (murmur2 of the key, as the Java client and
aiokafka's `DefaultPartitioner`), with the hash of recent keys remembered.

aiokafka's murmur2 is pure Python, about 9 us for a 64-byte person key, and a lookup writes two
records (reply, audit) under the same key: measured, that was the partitioner's whole cost.
"""

from collections.abc import Callable, Sequence
from functools import lru_cache

from aiokafka.partitioner import DefaultPartitioner, murmur2

RECENT_KEYS = 4096


class CachedPartitioner:
    def __init__(self, recent_keys: int = RECENT_KEYS) -> None:
        self._hash: Callable[[bytes], int] = lru_cache(maxsize=recent_keys)(murmur2)
        self._unkeyed = DefaultPartitioner()

    def __call__(self, key: bytes | None, all_partitions: Sequence[int], available: Sequence[int]) -> int:
        if key is None:
            return int(self._unkeyed(key, all_partitions, available))
        hashed = self._hash(key) if isinstance(key, bytes) else murmur2(key)
        return all_partitions[(hashed & 0x7FFFFFFF) % len(all_partitions)]
