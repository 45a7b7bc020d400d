"""Small stateful guards of the lookup service: recent replies (dedupe) and per-caller quotas."""

import time
from collections import OrderedDict
from collections.abc import Callable
from uuid import UUID


class RecentReplies:
    """Replies by request id for `window` seconds, so a request seen again is not sent to NAV twice.

    Per process and bounded; after a restart a redelivered request is simply looked up again,
    which is harmless because lookups are reads.
    """

    def __init__(
        self, *, window: float, max_entries: int = 100_000, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self._window = window
        self._max = max_entries
        self._clock = clock
        self._entries: OrderedDict[UUID, tuple[float, bytes]] = OrderedDict()

    def get(self, request_id: UUID) -> bytes | None:
        entry = self._entries.get(request_id)
        if entry is None:
            return None
        if entry[0] < self._clock():
            del self._entries[request_id]
            return None
        return entry[1]

    def put(self, request_id: UUID, reply: bytes) -> None:
        if self._window <= 0:
            return
        self._entries[request_id] = (self._clock() + self._window, reply)
        self._entries.move_to_end(request_id)
        now = self._clock()
        while self._entries:
            oldest_id, (expires, _) = next(iter(self._entries.items()))
            if len(self._entries) <= self._max and expires >= now:
                break
            del self._entries[oldest_id]


class CallerQuota:
    """A token bucket: `rate` lookups a second on average, bursts of up to `burst`."""

    def __init__(
        self, *, rate: float, burst: float | None = None, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self._rate = rate
        self._burst = burst if burst is not None else max(1.0, rate)
        self._clock = clock
        self._tokens = self._burst
        self._at = clock()

    def take(self) -> bool:
        now = self._clock()
        self._tokens = min(self._burst, self._tokens + (now - self._at) * self._rate)
        self._at = now
        if self._tokens >= 1:
            self._tokens -= 1
            return True
        return False
