"""Reading an events topic from its beginning: every number once, in order, and when it was published.

The publish time is the record's CreateTime, set by the producing process when it sent the record.
"""

from collections.abc import Callable

from aiokafka import ConsumerRecord

from bench.collect import ReplyCollector
from contracts import headers as h

SequenceOf = Callable[[ConsumerRecord[bytes, bytes]], int | None]


def bare_sequence(record: ConsumerRecord[bytes, bytes]) -> int | None:
    """The bare loop keys each item by its number."""
    return int(record.key) if record.key else None


def bridged_sequence(record: ConsumerRecord[bytes, bytes]) -> int | None:
    """The bridge names the number in a header; gap records (none here) are not events."""
    headers = dict(record.headers)
    return int(headers[h.NAV_SEQUENCE]) if headers.get(h.NAV_RECORD) == b"event" else None


class EventCollector(ReplyCollector):
    """`count` is the distinct numbers seen; `reply_ts` holds every record's publish time."""

    def __init__(self, bootstrap: str, topic: str, sequence_of: SequenceOf) -> None:
        super().__init__(bootstrap, topic, {}, lambda record: True)
        self._sequence_of = sequence_of
        self.records = 0
        self.sequences: set[int] = set()
        self.out_of_order = 0
        """Records whose number is not above the one before them in their partition."""
        self._last: dict[int, int] = {}

    @property
    def count(self) -> int:
        return len(self.sequences)

    def _take(self, record: ConsumerRecord[bytes, bytes]) -> None:
        sequence = self._sequence_of(record)
        if sequence is None:
            self.unknown += 1
            return
        self.records += 1
        self.sequences.add(sequence)
        self.reply_ts.append(record.timestamp)
        if sequence <= self._last.get(record.partition, -1):
            self.out_of_order += 1
        self._last[record.partition] = sequence

    def missing(self, first: int, last: int) -> int:
        return sum(1 for s in range(first, last + 1) if s not in self.sequences)
