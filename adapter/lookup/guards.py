"""Recent replies, so a request seen again is answered without calling NAV twice."""

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
