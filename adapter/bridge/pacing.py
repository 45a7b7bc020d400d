"""How fast a bridge asks NAV: at once while pages come back full, slower while NAV has nothing new,
and with backoff and jitter after failures (an API's rate limit is a `TokenBucket` of its own)."""

import random
from collections.abc import Callable
from dataclasses import dataclass

from adapter.backoff import full_jitter


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
        if retry_after is not None:
            return retry_after
        # A bridge never gives up: it keeps backing off, up to the longest wait.
        pacing = self._pacing
        return full_jitter(
            self._failures, base=pacing.retry_base_seconds, cap=pacing.retry_max_seconds, rng=self._rng
        )
