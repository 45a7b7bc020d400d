"""How fast a bridge asks NAV: at once while pages come back full, slower while NAV has nothing new,
with backoff and jitter after failures, and never above an API's rate limit."""

import asyncio
import random
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from adapter.nav.client import RetryPolicy


@dataclass(frozen=True)
class Pacing:
    idle_seconds: float = 1.0
    """The wait after a page that was not full: the feed is caught up."""
    max_idle_seconds: float = 30.0
    """Empty pages in a row double the wait up to this."""
    retry_base_seconds: float = 0.5
    retry_max_seconds: float = 60.0


class Pacer:
    def __init__(self, pacing: Pacing, *, rng: Callable[[], float] = random.random) -> None:
        self._pacing = pacing
        # Only its delay rule is used: a bridge never gives up, it keeps backing off.
        self._retry = RetryPolicy(base_delay=pacing.retry_base_seconds, max_delay=pacing.retry_max_seconds)
        self._rng = rng
        self._empty = 0
        self._failures = 0

    def after_page(self, *, full: bool, items: int) -> float:
        """Seconds to wait before asking for the next page."""
        self._failures = 0
        if full:
            self._empty = 0
            return 0.0
        if items:
            self._empty = 0
            return self._pacing.idle_seconds
        self._empty += 1
        return min(self._pacing.max_idle_seconds, self._pacing.idle_seconds * 2.0 ** (self._empty - 1))

    def after_failure(self, retry_after: float | None = None) -> float:
        """Exponential backoff with full jitter; NAV's Retry-After wins when it gives one."""
        self._failures += 1
        return self._retry.delay(self._failures, retry_after, self._rng)


class RateLimiter:
    """A token bucket for one NAV API, shared by every feed of that API in this process.

    `burst` is kept small: a gateway's own bucket may be stricter than "N a minute" suggests.
    """

    def __init__(
        self,
        per_minute: float,
        *,
        burst: float = 5.0,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        if per_minute <= 0:
            raise ValueError("per_minute must be positive")
        self._rate = per_minute / 60.0
        self._burst = max(1.0, burst)
        self._clock = clock
        self._sleep = sleep
        self._tokens = self._burst
        self._at = clock()
        self._lock = asyncio.Lock()

    async def acquire(self) -> None:
        # One waiter at a time, so waiters are served in order and none overtakes another.
        async with self._lock:
            self._refill()
            if self._tokens < 1:
                await self._sleep((1 - self._tokens) / self._rate)
                self._refill()
            self._tokens -= 1

    def _refill(self) -> None:
        now = self._clock()
        self._tokens = min(self._burst, self._tokens + (now - self._at) * self._rate)
        self._at = now
