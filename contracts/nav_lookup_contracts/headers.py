"""Kafka header names this project reads and writes."""

CORRELATION_ID = "correlation_id"
"""On every reply: the request's `request_id`."""

OPERATION = "operation"
"""On every reply and audit record."""

DLQ_REASON = "dlq-reason"
DLQ_SOURCE_TOPIC = "dlq-source-topic"
DLQ_SOURCE_PARTITION = "dlq-source-partition"
DLQ_SOURCE_OFFSET = "dlq-source-offset"
"""Added to a dead letter, which otherwise keeps the original bytes and headers."""

REPLAYED = "replayed"
"""Set by the replay command on every message it copies."""

RETRY_ATTEMPT = "nav-retry-attempt"
RETRY_SOURCE_TOPIC = "nav-retry-source-topic"
RETRY_NOT_BEFORE = "nav-retry-not-before"
"""On a request moved to a delayed retry topic: how many delays it has had, the caller's request
topic (the caller's identity), and the Unix time before which it must not be tried again."""

NAV_FEED = "nav-feed"
NAV_SEQUENCE = "nav-sequence"
NAV_RECORD = "nav-record"
"""On every record the event bridge writes: the feed id, the sequence number (decimal) and the
record's kind (`event` or `gap`)."""
