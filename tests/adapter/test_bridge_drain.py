import asyncio
from typing import Any, cast

from adapter.bridge.app import bounded_flush


class HangingProducer:
    """A producer whose flush never ends: a broker that stopped answering."""

    def __init__(self) -> None:
        self.flushes = 0

    async def flush(self) -> None:
        self.flushes += 1
        await asyncio.Event().wait()


async def test_a_lease_lets_go_after_the_drain_timeout_even_if_the_flush_hangs() -> None:
    producer = HangingProducer()
    release = bounded_flush(cast(Any, producer), 0.2)
    await asyncio.wait_for(release(), 10)  # returns: the timeout bounds the flush
    assert producer.flushes == 1
