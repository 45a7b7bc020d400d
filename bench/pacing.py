"""Open-loop load: fire request `i` at `t0 + i / rate`, whether or not earlier ones were answered."""

import asyncio
from collections.abc import Awaitable, Callable


async def paced(rate: float, n: int, fire: Callable[[int], Awaitable[None]]) -> float:
    """Calls `fire(i)` for i in range(n) on schedule; returns the rate actually offered."""
    loop = asyncio.get_running_loop()
    t0 = loop.time()
    i = 0
    while i < n:
        due = min(n, int((loop.time() - t0) * rate) + 1)
        while i < due:
            await fire(i)
            i += 1
        await asyncio.sleep(max(0.0, t0 + i / rate - loop.time()))
    elapsed = loop.time() - t0
    return n / elapsed if elapsed > 0 else float("nan")
