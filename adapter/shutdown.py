"""Stopping at any moment: a start-up step that a stop (SIGINT, SIGTERM) cuts short, and a bound
on the whole stop that holds even when a library waits on a broker that never answers."""

import asyncio
import contextlib
import logging
import os
import threading
from collections.abc import Coroutine
from typing import Any

log = logging.getLogger(__name__)

STOP_MARGIN_SECONDS = 15.0
"""How long a role may take to stop past its drain timeout (leaving the groups, closing the
producer, each bounded on its own) before the process exits regardless. The platform's grace
period must be longer than the drain timeout plus this."""

OVERRUN_EXIT_CODE = 70
"""The exit code of a stop that overran its bound (EX_SOFTWARE): something did not stop as built."""


def exit_unless_stopped_within(seconds: float) -> threading.Timer:
    """Exit the process `seconds` from now unless it has ended by then.

    A thread rather than a task: it fires even when the event loop is blocked. Exiting abandons
    nothing that was counted as done, since offsets are only committed once Kafka has answered,
    so what is left is redelivered.
    """

    def overrun() -> None:
        log.error("the stop took longer than %.0f s: exiting, what was not committed is redelivered", seconds)
        for handler in logging.getLogger().handlers:
            with contextlib.suppress(Exception):
                handler.flush()
        os._exit(OVERRUN_EXIT_CODE)

    timer = threading.Timer(seconds, overrun)
    timer.daemon = True
    timer.start()
    return timer


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
