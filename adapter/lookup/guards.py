"""Recent replies, so a request seen again is answered without calling NAV twice."""

import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from uuid import UUID

DedupeKey = tuple[str, UUID]
"""(the caller's request topic, request_id): one caller's id never answers another caller."""


@dataclass(frozen=True)
class Recent:
    digest: bytes
    """Digest of the validated request the reply answered: an id reused for another request differs."""
    reply: bytes


class RecentReplies:
    """Replies by (caller, request id) for `window` seconds, so a request seen again is not sent to NAV twice.

    Per process and bounded; after a restart a redelivered request is simply looked up again,
    which is harmless because lookups are reads.
    """

    def __init__(
        self, *, window: float, max_entries: int = 100_000, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self._window = window
        self._max = max_entries
        self._clock = clock
        self._entries: OrderedDict[DedupeKey, tuple[float, Recent]] = OrderedDict()

    def get(self, key: DedupeKey) -> Recent | None:
        entry = self._entries.get(key)
        if entry is None:
            return None
        if entry[0] < self._clock():
            del self._entries[key]
            return None
        return entry[1]

    def put(self, key: DedupeKey, digest: bytes, reply: bytes) -> None:
        if self._window <= 0:
            return
        self._entries[key] = (self._clock() + self._window, Recent(digest, reply))
        self._entries.move_to_end(key)
        now = self._clock()
        while self._entries:
            oldest, (expires, _) = next(iter(self._entries.items()))
            if len(self._entries) <= self._max and expires >= now:
                break
            del self._entries[oldest]
