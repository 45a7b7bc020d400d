"""Which records a replay copies and what it writes for them: pure functions over plain records."""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

import orjson

from adapter.kafka.records import Incoming, Outgoing
from nav_lookup_contracts import headers as h

Headers = Sequence[tuple[str, bytes]]

# Every dead-letter header starts "dlq-", every retry header "nav-retry-" (nav_lookup_contracts.headers).
_DLQ_PREFIX = "dlq-"
_RETRY_PREFIX = "nav-retry-"


def operation_of(value: bytes | None, headers: Headers) -> str | None:
    """The `operation` header, else the `operation` field of a JSON object value."""
    for name, raw in headers:
        if name == h.OPERATION:
            return raw.decode(errors="replace")
    if not value:
        return None
    try:
        body = orjson.loads(value)
    except orjson.JSONDecodeError:
        return None
    operation = body.get("operation") if isinstance(body, dict) else None
    return operation if isinstance(operation, str) else None


@dataclass(frozen=True)
class Range:
    """Which offsets of each partition; unset bounds mean the partition's start and its end now."""

    from_offset: int | None = None
    to_offset: int | None = None
    """Exclusive."""
    from_time: datetime | None = None
    to_time: datetime | None = None
    """Exclusive."""
    partitions: frozenset[int] | None = None


@dataclass(frozen=True)
class Selection:
    """Every condition given must hold. A header condition with value None asks only for presence."""

    key: bytes | None = None
    headers: tuple[tuple[str, bytes | None], ...] = ()
    operation: str | None = None

    def matches(self, record: Incoming) -> bool:
        if self.key is not None and record.key != self.key:
            return False
        present: dict[str, set[bytes]] = {}
        for name, value in record.headers:
            present.setdefault(name, set()).add(value)
        for name, wanted in self.headers:
            if name not in present or (wanted is not None and wanted not in present[name]):
                return False
        return self.operation is None or operation_of(record.value, record.headers) == self.operation


def source_of(record: Incoming) -> bytes:
    return f"{record.topic}/{record.partition}/{record.offset}".encode()


def replayed(record: Incoming, target: str) -> Outgoing:
    """The record for `target`, marked `replayed` with where it was copied from."""
    headers = [(n, v) for n, v in record.headers if n != h.REPLAYED]
    headers.append((h.REPLAYED, source_of(record)))
    return Outgoing(target, record.key, record.value or b"", headers)


def redriven(record: Incoming, target: str | None = None) -> Outgoing | None:
    """A dead letter back on the request topic it came from, as the caller sent it.

    The caller's request topic is `nav-retry-source-topic` when the letter died on a retry topic,
    else `dlq-source-topic`; `target` overrides both. The dead-letter and retry headers go, so
    the request starts afresh; None when no topic can be told.
    """
    names = dict(record.headers)
    raw = names.get(h.RETRY_SOURCE_TOPIC) or names.get(h.DLQ_SOURCE_TOPIC)
    topic = target or (raw.decode(errors="replace") if raw else None)
    if not topic:
        return None
    kept = [(n, v) for n, v in record.headers if not n.startswith((_DLQ_PREFIX, _RETRY_PREFIX))]
    return replayed(
        Incoming(record.topic, record.partition, record.offset, record.key, record.value, kept), topic
    )
