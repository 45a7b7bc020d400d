import asyncio

from aiokafka import TopicPartition

from adapter.lookup.inflight import KeyedSequencer, OffsetTracker

TP = TopicPartition("t", 0)


def test_commit_never_passes_an_offset_in_flight() -> None:
    tracker = OffsetTracker()
    for offset in (10, 11, 12):
        tracker.take(TP, offset)
    tracker.finish(TP, 12)
    tracker.finish(TP, 11)
    assert tracker.to_commit() == {}
    tracker.finish(TP, 10)
    assert tracker.to_commit() == {TP: 13}
    tracker.committed({TP: 13})
    assert tracker.to_commit() == {}
    assert tracker.in_flight == 0


def test_partitions_are_independent() -> None:
    tracker = OffsetTracker()
    other = TopicPartition("t", 1)
    tracker.take(TP, 0)
    tracker.take(other, 5)
    tracker.finish(other, 5)
    assert tracker.to_commit() == {other: 6}
    assert tracker.busy({TP}) and not tracker.busy({other})


def test_forgetting_a_revoked_partition_drops_its_work() -> None:
    tracker = OffsetTracker()
    tracker.take(TP, 0)
    tracker.forget({TP})
    tracker.finish(TP, 0)  # late finish of a revoked partition is ignored
    assert tracker.in_flight == 0 and tracker.to_commit() == {}


async def test_same_key_runs_in_order_other_keys_overlap() -> None:
    sequencer = KeyedSequencer()
    log: list[str] = []
    gate = asyncio.Event()

    def job(name: str, wait: bool) -> object:
        async def run() -> None:
            log.append(f"start {name}")
            if wait:
                await gate.wait()
            log.append(f"end {name}")

        return run

    sequencer.submit("a", job("a1", True))  # type: ignore[arg-type]
    sequencer.submit("a", job("a2", False))  # type: ignore[arg-type]
    sequencer.submit("b", job("b1", False))  # type: ignore[arg-type]
    await asyncio.sleep(0.01)
    assert log == ["start a1", "start b1", "end b1"]
    gate.set()
    await asyncio.sleep(0.01)
    assert log[3:] == ["end a1", "start a2", "end a2"]
