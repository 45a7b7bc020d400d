"""Stopping at any moment: a start-up step that a stop (SIGINT, SIGTERM) cuts short."""

import asyncio
import contextlib
from collections.abc import Coroutine
from typing import Any


async def unless_stopped(
    work: Coroutine[Any, Any, Any],
    stop: asyncio.Event,
    *,
    beside: asyncio.Task[Any] | None = None,
    grace: float = 0.0,
) -> bool:
    """Run `work` until it is done (True) or `stop` is set (False, and `work` is cancelled).

    `grace`: how long `work` may still go on after the stop, for a step that cleans up badly when
    cancelled; it is cut short only when it would not end by itself (Kafka gone mid-start).

    A `beside` task that ends first (e.g. the lookups failing while a start-up step waits for
    them) cancels `work` as well, and its error is raised.
    """
    task = asyncio.ensure_future(work)
    stopping = asyncio.ensure_future(stop.wait())
    watched: set[asyncio.Future[Any]] = {task, stopping}
    if beside is not None:
        watched.add(beside)
    try:
        await asyncio.wait(watched, return_when=asyncio.FIRST_COMPLETED)
        if not task.done() and stop.is_set() and grace > 0:
            await asyncio.wait({task}, timeout=grace)
    finally:
        stopping.cancel()
        if not task.done():
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
    if not task.cancelled():
        task.result()
        return True
    if beside is not None and beside.done():
        beside.result()
    return False
