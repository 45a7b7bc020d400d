"""Stopping a Kafka client that may be talking to a broker that no longer answers.

aiokafka's and FastStream's `stop()` wait on requests in flight (a flush, a leave-group, a fetch)
with nothing but the request timeout, and after a reconnect to a frozen connection not even that:
a process told to stop would outlast the platform's grace period. A stop that takes too long is
abandoned and said so once; nothing it would have sent is counted as done (offsets are only ever
marked committed when Kafka answered, so what is left is redelivered).
"""

import asyncio
import logging
from collections.abc import Awaitable, Callable

log = logging.getLogger(__name__)

CLIENT_STOP_SECONDS = 3.0
"""How long one client's stop may take once the drain is over: the margin over the drain timeout."""


async def stop_within(
    stop: Callable[[], Awaitable[object]], what: str, seconds: float = CLIENT_STOP_SECONDS
) -> bool:
    """Run `stop()` for at most `seconds`; False (and one warning) when it was abandoned."""
    try:
        async with asyncio.timeout(seconds):
            await stop()
    except TimeoutError:
        log.warning("%s did not stop within %.0f s (Kafka not answering): abandoned", what, seconds)
        return False
    return True
