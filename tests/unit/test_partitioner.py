"""Keyed records land where Kafka's own partitioner puts them, remembered hashes or not."""

import random

from aiokafka.partitioner import DefaultPartitioner

from adapter.kafka.partitioner import CachedPartitioner


def test_every_key_gets_kafkas_partition_first_time_and_again() -> None:
    rng = random.Random(7)
    cached, kafka = CachedPartitioner(recent_keys=64), DefaultPartitioner()
    keys = [rng.randbytes(rng.randrange(0, 80)) for _ in range(500)]
    keys += [b"%064x" % rng.getrandbits(256) for _ in range(500)]  # person keys: 64 hex digits
    for count in (1, 3, 4, 12, 50):
        partitions = list(range(count))
        for key in keys + keys[:100]:  # the last hundred again, remembered or evicted
            assert cached(key, partitions, partitions) == kafka(key, partitions, partitions)


def test_a_record_without_a_key_goes_to_an_available_partition() -> None:
    cached = CachedPartitioner()
    assert {cached(None, [0, 1, 2, 3], [2]) for _ in range(20)} == {2}
